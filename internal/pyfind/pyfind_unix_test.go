//go:build unix

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

// TestSearchDirs: macOS adds Homebrew's and python.org's directories after
// PATH's, so a server started by a client with a short PATH finds them.
func TestSearchDirs(t *testing.T) {
	t.Parallel()
	glob := func(pattern string) ([]string, error) {
		require.Equal(t, "/Library/Frameworks/Python.framework/Versions/3.*/bin", pattern)
		return []string{"/Library/Frameworks/Python.framework/Versions/3.12/bin"}, nil
	}
	require.Equal(t, []string{"/usr/bin", "/bin", "/opt/homebrew/bin", "/usr/local/bin", "/Library/Frameworks/Python.framework/Versions/3.12/bin"},
		searchDirs("darwin", "/usr/bin:/bin", glob))
	require.Equal(t, []string{"/usr/bin", "/bin"}, searchDirs("linux", "/usr/bin:/bin", glob))
	require.Equal(t, "/v/bin/python", VenvPython("/v"))
	require.Equal(t, "/v/lib/python*/site-packages", SitePackagesGlob("/v"))
	require.True(t, IsPythonName("python3.12"))
	require.False(t, IsPythonName("python3-config"))
}
