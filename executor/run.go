package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pyexec-mcp/pyexec/bench"
	"github.com/pyexec-mcp/pyexec/envload"
	"github.com/pyexec-mcp/pyexec/internal/forward"
	"github.com/pyexec-mcp/pyexec/internal/headtail"
	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// reportFD is the descriptor of the reaper's report in the child.
const reportFD = 3

// errTimeout is the cause of a run context that hit Request.Timeout, and
// errOutputLimit of one whose output passed Request.MaxOutputBytes.
var (
	errTimeout     = errors.New("executor: timeout")
	errOutputLimit = errors.New("executor: output limit exceeded")
)

// Run runs one Python script or snippet to completion and returns its
// Result. Errors are returned for requests that cannot run (bad input, no
// interpreter, unresolvable dependencies) and, with the partial Result, for
// a cancelled ctx (ErrCancelled). Run is safe for concurrent use.
func (e *Executor) Run(ctx context.Context, req *Request) (*Result, error) {
	p, env, in, err := e.check(ctx, req)
	if err != nil {
		return nil, err
	}
	for k, v := range req.ExtraEnv {
		env = append(env, k+"="+v)
	}
	if !hasKey(env, "PYTHONUNBUFFERED") {
		// Output reaches logs and progress as it is printed, not at exit.
		env = append(env, "PYTHONUNBUFFERED=1")
	}

	// A private directory holds inline code and, without Dir, the cwd.
	tmp, err := os.MkdirTemp(e.opts.TempDir, "pyexec-run-")
	if err != nil {
		return nil, fmt.Errorf("executor: create temporary directory: %w", err)
	}
	defer os.RemoveAll(tmp)
	script := p.script
	if script == "" {
		script = filepath.Join(tmp, "script.py")
		if err := os.WriteFile(script, []byte(p.code), 0o600); err != nil {
			return nil, fmt.Errorf("executor: write inline code: %w", err)
		}
	}
	dir := p.dir
	if dir == "" {
		dir = filepath.Join(tmp, "work")
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, fmt.Errorf("executor: create working directory: %w", err)
		}
		if req.Sandbox.Enabled() && req.Sandbox.ReadOnlyFS {
			// The private working directory is the run's own; a Dir the
			// caller gave is writable only if its policy lists it.
			pol := *req.Sandbox
			pol.WritableDirs = append(append([]string(nil), pol.WritableDirs...), dir)
			r := *req
			r.Sandbox = &pol
			req = &r
		}
	}

	res := &Result{Strategy: StrategySystem, PythonVersion: in.Version, Python: in.Path}
	python := in.Path
	if req.UseUV {
		res.Strategy = StrategyUV
		envr, err := e.environment(ctx, req, p, in)
		if err != nil {
			return nil, err
		}
		defer envr.release()
		python = envr.python
		res.Environment = &EnvironmentInfo{Path: envr.dir, Cached: !envr.created}
		res.ResolvedDependencies = envr.info.Installed
		env = uvcmd.Activate(env, envr.dir)
	}
	pyArgv := append([]string{python, script}, req.Args...)
	var reportPath string
	if req.Measure && bench.ReaperAvailable {
		// Without a reaper (Windows) the leader's own figures are Usage.
		// The reaper writes its report to fd 3, a file here: no reader
		// goroutine, and it passes through uv (uv does not close inherited
		// descriptors).
		reportPath = filepath.Join(tmp, "usage.json")
		pyArgv = bench.ReaperArgv(python, reportFD, pyArgv)
	}
	e.execute(ctx, req, pyArgv, env, dir, reportPath, res)
	if res.Cancelled {
		return res, fmt.Errorf("%w: %v", ErrCancelled, context.Cause(ctx))
	}
	return res, nil
}

// environment returns the cached virtual environment for the run's
// requirements: exact pins from a (cached) resolution, or the user's own
// set when every requirement is already name==version.
func (e *Executor) environment(ctx context.Context, req *Request, p *prepared, in Interpreter) (*environment, error) {
	uv, err := e.uvPath()
	if err != nil {
		return nil, err
	}
	plan := e.plan(uv, in, req)
	deps := append(append([]string(nil), req.Dependencies...), p.metadata.Dependencies...)
	for i := range deps {
		deps[i] = strings.TrimSpace(deps[i])
	}
	if len(deps) == 0 || allPinned(deps) {
		// Fully pinned sets skip resolution: uv resolves their transitive
		// dependencies once, when the environment is built.
		return e.envs.get(ctx, plan, in, deps, false)
	}
	pins, err := e.resolve(ctx, plan, deps)
	if err != nil {
		return nil, err
	}
	return e.envs.get(ctx, plan, in, pins, true)
}

// Validate checks req as Run would before starting anything: the inputs,
// the environment variables and .env file, and the interpreter choice. It
// returns nil or the error Run would return (a *RequestError for bad
// input, ErrPythonNotFound), so a caller that starts runs in the background
// can refuse bad input at once.
func (e *Executor) Validate(ctx context.Context, req *Request) error {
	_, _, _, err := e.check(ctx, req)
	return err
}

func (e *Executor) check(ctx context.Context, req *Request) (*prepared, []string, Interpreter, error) {
	p, err := e.validate(req)
	if err != nil {
		return nil, nil, Interpreter{}, err
	}
	env, err := envload.Build(&envload.Options{Base: e.opts.BaseEnv, File: req.EnvFile, Vars: req.Env})
	if err != nil {
		field := "Env"
		if req.EnvFile != "" && (errors.Is(err, envload.ErrFileNotFound) || errors.Is(err, envload.ErrFileUnreadable) || errors.Is(err, envload.ErrSyntax)) {
			field = "EnvFile"
		}
		return nil, nil, Interpreter{}, &RequestError{Field: field, Reason: strings.TrimPrefix(err.Error(), "envload: "), Err: err}
	}
	in, err := e.pickInterpreter(ctx, req, p)
	if err != nil {
		return nil, nil, Interpreter{}, err
	}
	return p, env, in, nil
}

func hasKey(env []string, key string) bool {
	for _, kv := range env {
		if len(kv) > len(key) && kv[len(key)] == '=' && kv[:len(key)] == key {
			return true
		}
	}
	return false
}

// pickInterpreter applies python_version, then the script's requires-python,
// then the default interpreter.
func (e *Executor) pickInterpreter(ctx context.Context, req *Request, p *prepared) (Interpreter, error) {
	rp := p.metadata.RequiresPython
	if req.PythonVersion != "" {
		in, err := e.interp.Find(ctx, req.PythonVersion)
		if err != nil {
			return in, err
		}
		if rp != "" {
			ok, err := satisfiesRequiresPython(in.Version, rp)
			if err != nil {
				return in, err
			}
			if !ok {
				return in, invalid("PythonVersion", "PythonVersion %q (%s) does not satisfy the script's requires-python %q; choose a matching version", req.PythonVersion, in.Version, rp)
			}
		}
		return in, nil
	}
	def, err := e.interp.Default(ctx)
	if rp == "" {
		return def, err
	}
	if err == nil {
		if ok, _ := satisfiesRequiresPython(def.Version, rp); ok {
			return def, nil
		}
	}
	all := e.interp.Installed(ctx)
	for i := len(all) - 1; i >= 0; i-- {
		ok, err := satisfiesRequiresPython(all[i].Version, rp)
		if err != nil {
			return Interpreter{}, err
		}
		if ok {
			return all[i], nil
		}
	}
	return Interpreter{}, fmt.Errorf("%w: no installed interpreter satisfies the script's requires-python %q; installed: %s", ErrPythonNotFound, rp, listVersions(all))
}

// execute starts argv, drains its output, enforces the timeout and fills
// res. It never returns early: when it returns, the process group is gone
// and every goroutine it started has ended.
func (e *Executor) execute(ctx context.Context, req *Request, argv, env []string, dir, reportPath string, res *Result) {
	runCtx, stopRun := context.WithCancelCause(ctx)
	defer stopRun(nil)
	if req.Timeout > 0 {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithTimeoutCause(runCtx, req.Timeout, errTimeout)
		defer cancel()
	}
	// Each buffer is written by its drain goroutine, then (after spawn has
	// joined the drains) by the markers below: never at once.
	outCap, errCap := headtail.New(e.opts.OutputCap), headtail.New(e.opts.OutputCap)
	var fwds []*forward.Writer
	var limit *outputLimit
	if req.MaxOutputBytes > 0 {
		limit = &outputLimit{max: req.MaxOutputBytes, stop: func() { stopRun(errOutputLimit) }}
	}
	sink := func(c *headtail.Buffer, w io.Writer) io.Writer {
		ws := []io.Writer{c}
		if limit != nil {
			ws = append(ws, limit)
		}
		if w != nil {
			f := forward.New(w, DefaultForwardBuffer, req.Lossless)
			fwds = append(fwds, f)
			ws = append(ws, f)
		}
		if len(ws) == 1 {
			return c
		}
		return io.MultiWriter(ws...)
	}
	stdout, stderr := sink(outCap, req.Stdout), sink(errCap, req.Stderr)

	start := time.Now()
	exitCode, usage, sampled, box, startErr := e.spawn(runCtx, req, argv, env, dir, reportPath, stdout, stderr, res)
	res.Elapsed = time.Since(start)
	for _, f := range fwds {
		lost, _ := f.Close() // a failing caller writer does not fail the run
		res.Dropped += lost
	}
	// The executor's own notes follow the script's stderr (Result.Notes).
	note := func(format string, args ...any) {
		n := fmt.Sprintf(format, args...)
		res.Notes += n
		_, _ = errCap.Write([]byte(n))
	}
	if startErr != nil {
		note("[pyexec] could not start %s: %v\n", argv[0], startErr)
		exitCode = -1
	}
	switch {
	case errors.Is(context.Cause(runCtx), errOutputLimit) && ctx.Err() == nil:
		res.LimitExceeded = fmt.Sprintf("output limit (%d bytes of stdout and stderr) exceeded: the process tree was stopped", req.MaxOutputBytes)
		note("\n[LIMIT] %s\n", res.LimitExceeded)
	case errors.Is(context.Cause(runCtx), errTimeout) && ctx.Err() == nil:
		res.TimedOut = true
		note("\n[TIMEOUT] the run exceeded its timeout of %v; the process tree was stopped\n", req.Timeout)
	case ctx.Err() != nil:
		res.Cancelled = true
		note("\n[CANCELLED] %v\n", context.Cause(ctx))
	}
	if reportPath != "" {
		// The reaper measured the script itself: its figures replace the
		// leader's (uv's or the reaper's own), and its status is the
		// script's.
		if b, err := os.ReadFile(reportPath); err == nil {
			if rep, err := bench.ParseReport(b); err == nil {
				usage = rep.Usage
				if rep.Signal != 0 {
					exitCode = -int(rep.Signal)
				} else {
					exitCode = rep.ExitCode
				}
			}
		}
	}
	if sampled != nil {
		usage = bench.Merge(usage, *sampled)
	}
	if box != nil {
		if v := box.Verdict(exitCode); v != "" && res.LimitExceeded == "" {
			res.LimitExceeded = v
			note("\n[LIMIT] %s\n", v)
		}
		if err := box.Close(); err != nil {
			note("\n[pyexec] sandbox clean-up: %v\n", err)
		}
	}
	res.ExitCode = exitCode
	res.Usage = usage
	res.Stdout, res.StdoutOmitted = outCap.Text()
	res.Stderr, res.StderrOmitted = errCap.Text()
}

// spawn runs the process group to its end and returns the leader's exit
// code, its usage (wait4), what a sampler saw, and the sandbox (to be
// closed by the caller once its verdict is read).
func (e *Executor) spawn(ctx context.Context, req *Request, argv, env []string, dir, reportPath string, stdout, stderr io.Writer, res *Result) (int, bench.Usage, *bench.SamplerResult, *sandbox.Box, error) {
	outR, outW, err := os.Pipe()
	if err != nil {
		return -1, bench.Usage{}, nil, nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return -1, bench.Usage{}, nil, nil, err
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env, cmd.Dir = env, dir
	cmd.Stdout, cmd.Stderr = outW, errW // *os.File: handed to the child, no copy goroutine
	if reportPath != "" {
		f, err := os.OpenFile(reportPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
		if err != nil {
			outR.Close()
			outW.Close()
			errR.Close()
			errW.Close()
			return -1, bench.Usage{}, nil, nil, err
		}
		defer f.Close()
		cmd.ExtraFiles = []*os.File{f} // fd 3 == reportFD
	}
	var box *sandbox.Box
	if req.Sandbox.Enabled() {
		box, err = sandbox.Prepare(ctx, cmd, req.Sandbox, &sandbox.Options{ExplicitEnv: explicitEnv(req), TempDir: e.opts.TempDir})
		if err != nil {
			outR.Close()
			outW.Close()
			errR.Close()
			errW.Close()
			return -1, bench.Usage{}, nil, nil, err
		}
	}
	floor, _ := bench.SelfPeakRSS()
	p, err := proc.Start(cmd, e.opts.Grace)
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		if box != nil {
			_ = box.Close()
		}
		return -1, bench.Usage{}, nil, nil, err
	}
	res.PID = p.PID
	if req.OnStart != nil {
		si := StartInfo{PID: p.PID, StartTime: p.StartTime, Strategy: res.Strategy,
			PythonVersion: res.PythonVersion, ResolvedDependencies: res.ResolvedDependencies}
		if box != nil {
			si.Cgroups, si.PIDNamespace = box.CgroupDirs(), box.PIDNamespace()
		}
		req.OnStart(si)
	}
	var sampler *bench.Sampler
	if req.SampleInterval > 0 {
		so := &bench.SamplerOptions{Interval: req.SampleInterval}
		if reportPath != "" && !req.UseUV {
			so.Exclude = []int{p.PID} // the reaper leads the group: overhead, not payload
		}
		sampler = bench.StartSampler(p.PID, so)
	}
	var wg sync.WaitGroup
	drain := func(r *os.File, w io.Writer) {
		defer wg.Done()
		_, _ = io.Copy(w, r)
	}
	wg.Add(2)
	go drain(outR, stdout)
	go drain(errR, stderr)

	_ = p.Wait(ctx) // stops the group on ctx end; kills leftovers after exit
	wall := time.Since(p.Started)
	if box != nil {
		_ = box.Kill() // what left the group (setsid) but not the cgroup
	}
	// A process that left the group (setsid) may still hold the pipes:
	// read what is there for WaitDelay, then close our ends.
	drained := make(chan struct{})
	go func() { wg.Wait(); close(drained) }()
	t := time.NewTimer(e.opts.WaitDelay)
	select {
	case <-drained:
	case <-t.C:
		outR.Close()
		errR.Close()
		<-drained
	}
	t.Stop()
	outR.Close()
	errR.Close()
	usage := bench.FromProcessState(cmd.ProcessState, wall, floor)
	var sampled *bench.SamplerResult
	if sampler != nil {
		r := sampler.Stop()
		sampled = &r
	}
	return proc.ExitCode(cmd.ProcessState), usage, sampled, box, nil
}

// explicitEnv names the variables a sandbox's allow-list must let through:
// the ones the caller passed on purpose and the ones the executor sets.
func explicitEnv(req *Request) []string {
	names := []string{"PATH", "VIRTUAL_ENV", "PYTHONUNBUFFERED"}
	for k := range req.Env {
		names = append(names, k)
	}
	for k := range req.ExtraEnv {
		names = append(names, k)
	}
	if req.EnvFile != "" {
		if vars, err := envload.ParseFile(req.EnvFile); err == nil {
			for k := range vars {
				names = append(names, k)
			}
		}
	}
	return names
}

// outputLimit counts the bytes of both streams and stops the run once they
// pass max.
type outputLimit struct {
	max  int64
	stop func()
	n    atomic.Int64
}

func (l *outputLimit) Write(p []byte) (int, error) {
	if l.n.Add(int64(len(p))) > l.max {
		l.stop()
	}
	return len(p), nil
}
