package executor

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/bench"
)

// Strategy says how a run was executed.
type Strategy string

// Strategies reported in Result.Strategy.
const (
	// StrategyUV: an isolated virtual environment made by uv with exactly
	// the resolved pins (cached per interpreter and pin set), whose
	// interpreter then runs the script directly.
	StrategyUV     Strategy = "uv-run"
	StrategySystem Strategy = "system-python" // the interpreter itself, no uv
)

// MaxScriptBytes bounds a script file read for its metadata block.
const MaxScriptBytes = 16 << 20

// Request describes one run. Exactly one of ScriptPath and Code is set.
type Request struct {
	// ScriptPath is a Python file, absolute or relative to Dir.
	ScriptPath string
	// Code is inline Python; it is written to a private temporary file,
	// never into Dir, and removed afterwards.
	Code string
	// Dir is the child's working directory; it must exist. Empty means a
	// fresh private temporary directory, never the server's own cwd.
	Dir string
	// Args are passed to the script verbatim (no shell is involved).
	Args []string
	// Env and EnvFile layer onto the executor's base environment:
	// base < EnvFile (.env syntax) < Env.
	Env     map[string]string
	EnvFile string
	// UseUV runs through uv in an isolated environment; false runs the
	// interpreter directly (no dependencies possible).
	UseUV bool
	// PythonVersion is an exact minor version such as "3.12"; empty means
	// the script's requires-python, else the default interpreter.
	PythonVersion string
	// Dependencies are PEP 508 requirements, merged with the script's
	// PEP 723 block. They are resolved to exact pins before the run.
	Dependencies []string
	// Timeout ends the run (the whole process tree) after this long; 0
	// means no timeout.
	Timeout time.Duration
	// Stdout and Stderr, if set, receive every byte as it arrives, on their
	// own goroutines: a slow writer never stalls the child (see Result).
	Stdout, Stderr io.Writer
	// Measure runs the script under bench's reaper so that Usage holds the
	// script's exact peak RSS, wall and CPU time (costs one extra small
	// interpreter start).
	Measure bool
	// SampleInterval > 0 also samples the process group's memory at this
	// interval (for long runs and descendants that are not waited for).
	SampleInterval time.Duration
	// OnStart is called once the child has started, with its pid (which is
	// also its process group id) and its start time in clock ticks.
	OnStart func(pid int, startTime uint64)
	// ExtraEnv is added last, after Env; used by callers such as job
	// runners to pass protocol variables (e.g. a progress file).
	ExtraEnv map[string]string
}

// Result is the outcome of a run whose child started. A non-zero exit, an
// exception or a timeout is a Result, not an error.
type Result struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// StdoutOmitted and StderrOmitted count bytes cut from the middle of
	// the kept output (see Options.OutputCap).
	StdoutOmitted int64 `json:"stdout_omitted_bytes,omitempty"`
	StderrOmitted int64 `json:"stderr_omitted_bytes,omitempty"`
	// ExitCode is the script's exit code, or -N for death by signal N.
	ExitCode  int           `json:"exit_code"`
	Strategy  Strategy      `json:"execution_strategy"`
	Elapsed   time.Duration `json:"-"`
	TimedOut  bool          `json:"timed_out"`
	Cancelled bool          `json:"cancelled,omitempty"`
	// Environment is the cached virtual environment a uv run used.
	Environment *EnvironmentInfo `json:"environment,omitempty"`
	// ResolvedDependencies lists every distribution installed in the
	// environment as name==version (uv runs), exactly as installed.
	ResolvedDependencies []string `json:"resolved_dependencies,omitempty"`
	// PythonVersion is the full version of the interpreter that ran.
	PythonVersion string      `json:"python_version_used"`
	Python        string      `json:"python_path"`
	Usage         bench.Usage `json:"usage"`
	PID           int         `json:"pid"`
	// Dropped counts bytes a too-slow Stdout/Stderr writer did not get.
	Dropped int64 `json:"dropped_bytes,omitempty"`
}

// ElapsedSeconds is Elapsed in seconds, for JSON payloads.
func (r *Result) ElapsedSeconds() float64 { return r.Elapsed.Seconds() }

// EnvironmentInfo says which cached environment ran a uv run.
type EnvironmentInfo struct {
	Path string `json:"path"`
	// Cached is true when the environment existed before this run (a warm
	// run: no uv process was started).
	Cached bool `json:"cached"`
}

// prepared is a validated request.
type prepared struct {
	script   string // absolute script path ("" when Code is used)
	code     string // source for metadata parsing
	dir      string
	metadata scriptMetadata
}

func (e *Executor) validate(req *Request) (*prepared, error) {
	if req == nil {
		return nil, fmt.Errorf("%w: request is nil", ErrInvalidRequest)
	}
	hasPath, hasCode := req.ScriptPath != "", req.Code != ""
	if hasPath == hasCode {
		return nil, fmt.Errorf("%w: give exactly one of script_path and script_content", ErrInvalidRequest)
	}
	if req.Timeout < 0 {
		return nil, fmt.Errorf("%w: timeout %v is negative; use 0 for no timeout", ErrInvalidRequest, req.Timeout)
	}
	for _, a := range req.Args {
		if strings.ContainsRune(a, 0) {
			return nil, fmt.Errorf("%w: argument %q contains a NUL byte, which cannot be passed to a process", ErrInvalidRequest, a)
		}
	}
	p := &prepared{}
	if req.Dir != "" {
		fi, err := os.Stat(req.Dir)
		if err != nil {
			return nil, fmt.Errorf("%w: directory %q does not exist; give an existing directory", ErrInvalidRequest, req.Dir)
		}
		if !fi.IsDir() {
			return nil, fmt.Errorf("%w: directory %q is not a directory", ErrInvalidRequest, req.Dir)
		}
		abs, err := filepath.Abs(req.Dir)
		if err != nil {
			return nil, fmt.Errorf("%w: directory %q: %v", ErrInvalidRequest, req.Dir, err)
		}
		p.dir = abs
	}
	if hasCode {
		if strings.ContainsRune(req.Code, 0) {
			return nil, fmt.Errorf("%w: script_content contains a NUL byte; Python source cannot", ErrInvalidRequest)
		}
		p.code = req.Code
	} else {
		path := req.ScriptPath
		if !filepath.IsAbs(path) {
			if p.dir == "" {
				return nil, fmt.Errorf("%w: script_path %q is relative but no directory is given; give an absolute path or a directory", ErrInvalidRequest, path)
			}
			path = filepath.Join(p.dir, path)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("%w: script_path %q does not exist", ErrInvalidRequest, path)
		}
		if !fi.Mode().IsRegular() {
			return nil, fmt.Errorf("%w: script_path %q is not a regular file", ErrInvalidRequest, path)
		}
		if fi.Size() <= MaxScriptBytes {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("%w: script_path %q cannot be read: %v", ErrInvalidRequest, path, err)
			}
			p.code = string(b)
		}
		p.script = path
	}
	md, err := parseScriptMetadata(p.code)
	if err != nil {
		return nil, err
	}
	p.metadata = md
	for _, d := range append(append([]string(nil), req.Dependencies...), md.Dependencies...) {
		if err := validateRequirement(d); err != nil {
			return nil, err
		}
	}
	if !req.UseUV && len(req.Dependencies)+len(md.Dependencies) > 0 {
		return nil, fmt.Errorf("%w: dependencies need use_uv=true (the system interpreter cannot install them)", ErrInvalidRequest)
	}
	return p, nil
}
