package pyfind_test

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// TestWindowsNames: interpreters and venvs the Windows way.
func TestWindowsNames(t *testing.T) {
	t.Parallel()
	require.Equal(t, `C:\venv\Scripts\python.exe`, pyfind.VenvPython(`C:\venv`))
	require.Equal(t, `C:\venv\Scripts`, pyfind.VenvBin(`C:\venv`))
	require.Equal(t, `C:\venv\Lib\site-packages`, pyfind.SitePackagesGlob(`C:\venv`))
	for name, want := range map[string]bool{
		"python.exe": true, "python3.exe": true, "python3.12.exe": true, "Python.EXE": true,
		"pythonw.exe": false, "python3-config": false, "python": false, "py.exe": false,
	} {
		require.Equal(t, want, pyfind.IsPythonName(name), name)
	}
	require.True(t, pyfind.IsShim(`C:\Users\me\AppData\Local\Microsoft\WindowsApps\python.exe`), "the Store alias")
	require.True(t, pyfind.IsShim(`C:\Users\me\.pyenv\pyenv-win\shims\python.bat`))
	require.False(t, pyfind.IsShim(`C:\Python312\python.exe`))
}

// TestLookPathAddsExe: "python" finds python.exe (no execute bit needed).
func TestLookPathAddsExe(t *testing.T) {
	t.Parallel()
	dir := testenv.TempDir(t)
	exe := filepath.Join(dir, "python.exe")
	require.NoError(t, os.WriteFile(exe, []byte("MZ"), 0o600))
	for _, name := range []string{"python", "python.exe"} {
		got, err := pyfind.LookPath(name, `C:\nowhere;`+dir)
		require.NoError(t, err, name)
		require.Equal(t, exe, got, name)
	}
	got, err := pyfind.RealPath(context.Background(), "python", dir)
	require.NoError(t, err)
	require.Equal(t, exe, got)
}

// TestRealPathAsksThePyLauncher: without python on PATH, the py launcher's
// answer is the interpreter; without either, the error says what to do.
// Not parallel: the fake launcher (this test binary as py.exe) reads its
// answer from the environment it inherits.
func TestRealPathAsksThePyLauncher(t *testing.T) {
	dir := testenv.TempDir(t)
	src, err := os.Open(os.Args[0])
	require.NoError(t, err)
	defer src.Close()
	dst, err := os.Create(filepath.Join(dir, "py.exe"))
	require.NoError(t, err)
	_, err = io.Copy(dst, src)
	require.NoError(t, err)
	require.NoError(t, dst.Close())
	const real = `C:\Users\me\AppData\Local\Programs\Python\Python312\python.exe`
	t.Setenv(fakeLauncherEnv, real)

	for _, name := range []string{"python", "python3", pyfind.DefaultName} {
		got, err := pyfind.RealPath(context.Background(), name, dir)
		require.NoError(t, err, name)
		require.Equal(t, real, got, name)
	}
	_, err = pyfind.RealPath(context.Background(), "python", testenv.TempDir(t))
	require.ErrorContains(t, err, `"python" is not on PATH, and the py launcher (py -3) found no Python 3`)
	_, err = pyfind.RealPath(context.Background(), "pypy3", dir)
	require.ErrorContains(t, err, `"pypy3" is not on PATH`, "the launcher answers only for python")
}
