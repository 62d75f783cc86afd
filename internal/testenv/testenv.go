package testenv

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
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

// Missing skips the test outside CI and fails it in CI, naming what is
// missing: for a test's own requirement that the finders here do not cover
// (a package from the index, an interpreter of a given version).
func Missing(t testing.TB, what string) {
	t.Helper()
	missing(t, what)
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
	// The real path, so that tests exec the interpreter, not a slow shim.
	p, err := pyfind.RealPath(context.Background(), "python3", os.Getenv("PATH"))
	if err != nil {
		return ""
	}
	return p
}

func findUV() string {
	if p := os.Getenv("PYEXEC_TEST_UV"); p != "" {
		return p
	}
	p, err := uvcmd.Find("")
	if err != nil {
		return ""
	}
	return p
}

// PythonAtLeast returns the absolute path of a real CPython interpreter of
// version least ("3.10") or newer: Python's when it is new enough, else the
// newest of PythonVersions. Like Python, it skips the test outside CI and
// fails it in CI when there is none.
func PythonAtLeast(t testing.TB, least string) string {
	t.Helper()
	if v, err := exec.Command(Python(t), "-I", "-S", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output(); err == nil &&
		minorAtLeast(strings.TrimSpace(string(v)), least) {
		return Python(t)
	}
	best, path := "", ""
	for minor, p := range PythonVersions() {
		if minorAtLeast(minor, least) && (best == "" || minorAtLeast(minor, best)) {
			best, path = minor, p
		}
	}
	if path == "" {
		missing(t, "a Python "+least+" or newer interpreter")
	}
	return path
}

// minorAtLeast reports whether the version v ("3.12") is at least least.
func minorAtLeast(v, least string) bool {
	parse := func(s string) (int, int) {
		major, minor, _ := strings.Cut(s, ".")
		a, _ := strconv.Atoi(major)
		b, _ := strconv.Atoi(minor)
		return a, b
	}
	va, vb := parse(v)
	ma, mb := parse(least)
	return va > ma || (va == ma && vb >= mb)
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

// RequireEnforceable skips the test when err (from sandbox.Check) says a
// sandbox switch cannot be enforced on this machine, and fails it in CI,
// whose machines enforce every switch: a containment test must never pass
// by not running.
func RequireEnforceable(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if InCI() {
		t.Fatalf("CI machines enforce every sandbox switch, but: %v", err)
	}
	t.Skipf("not enforceable here: %v", err)
}
