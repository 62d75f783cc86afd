package mcptools_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/mcptools"
)

type noArgs struct{}

// TestRecoveryMiddleware: a panicking handler becomes an error result and
// the server keeps serving.
func TestRecoveryMiddleware(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	mcptools.AddTool(h.server, &mcp.Tool{Name: "explode"}, func(context.Context, *mcp.CallToolRequest, noArgs) (*mcp.CallToolResult, any, error) {
		panic("kaboom")
	})
	msg := h.callErr("explode", map[string]any{})
	require.Contains(t, msg, "panicked")
	require.Contains(t, msg, "kaboom")
	var r mcptools.RunResult
	h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": "print('alive')"}, &r)
	require.Equal(t, "alive\n", r.Stdout)
}

// TestNullArguments: "arguments": null means no arguments (the SDK alone
// would panic filling defaults into a nil map).
func TestNullArguments(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	res, err := h.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "py_list_jobs", Arguments: map[string]any(nil)})
	require.NoError(t, err)
	require.False(t, res.IsError, text(res))
}

func TestRegisterConflicts(t *testing.T) {
	t.Parallel()
	newToolset := func(t *testing.T, groups ...mcptools.Group) *mcptools.Toolset {
		ts, err := mcptools.New(context.Background(), &mcptools.Options{DataDir: t.TempDir(), Groups: groups})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, ts.Close()) })
		return ts
	}
	impl := &mcp.Implementation{Name: "s", Version: "v0"}
	t.Run("twice on one server", func(t *testing.T) {
		ts := newToolset(t)
		s := mcp.NewServer(impl, nil)
		ts.Register(s)
		require.PanicsWithValue(t, "mcptools: this Toolset is already registered on this server", func() { ts.Register(s) })
	})
	t.Run("two toolsets with the same tools", func(t *testing.T) {
		s := mcp.NewServer(impl, nil)
		newToolset(t, mcptools.GroupJobs).Register(s)
		require.Panics(t, func() { newToolset(t, mcptools.GroupJobs).Register(s) })
		newToolset(t, mcptools.GroupScripts).Register(s) // disjoint groups are fine
	})
	t.Run("AddTool clashing with a pyexec tool", func(t *testing.T) {
		s := mcp.NewServer(impl, nil)
		newToolset(t).Register(s)
		msg := panicMessage(func() {
			mcptools.AddTool(s, &mcp.Tool{Name: "list_jobs"}, func(context.Context, *mcp.CallToolRequest, noArgs) (*mcp.CallToolResult, any, error) {
				return nil, nil, nil
			})
		})
		require.Contains(t, msg, `tool name "list_jobs" is already registered on this server by a Toolset`)
	})
	t.Run("one toolset on two servers", func(t *testing.T) {
		ts := newToolset(t)
		ts.Register(mcp.NewServer(impl, nil))
		ts.Register(mcp.NewServer(impl, nil))
	})
	t.Run("unknown group", func(t *testing.T) {
		_, err := mcptools.New(context.Background(), &mcptools.Options{DataDir: t.TempDir(), Groups: []mcptools.Group{"nope"}})
		require.ErrorIs(t, err, mcptools.ErrInvalidOptions)
	})
}

// panicMessage runs f and returns what it panicked with, as a string.
func panicMessage(f func()) (msg string) {
	defer func() { msg = fmt.Sprint(recover()) }()
	f()
	return ""
}
