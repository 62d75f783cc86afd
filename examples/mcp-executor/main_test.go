package main

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestTools: the server offers exactly the second seed's tools, and they
// work together: a file written by the tool is read by session code.
func TestTools(t *testing.T) {
	cs, _ := connect(t)
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		require.NoError(t, err)
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	require.Equal(t, []string{"execute_python", "get_job_output", "install_package", "kill_job", "list_files", "list_jobs",
		"py_cancel_job", "py_job_status", "py_list_jobs", "py_prune_jobs", "read_file", "run_notebook", "save_notebook", "write_file"}, names, "the session tools bring the job tools: a long cell is a job")

	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "write_file", Arguments: map[string]any{"path": "n.txt", "content": "41"}})
	require.NoError(t, err)
	require.False(t, res.IsError)
	res, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "execute_python", Arguments: map[string]any{"code": "int(open('n.txt').read()) + 1"}})
	require.NoError(t, err)
	require.Equal(t, "42", res.StructuredContent.(map[string]any)["value"])
}

// connect starts the server with the data directory, the test interpreter
// and flags, and connects a client over an in-memory transport; both are
// closed when the test ends.
func connect(t *testing.T, flags ...string) (*mcp.ClientSession, *config) {
	t.Helper()
	cfg, err := parseFlags(append([]string{"-data-dir", t.TempDir(), "-python", testenv.Python(t)}, flags...), io.Discard)
	require.NoError(t, err)
	srv, closeAll, err := newServer(context.Background(), cfg, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(context.Background(), st, nil)
	require.NoError(t, err)
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "t", Version: "v0"}, nil).Connect(context.Background(), ct, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = cs.Close()
		closeAll()
		_ = ss.Close()
	})
	return cs, cfg
}
