package mcptools_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

// TestBadInputOfNewParameters: every argument this wave added refuses bad
// values with an error naming the argument and the fix, and what lies
// outside the workspace stays out of reach through the new tools and the
// workspace resources.
func TestBadInputOfNewParameters(t *testing.T) {
	t.Parallel()
	h, wsDir := sessionHarness(t, true)
	dir := t.TempDir()
	for _, c := range []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"run_script_in_dir", map[string]any{"directory": dir, "use_uv": false, "script_content": "pass", "max_response_tokens": -1}, []string{"max_response_tokens", "negative"}},
		{"run_script_in_dir", map[string]any{"directory": dir, "use_uv": false, "script_content": "pass", "max_response_tokens": 32001}, []string{"max_response_tokens", "32000"}},
		{"execute_python", map[string]any{"code": "1", "max_response_tokens": -5}, []string{"max_response_tokens"}},
		{"execute_python", map[string]any{"code": "1", "timeout_seconds": -1}, []string{"timeout_seconds", "negative"}},
		{"execute_python", map[string]any{"code": "  "}, []string{"code", "empty"}},
		{"get_job_output", map[string]any{"job_id": "0000000000000fffff", "max_bytes": -1}, []string{"negative"}},
		{"py_job_status", map[string]any{"job_id": "0000000000000fffff", "incremental": true, "stdout_offset": -3}, []string{"stdout_offset", "negative"}},
		{"read_file", map[string]any{"path": "x.txt", "offset": -1}, []string{"offset", "negative"}},
		{"read_file", map[string]any{"path": "../outside.txt"}, []string{"path"}},
		{"save_notebook", map[string]any{"path": "../escape.ipynb"}, []string{"path"}},
		{"save_notebook", map[string]any{"path": "/tmp/abs.ipynb"}, []string{"path"}},
		{"run_notebook", map[string]any{"path": "../escape.ipynb"}, []string{"path"}},
		{"run_notebook", map[string]any{"path": "n.ipynb", "timeout_seconds": -2}, []string{"timeout_seconds"}},
	} {
		msg := h.callErr(c.tool, c.args)
		for _, w := range c.want {
			require.Contains(t, msg, w, "%s %v", c.tool, c.args)
		}
	}
	require.NoFileExists(t, filepath.Join(filepath.Dir(wsDir), "escape.ipynb"))
	require.NoFileExists(t, "/tmp/abs.ipynb")

	// An image too large to return whole names the size and the fix; an
	// offset into an image is refused.
	big := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 400<<10)...)
	require.NoError(t, os.WriteFile(filepath.Join(wsDir, "big.png"), big, 0o600))
	msg := h.callErr("read_file", map[string]any{"path": "big.png"})
	require.Contains(t, msg, "thumbnail")
	require.Contains(t, h.callErr("read_file", map[string]any{"path": "big.png", "offset": 10}), "offset")

	// A resource too large to read whole points to read_file's pages.
	require.NoError(t, os.WriteFile(filepath.Join(wsDir, "big.txt"), []byte(strings.Repeat("x\n", 300<<10)), 0o600))
	_, err := h.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "workspace:///big.txt"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "read_file")
	_, err = h.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: "workspace:///../x"})
	require.Error(t, err)
	require.Contains(t, err.Error(), "confined")
}
