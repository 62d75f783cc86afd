package mcptools

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Limits of one stdio frame (StdioTransport).
const (
	// MaxFrameBytes is the largest line a stdio client may send: the SDK's
	// own limit, past which its transport would end the session.
	MaxFrameBytes = mcp.DefaultMaxLineLength
	// MaxFrameDepth bounds the nesting of a frame's JSON.
	MaxFrameDepth = 1000
)

// StdioTransport returns the transport of a stdio server: newline-delimited
// JSON-RPC over r and w, as mcp.IOTransport, except that no line a client
// sends can end the session. The SDK's transport ends it on the first line
// it cannot decode — a line that is not JSON, a message without "jsonrpc":
// "2.0", a batch array, an object or 1e400 as id, nesting deeper than its
// decoder allows, a frame past 16 MiB — and with it every running job and
// every Python session (issue 12). Here each such line gets the JSON-RPC
// error it deserves (-32700 for a line that is not JSON, -32600 for one that
// is not a valid message), with id null as JSON-RPC requires when the id
// cannot be trusted, and is logged to log (nil: not logged); the next line
// is read as usual. Batches are refused: MCP removed them in 2025-06-18.
//
// One goroutine reads r and hands good lines to the SDK through a pipe; it
// ends when r ends or the session closes the pipe (a read of r already
// under way finishes first: stdin cannot be interrupted portably, as the
// SDK's own transport notes).
func StdioTransport(r io.Reader, w io.Writer, log *slog.Logger) mcp.Transport {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &stdioTransport{r: r, w: w, log: log}
}

type stdioTransport struct {
	r   io.Reader
	w   io.Writer
	log *slog.Logger
}

func (t *stdioTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	pr, pw := io.Pipe()
	out := &lockedWriter{w: t.w}
	go func() {
		pw.CloseWithError(filterFrames(t.r, pw, out, t.log))
	}()
	// MaxLineLength -1: every line that reaches the SDK was checked here.
	return (&mcp.IOTransport{Reader: pr, Writer: out, MaxLineLength: -1}).Connect(ctx)
}

// lockedWriter serialises whole writes: the SDK writes each message in one
// Write, and so do the error replies, so lines never interleave.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Close() error { return nil } // the caller owns w

// filterFrames copies the good lines of r to good and answers the bad ones
// on out, until r ends (its error, or nil at EOF) or good is closed.
func filterFrames(r io.Reader, good io.Writer, out io.Writer, log *slog.Logger) error {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, size, err := readFrame(br, MaxFrameBytes)
		if size > 0 {
			if code, why := checkFrame(line, size); code != 0 {
				log.Warn("mcptools: refused a stdio frame", "code", code, "reason", why, "bytes", size)
				if _, werr := out.Write(frameError(code, why)); werr != nil {
					return werr
				}
			} else if _, werr := good.Write(append(line, '\n')); werr != nil {
				return nil // the session closed the pipe
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// readFrame reads one line without its end of line. A line longer than
// max is read to its end and dropped: line is nil and size says how long it
// was. Blank lines have size 0.
func readFrame(br *bufio.Reader, max int) (line []byte, size int, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		size += len(chunk)
		if size <= max+1 { // +1: the newline
			buf = append(buf, chunk...)
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		if size > max+1 {
			return nil, size, err
		}
		buf = bytes.TrimRight(buf, "\r\n")
		if len(bytes.TrimSpace(buf)) == 0 {
			return nil, 0, err
		}
		return buf, len(buf), err
	}
}

// checkFrame returns 0 for a line the SDK can take, else the JSON-RPC
// error code and the reason, which names the rule and the fix.
func checkFrame(line []byte, size int) (int, string) {
	if line == nil {
		return jsonrpc.CodeInvalidRequest, fmt.Sprintf("a message of %d bytes is over the %d-byte limit of this server; send smaller messages", size, MaxFrameBytes)
	}
	if d := jsonDepth(line); d > MaxFrameDepth {
		return jsonrpc.CodeInvalidRequest, fmt.Sprintf("the message nests deeper than %d levels", MaxFrameDepth)
	}
	// Only the members that decide validity are captured; params is
	// scanned, not copied.
	var m struct {
		JSONRPC json.RawMessage `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  json.RawMessage `json:"method"`
		Result  json.RawMessage `json:"result"`
		Error   json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(line, &m); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case !json.Valid(line):
			return jsonrpc.CodeParseError, "Parse error: the line is not JSON; send one JSON-RPC message per line"
		case bytes.HasPrefix(bytes.TrimSpace(line), []byte("[")):
			return jsonrpc.CodeInvalidRequest, "batches (JSON arrays) are not accepted: MCP removed JSON-RPC batching; send one message per line"
		case errors.As(err, &te) && te.Field == "":
			return jsonrpc.CodeInvalidRequest, "a JSON-RPC message must be a JSON object"
		}
		return jsonrpc.CodeInvalidRequest, "invalid message: " + err.Error()
	}
	switch {
	case string(m.JSONRPC) != `"2.0"`:
		return jsonrpc.CodeInvalidRequest, `the message lacks "jsonrpc": "2.0"`
	case m.ID != nil && !validID(m.ID):
		return jsonrpc.CodeInvalidRequest, fmt.Sprintf("id %s is not a string or an integer", clipText(string(m.ID), 40))
	case m.Method != nil && (len(m.Method) == 0 || m.Method[0] != '"'):
		return jsonrpc.CodeInvalidRequest, "method must be a string"
	case m.Method == nil && (m.ID == nil || (m.Result == nil && m.Error == nil)):
		return jsonrpc.CodeInvalidRequest, "the message is neither a request (method) nor a response (id with result or error)"
	}
	return 0, ""
}

// validID reports whether raw is an id MCP allows: a string, or an integer
// that fits in int64 (not null, a fraction, 1e400, an object or an array).
func validID(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		return json.Unmarshal(raw, &s) == nil
	}
	_, err := strconv.ParseInt(string(raw), 10, 64)
	return err == nil
}

// jsonDepth returns the deepest nesting of arrays and objects in data,
// skipping strings.
func jsonDepth(data []byte) int {
	depth, deepest := 0, 0
	inString, escaped := false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			depth++
			deepest = max(deepest, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return deepest
}

// frameError is the JSON-RPC error response for a refused line.
func frameError(code int, message string) []byte {
	b, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"id":      nil,
		"error":   map[string]any{"code": code, "message": message},
	})
	return append(b, '\n')
}

func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
