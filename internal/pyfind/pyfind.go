package pyfind

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// IsShim reports whether path is a pyenv (or asdf-style) shim.
func IsShim(path string) bool { return strings.Contains(path, "/shims/") }

// LookPath is exec.LookPath over an explicit PATH value (a library does not
// read its caller's environment behind its back when it was given one).
func LookPath(name, pathEnv string) (string, error) {
	for _, dir := range filepath.SplitList(pathEnv) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, name)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// RealPath returns the absolute path of the interpreter that name (a
// command looked up in pathEnv, or a path) runs. A shim is asked once for
// sys.executable.
func RealPath(ctx context.Context, name, pathEnv string) (string, error) {
	p := name
	if !strings.ContainsRune(name, '/') {
		lp, err := LookPath(name, pathEnv)
		if err != nil {
			return "", fmt.Errorf("%q is not on PATH", name)
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
