//go:build unix

package workspace_test

import (
	"io/fs"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/pyexec-mcp/pyexec/workspace"
	"github.com/stretchr/testify/require"
)

func TestSpecialFiles(t *testing.T) {
	t.Parallel()
	ws, _ := setup(t, nil)
	require.NoError(t, syscall.Mkfifo(filepath.Join(ws.Dir(), "fifo"), 0o644))
	_, _, err := ws.Read("fifo") // must not block
	require.ErrorIs(t, err, workspace.ErrNotRegular)
	require.Contains(t, err.Error(), "named pipe")
	_, _, err = ws.Read("sub")
	require.ErrorIs(t, err, workspace.ErrNotRegular)
	require.Contains(t, err.Error(), "is a directory")
	_, _, err = ws.Read("missing.txt")
	require.ErrorIs(t, err, fs.ErrNotExist)
	require.Contains(t, err.Error(), `"missing.txt" does not exist`)
}
