package smartasync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// task is the typed half of a job, implemented by the generic call[T]: it runs
// the work and keeps its value, which the Runner only sees as JSON.
type task interface {
	run(ctx context.Context, j *job) error
	marshal() (json.RawMessage, error)
}

// job is the Runner's side of one call. Two goroutines serve it: the work
// goroutine runs the work function; the lifecycle goroutine waits for a slot,
// does every store write after CreateJob, throttles progress and writes the
// final record. So no store write delays the work or a value returned within
// the budget.
type job struct {
	id     string
	ctx    context.Context // the work's: request values, runner lifetime
	cancel context.CancelCauseFunc
	sctx   context.Context // the store writes': request values, never cancelled
	stop   func() bool     // unlinks ctx from the runner's lifetime

	progressSig chan struct{} // buffer 1: a progress value awaits writing
	returned    chan struct{} // closed by end once the work is classified
	handoff     chan struct{} // closed by end when a waiting Call may read the value; nil in async mode
	detached    chan struct{} // closed by detach: the waiting Call returned without the value
	done        chan struct{} // closed after the final store write

	final jobstore.State // the recorded state; written before done is closed
	// observe receives progress while a Call waits (attached); set at
	// start, never changed.
	observe ProgressFunc

	mu       sync.Mutex
	attached bool // a Call waits for the value within its budget
	started  bool // the work function has been called
	ended    bool // the work has returned (or will never run); Cancel is then a no-op
	keep     bool // record the job, else discard it: see end
	keepAsk  bool // the work asked to keep the record (Job.Keep)
	state    jobstore.State
	errMsg   string
	result   json.RawMessage
	callErr  error // what a waiting Call returns
	// The latest progress, and whether it is not yet written.
	cur, total float64
	msg        string
	dirty      bool
}

// start checks that a call may start, creates its job record and starts the
// job's goroutines.
func (r *Runner) start(ctx context.Context, kind, label string, async bool, observe ProgressFunc, t task) (*job, error) {
	if ctx.Err() != nil {
		return nil, fmt.Errorf("smartasync: call not started: %w", context.Cause(ctx))
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, ErrClosed
	}
	r.wg.Add(1) // for the lifecycle goroutine; under mu so that Close waits for it
	r.mu.Unlock()

	id, err := r.cfg.store.CreateJob(ctx, kind, label)
	if err != nil {
		r.wg.Done()
		return nil, fmt.Errorf("smartasync: create job record: %w", err)
	}
	base := context.WithoutCancel(ctx)
	j := &job{
		id:          id,
		sctx:        base,
		progressSig: make(chan struct{}, 1),
		returned:    make(chan struct{}),
		done:        make(chan struct{}),
		attached:    !async,
		detached:    make(chan struct{}),
		observe:     observe,
	}
	if !async {
		j.handoff = make(chan struct{})
	}
	j.ctx, j.cancel = context.WithCancelCause(base)
	cancel := j.cancel
	// Runs at once if Close has already cancelled r.ctx.
	j.stop = context.AfterFunc(r.ctx, func() { cancel(ErrClosed) })

	r.mu.Lock()
	r.jobs[id] = j
	r.mu.Unlock()
	go r.lifecycle(j, t)
	return j, nil
}

func (r *Runner) lifecycle(j *job, t task) {
	defer r.wg.Done()
	defer j.cancel(nil) // the work has returned: release the context
	defer j.stop()
	if r.acquire(j.ctx) {
		j.mu.Lock()
		j.started = true
		j.mu.Unlock()
		r.wg.Add(1)
		go r.work(j, t)
		r.markRunning(j)
		r.throttleProgress(j)
		r.release()
	} else {
		r.end(j, t, nil, nil) // cancelled while pending: classified as cancelled
	}
	r.finish(j)
}

func (r *Runner) acquire(ctx context.Context) bool {
	if ctx.Err() != nil {
		return false
	}
	if r.sem == nil {
		return true
	}
	select {
	case r.sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

func (r *Runner) release() {
	if r.sem != nil {
		<-r.sem
	}
}

// work runs the work function and turns a panic (or runtime.Goexit) into a
// *PanicError: a background job must never take the process down.
func (r *Runner) work(j *job, t task) {
	defer r.wg.Done()
	var err error
	returned := false
	defer func() {
		var perr *PanicError
		if !returned {
			v := recover()
			if v == nil {
				v = "runtime.Goexit called by the work function"
			}
			perr = &PanicError{JobID: j.id, Value: v, Stack: debug.Stack()}
		}
		r.end(j, t, err, perr)
	}()
	err = t.run(j.ctx, j)
	returned = true
}

// end classifies the work's outcome and hands it to a waiting Call. The record
// is discarded only when the work returned normally while its Call was still
// waiting and did not ask to keep it (Job.Keep): that call returns the value
// as if the work had been called directly. A detached job, a panic, a
// cancellation and a kept job are recorded.
func (r *Runner) end(j *job, t task, err error, perr *PanicError) {
	j.mu.Lock()
	j.ended = true
	waiting := j.attached
	j.attached = false
	var cause error
	if j.ctx.Err() != nil {
		cause = context.Cause(j.ctx)
	}
	switch {
	case perr != nil:
		j.state, j.errMsg, j.keep, j.callErr = jobstore.StateFailed, perr.record(), true, perr
	case cause != nil:
		// Cancelled wins over a value: the canceller was told "cancelled".
		j.state, j.errMsg, j.keep, j.callErr = jobstore.StateCancelled, cancelMessage(cause), true, withCause(cause, err)
	case err != nil:
		j.state, j.errMsg, j.keep, j.callErr = jobstore.StateFailed, err.Error(), !waiting || j.keepAsk, err
	default:
		j.state, j.keep = jobstore.StateCompleted, !waiting || j.keepAsk
	}
	marshal := j.keep && j.state == jobstore.StateCompleted
	j.mu.Unlock()

	if waiting {
		close(j.handoff)
	}
	if marshal { // a waiting call's only if it asked to be kept
		res, merr := t.marshal()
		j.mu.Lock()
		if merr != nil {
			j.state, j.errMsg = jobstore.StateFailed, unstorablePrefix+merr.Error()
		} else {
			j.result = res
		}
		j.mu.Unlock()
	}
	close(j.returned)
}

func cancelMessage(cause error) string {
	if errors.Is(cause, ErrClosed) {
		return "server shutting down"
	}
	return "cancelled on request"
}

func withCause(cause, err error) error {
	if err == nil || errors.Is(err, cause) {
		return cause
	}
	return fmt.Errorf("%w: %w", cause, err)
}

// askKeep is Job.Keep.
func (j *job) askKeep() {
	j.mu.Lock()
	j.keepAsk = true
	j.mu.Unlock()
}

// runningDelay is how long a call's work runs, while the call waits for
// it, before its record says "running". Most calls end sooner, and their
// record is discarded at once: a state written in between is a wasted
// durable write on every quick call (measured: a third of the cost of a
// fast execute_python cell).
const runningDelay = 100 * time.Millisecond

// markRunning records that the job's work runs: at once for a background
// job; for a call that waits for it, once it has run for runningDelay or
// the call gave up waiting (detach). A job whose work ended first is never
// recorded as running: discarded, or finished straight from pending.
func (r *Runner) markRunning(j *job) {
	j.mu.Lock()
	attached, detached := j.attached, j.detached
	j.mu.Unlock()
	if attached {
		t := time.NewTimer(runningDelay)
		defer t.Stop()
		select {
		case <-j.returned:
			return
		case <-detached:
		case <-t.C:
		}
	}
	r.logErr(j, "set running", r.cfg.store.SetRunning(j.sctx, j.id))
}

// detach turns a waiting call's job into a background job, unless the work
// has already ended. It returns the job's state for the Outcome.
func (j *job) detach() (status jobstore.State, ok bool) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if !j.attached {
		return "", false
	}
	j.attached = false
	close(j.detached)
	if j.started {
		return jobstore.StateRunning, true
	}
	return jobstore.StatePending, true
}

// progress is the job's ProgressFunc. It never blocks on the Store: it keeps
// the latest value and wakes the lifecycle goroutine.
func (j *job) progress(current, total float64, message string) {
	j.mu.Lock()
	if j.ended {
		j.mu.Unlock()
		return
	}
	j.cur, j.total, j.msg, j.dirty = current, total, message, true
	var observe ProgressFunc
	if j.attached {
		observe = j.observe
	}
	j.mu.Unlock()
	if observe != nil {
		observe(current, total, message)
	}
	select {
	case j.progressSig <- struct{}{}:
	default: // a wake-up is already pending; it will write this value
	}
}

// throttleProgress writes progress at most once per interval until the work
// returns.
func (r *Runner) throttleProgress(j *job) {
	var (
		last  time.Time
		timer *time.Timer
		tick  <-chan time.Time // non-nil while a delayed write is scheduled
	)
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-j.returned:
			return
		case <-j.progressSig:
			if tick != nil {
				continue
			}
			if wait := r.cfg.progressEvery - time.Since(last); wait > 0 {
				if timer == nil {
					timer = time.NewTimer(wait)
				} else {
					timer.Reset(wait)
				}
				tick = timer.C
				continue
			}
		case <-tick:
			tick = nil
		}
		r.writeProgress(j)
		last = time.Now()
	}
}

func (r *Runner) writeProgress(j *job) {
	j.mu.Lock()
	if !j.dirty {
		j.mu.Unlock()
		return
	}
	cur, total, msg := j.cur, j.total, j.msg
	j.dirty = false
	j.mu.Unlock()
	r.logErr(j, "set progress", r.cfg.store.SetProgress(j.sctx, j.id, cur, total, msg))
}

// finish writes the final record (or discards it) and forgets the job.
func (r *Runner) finish(j *job) {
	<-j.returned
	j.mu.Lock()
	keep, state, result, errMsg := j.keep, j.state, j.result, j.errMsg
	j.mu.Unlock()
	if keep {
		r.writeProgress(j) // the last value is never lost
		r.logErr(j, "finish", r.cfg.store.FinishJob(j.sctx, j.id, state, result, errMsg))
	} else {
		r.logErr(j, "discard", r.cfg.store.DiscardJob(j.sctx, j.id))
	}
	j.final = state
	r.mu.Lock()
	delete(r.jobs, j.id)
	r.mu.Unlock()
	close(j.done)
}

// logErr logs a store error that has no caller to return to.
func (r *Runner) logErr(j *job, op string, err error) {
	if err != nil {
		r.cfg.logger.LogAttrs(j.sctx, slog.LevelError, "smartasync: store "+op+" failed",
			slog.String("job_id", j.id), slog.Any("error", err))
	}
}
