package mcptools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/headtail"
	"github.com/pyexec-mcp/pyexec/internal/progressfile"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// scriptRun is the value of a script job: the executor's result and what
// the run's response may show of its streams (spans of at most the call's
// response budget, with exact positions: the job's logs hold every byte).
// As a background job's stored result (its JSON) it takes the shape of its
// tool's result, as the call would have returned it.
type scriptRun struct {
	t         *Toolset
	spec      *runSpec
	res       *executor.Result
	out, errs headtail.Span
	queued    time.Duration // the wait for an execution slot
}

// MarshalJSON implements json.Marshaler.
func (r *scriptRun) MarshalJSON() ([]byte, error) {
	o := &outcome{run: r, status: jobstore.StateCompleted}
	switch r.spec.tool {
	case toolBenchmark:
		return json.Marshal(r.t.benchResult(o, r.spec))
	case toolRunDeps, toolRunDepsAsync:
		return json.Marshal(r.t.depsResult(o, r.spec))
	}
	return json.Marshal(r.t.runResult(o, r.spec))
}

// cut reports whether the response leaves out output that the job's logs
// hold: the job must then be kept for get_job_output to read it.
func (r *scriptRun) cut() bool {
	return r.out.Total+r.errs.Total > int64(r.spec.show)
}

// runCall is the input of one run's job: what to run, and what its waiting
// client sees.
type runCall struct {
	spec  *runSpec
	live  *liveRun
	clock *runClock
}

// runClock times one run call: when it began, and the interval it waited
// for an execution slot, so that a result reports the run's own time
// (elapsed_seconds) apart from the wait (queued_seconds). It is safe for
// concurrent use: the job sets it, the waiting call reads it.
type runClock struct {
	begin time.Time

	mu                  sync.Mutex
	waitFrom, waitUntil time.Time // zero: no wait (yet, or done)
}

func newRunClock() *runClock { return &runClock{begin: time.Now()} }

// waiting records that the run began to wait for a slot at from.
func (c *runClock) waiting(from time.Time) {
	c.mu.Lock()
	c.waitFrom = from
	c.mu.Unlock()
}

// acquired records that the run got its slot at, and returns how long it
// waited.
func (c *runClock) acquired(at time.Time) time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.waitFrom.IsZero() {
		return 0
	}
	c.waitUntil = at
	return at.Sub(c.waitFrom)
}

// times returns, at now, the run's time so far without the wait, and the
// wait so far (still going while the run has no slot).
func (c *runClock) times(now time.Time) (elapsed, queued time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.waitFrom.IsZero() {
		end := c.waitUntil
		if end.IsZero() {
			end = now
		}
		queued = end.Sub(c.waitFrom)
	}
	return max(0, now.Sub(c.begin)-queued), queued
}

// waitingNow reports whether the run still waits for a slot.
func (c *runClock) waitingNow() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return !c.waitFrom.IsZero() && c.waitUntil.IsZero()
}

// runs returns the SmartAsync of a job kind, made once per kind.
func (t *Toolset) runs(kind string) *smartasync.SmartAsync[runCall, *scriptRun] {
	if sa, ok := t.kinds.Load(kind); ok {
		return sa.(*smartasync.SmartAsync[runCall, *scriptRun])
	}
	sa, _ := t.kinds.LoadOrStore(kind, smartasync.New(t.runner, kind, t.work))
	return sa.(*smartasync.SmartAsync[runCall, *scriptRun])
}

// work is the job function of one run: it waits for an execution slot,
// streams the output into the job's logs and to the waiting client, follows
// the script's progress file, records the process for cross-process kills,
// and returns the result.
func (t *Toolset) work(ctx context.Context, job *smartasync.Job[runCall]) (*scriptRun, error) {
	spec, live, clock, id, progress := job.Input.spec, job.Input.live, job.Input.clock, job.ID, job.Progress
	// A cancel through another server process stops the run too.
	ctx, untrack := t.owned.track(ctx, id)
	defer untrack()
	waited := false
	asked := time.Now()
	release, err := t.acquireSlot(ctx, func(msg string) {
		waited = true
		clock.waiting(asked)
		t.log.Info("mcptools: run waits for an execution slot", "job_id", id, "tool", spec.tool)
		progress(0, 0, msg)
		live.setNote(msg)
	})
	if err != nil {
		return nil, err
	}
	defer release()
	queued := clock.acquired(time.Now())
	if waited {
		live.setNote("")
	}
	// A cancel recorded by another process while the run waited is
	// final: under the job's lock, start only a job still live.
	if err := t.store.SetRunning(context.WithoutCancel(ctx), id); errors.Is(err, jobstore.ErrFinished) {
		t.log.Info("mcptools: job cancelled through another server process before it started", "job_id", id)
		return nil, errCancelledElsewhere
	} else if err != nil {
		t.log.Warn("mcptools: marking the job running", "job_id", id, "err", err)
	}
	run, err := t.runScript(ctx, id, spec, live, progress)
	if run != nil {
		run.queued = queued
		if run.cut() {
			job.Keep() // the response points to the logs for what it leaves out
		}
	}
	return run, err
}

// acquireSlot takes one of Options.MaxConcurrent execution slots, calling
// waiting once if it has to wait, and returns its release. It returns ctx's
// cause if ctx ends first: a run cancelled while it waits (also through
// another server process, see owned) never starts.
func (t *Toolset) acquireSlot(ctx context.Context, waiting func(msg string)) (release func(), err error) {
	if t.slots == nil {
		return func() {}, nil
	}
	if !t.slots.TryAcquire(1) {
		waiting(fmt.Sprintf("waiting for a free execution slot: %d scripts are running, the server's limit", t.cfg.maxConcurrent))
		if err := t.slots.Acquire(ctx, 1); err != nil {
			return nil, context.Cause(ctx)
		}
	}
	return func() { t.slots.Release(1) }, nil
}

func (t *Toolset) runScript(ctx context.Context, id string, spec *runSpec, live *liveRun, progress smartasync.ProgressFunc) (*scriptRun, error) {
	// Store writes outlive a cancel: the record must say what happened.
	sctx := context.WithoutCancel(ctx)
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	pf, err := progressfile.Create("", func(r progressfile.Report) {
		progress(r.Current, r.Total, r.Message)
		live.scriptReported(r)
	})
	if err != nil {
		return nil, err
	}
	defer pf.Close()
	req := spec.req
	req.ExtraEnv = map[string]string{ProgressFileEnv: pf.Path()}
	if req.Sandbox != nil && req.Sandbox.ReadOnlyFS {
		// The script writes its progress here: the one place outside
		// the workspace it needs to.
		pol := *req.Sandbox
		pol.WritableDirs = append(slices.Clone(pol.WritableDirs), pf.Dir())
		req.Sandbox = &pol
	}
	// What the response shows is kept here, within its budget; every byte
	// goes to the job's logs (spooled first, for stream=false).
	outSpan, errSpan := headtail.New(spec.show), headtail.New(spec.show)
	var stdout, stderr io.Writer = io.MultiWriter(live.writer("stdout"), outSpan), io.MultiWriter(live.writer("stderr"), errSpan)
	logs := t.openLogs(sctx, id, !spec.stream)
	defer logs.close()
	req.Stdout, req.Stderr = logs.tee(stdout, stderr)
	req.Lossless = true // the logs must get every byte: the response points to them
	var wg sync.WaitGroup
	defer wg.Wait()
	if spec.ended != nil {
		defer close(spec.ended)
	}
	req.OnStart = func(si executor.StartInfo) {
		t.log.Info("mcptools: job started", "job_id", id, "tool", spec.tool, "label", spec.label, "pid", si.PID)
		if spec.started != nil {
			spec.started <- si // buffer 1, sent once
		}
		// Recorded off the child's path: a durable write must not delay
		// the drain of its output. The child leads its own group (pgid =
		// pid); its cgroups and PID namespace hold what leaves the group.
		p := jobstore.Process{PID: si.PID, PGID: si.PID, StartTime: si.StartTime, Cgroups: si.Cgroups, PIDNamespace: si.PIDNamespace}
		wg.Go(func() {
			err := t.store.SetProcess(sctx, id, p)
			switch {
			case errors.Is(err, jobstore.ErrFinished):
				// Cancelled through another process after the run was
				// marked running and before its process was recorded: no
				// one else can kill it.
				t.log.Info("mcptools: job cancelled through another server process as it started; stopping it", "job_id", id)
				stop(errCancelledElsewhere)
			case err != nil:
				t.log.Warn("mcptools: recording the job's process", "job_id", id, "err", err)
			}
		})
	}
	res, err := t.exec.Run(ctx, &req)
	_ = pf.Close() // the script's last report, before the result is recorded
	wg.Wait()
	var run *scriptRun
	if res != nil {
		// The executor's notes ([TIMEOUT], [LIMIT], …) end stderr.
		_, _ = errSpan.Write([]byte(res.Notes))
		logs.finish(res.Notes)
		t.record(sctx, id, spec, res, ctx.Err() != nil)
		run = &scriptRun{t: t, spec: spec, res: res, out: outSpan.Span(), errs: errSpan.Span()}
	}
	if err != nil && errors.Is(err, executor.ErrCancelled) {
		// smartasync classifies the job by its context: cancelled.
		return run, context.Cause(ctx)
	}
	if err != nil {
		t.log.Info("mcptools: job failed to start", "job_id", id, "tool", spec.tool, "err", err)
		return nil, err
	}
	return run, nil
}

// jobLogs writes a run's output to its job's logs: as it arrives, or (for
// stream=false, whose logs show the output only once the run ends) spooled
// to private temporary files and appended at the end. Either way every
// byte reaches the logs; a log or spool that cannot be opened is logged
// and skipped, and the run itself still works.
type jobLogs struct {
	t      *Toolset
	ctx    context.Context
	id     string
	spool  bool
	out    [2]io.Writer // the log writers, or the spool files
	files  [2]*os.File  // the spool files
	closer []io.Closer
}

var logStreams = [2]jobstore.Stream{jobstore.Stdout, jobstore.Stderr}

func (t *Toolset) openLogs(ctx context.Context, id string, spool bool) *jobLogs {
	l := &jobLogs{t: t, ctx: ctx, id: id, spool: spool}
	for i, st := range logStreams {
		if spool {
			f, err := os.CreateTemp("", "pyexec-"+id+"-*.log")
			if err != nil {
				t.log.Warn("mcptools: spooling the job's output", "job_id", id, "stream", st, "err", err)
				continue
			}
			_ = os.Remove(f.Name()) // an open file needs no name: nothing is left behind
			l.out[i], l.files[i] = f, f
			l.closer = append(l.closer, f)
			continue
		}
		lw := &lazyLog{l: l, st: st}
		l.out[i] = lw
		l.closer = append(l.closer, lw)
	}
	return l
}

// lazyLog opens a job's log on the first write: most quick calls write
// nothing to one of their streams, or to both (a cell's value is no
// output), and a log file created and removed for nothing costs two
// file-system operations on every call. Each stream has one writer
// goroutine, so it needs no lock.
type lazyLog struct {
	l      *jobLogs
	st     jobstore.Stream
	w      io.WriteCloser
	failed bool
}

func (z *lazyLog) Write(p []byte) (int, error) {
	if z.w == nil && !z.failed {
		lw, err := z.l.t.store.LogWriter(z.l.ctx, z.l.id, z.st)
		if err != nil {
			// The run itself still works; its log misses this stream.
			z.failed = true
			z.l.t.log.Warn("mcptools: opening the job log", "job_id", z.l.id, "stream", z.st, "err", err)
		}
		z.w = lw
	}
	if z.w == nil {
		return len(p), nil
	}
	return z.w.Write(p)
}

func (z *lazyLog) Close() error {
	if z.w == nil {
		return nil
	}
	return z.w.Close()
}

// tee adds the logs to the writers of stdout and stderr.
func (l *jobLogs) tee(stdout, stderr io.Writer) (io.Writer, io.Writer) {
	ws := [2]io.Writer{stdout, stderr}
	for i, w := range l.out {
		if w != nil {
			ws[i] = io.MultiWriter(w, ws[i])
		}
	}
	return ws[0], ws[1]
}

// finish appends the executor's notes to stderr and, for a spooled run,
// moves the spooled output into the logs.
func (l *jobLogs) finish(notes string) {
	if notes != "" && l.out[1] != nil {
		_, _ = io.WriteString(l.out[1], notes)
	}
	if !l.spool {
		return
	}
	for i, f := range l.files {
		if f == nil {
			continue
		}
		lw, err := l.t.store.LogWriter(l.ctx, l.id, logStreams[i])
		if err == nil {
			_, err = f.Seek(0, io.SeekStart)
		}
		if err == nil {
			_, err = io.Copy(lw, f)
			err = errors.Join(err, lw.Close())
		}
		if err != nil {
			l.t.log.Warn("mcptools: writing the spooled output to the job log", "job_id", l.id, "stream", logStreams[i], "err", err)
		}
	}
}

func (l *jobLogs) close() {
	for _, c := range l.closer {
		_ = c.Close()
	}
}

// record stores the exit code where the job's result will not hold it, then
// logs the end.
//
// The exit code is written for background jobs, for cancelled runs (which
// store no result) and for runs killed by a signal (perhaps by another
// server process, which waits for it). A synchronous run that ended normally
// is either discarded or keeps the exit code in its result (see
// jobExitCode), and skipping the durable write keeps it off the hot path of
// every quick call.
func (t *Toolset) record(ctx context.Context, id string, spec *runSpec, res *executor.Result, cancelled bool) {
	if spec.async || cancelled || res.ExitCode < 0 {
		if err := t.store.SetExitCode(ctx, id, res.ExitCode); err != nil {
			t.log.Warn("mcptools: recording the exit code", "job_id", id, "err", err)
		}
	}
	t.log.Info("mcptools: job finished", "job_id", id, "tool", spec.tool, "exit_code", res.ExitCode,
		"timed_out", res.TimedOut, "cancelled", res.Cancelled, "elapsed", res.Elapsed)
}
