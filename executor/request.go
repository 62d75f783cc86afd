package executor

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/bench"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
	"github.com/pyexec-mcp/pyexec/sandbox"
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
	// Lossless makes Stdout and Stderr get every byte even when they are
	// slower than the child: past DefaultForwardBuffer queued bytes the
	// drain waits for them, and the child then waits on its full pipe, as
	// it would writing to a slow file. For writers that keep the output
	// (a job's logs); without it a too-slow writer loses what does not fit
	// (Result.Dropped).
	Lossless bool
	// Measure runs the script under bench's reaper so that Usage holds the
	// script's exact peak RSS, wall and CPU time (costs one extra small
	// interpreter start).
	Measure bool
	// SampleInterval > 0 also samples the process group's memory at this
	// interval (for long runs and descendants that are not waited for).
	SampleInterval time.Duration
	// OnStart is called once the child has started, before its output is
	// read: what runs, and the process to find it by.
	OnStart func(StartInfo)
	// ExtraEnv is added last, after Env; used by callers such as job
	// runners to pass protocol variables (e.g. a progress file).
	ExtraEnv map[string]string
	// Sandbox, if it asks for anything, confines the script (package
	// sandbox): limits, no network, read-only filesystem, PID namespace,
	// environment allow-list. Dependencies are resolved and installed
	// outside it. A switch this machine cannot enforce is an error, never a
	// run without it.
	Sandbox *sandbox.Policy
	// MaxOutputBytes > 0 stops the run (the whole tree) once stdout and
	// stderr together exceed it; Result.LimitExceeded says so.
	MaxOutputBytes int64
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
	// Notes are the executor's own lines at the end of Stderr, written after
	// the script's streams ended (a start failure, "[TIMEOUT] …", "[LIMIT]
	// …", "[CANCELLED] …"): Request.Stderr does not get them, so a caller
	// that keeps the stream itself appends them.
	Notes string `json:"notes,omitempty"`
	// Dropped counts bytes a too-slow Stdout/Stderr writer did not get.
	Dropped int64 `json:"dropped_bytes,omitempty"`
	// LimitExceeded says which limit ended the run, e.g. "memory limit
	// (256 MiB) exceeded: …" or "output limit (…) exceeded"; empty if none.
	LimitExceeded string `json:"limit_exceeded,omitempty"`
}

// ElapsedSeconds is Elapsed in seconds, for JSON payloads.
func (r *Result) ElapsedSeconds() float64 { return r.Elapsed.Seconds() }

// StartInfo describes a started run (see Request.OnStart).
type StartInfo struct {
	// PID is the child's pid, which is also its process group id.
	PID int
	// StartTime is the child's start time in clock ticks since boot, which
	// tells it from a later process with the same pid.
	StartTime uint64
	Strategy  Strategy
	// PythonVersion is the full version of the interpreter.
	PythonVersion string
	// ResolvedDependencies is what the environment holds (uv runs).
	ResolvedDependencies []string
	// Cgroups are the run's sandbox cgroup directories (Request.Sandbox
	// with a memory or process limit), which hold every process of the
	// run, setsid or not, until it ends; record them to kill the run from
	// elsewhere (see sandbox.Box.CgroupDirs).
	Cgroups []string
	// PIDNamespace: the run has a PID namespace whose init dies with PID,
	// taking every process of the run with it.
	PIDNamespace bool
}

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
		return nil, invalid("", "request is nil")
	}
	hasPath, hasCode := req.ScriptPath != "", req.Code != ""
	if hasPath == hasCode {
		return nil, invalid("ScriptPath", "give exactly one of ScriptPath and Code")
	}
	if req.Timeout < 0 {
		return nil, invalid("Timeout", "Timeout %v is negative; use 0 for no timeout", req.Timeout)
	}
	for _, a := range req.Args {
		if strings.ContainsRune(a, 0) {
			return nil, invalid("Args", "argument %q contains a NUL byte, which cannot be passed to a process", a)
		}
	}
	p := &prepared{}
	if req.Dir != "" {
		fi, err := os.Stat(req.Dir)
		if err != nil {
			return nil, invalid("Dir", "Dir %q does not exist; give an existing directory", req.Dir)
		}
		if !fi.IsDir() {
			return nil, invalid("Dir", "Dir %q is not a directory", req.Dir)
		}
		abs, err := filepath.Abs(req.Dir)
		if err != nil {
			return nil, invalid("Dir", "Dir %q: %v", req.Dir, err)
		}
		p.dir = abs
	}
	if hasCode {
		if strings.ContainsRune(req.Code, 0) {
			return nil, invalid("Code", "Code contains a NUL byte; Python source cannot")
		}
		p.code = req.Code
	} else {
		path := req.ScriptPath
		if !filepath.IsAbs(path) {
			if p.dir == "" {
				return nil, invalid("ScriptPath", "ScriptPath %q is relative but no Dir is given; give an absolute path or a Dir", path)
			}
			path = filepath.Join(p.dir, path)
		}
		fi, err := os.Stat(path)
		if err != nil {
			return nil, invalid("ScriptPath", "ScriptPath %q does not exist", path)
		}
		if !fi.Mode().IsRegular() {
			return nil, invalid("ScriptPath", "ScriptPath %q is not a regular file", path)
		}
		if fi.Size() <= MaxScriptBytes {
			b, err := os.ReadFile(path)
			if err != nil {
				return nil, invalid("ScriptPath", "ScriptPath %q cannot be read: %v", path, err)
			}
			p.code = string(b)
		}
		p.script = path
	}
	md, err := parseScriptMetadata(p.code)
	if err != nil {
		var re *RequestError
		if errors.As(err, &re) && hasPath {
			re.Field = "ScriptPath" // the block is in the file
		}
		return nil, err
	}
	p.metadata = md
	deps := append(append([]string(nil), req.Dependencies...), md.Dependencies...)
	for _, d := range deps {
		if err := validateRequirement(d); err != nil {
			return nil, err
		}
	}
	if req.Sandbox.Enabled() {
		if err := uvcmd.CheckConfined(deps, e.opts.AllowDirectReferences); err != nil {
			return nil, &RequestError{Field: "Dependencies", Reason: err.Error(), Err: err}
		}
	}
	if req.MaxOutputBytes < 0 {
		return nil, invalid("MaxOutputBytes", "MaxOutputBytes %d is negative; use 0 for no limit", req.MaxOutputBytes)
	}
	if err := sandbox.Check(req.Sandbox); err != nil {
		return nil, &RequestError{Field: "Sandbox", Reason: strings.TrimPrefix(err.Error(), "sandbox: "), Err: err}
	}
	if !req.UseUV && len(req.Dependencies)+len(md.Dependencies) > 0 {
		return nil, invalid("Dependencies", "Dependencies need UseUV (the system interpreter cannot install them)")
	}
	return p, nil
}
