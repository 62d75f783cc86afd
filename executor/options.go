package executor

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/proc"
)

// Defaults applied by New.
const (
	DefaultGrace       = proc.DefaultGrace // SIGTERM → SIGKILL
	DefaultWaitDelay   = time.Second       // pipe drain after the process group is gone
	DefaultResolveTTL  = 10 * time.Minute  // like uv's own index cache
	DefaultDataDirName = ".python_mcp"     // under the home directory
)

// Options configure an Executor. The zero value (or nil) means defaults.
type Options struct {
	// Python is the interpreter for runs without a python_version: a name
	// looked up on PATH or a path. Default "python3". A pyenv shim is
	// resolved once to the real interpreter.
	Python string
	// UV is the uv binary. Default: "uv" on PATH, then ~/.local/bin/uv and
	// ~/.cargo/bin/uv.
	UV string
	// PyenvRoot is searched for installed interpreters. Default $PYENV_ROOT
	// or ~/.pyenv.
	PyenvRoot string
	// AllowPythonDownloads lets uv download interpreters. Default false:
	// uv is run with UV_PYTHON_DOWNLOADS=never.
	AllowPythonDownloads bool
	// UVArgs are index options added to every uv resolution and run, e.g.
	// {"--offline", "--no-index", "--find-links", dir}.
	UVArgs []string
	// UVCacheDir sets UV_CACHE_DIR for uv. Default: uv's own.
	UVCacheDir string
	// Grace is the time between SIGTERM and SIGKILL. Default DefaultGrace.
	Grace time.Duration
	// WaitDelay bounds reading leftover output once the process group is
	// gone (a process that escaped the group may hold the pipes). Default
	// DefaultWaitDelay.
	WaitDelay time.Duration
	// OutputCap is the bytes of each stream kept in memory (head and tail).
	// Default DefaultOutputCap.
	OutputCap int
	// TempDir holds private directories for inline code and working
	// directories of runs without one. Default os.TempDir().
	TempDir string
	// BaseEnv is the environment children start from. Default os.Environ()
	// read at each run.
	BaseEnv []string
	// DataDir holds the environment cache (DataDir/envs). Default
	// ~/.python_mcp.
	DataDir string
	// EnvCacheMaxBytes caps the environment cache; least recently used
	// environments not in use are evicted past it. Default
	// DefaultEnvCacheMaxBytes.
	EnvCacheMaxBytes int64
	// ResolveTTL is how long a resolution of requirements that are not all
	// pinned is reused. Default DefaultResolveTTL; negative disables reuse.
	ResolveTTL time.Duration
	// AllowDirectReferences lets confined runs (Request.Sandbox enabled)
	// install direct references: "name @ https://…", "name @ file://…",
	// VCS addresses, local archives. Default false: a confined run installs
	// only what the configured index serves, and a direct reference is a
	// *RequestError for "dependencies" wrapping a *RefusedError.
	// Unconfined runs take direct references either way.
	AllowDirectReferences bool
	// AllowSourceBuilds lets confined runs install distributions that must
	// be built from source. Default false: a confined run's environment is
	// made from pre-built wheels only (uv --no-build), so no package's build
	// code runs. When true, a set that needs a build is resolved and
	// installed by uv running inside the run's own sandbox (with a private
	// uv cache), never outside it. Unconfined runs build either way.
	AllowSourceBuilds bool
}

// Executor runs Python. It is safe for concurrent use; it holds only caches
// and needs no Close.
type Executor struct {
	opts   Options
	interp *interpreters

	mu       sync.Mutex
	resolved map[string]resolution // resolution cache key → pins
	uv       string                // the uv binary, once found

	envs *envCache
}

// New returns an Executor; nil options mean defaults.
func New(opts *Options) (*Executor, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Grace < 0 || o.WaitDelay < 0 || o.OutputCap < 0 {
		return nil, fmt.Errorf("executor: Grace, WaitDelay and OutputCap must not be negative")
	}
	if o.Grace == 0 {
		o.Grace = DefaultGrace
	}
	if o.WaitDelay == 0 {
		o.WaitDelay = DefaultWaitDelay
	}
	if o.OutputCap == 0 {
		o.OutputCap = DefaultOutputCap
	}
	if o.ResolveTTL == 0 {
		o.ResolveTTL = DefaultResolveTTL
	}
	if o.TempDir == "" {
		o.TempDir = os.TempDir()
	}
	if o.PyenvRoot == "" {
		o.PyenvRoot = os.Getenv("PYENV_ROOT")
	}
	if o.EnvCacheMaxBytes < 0 {
		return nil, fmt.Errorf("executor: EnvCacheMaxBytes must not be negative")
	}
	if o.EnvCacheMaxBytes == 0 {
		o.EnvCacheMaxBytes = DefaultEnvCacheMaxBytes
	}
	if o.DataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("executor: no DataDir given and no home directory: %w", err)
		}
		o.DataDir = filepath.Join(home, DefaultDataDirName)
	}
	if o.PyenvRoot == "" {
		if home, err := os.UserHomeDir(); err == nil {
			o.PyenvRoot = filepath.Join(home, ".pyenv")
		}
	}
	e := &Executor{
		opts:     o,
		interp:   &interpreters{pythonDefault: o.Python, pyenvRoot: o.PyenvRoot, pathEnv: os.Getenv("PATH")},
		resolved: map[string]resolution{},
	}
	e.envs = &envCache{dir: filepath.Join(o.DataDir, "envs"), maxBytes: o.EnvCacheMaxBytes, e: e}
	return e, nil
}
