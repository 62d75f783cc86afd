package envload

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// TestWindowsPaths: a .env file is found by the paths a Windows user
// writes — a drive letter with backslashes, with forward slashes, in
// another case, through ".." — and device names are refused unopened.
func TestWindowsPaths(t *testing.T) {
	t.Parallel()
	dir := testenv.TempDir(t) // C:\users\…\Temp\…
	require.Regexp(t, `^[A-Za-z]:\\`, dir)
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	path := filepath.Join(dir, "sub", ".env")
	require.NoError(t, os.WriteFile(path, []byte("A=1\r\nB=two words\r\n"), 0o600))
	for _, p := range []string{
		path,
		filepath.ToSlash(path),
		strings.ToUpper(path[:1]) + path[1:],
		filepath.Join(dir, "sub", "..", "sub", ".env"),
		dir + `\sub/.env`,
	} {
		env, err := Build(&Options{Base: []string{}, File: p})
		require.NoError(t, err, p)
		require.Equal(t, []string{"A=1", "B=two words"}, env, p)
	}

	for _, tc := range []struct{ path, says string }{
		{`\\.\pipe\pyexec-test`, `device namespace \\.\pipe`},
		{`\\.\PhysicalDrive0`, `device namespace \\.\PhysicalDrive0`},
		{`NUL`, "reserved device name NUL"},
		{filepath.Join(dir, "con.env"), "reserved device name con"},
		{`C:\COM1`, "reserved device name COM1"},
	} {
		_, err := Build(&Options{Base: []string{}, File: tc.path})
		require.ErrorIs(t, err, ErrFileNotRegular, tc.path)
		require.Contains(t, err.Error(), tc.says)
	}
	// A long-path prefix with a drive names ordinary files.
	env, err := Build(&Options{Base: []string{}, File: `\\?\` + path})
	require.NoError(t, err)
	require.Equal(t, []string{"A=1", "B=two words"}, env)
}
