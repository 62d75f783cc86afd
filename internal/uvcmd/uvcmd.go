package uvcmd

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/pyfind"
)

// ErrNotFound is returned by Find when no uv binary is found.
var ErrNotFound = errors.New("uv not found; install it with `python3 -m pip install --user uv` (or see https://docs.astral.sh/uv/)")

// Find returns the uv binary: configured (a path, or a name on PATH) if set,
// else "uv" on PATH, then ~/.local/bin/uv and ~/.cargo/bin/uv (where
// `pip install --user uv` and the installer put it, often not on a
// server's PATH).
func Find(configured string) (string, error) {
	if configured != "" {
		if strings.ContainsRune(configured, '/') {
			if _, err := os.Stat(configured); err != nil {
				return "", fmt.Errorf("%w (%q: %v)", ErrNotFound, configured, err)
			}
			return configured, nil
		}
		p, err := exec.LookPath(configured)
		if err != nil {
			return "", fmt.Errorf("%w (%q is not on PATH)", ErrNotFound, configured)
		}
		return p, nil
	}
	if p, err := exec.LookPath("uv"); err == nil {
		return p, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		for _, p := range []string{filepath.Join(home, ".local", "bin", "uv"), filepath.Join(home, ".cargo", "bin", "uv")} {
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	return "", ErrNotFound
}

// Env adapts env for uv: VIRTUAL_ENV and CONDA_PREFIX removed (uv would
// install into them), UV_PYTHON_DOWNLOADS=never unless allowDownloads,
// UV_NO_PROGRESS=1, and UV_CACHE_DIR=cacheDir when cacheDir is set.
func Env(env []string, allowDownloads bool, cacheDir string) []string {
	out := make([]string, 0, len(env)+3)
	for _, kv := range env {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "VIRTUAL_ENV", "CONDA_PREFIX", "UV_PYTHON_DOWNLOADS", "UV_NO_PROGRESS":
			continue
		case "UV_CACHE_DIR":
			if cacheDir != "" {
				continue
			}
		}
		out = append(out, kv)
	}
	if allowDownloads {
		out = append(out, "UV_PYTHON_DOWNLOADS=automatic")
	} else {
		out = append(out, "UV_PYTHON_DOWNLOADS=never")
	}
	out = append(out, "UV_NO_PROGRESS=1")
	if cacheDir != "" {
		out = append(out, "UV_CACHE_DIR="+cacheDir)
	}
	return out
}

// Activate makes env look like an activated virtual environment: its bin
// first on PATH and VIRTUAL_ENV set (PYTHONHOME dropped), so that "python"
// and console scripts in a child's subprocesses resolve to it. Windows
// names are case-insensitive (its PATH is usually "Path"), and os/exec keeps
// one of two names that differ in case only: there, any case is the PATH.
func Activate(env []string, venv string) []string {
	out := make([]string, 0, len(env)+2)
	path := ""
	for _, kv := range env {
		name, value, _ := strings.Cut(kv, "=")
		if runtime.GOOS == "windows" {
			name = strings.ToUpper(name)
		}
		switch name {
		case "PATH":
			path = value
		case "VIRTUAL_ENV", "PYTHONHOME":
		default:
			out = append(out, kv)
		}
	}
	bin := pyfind.VenvBin(venv)
	if path != "" {
		bin += string(filepath.ListSeparator) + path
	}
	return append(out, "VIRTUAL_ENV="+venv, "PATH="+bin)
}

// Cmd describes one uv invocation for Run.
type Cmd struct {
	UV    string
	Args  []string
	Env   []string // as made by Env
	Dir   string   // working directory; "" is the caller's
	Stdin string
	Grace time.Duration // SIGTERM → SIGKILL when ctx ends; 0 is proc's default
	// Confine, if set, confines uv and everything it starts (build
	// backends above all) before it starts: package sandbox's Prepare, in
	// practice (uvcmd does not import sandbox, whose tests need uv).
	Confine func(ctx context.Context, cmd *exec.Cmd) (Confinement, error)
}

// Confinement is a confined command's handle (a *sandbox.Box): Kill ends
// what left the process group, Close releases it, SetupErr and Verdict
// say why a run failed.
type Confinement interface {
	Kill() error
	Close() error
	SetupErr() error
	Verdict(exitCode int) string
}

// ConfinedEnvNames are the variables of env a confined uv must keep
// whatever the allow-list says: PATH and uv's own settings.
func ConfinedEnvNames(env []string) []string {
	var names []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, "UV_") || name == "PATH" {
			names = append(names, name)
		}
	}
	return names
}

// Run runs c in its own process group, bounded by ctx (which stops the whole
// group), and returns its output. A context that ended is returned as its
// cause; a failing uv as an error holding its trimmed stderr.
func Run(ctx context.Context, c Cmd) (stdout, stderr string, err error) {
	cmd := exec.Command(c.UV, c.Args...)
	cmd.Env, cmd.Dir = c.Env, c.Dir
	if c.Stdin != "" {
		cmd.Stdin = strings.NewReader(c.Stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = time.Second // an orphan holding the pipes must not hang Wait
	var box Confinement
	if c.Confine != nil {
		var err error
		box, err = c.Confine(ctx, cmd)
		if err != nil {
			return "", "", fmt.Errorf("confine %s: %w", c.UV, err)
		}
		defer box.Close()
	}
	p, err := proc.Start(cmd, c.Grace)
	if err != nil {
		return "", "", fmt.Errorf("start %s: %w", c.UV, err)
	}
	werr := p.Wait(ctx)
	if box != nil {
		_ = box.Kill() // what left the group but not the cgroup
		if serr := box.SetupErr(); serr != nil {
			return out.String(), errb.String(), fmt.Errorf("confine %s: %w", c.UV, serr)
		}
		if v := box.Verdict(proc.ExitCode(cmd.ProcessState)); v != "" && werr != nil && ctx.Err() == nil {
			msg := strings.TrimSpace(errb.String())
			return out.String(), errb.String(), &Error{Args: c.Args, Message: v + "\n" + msg, Err: werr}
		}
	}
	if ctx.Err() != nil {
		return out.String(), errb.String(), context.Cause(ctx)
	}
	if werr != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = werr.Error()
		}
		return out.String(), errb.String(), &Error{Args: c.Args, Message: msg, Err: werr}
	}
	return out.String(), errb.String(), nil
}

// Error is a uv invocation that failed; Message is uv's own explanation.
type Error struct {
	Args    []string
	Message string
	Err     error
}

func (e *Error) Error() string {
	sub := strings.Join(e.Args[:min(2, len(e.Args))], " ")
	return "uv " + sub + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// PEP 508: a name starts and ends with a letter or digit; extras, version
// specifiers, a URL after '@' and markers after ';' follow.
var (
	nameRe  = regexp.MustCompile(`^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?`)
	charsRe = regexp.MustCompile(`^[A-Za-z0-9 ._\-\[\],<>=!~*;:'"()@/+%#&?]*$`)
)

// MaxRequirementBytes bounds one requirement string.
const MaxRequirementBytes = 1000

// CheckRequirement says why s is not one PEP 508 requirement uv can take as
// a single argument (nil if it is): empty, an option (e.g. --index-url=…;
// indexes are server settings), several lines, no package name, characters
// a requirement cannot have. The message quotes s and says what to give.
func CheckRequirement(s string) error {
	t := strings.TrimSpace(s)
	switch {
	case t == "":
		return fmt.Errorf("requirement %q is empty; give a PEP 508 requirement such as \"requests>=2.31\"", s)
	case strings.HasPrefix(t, "-"):
		return fmt.Errorf("requirement %q looks like a command-line option; only PEP 508 requirements such as \"requests>=2.31\" are accepted (indexes are server settings)", s)
	case strings.ContainsAny(t, "\n\r\x00\t"):
		return fmt.Errorf("requirement %q contains a control character; give one requirement per list item", s)
	case len(t) > MaxRequirementBytes:
		return fmt.Errorf("requirement of %d bytes is too long (at most %d)", len(t), MaxRequirementBytes)
	case !nameRe.MatchString(t):
		return fmt.Errorf("requirement %q does not start with a package name; give a PEP 508 requirement such as \"requests>=2.31\"", s)
	case !charsRe.MatchString(t):
		return fmt.Errorf("requirement %q contains characters a PEP 508 requirement cannot have", s)
	}
	rest := strings.TrimSpace(t[len(nameRe.FindString(t)):])
	if rest != "" && !strings.ContainsAny(rest[:1], "[<>=!~;@(") {
		return fmt.Errorf("requirement %q is malformed after the package name; expected extras, a version specifier, '@ url' or '; marker'", s)
	}
	return nil
}

// IsPinned reports whether r is exactly name==version (no wildcard, range,
// marker or extra), a requirement whose resolution can never change.
func IsPinned(r string) bool {
	name, ver, ok := strings.Cut(strings.TrimSpace(r), "==")
	return ok && name != "" && ver != "" && !strings.ContainsAny(ver, "*,;<>!~ ") && nameRe.FindString(name) == name
}
