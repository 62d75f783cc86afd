package session

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/pyfind"
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
	// limit of MCP (DESIGN §3).
	DefaultMaxImageBytes = 1 << 20
	// DefaultOutputCap is the number of bytes of stdout and of stderr kept
	// per cell, as head and tail.
	DefaultOutputCap = 256 << 10
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
	// and PYTHONPATH are removed).
	Env []string
	// MaxImages, MaxImageBytes and OutputCap limit one cell's result; 0
	// means DefaultMaxImages, DefaultMaxImageBytes, DefaultOutputCap.
	MaxImages     int
	MaxImageBytes int
	OutputCap     int
}

// config is Options with the defaults applied and paths resolved.
type config struct {
	Options
	ownDataDir bool // DataDir was created by NewManager: Close removes it
}

func resolve(opts *Options) (*config, error) {
	if opts == nil {
		opts = &Options{}
	}
	c := &config{Options: *opts}
	c.StartupPackages = append([]string(nil), opts.StartupPackages...)
	c.UVArgs = append([]string(nil), opts.UVArgs...)
	c.Env = append([]string(nil), opts.Env...)
	if c.MaxSessions < 0 || c.Grace < 0 || c.MaxImages < 0 || c.MaxImageBytes < 0 || c.OutputCap < 0 {
		return nil, fmt.Errorf("%w: MaxSessions, Grace, MaxImages, MaxImageBytes and OutputCap must not be negative", ErrInvalidOptions)
	}
	setDefault(&c.MaxSessions, DefaultMaxSessions)
	setDefault(&c.IdleTimeout, DefaultIdleTimeout)
	setDefault(&c.Grace, DefaultGrace)
	setDefault(&c.MaxImages, DefaultMaxImages)
	setDefault(&c.MaxImageBytes, DefaultMaxImageBytes)
	setDefault(&c.OutputCap, DefaultOutputCap)
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
	return c, c.makeDirs()
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
