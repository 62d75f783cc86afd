// Package testenv finds the external tools (a Python interpreter, uv) that
// tests need, and decides what a test does when one is missing: outside CI it
// skips, in CI (CI=true) it fails, so a missing install step cannot hide
// behind a green run.
package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
)

var (
	pythonOnce sync.Once
	pythonPath string
	uvOnce     sync.Once
	uvPath     string
)

// InCI reports whether the tests run under CI (CI=true or CI=1).
func InCI() bool {
	v := strings.ToLower(os.Getenv("CI"))
	return v == "true" || v == "1"
}

// missing skips the test outside CI and fails it in CI.
func missing(t testing.TB, what string) {
	t.Helper()
	if InCI() {
		t.Fatalf("%s is required in CI but was not found; run the README's test command, which installs it", what)
	}
	t.Skipf("%s not found; skipping (this test fails instead when CI=true)", what)
}

// Python returns the absolute path of a real CPython 3 interpreter (never a
// pyenv shim: shims cost ~55 ms a start). PYEXEC_TEST_PYTHON overrides.
func Python(t testing.TB) string {
	t.Helper()
	pythonOnce.Do(func() { pythonPath = findPython() })
	if pythonPath == "" {
		missing(t, "a Python 3 interpreter")
	}
	return pythonPath
}

// UV returns the absolute path of the uv binary. PYEXEC_TEST_UV overrides.
func UV(t testing.TB) string {
	t.Helper()
	uvOnce.Do(func() { uvPath = findUV() })
	if uvPath == "" {
		missing(t, "uv")
	}
	return uvPath
}

func findPython() string {
	if p := os.Getenv("PYEXEC_TEST_PYTHON"); p != "" {
		return p
	}
	p, err := exec.LookPath("python3")
	if err != nil {
		return ""
	}
	if !strings.Contains(p, "/shims/") {
		return p
	}
	// Ask the interpreter for its real path once, so tests exec it directly.
	out, err := exec.Command(p, "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

func findUV() string {
	if p := os.Getenv("PYEXEC_TEST_UV"); p != "" {
		return p
	}
	if p, err := exec.LookPath("uv"); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	for _, p := range []string{filepath.Join(home, ".local", "bin", "uv"), filepath.Join(home, ".cargo", "bin", "uv")} {
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// PythonVersions lists the installed pyenv interpreters as minor version →
// absolute path, for tests of version selection. It may be empty.
func PythonVersions() map[string]string {
	root := os.Getenv("PYENV_ROOT")
	if root == "" {
		home, _ := os.UserHomeDir()
		root = filepath.Join(home, ".pyenv")
	}
	dirs, _ := filepath.Glob(filepath.Join(root, "versions", "3.*"))
	sort.Strings(dirs)
	out := map[string]string{}
	for _, d := range dirs {
		parts := strings.Split(filepath.Base(d), ".")
		if len(parts) < 2 {
			continue
		}
		minor := parts[0] + "." + parts[1]
		exe := filepath.Join(d, "bin", "python"+minor)
		if _, err := os.Stat(exe); err == nil {
			out[minor] = exe
		}
	}
	return out
}
