package session

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/forward"
	"github.com/pyexec-mcp/pyexec/internal/headtail"
	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// Defaults applied by NewManager.
const (
	// DefaultSessionID is the session used when a call names none.
	DefaultSessionID = "default"
	// DefaultWorkspaceDir is the workspace, relative to the process's
	// working directory when NewManager runs.
	DefaultWorkspaceDir = "workspace"
	// DefaultMaxSessions caps the number of live sessions.
	DefaultMaxSessions = 8
	// DefaultIdleTimeout is how long a session may stay unused before it
	// is reaped.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultGrace is how long an interrupted cell has to stop before its
	// kernel is killed (and the SIGTERM-to-SIGKILL grace of kernels and uv).
	DefaultGrace = 2 * time.Second
	// DefaultMaxImages is the most images one cell returns.
	DefaultMaxImages = 8
	// DefaultMaxImageBytes is the largest PNG one cell returns. With the
	// other defaults a result stays well below the 16 MiB stdio message
	// limit of MCP (docs/design.md §3).
	DefaultMaxImageBytes = 1 << 20
	// DefaultOutputCap is the number of bytes of stdout and of stderr kept
	// per cell, as head and tail; also the bytes of the value's repr and of
	// the traceback. One-shot runs keep the same (executor.DefaultOutputCap):
	// both are headtail.DefaultLimit, which says why it is this size.
	DefaultOutputCap = headtail.DefaultLimit
	// DefaultLiveBuffer is the most bytes queued for each of
	// CellOptions.Stdout and Stderr: the same bound as one-shot runs'
	// writers (executor.DefaultForwardBuffer).
	DefaultLiveBuffer = forward.DefaultLimit
	// DefaultMaxHistory is the number of cells a session's history keeps
	// (the latest ones).
	DefaultMaxHistory = 500
	// DefaultMaxHistoryBytes bounds the code and outputs a session's
	// history keeps; older cells go first. One cell's outputs are bounded
	// by OutputCap, MaxImages and MaxImageBytes (at most about 8.5 MiB
	// with the defaults), so the newest cell always fits.
	DefaultMaxHistoryBytes = 16 << 20
)

// Options configures a Manager. Only Python is required; zero fields mean
// the defaults above.
type Options struct {
	// Python is the interpreter kernels run: an absolute path, or a name
	// looked up on PATH. A pyenv shim is resolved once to the interpreter
	// it runs (a shim costs ~55 ms a start).
	Python string
	// UV is the uv binary, needed to create session virtual environments
	// and install packages; "" looks up "uv" on PATH. Without uv, Install
	// fails with ErrUVNotFound.
	UV string
	// WorkspaceDir is the kernels' working directory, created if missing;
	// "" means DefaultWorkspaceDir. Pair it with package workspace for the
	// file tools.
	WorkspaceDir string
	// DataDir holds the sessions' virtual environments, one subdirectory a
	// session, removed with the session. "" means a temporary directory
	// that Close removes.
	DataDir string
	// MaxSessions caps the live sessions; a call that would create one
	// more fails with ErrTooManySessions. 0 means DefaultMaxSessions.
	MaxSessions int
	// IdleTimeout reaps a session (its kernel, state and environment)
	// unused for that long. 0 means DefaultIdleTimeout; negative never
	// reaps.
	IdleTimeout time.Duration
	// Grace is the time an interrupted cell has to stop before its kernel
	// is killed and restarted. 0 means DefaultGrace.
	Grace time.Duration
	// StartupPackages are installed into every new session's virtual
	// environment before its first kernel starts (requirements as for
	// Install). Requires uv.
	StartupPackages []string
	// UVArgs are added to every `uv pip install`, e.g. index options:
	// "--offline", "--find-links", dir, "--cache-dir", dir.
	UVArgs []string
	// Env holds extra KEY=VALUE entries for kernels, after the server's
	// own environment (from which VIRTUAL_ENV, CONDA_PREFIX, PYTHONHOME
	// and PYTHONPATH are removed). They are explicit: they pass
	// Sandbox.EnvAllowList.
	Env []string
	// Sandbox confines every kernel for its whole life (package sandbox):
	// cgroup limits on the memory and processes of the kernel and all it
	// starts, no network, a read-only file system but for the workspace
	// (added to WritableDirs here; the sessions' environments under
	// DataDir stay read-only), a private TMPDIR, a PID namespace, an
	// environment allow-list (Env, PATH and VIRTUAL_ENV always pass), as
	// the policy asks. CPUSeconds and
	// MaxFileBytes are per process, so CPUSeconds bounds a kernel's CPU
	// time over all its cells. With any switch on, installs follow the
	// confined-install rules (AllowDirectReferences, AllowSourceBuilds).
	// NewManager checks that this machine enforces it. nil (or a policy
	// that asks for nothing): kernels run unconfined.
	Sandbox *sandbox.Policy
	// AllowDirectReferences lets Install and StartupPackages take direct
	// references (a URL, path or VCS address) under Sandbox; without it
	// they are refused with a *RefusedError, since a direct reference can
	// bring any build code.
	AllowDirectReferences bool
	// AllowSourceBuilds lets Install build source distributions under
	// Sandbox; the build then runs inside the sandbox (with the session's
	// environment and a private uv cache writable). Without it uv installs
	// pre-built wheels only and a package that needs building is refused
	// with a *RefusedError.
	AllowSourceBuilds bool
	// MaxImages, MaxImageBytes and OutputCap limit one cell's result; 0
	// means DefaultMaxImages, DefaultMaxImageBytes, DefaultOutputCap.
	MaxImages     int
	MaxImageBytes int
	OutputCap     int
	// MaxHistory is the number of cells a session's history (Manager.History)
	// keeps, the latest; 0 means DefaultMaxHistory, negative keeps none.
	MaxHistory int
	// MaxHistoryBytes bounds the bytes of code and outputs a session's
	// history keeps: past it the oldest cells are forgotten, though the
	// latest cell is always kept. 0 means DefaultMaxHistoryBytes.
	MaxHistoryBytes int
}

// config is Options with the defaults applied and paths resolved.
type config struct {
	Options
	ownDataDir bool // DataDir was created by NewManager: Close removes it
	// kernelPolicy is Sandbox for kernels (the workspace writable), nil
	// when Sandbox asks for nothing.
	kernelPolicy *sandbox.Policy
}

func resolve(opts *Options) (*config, error) {
	if opts == nil {
		opts = &Options{}
	}
	c := &config{Options: *opts}
	c.StartupPackages = append([]string(nil), opts.StartupPackages...)
	c.UVArgs = append([]string(nil), opts.UVArgs...)
	c.Env = append([]string(nil), opts.Env...)
	if c.MaxSessions < 0 || c.Grace < 0 || c.MaxImages < 0 || c.MaxImageBytes < 0 || c.OutputCap < 0 || c.MaxHistoryBytes < 0 {
		return nil, fmt.Errorf("%w: MaxSessions, Grace, MaxImages, MaxImageBytes, OutputCap and MaxHistoryBytes must not be negative (0 means the default)", ErrInvalidOptions)
	}
	setDefault(&c.MaxSessions, DefaultMaxSessions)
	setDefault(&c.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.Grace, DefaultGrace)
	setDefault(&c.MaxImages, DefaultMaxImages)
	setDefault(&c.MaxImageBytes, DefaultMaxImageBytes)
	setDefault(&c.OutputCap, DefaultOutputCap)
	setDefault(&c.MaxHistory, DefaultMaxHistory)
	setDefault(&c.MaxHistoryBytes, DefaultMaxHistoryBytes)
	if err := validateRequirements(c.StartupPackages); err != nil {
		return nil, fmt.Errorf("%w: StartupPackages: %w", ErrInvalidOptions, err)
	}
	for _, kv := range c.Env {
		if i := strings.IndexByte(kv, '='); i <= 0 {
			return nil, fmt.Errorf("%w: Env entry %q is not KEY=VALUE", ErrInvalidOptions, kv)
		}
	}
	py, err := resolvePython(c.Python)
	if err != nil {
		return nil, err
	}
	c.Python = py
	if c.UV == "" {
		c.UV, _ = exec.LookPath("uv") // optional until something needs it
	}
	if c.UV != "" {
		if c.UV, err = exec.LookPath(c.UV); err != nil {
			return nil, fmt.Errorf("%w: UV %q: %w", ErrUVNotFound, opts.UV, err)
		}
	}
	if len(c.StartupPackages) > 0 && c.UV == "" {
		return nil, fmt.Errorf("%w: StartupPackages need uv; set Options.UV", ErrUVNotFound)
	}
	if err := c.makeDirs(); err != nil {
		return nil, err
	}
	return c, c.confine()
}

// confine derives the kernels' policy from Sandbox and checks it: the
// machine must enforce it, and the sessions' environments must stay out of
// the directories a kernel may write.
func (c *config) confine() error {
	if !c.Sandbox.Enabled() {
		c.Sandbox = nil
		return nil
	}
	p := *c.Sandbox
	p.WritableDirs = append([]string(nil), c.Sandbox.WritableDirs...)
	if c.Sandbox.EnvAllowList != nil {
		p.EnvAllowList = append([]string{}, c.Sandbox.EnvAllowList...)
	}
	c.Sandbox = &p
	if err := uvcmd.CheckConfined(c.StartupPackages, c.AllowDirectReferences); err != nil {
		return fmt.Errorf("%w: StartupPackages: %w", ErrInvalidOptions, err)
	}
	k := p
	if p.ReadOnlyFS {
		// The kernel's working directory is writable only when listed.
		k.WritableDirs = append(append([]string(nil), p.WritableDirs...), c.WorkspaceDir)
		for _, w := range k.WritableDirs {
			if sandbox.Inside(c.DataDir, w) {
				return fmt.Errorf("%w: Sandbox: writable directory %q holds DataDir %q, the sessions' environments, which kernels must not change; move one of them", ErrInvalidOptions, w, c.DataDir)
			}
		}
	}
	if err := sandbox.Check(&k); err != nil {
		return fmt.Errorf("%w: Sandbox: %w", ErrInvalidOptions, err)
	}
	c.kernelPolicy = &k
	return nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

func (c *config) makeDirs() error {
	if c.WorkspaceDir == "" {
		c.WorkspaceDir = DefaultWorkspaceDir
	}
	ws, err := filepath.Abs(c.WorkspaceDir)
	if err == nil {
		err = os.MkdirAll(ws, 0o755)
	}
	if err != nil {
		return fmt.Errorf("%w: WorkspaceDir %q: %w", ErrInvalidOptions, c.WorkspaceDir, err)
	}
	c.WorkspaceDir = ws
	if c.DataDir == "" {
		d, err := os.MkdirTemp("", "pyexec-sessions-")
		if err != nil {
			return fmt.Errorf("session: creating a data directory: %w", err)
		}
		c.DataDir, c.ownDataDir = d, true
		return nil
	}
	d, err := filepath.Abs(c.DataDir)
	if err == nil {
		err = os.MkdirAll(d, 0o755)
	}
	if err != nil {
		return fmt.Errorf("%w: DataDir %q: %w", ErrInvalidOptions, c.DataDir, err)
	}
	c.DataDir = d
	return nil
}

// resolvePython returns the absolute path of the interpreter to exec.
func resolvePython(p string) (string, error) {
	if p == "" {
		return "", fmt.Errorf("%w: Python is required: the path of a Python 3.8+ interpreter", ErrInvalidOptions)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	abs, err := pyfind.RealPath(ctx, p, os.Getenv("PATH"))
	if err != nil {
		return "", fmt.Errorf("%w: Python %q: %w", ErrInvalidOptions, p, err)
	}
	return abs, nil
}
