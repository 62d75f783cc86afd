package pyfind

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRealPath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	real := filepath.Join(dir, "python3.99")
	require.NoError(t, os.WriteFile(real, []byte("#!/bin/sh\n"), 0o755))
	// A shim answers sys.executable with the real interpreter.
	shims := filepath.Join(dir, "shims")
	require.NoError(t, os.Mkdir(shims, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(shims, "python3"), []byte("#!/bin/sh\necho "+real+"\n"), 0o755))

	got, err := RealPath(context.Background(), "python3.99", dir)
	require.NoError(t, err)
	require.Equal(t, real, got)
	got, err = RealPath(context.Background(), "python3", shims)
	require.NoError(t, err)
	require.Equal(t, real, got)
	got, err = RealPath(context.Background(), real, "")
	require.NoError(t, err)
	require.Equal(t, real, got)

	_, err = RealPath(context.Background(), "python3", dir)
	require.ErrorContains(t, err, `"python3" is not on PATH`)
	_, err = RealPath(context.Background(), filepath.Join(dir, "missing"), "")
	require.Error(t, err)
	require.True(t, IsShim("/root/.pyenv/shims/python3"))
	require.False(t, IsShim("/usr/bin/python3"))
}
