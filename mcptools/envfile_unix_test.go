//go:build unix

package mcptools_test

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// TestEnvFileIsASmallRegularFile: env_file "/dev/zero" killed the server,
// "/proc/self/fd/0" stole its stdin, a FIFO hung the call (issue 10).
func TestEnvFileIsASmallRegularFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	fifo := filepath.Join(t.TempDir(), "fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	for _, f := range []string{"/dev/zero", "/proc/self/fd/0", "/dev/stdin", fifo} {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second) // a hang bound, not a measurement
		res, err := h.cs.CallTool(ctx, &mcp.CallToolParams{Name: "run_script_in_dir", Arguments: map[string]any{
			"directory": t.TempDir(), "use_uv": false, "script_content": "print('ran')", "env_file": f}})
		cancel()
		require.NoError(t, err, f)
		require.True(t, res.IsError, "%s: %s", f, text(res))
		require.Contains(t, text(res), "env_file", f)
		require.Contains(t, text(res), f)
	}
}
