package mcptools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// runSpec is one validated execution request.
type runSpec struct {
	tool   string           // the tool name, also the job kind
	req    executor.Request // without writers and hooks
	label  string
	async  bool // async_mode, or an *_async tool
	stream bool // output reaches the job logs as it arrives
	// taskable: a call that continues as a job answers a client of the
	// Tasks extension with the task (the tools that wait for a result);
	// markdown is its markdown_output, for the task's result.
	taskable, markdown bool
	autosaved          string
	// show is the output bytes the response shows (max_response_tokens).
	show int
	// started, if set, receives what runs once the child has started
	// (buffer 1: the run never waits for a reader); ended is closed when
	// the run returns, started or not.
	started chan executor.StartInfo
	ended   chan struct{}
	// content and params are autosaved once the request is valid.
	content string
	params  any
}

// startWait bounds how long run_script_with_dependencies_async waits for its
// environment (resolution, and a first build of it) to report the versions
// at start; a slower start returns without them (they are in the result).
const startWait = 30 * time.Second

// cancelWait bounds how long a handler waits for a job it cancels because
// its client cancelled the call: the executor's grace period and pipe drain
// are far shorter.
const cancelWait = time.Minute

// prepare validates what can be checked before a run starts, so that a bad
// argument is an immediate tool error even in async mode, and autosaves
// inline code. The executor validates the rest (dependency syntax, the
// interpreter) when the run starts.
func (t *Toolset) prepare(tool string, in *ScriptArgs, dir string, timeout float64, params any) (*runSpec, error) {
	if math.IsNaN(timeout) || timeout < 0 || timeout > math.MaxInt64/float64(time.Second) {
		return nil, argError("timeout_seconds", "%v is not a valid number of seconds; use 0 for no timeout", timeout)
	}
	policy, maxOutput, err := t.limits(&in.Limits)
	if err != nil {
		return nil, err
	}
	to := time.Duration(timeout * float64(time.Second))
	spec := &runSpec{
		tool:  tool,
		label: in.JobLabel,
		req: executor.Request{
			ScriptPath:     in.ScriptPath,
			Code:           in.ScriptContent,
			Dir:            dir,
			Args:           in.Args,
			Env:            in.EnvVars,
			EnvFile:        in.EnvFile,
			PythonVersion:  in.PythonVersion,
			Timeout:        to,
			Sandbox:        policy,
			MaxOutputBytes: maxOutput,
		},
		content: in.ScriptContent,
		params:  params,
		show:    t.defaultShow(), // the sync tools' max_response_tokens sets it
	}
	return spec, nil
}

// limits combines the server's sandbox policy with a call's limits
// argument: a call may lower a limit (not raise it past the server's) and
// turn a switch on (not off). Errors name the member, as limits.NAME.
func (t *Toolset) limits(in *LimitArgs) (*sandbox.Policy, int64, error) {
	p := t.cfg.sandbox // a copy
	const mib = 1 << 20
	lower := func(arg string, server, call int64, unit string, scale int64) (int64, error) {
		switch {
		case call < 0:
			return 0, argError(arg, "must not be negative; use 0 for the server's limit")
		case call == 0:
			return server, nil
		case server > 0 && call > server:
			return 0, argError(arg, "%d%s is above the server's limit of %d%s; ask for at most that, or omit it", call/scale, unit, server/scale, unit)
		}
		return call, nil
	}
	var err error
	if p.MemoryBytes, err = lower("limits.memory_limit_mb", p.MemoryBytes, int64(in.MemoryLimitMB*mib), " MiB", mib); err != nil {
		return nil, 0, err
	}
	cpu, err := lower("limits.cpu_limit_seconds", int64(p.CPUSeconds), int64(in.CPULimitSeconds), " s", 1)
	if err != nil {
		return nil, 0, err
	}
	procs, err := lower("limits.max_processes", int64(p.MaxProcesses), int64(in.MaxProcesses), "", 1)
	if err != nil {
		return nil, 0, err
	}
	p.CPUSeconds, p.MaxProcesses = int(cpu), int(procs)
	if p.MaxFileBytes, err = lower("limits.max_file_mb", p.MaxFileBytes, int64(in.MaxFileMB*mib), " MiB", mib); err != nil {
		return nil, 0, err
	}
	maxOutput, err := lower("limits.max_output_mb", t.cfg.maxOutput, int64(in.MaxOutputMB*mib), " MiB", mib)
	if err != nil {
		return nil, 0, err
	}
	p.NoNetwork = p.NoNetwork || in.NoNetwork
	p.ReadOnlyFS = p.ReadOnlyFS || in.ReadOnlyFS
	p.PIDNamespace = p.PIDNamespace || in.PIDNamespace
	if !p.Enabled() {
		return nil, maxOutput, nil
	}
	if p.ReadOnlyFS {
		// The server decides where a run may write, not the call's
		// directory: one outside these is a read-only working directory.
		p.WritableDirs = slices.Clone(t.cfg.writable)
	}
	return &p, maxOutput, nil
}

// validate checks the request as the executor will (one set of rules, with
// the argument named), then autosaves inline source: a background run must
// refuse bad input now, not in its job's error later.
func (t *Toolset) validate(ctx context.Context, spec *runSpec) error {
	if err := t.exec.Validate(ctx, &spec.req); err != nil {
		return toolError(err)
	}
	if spec.content != "" {
		spec.autosaved = t.scripts.autosave(spec.tool, spec.content, spec.params)
	}
	return nil
}

// redactedParams returns the call's arguments for the autosave sidecar,
// without the script itself (saved next to it) and with env_vars values
// replaced by RedactedValue.
func redactedParams(in any, env map[string]string) map[string]any {
	m := map[string]any{}
	if b, err := json.Marshal(in); err == nil {
		_ = json.Unmarshal(b, &m)
	}
	delete(m, "script_content")
	if len(env) > 0 {
		red := map[string]string{}
		for k := range env {
			red[k] = RedactedValue
		}
		m["env_vars"] = red
	}
	return m
}

// outcome is what an execution call produced: a finished run, or a job.
type outcome struct {
	run     *scriptRun // nil when the run continues as a job
	status  jobstore.State
	jobID   string
	message string
	// elapsed and queued are, for a run that continues as a job, its time
	// so far and its wait for a slot so far (run has a finished run's).
	elapsed, queued time.Duration
}

// execute runs spec through smart async: the result if it finishes within
// the budget, else the job that continues it. While the call waits, the
// client gets progress notifications if it asked for them.
func (t *Toolset) execute(ctx context.Context, req *mcp.CallToolRequest, spec *runSpec) (*outcome, error) {
	if err := t.validate(ctx, spec); err != nil {
		return nil, err
	}
	var cp *CallProgress
	if !spec.async {
		cp = StartCallProgress(ctx, req, t.cfg.progressEvery)
		defer cp.Stop()
	}
	var report smartasync.ProgressFunc
	if cp.active() {
		report = cp.Report
	}
	live, clock := newLiveRun(report), newRunClock()
	out, err := t.runs(jobKind(spec)).Call(ctx, runCall{spec: spec, live: live, clock: clock}, smartasync.Call{Label: spec.label, Async: spec.async})
	if err != nil {
		var perr *smartasync.PanicError
		switch {
		case errors.Is(err, smartasync.ErrCancelled) || errors.Is(err, smartasync.ErrClosed):
			o := &outcome{run: out.Value, status: jobstore.StateCancelled, jobID: out.JobID, message: "cancelled: " + cancelReason(err)}
			return o, nil
		case errors.As(err, &perr):
			return nil, fmt.Errorf("internal error: the run panicked and was recorded as failed job %s (py_job_status shows the stack): %v", perr.JobID, perr.Value)
		}
		return nil, toolError(err)
	}
	if out.Done {
		// JobID is set when the job was kept: its logs hold what the
		// response leaves out.
		return &outcome{run: out.Value, status: jobstore.StateCompleted, jobID: out.JobID}, nil
	}
	if ctx.Err() != nil && !spec.async {
		// notifications/cancelled (or a closed session) during the budget:
		// the client gave up on this call, so its script must not live on
		// as a job nobody knows about. Kill the tree and record the cancel.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelWait)
		defer cancel()
		_, cerr := t.runner.Cancel(cctx, out.JobID)
		t.log.Info("mcptools: job cancelled by its client", "job_id", out.JobID, "tool", spec.tool, "err", cerr)
		return nil, context.Cause(ctx)
	}
	if spec.taskable {
		becameTask(ctx, out.JobID)
	}
	o := &outcome{status: out.Status, jobID: out.JobID, message: out.Message}
	o.elapsed, o.queued = clock.times(time.Now())
	switch {
	case clock.waitingNow():
		o.message += fmt.Sprintf("; it waits for a free execution slot (%d scripts run at once at most), queued for %s so far", t.cfg.maxConcurrent, seconds(o.queued.Seconds()))
	case o.queued > 0:
		o.message += fmt.Sprintf("; it waited %s for a free execution slot", seconds(o.queued.Seconds()))
	}
	o.message += "; " + followHint
	return o, nil
}

func cancelReason(err error) string {
	if errors.Is(err, smartasync.ErrClosed) {
		return "the server is shutting down"
	}
	return "the job was cancelled (kill_job or py_cancel_job)"
}

// toolError turns an executor error into the tool error an assistant reads:
// without the package prefix, naming the argument where one is at fault.
func toolError(err error) error {
	if ae := refusedInstall(err); ae != nil {
		return ae
	}
	if ie := unreachableIndex(err); ie != nil {
		return ie
	}
	var re *executor.RequestError
	if errors.As(err, &re) && re.Field != "" {
		return argError(toolParam(re.Field), "%s", toolWords(re.Reason))
	}
	msg := toolWords(strings.TrimPrefix(strings.TrimPrefix(err.Error(), executor.ErrInvalidRequest.Error()+": "), "executor: "))
	switch {
	case errors.Is(err, executor.ErrPythonNotFound):
		return &ArgumentError{Argument: "python_version", Message: strings.TrimPrefix(msg, "python not found: ")}
	case errors.Is(err, executor.ErrResolution):
		return &ArgumentError{Argument: "dependencies", Message: msg}
	case errors.Is(err, executor.ErrUVNotFound):
		// The executor's message speaks to a Go caller (Request.UseUV); a
		// model needs the tool's words.
		return errors.New("uv not found on the server: its operator installs it (python3 -m pip install --user uv), or run_script_in_dir runs the system interpreter with use_uv=false")
	case errors.Is(err, executor.ErrInvalidRequest):
		return errors.New(msg)
	}
	return err
}

// toolParams maps the fields of executor.Request, which its errors name,
// to the run tools' parameters.
var toolParams = map[string]string{
	"ScriptPath": "script_path", "Code": "script_content", "Dir": "directory", "Args": "args",
	"Env": "env_vars", "EnvFile": "env_file", "UseUV": "use_uv", "PythonVersion": "python_version",
	"Dependencies": "dependencies", "Timeout": "timeout_seconds", "Sandbox": "limits",
	"MaxOutputBytes": "limits.max_output_mb",
}

func toolParam(field string) string {
	if p, ok := toolParams[field]; ok {
		return p
	}
	return field
}

var (
	// fieldWord is a Request field name as a word; quotedText is a Go %q
	// string (the caller's own input, never rewritten).
	fieldWord  = regexp.MustCompile(`\b(ScriptPath|Code|Dir|Args|EnvFile|Env|UseUV|PythonVersion|Dependencies|Timeout|Sandbox|MaxOutputBytes)\b`)
	quotedText = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
)

// toolWords rewrites the Request field names in an executor message into
// the tools' parameter names, outside quoted input: "give exactly one of
// ScriptPath and Code" becomes "give exactly one of script_path and
// script_content"; a path "/srv/Code/x.py" stays as it is.
func toolWords(msg string) string {
	var b strings.Builder
	last := 0
	for _, q := range quotedText.FindAllStringIndex(msg, -1) {
		b.WriteString(fieldWord.ReplaceAllStringFunc(msg[last:q[0]], toolParam))
		b.WriteString(msg[q[0]:q[1]])
		last = q[1]
	}
	b.WriteString(fieldWord.ReplaceAllStringFunc(msg[last:], toolParam))
	return b.String()
}

// refusedInstall is the argument error of a requirement a confined install
// does not take, naming the requirement, the rule and the server setting
// that lifts it; nil when err is no such refusal.
func refusedInstall(err error) error {
	var re *executor.RefusedError
	if !errors.As(err, &re) {
		return nil
	}
	return &ArgumentError{Argument: "dependencies", Message: refusalMessage(re, "executor")}
}

// refusalMessage renders a refused install with the example servers' flag
// for the Go option that lifts the rule; pkg is the package whose Options
// hold it ("executor" for runs, "session" for sessions).
func refusalMessage(re *executor.RefusedError, pkg string) string {
	flag := map[string]string{
		"AllowDirectReferences": "the server setting --allow-direct-references (" + pkg + ".Options.AllowDirectReferences)",
		"AllowSourceBuilds":     "the server setting --allow-source-builds (" + pkg + ".Options.AllowSourceBuilds)",
	}[re.Option]
	msg := re.Error()
	if pkg == "session" {
		msg = strings.Replace(msg, "confined runs", "confined sessions", 1)
		msg = strings.Replace(msg, "the same sandbox as the script", "the session's sandbox", 1)
	}
	if flag == "" {
		return msg
	}
	return strings.Replace(msg, re.Option, flag, 1)
}

// runResult builds the common result of a finished (or cancelled) run.
func (t *Toolset) runResult(o *outcome, spec *runSpec) RunResult {
	r := RunResult{Status: string(o.status), JobID: o.jobID, Message: o.message, AutosavedScript: spec.autosaved}
	if o.run == nil {
		// Continues as a job: its time so far, never a 0 that reads as
		// "has not run" (issue 16).
		r.ElapsedSeconds, r.QueuedSeconds = o.elapsed.Seconds(), o.queued.Seconds()
		return r
	}
	r.QueuedSeconds = o.run.queued.Seconds()
	if r.QueuedSeconds > 0 && r.Message == "" {
		r.Message = fmt.Sprintf("waited %s for a free execution slot before it started (not part of elapsed_seconds)", seconds(r.QueuedSeconds))
	}
	if o.run.res == nil {
		return r
	}
	res := o.run.res
	code := res.ExitCode
	r.ExitCode = &code
	out, errs := fitOutput(o.run.out, o.run.errs, spec.show)
	r.Stdout, r.Stderr = out.Text(), errs.Text()
	r.StdoutOmittedFrom, r.StdoutOmittedBytes = out.Omitted()
	r.StderrOmittedFrom, r.StderrOmittedBytes = errs.Omitted()
	if r.StdoutOmittedBytes == 0 {
		r.StdoutOmittedFrom = 0
	}
	if r.StderrOmittedBytes == 0 {
		r.StderrOmittedFrom = 0
	}
	if r.StdoutOmittedBytes+r.StderrOmittedBytes > 0 && r.JobID != "" {
		r.Message = joinSentences(r.Message, omittedHint(r.JobID, &r))
	}
	r.ExecutionStrategy = string(res.Strategy)
	r.ElapsedSeconds = res.Elapsed.Seconds()
	r.TimedOut = res.TimedOut
	r.LimitExceeded = res.LimitExceeded
	r.PythonVersionUsed = res.PythonVersion
	return r
}

func (t *Toolset) depsResult(o *outcome, spec *runSpec) DepsResult {
	d := DepsResult{RunResult: t.runResult(o, spec)}
	if o.run != nil && o.run.res != nil {
		d.ResolvedDependencies = o.run.res.ResolvedDependencies
	}
	return d
}

func (t *Toolset) benchResult(o *outcome, spec *runSpec) BenchmarkResult {
	b := BenchmarkResult{DepsResult: t.depsResult(o, spec)}
	if o.run != nil && o.run.res != nil {
		u := o.run.res.Usage
		b.WallTimeSeconds = u.WallTime.Seconds()
		b.CPUTimeSeconds = u.CPUTime().Seconds()
		b.PeakRSSMB = float64(u.PeakRSS) / (1 << 20)
		b.PeakRSSSource = u.PeakRSSSource
	}
	return b
}

// omittedHint tells how to read what a run's response left out.
func omittedHint(id string, r *RunResult) string {
	var parts []string
	if r.StdoutOmittedBytes > 0 {
		parts = append(parts, fmt.Sprintf("stdout_offset=%d", r.StdoutOmittedFrom))
	}
	if r.StderrOmittedBytes > 0 {
		parts = append(parts, fmt.Sprintf("stderr_offset=%d", r.StderrOmittedFrom))
	}
	return fmt.Sprintf("Output was cut to the response budget; job %s keeps all of it: read the omitted part with get_job_output (job_id=%s, %s) or the resource %s.",
		id, id, strings.Join(parts, ", "), JobStreamURI(id))
}

// joinSentences joins two messages, either of which may be empty.
func joinSentences(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}
