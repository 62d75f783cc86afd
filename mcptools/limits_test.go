package mcptools_test

import (
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// TestLimits: per-call limits apply within the server's maximums.
func TestLimits(t *testing.T) {
	t.Parallel()
	server := &sandbox.Policy{MemoryBytes: 256 << 20}
	if err := sandbox.Check(server); err != nil {
		// The server must refuse a policy it cannot enforce, not run bare.
		_, err := mcptools.New(t.Context(), &mcptools.Options{DataDir: t.TempDir(), Sandbox: server})
		require.ErrorIs(t, err, mcptools.ErrInvalidOptions)
		testenv.RequireEnforceable(t, err) // fails in CI, skips elsewhere
	}
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) {
		o.Sandbox = server
		o.MaxOutputBytes = 4 << 20
	}})
	bomb := "chunks = []\nwhile True: chunks.append(bytearray(8 << 20))\n"
	t.Run("the server's memory limit applies", func(t *testing.T) {
		var r mcptools.RunResult
		res := h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": bomb}, &r)
		require.Contains(t, r.LimitExceeded, "memory limit (256 MiB)")
		require.Contains(t, text(res), "Stopped by a limit")
	})
	t.Run("a call may lower it", func(t *testing.T) {
		var r mcptools.RunResult
		h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": bomb, "limits": map[string]any{"memory_limit_mb": 64}}, &r)
		require.Contains(t, r.LimitExceeded, "memory limit (64 MiB)")
	})
	t.Run("a call may not raise it", func(t *testing.T) {
		msg := h.callErr("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": "pass", "limits": map[string]any{"memory_limit_mb": 1024}})
		require.Contains(t, msg, "limits.memory_limit_mb")
		require.Contains(t, msg, "above the server's limit of 256 MiB")
	})
	t.Run("a limit outside limits is refused, never ignored", func(t *testing.T) {
		// The limits were top-level arguments before issue 16; a client
		// that still sends one must not get an unconfined run.
		msg := h.callErr("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": "pass", "no_network": true})
		require.Contains(t, msg, "no_network")
		msg = h.callErr("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": "pass", "limits": map[string]any{"no_netwrk": true}})
		require.Contains(t, msg, "no_netwrk")
	})
	t.Run("output limit", func(t *testing.T) {
		var r mcptools.RunResult
		h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "limits": map[string]any{"max_output_mb": 1},
			"script_content": "import sys\nwhile True: sys.stdout.write('x' * 65536)\n"}, &r)
		require.Contains(t, r.LimitExceeded, "output limit")
	})
	t.Run("no network on request", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0") // the only address the test may reach
		require.NoError(t, err)
		defer ln.Close()
		code := fmt.Sprintf("import socket\ntry:\n    socket.create_connection(('127.0.0.1', %d), timeout=2)\n    print('online')\nexcept OSError:\n    print('offline')\n", ln.Addr().(*net.TCPAddr).Port)
		for _, off := range []bool{false, true} {
			var r mcptools.RunResult
			h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "limits": map[string]any{"no_network": off}, "script_content": code}, &r)
			want := map[bool]string{false: "online\n", true: "offline\n"}[off]
			require.Equal(t, want, r.Stdout, r.Stderr)
		}
	})
}
