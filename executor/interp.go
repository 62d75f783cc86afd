package executor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/pyexec-mcp/pyexec/internal/pyfind"
)

// Interpreter is an installed Python found on this machine.
type Interpreter struct {
	Path    string `json:"path"`    // absolute path, never a pyenv shim
	Version string `json:"version"` // full version, e.g. "3.12.1"
}

// Minor returns "3.12" for "3.12.1".
func (i Interpreter) Minor() string { return minorOf(i.Version) }

var (
	minorRe    = regexp.MustCompile(`^3\.[0-9]{1,2}$`)
	pyenvVerRe = regexp.MustCompile(`^3\.[0-9]+\.[0-9]+$`)
)

func minorOf(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 {
		return v
	}
	return parts[0] + "." + parts[1]
}

// interpreters discovers and caches Python interpreters. Discovery runs
// once; the version of a path is asked of it once.
type interpreters struct {
	pythonDefault string // Options.Python
	pyenvRoot     string
	pathEnv       string

	mu       sync.Mutex
	versions map[string]string // abs path → full version
	found    []Interpreter     // nil until discovered
	def      *Interpreter
}

// versionOf runs the interpreter once to learn its full version.
func (r *interpreters) versionOf(ctx context.Context, path string) (string, error) {
	r.mu.Lock()
	v, ok := r.versions[path]
	r.mu.Unlock()
	if ok {
		return v, nil
	}
	out, err := exec.CommandContext(ctx, path, "-I", "-S", "-c",
		"import sys,platform;print(platform.python_version());print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("run %s: %w", path, err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	v = strings.TrimSpace(lines[0])
	r.mu.Lock()
	if r.versions == nil {
		r.versions = map[string]string{}
	}
	r.versions[path] = v
	r.mu.Unlock()
	return v, nil
}

// Default returns the interpreter used when no python_version is asked for.
func (r *interpreters) Default(ctx context.Context) (Interpreter, error) {
	r.mu.Lock()
	if r.def != nil {
		d := *r.def
		r.mu.Unlock()
		return d, nil
	}
	r.mu.Unlock()
	name := r.pythonDefault
	if name == "" {
		name = pyfind.DefaultName
	}
	p, err := pyfind.RealPath(ctx, name, r.pathEnv)
	if err != nil {
		return Interpreter{}, fmt.Errorf("%w: %q: %v; install Python 3 or set Options.Python to an interpreter's path", ErrPythonNotFound, name, err)
	}
	v, err := r.versionOf(ctx, p)
	if err != nil {
		return Interpreter{}, fmt.Errorf("%w: %v", ErrPythonNotFound, err)
	}
	in := Interpreter{Path: p, Version: v}
	r.mu.Lock()
	r.def = &in
	r.mu.Unlock()
	return in, nil
}

// Installed lists the interpreters found: pyenv's versions directory, then
// python3.X and python3 on PATH (shims skipped), one per minor version,
// newest patch first.
func (r *interpreters) Installed(ctx context.Context) []Interpreter {
	r.mu.Lock()
	if r.found != nil {
		f := r.found
		r.mu.Unlock()
		return f
	}
	r.mu.Unlock()

	byMinor := map[string]Interpreter{}
	add := func(in Interpreter) {
		m := in.Minor()
		if old, ok := byMinor[m]; !ok || versionLess(old.Version, in.Version) {
			byMinor[m] = in
		}
	}
	if r.pyenvRoot != "" {
		dirs, _ := filepath.Glob(filepath.Join(r.pyenvRoot, "versions", "3.*"))
		for _, d := range dirs {
			v := filepath.Base(d)
			if !pyenvVerRe.MatchString(v) {
				continue // e.g. virtualenvs or dev builds
			}
			exe := filepath.Join(d, "bin", "python"+minorOf(v))
			if _, err := os.Stat(exe); err == nil {
				add(Interpreter{Path: exe, Version: v})
			}
		}
	}
	seen := map[string]bool{}
	for _, dir := range pyfind.SearchDirs(r.pathEnv) {
		if dir == "" || pyfind.IsShim(dir+string(filepath.Separator)) {
			continue
		}
		names, _ := filepath.Glob(filepath.Join(dir, "python*"))
		for _, n := range names {
			if !pyfind.IsPythonName(filepath.Base(n)) {
				continue
			}
			real, err := filepath.EvalSymlinks(n)
			if err != nil || seen[real] {
				continue
			}
			seen[real] = true
			if v, err := r.versionOf(ctx, n); err == nil {
				add(Interpreter{Path: n, Version: v})
			}
		}
	}
	out := make([]Interpreter, 0, len(byMinor))
	for _, in := range byMinor {
		out = append(out, in)
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i].Version, out[j].Version) })
	r.mu.Lock()
	r.found = out
	r.mu.Unlock()
	return out
}

// Find resolves an exact minor version ("3.12") to an installed interpreter.
func (r *interpreters) Find(ctx context.Context, minor string) (Interpreter, error) {
	if !minorRe.MatchString(minor) {
		return Interpreter{}, invalid("PythonVersion", "PythonVersion %q is not an exact minor version; use the form \"3.12\"", minor)
	}
	all := r.Installed(ctx)
	for _, in := range all {
		if in.Minor() == minor {
			return in, nil
		}
	}
	return Interpreter{}, fmt.Errorf("%w: PythonVersion %q is not installed; installed: %s (interpreters are not downloaded)",
		ErrPythonNotFound, minor, listVersions(all))
}

func listVersions(all []Interpreter) string {
	if len(all) == 0 {
		return "none found"
	}
	vs := make([]string, len(all))
	for i, in := range all {
		vs[i] = in.Version
	}
	return strings.Join(vs, ", ")
}

// versionLess compares dotted numeric versions.
func versionLess(a, b string) bool {
	return compareVersions(a, b) < 0
}

func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
