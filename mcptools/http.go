package mcptools

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// DefaultMaxRequestBytes is the largest HTTP request body HTTPHandler reads
// when HTTPOptions.MaxRequestBytes is zero: the SDK's own default.
const DefaultMaxRequestBytes = mcp.DefaultMaxRequestBodyBytes

// modernVersion is the first protocol revision without sessions
// (2026-07-28): its clients send the version with every request.
const modernVersion = "2026-07-28"

// HTTPOptions configures HTTPHandler. The zero value (or nil) is the
// defaults.
type HTTPOptions struct {
	// SessionTimeout closes a session of a pre-2026-07-28 client that has
	// been idle this long (0: sessions live until the client deletes them
	// or the server stops).
	SessionTimeout time.Duration
	// MaxRequestBytes is the largest request body read (0:
	// DefaultMaxRequestBytes). A larger one is answered 413 with a
	// JSON-RPC error naming the limit.
	MaxRequestBytes int64
	// Logger receives the SDK's transport logs (nil: none).
	Logger *slog.Logger
}

// HTTPHandler serves server s over streamable HTTP on one endpoint to the
// clients of both eras of the protocol:
//
//   - 2026-07-28 and later: stateless. Every request carries its protocol
//     version (MCP-Protocol-Version header, _meta) and capabilities;
//     server/discover, subscriptions/listen (job-stream updates among
//     them) and the Mcp-Method/Mcp-Name headers are checked by the SDK's
//     stateless handler.
//   - 2025-11-25 and earlier: sessions (initialize, Mcp-Session-Id), the
//     GET stream, resources/subscribe, by the SDK's stateful handler.
//
// The SDK serves each era only in its own mode, so HTTPHandler routes each
// request by the era it belongs to: a session id means a session, a
// modern version in the header or the body means stateless, anything else
// (an initialize) starts a session. Both handlers serve the same server, so
// a job started by one client is visible to the other.
func HTTPHandler(s *mcp.Server, opts *HTTPOptions) http.Handler {
	var o HTTPOptions
	if opts != nil {
		o = *opts
	}
	if o.MaxRequestBytes <= 0 {
		o.MaxRequestBytes = DefaultMaxRequestBytes
	}
	get := func(*http.Request) *mcp.Server { return s }
	return &httpHandler{
		max: o.MaxRequestBytes,
		stateful: mcp.NewStreamableHTTPHandler(get, &mcp.StreamableHTTPOptions{
			SessionTimeout:      o.SessionTimeout,
			Logger:              o.Logger,
			MaxRequestBodyBytes: o.MaxRequestBytes,
		}),
		stateless: mcp.NewStreamableHTTPHandler(get, &mcp.StreamableHTTPOptions{
			Stateless:           true,
			Logger:              o.Logger,
			MaxRequestBodyBytes: o.MaxRequestBytes,
		}),
	}
}

type httpHandler struct {
	max                 int64
	stateful, stateless http.Handler
}

func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	modern := r.Header.Get("MCP-Protocol-Version") >= modernVersion
	if r.Method != http.MethodPost || r.Body == nil {
		// GET (the session's stream) and DELETE belong to sessions; a
		// modern client gets the stateless handler's 405.
		if modern {
			h.stateless.ServeHTTP(w, r)
		} else {
			h.stateful.ServeHTTP(w, r)
		}
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.max+1))
	_ = r.Body.Close()
	switch {
	case err != nil:
		writeRPCError(w, http.StatusBadRequest, nil, jsonrpc.CodeParseError, fmt.Sprintf("reading the request body: %v", err))
		return
	case int64(len(body)) > h.max:
		writeRPCError(w, http.StatusRequestEntityTooLarge, nil, jsonrpc.CodeInvalidRequest,
			fmt.Sprintf("request body larger than the server's limit of %d bytes; send less (large scripts belong in a file: script_path), or raise the limit (HTTPOptions.MaxRequestBytes; the example servers: --max-request-mb)", h.max))
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	switch {
	case r.Header.Get("Mcp-Session-Id") != "":
		h.stateful.ServeHTTP(w, r)
	case modern || modernBody(body):
		if id, msg := taskNameMismatch(r.Header, body); msg != "" {
			writeRPCError(w, http.StatusBadRequest, id, mcp.CodeHeaderMismatch, msg)
			return
		}
		h.stateless.ServeHTTP(w, r)
	default:
		h.stateful.ServeHTTP(w, r)
	}
}

// rpcFrame is what routing reads of a JSON-RPC message.
type rpcFrame struct {
	ID     json.RawMessage `json:"id"`
	Method string          `json:"method"`
	Params struct {
		Meta   map[string]json.RawMessage `json:"_meta"`
		TaskID string                     `json:"taskId"`
	} `json:"params"`
}

// frames decodes a body as one message or a batch; nil if it is neither
// (the SDK's handlers answer such a body).
func frames(body []byte) []rpcFrame {
	body = bytes.TrimSpace(body)
	var fs []rpcFrame
	if len(body) > 0 && body[0] == '[' {
		if json.Unmarshal(body, &fs) != nil {
			return nil
		}
		return fs
	}
	var f rpcFrame
	if json.Unmarshal(body, &f) != nil {
		return nil
	}
	return []rpcFrame{f}
}

// modernBody reports whether a body without the version header belongs to
// the stateless era: a request carrying a modern protocol version in its
// _meta, or server/discover (which exists only there).
func modernBody(body []byte) bool {
	for _, f := range frames(body) {
		if f.Method == "server/discover" {
			return true
		}
		var v string
		if json.Unmarshal(f.Params.Meta["io.modelcontextprotocol/protocolVersion"], &v) == nil && v >= modernVersion {
			return true
		}
	}
	return false
}

// taskNameMismatch checks the routing header the Tasks extension has
// clients set on tasks/get, tasks/update and tasks/cancel over HTTP:
// Mcp-Name is the task id, so that a load balancer can route the call to
// the task's server. The SDK checks Mcp-Name only for its own methods. A
// mismatch is reported with the request's id, as the SDK's own header
// errors are (the 2026-07-28 schema's HeaderMismatchError has one).
func taskNameMismatch(h http.Header, body []byte) (id json.RawMessage, msg string) {
	// The SDK holds Mcp-Method to the body's method: only a tasks method
	// needs the body decoded here.
	if h.Get("MCP-Protocol-Version") < modernVersion || !strings.HasPrefix(h.Get("Mcp-Method"), "tasks/") {
		return nil, ""
	}
	for _, f := range frames(body) {
		if !strings.HasPrefix(f.Method, "tasks/") {
			continue
		}
		// A missing header only costs the client its routing (this server
		// holds every task), so it is served; a wrong one means a confused
		// client or intermediary, and is refused.
		if name := h.Get("Mcp-Name"); name != "" && name != f.Params.TaskID {
			return f.ID, fmt.Sprintf("header mismatch: Mcp-Name %q does not match params.taskId %q of %s; set Mcp-Name to the task id", name, f.Params.TaskID, f.Method)
		}
	}
	return nil, ""
}

// writeRPCError answers with a JSON-RPC error: the clients read the error
// body, which a plain-text body would hide from them. id is the request's,
// or nil (null) where none could be read.
func writeRPCError(w http.ResponseWriter, status int, id json.RawMessage, code int64, msg string) {
	if len(id) == 0 || !json.Valid(id) {
		id = json.RawMessage("null")
	}
	b, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"id":      id,
		"error":   map[string]any{"code": code, "message": msg},
	})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
