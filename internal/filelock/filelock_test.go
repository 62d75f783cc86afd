package filelock_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/filelock"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

func open(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

// Two open files of one path exclude each other as two processes' would;
// shared locks share.
func TestTryLock(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testenv.TempDir(t), "lock")
	a, b := open(t, path), open(t, path)

	ok, err := filelock.TryLock(a, true)
	require.NoError(t, err)
	require.True(t, ok)
	for _, exclusive := range []bool{true, false} {
		ok, err = filelock.TryLock(b, exclusive)
		require.NoError(t, err)
		require.False(t, ok, "b locked (exclusive %v) while a holds an exclusive lock", exclusive)
	}
	require.NoError(t, filelock.Unlock(a))
	ok, err = filelock.TryLock(b, true)
	require.NoError(t, err)
	require.True(t, ok, "a released it")
	require.NoError(t, filelock.Unlock(b))

	// Shared with shared, not with exclusive.
	for _, f := range []*os.File{a, b} {
		ok, err = filelock.TryLock(f, false)
		require.NoError(t, err)
		require.True(t, ok)
	}
	c := open(t, path)
	ok, err = filelock.TryLock(c, true)
	require.NoError(t, err)
	require.False(t, ok, "exclusive while two hold shared locks")
	require.NoError(t, filelock.Unlock(a))
	require.NoError(t, filelock.Unlock(b))
	ok, err = filelock.TryLock(c, true)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, filelock.Unlock(c))
}

// Closing a file releases its lock, so a process that dies holding one
// does not block the others.
func TestCloseReleases(t *testing.T) {
	t.Parallel()
	path := filepath.Join(testenv.TempDir(t), "lock")
	a, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	ok, err := filelock.TryLock(a, true)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, a.Close())
	b := open(t, path)
	ok, err = filelock.TryLock(b, true)
	require.NoError(t, err)
	require.True(t, ok)
}
