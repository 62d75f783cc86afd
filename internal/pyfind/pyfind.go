package pyfind

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// IsShim reports whether path is a pyenv (or asdf-style, or pyenv-win)
// shim, or on Windows the Microsoft Store's python.exe alias (see
// isAlias): each is asked for the interpreter it starts.
func IsShim(path string) bool {
	return strings.Contains(filepath.ToSlash(path), "/shims/") || isAlias(path)
}

// LookPath is exec.LookPath over an explicit PATH value (a library does not
// read its caller's environment behind its back when it was given one). On
// Windows a name without an extension is looked up as name.exe too.
func LookPath(name, pathEnv string) (string, error) {
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		for _, n := range exeNames(name) {
			p := filepath.Join(dir, n)
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() && executable(fi) {
				return p, nil
			}
		}
	}
	return "", exec.ErrNotFound
}

// VenvPython returns the interpreter of the virtual environment venv:
// bin/python, or Scripts\python.exe on Windows.
func VenvPython(venv string) string {
	return filepath.Join(VenvBin(venv), venvPythonName)
}

// RealPath returns the absolute path of the interpreter that name (a
// command looked up in pathEnv, or a path) runs. A shim is asked once for
// sys.executable.
func RealPath(ctx context.Context, name, pathEnv string) (string, error) {
	p := name
	if filepath.Base(name) == name {
		lp, err := LookPath(name, pathEnv)
		if err != nil {
			if launched, lerr := viaLauncher(ctx, name, pathEnv); lerr == nil {
				return launched, nil
			}
			return "", fmt.Errorf("%q is not on PATH%s", name, launcherHint)
		}
		p = lp
	}
	if !IsShim(p) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return "", err
		}
		if _, err := os.Stat(abs); err != nil {
			return "", err
		}
		return abs, nil
	}
	out, err := exec.CommandContext(ctx, p, "-I", "-S", "-c", "import sys;print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("resolve shim %s: %w", p, err)
	}
	return strings.TrimSpace(string(out)), nil
}
