package mcptools

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strings"
	"sync"
	"weak"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// claims records, per server, the tool names registered through this
// package and whether the recovery middleware is installed.
//
// It is a package-level variable, against the house rule, because the SDK
// offers no way to list a server's tools before it has a session, and
// mcp.AddTool silently replaces a tool of the same name: the only way to
// panic on a conflict at registration is to remember, per server, what was
// registered. Keys are weak pointers, so a server that is garbage collected
// costs one small stale entry and is never kept alive.
var claims sync.Map // weak.Pointer[mcp.Server] → *claimSet

type claimSet struct {
	mu        sync.Mutex
	names     map[string]string // tool name → who registered it
	owners    map[any]bool      // Toolsets registered on the server
	recovered bool              // the recovery middleware is installed
	log       *slog.Logger      // where recovered panics are logged
}

func claimsOf(s *mcp.Server) *claimSet {
	v, _ := claims.LoadOrStore(weak.Make(s), &claimSet{names: map[string]string{}, owners: map[any]bool{}})
	return v.(*claimSet)
}

// claimNames records names for owner (a *Toolset, or nil for AddTool) on s
// and panics on a second registration of owner or on a name taken before.
// Nothing is recorded when it panics.
func claimNames(s *mcp.Server, owner any, names ...string) {
	c := claimsOf(s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if owner != nil && c.owners[owner] {
		panic("mcptools: this Toolset is already registered on this server")
	}
	who := "mcptools.AddTool"
	if owner != nil {
		who = fmt.Sprintf("a Toolset (%p)", owner)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if prev, ok := c.names[n]; ok || seen[n] {
			if !ok {
				prev = who
			}
			panic(fmt.Sprintf("mcptools: tool name %q is already registered on this server by %s; choose another name or tool group", n, prev))
		}
		seen[n] = true
	}
	for _, n := range names {
		c.names[n] = who
	}
	if owner != nil {
		c.owners[owner] = true
	}
}

// AddTool is mcp.AddTool that first claims the tool's name on s, so that a
// name clash with the pyexec tools (or another AddTool) panics at
// registration instead of silently replacing a tool. It also installs the
// recovery middleware. Use it for an embedding server's own tools.
func AddTool[In, Out any](s *mcp.Server, t *mcp.Tool, h mcp.ToolHandlerFor[In, Out]) {
	claimNames(s, nil, t.Name)
	installRecovery(s, nil)
	mcp.AddTool(s, t, h)
}

// installRecovery adds, once per server, a receiving middleware that turns
// a panic in any handler into an error (for tools/call, an IsError result)
// and logs it with its stack, and that reads "arguments": null as no
// arguments. The SDK has no recovery of its own: a panic
// would end the process, and with it every session of a stdio server.
func installRecovery(s *mcp.Server, log *slog.Logger) {
	c := claimsOf(s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if log != nil {
		c.log = log // the latest Toolset's logger wins
	}
	if c.recovered {
		return
	}
	c.recovered = true
	s.AddReceivingMiddleware(recoverMiddleware(c.logger))
}

func (c *claimSet) logger() *slog.Logger {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.log == nil {
		return slog.New(slog.DiscardHandler)
	}
	return c.log
}

func recoverMiddleware(logger func() *slog.Logger) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
			defer func() {
				v := recover()
				if v == nil {
					return
				}
				logger().Error("mcptools: recovered a panic in a handler; the server keeps serving",
					"method", method, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				msg := fmt.Sprintf("internal error: the handler of %s panicked (%v); the server is still running — please report this", method, v)
				if method == "tools/call" {
					r := &mcp.CallToolResult{}
					r.SetError(fmt.Errorf("%s", msg))
					res, err = r, nil
					return
				}
				res, err = nil, fmt.Errorf("%s", msg)
			}()
			if r, ok := req.(*mcp.CallToolRequest); ok && r.Params != nil && isJSONNull(r.Params.Arguments) {
				// "arguments": null would reach the SDK's default filling as
				// a nil map and panic (go-sdk v1.8.0); it means "none".
				r.Params.Arguments = json.RawMessage("{}")
			}
			res, err = next(ctx, method, req)
			if r, ok := res.(*mcp.CallToolResult); ok && r != nil && r.IsError {
				hintSchema(r)
			}
			return res, err
		}
	}
}

// hintSchema adds a pointer to the input schema to the SDK's argument
// validation errors, which name the argument but not the fix.
func hintSchema(r *mcp.CallToolResult) {
	if len(r.Content) != 1 {
		return
	}
	if tc, ok := r.Content[0].(*mcp.TextContent); ok && strings.HasPrefix(tc.Text, `validating "arguments"`) {
		tc.Text += " — the tool's inputSchema (tools/list) gives each argument's name, type, default and limits; unknown arguments are refused"
	}
}

func isJSONNull(b json.RawMessage) bool { return string(bytes.TrimSpace(b)) == "null" }
