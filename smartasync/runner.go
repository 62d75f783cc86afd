package smartasync

import (
	"context"
	"fmt"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"sync"
	"time"
)

// Runner owns the background jobs of one or more SmartAsync wrappers: their
// goroutines, the cancel functions of live jobs, a lifetime context and the
// Store. Create it with NewRunner; the zero value is not usable. It is safe for
// concurrent use. Whoever creates a Runner must call Close, which cancels the
// live jobs and waits for them.
type Runner struct {
	cfg config
	sem chan struct{} // one token per running work function; nil = no limit

	// ctx is the Runner's lifetime: jobs are cancelled (cause ErrClosed)
	// when Close cancels it.
	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup // the goroutines of every live job

	mu     sync.Mutex
	closed bool
	jobs   map[string]*job // live jobs by id, removed once recorded
}

// NewRunner returns a Runner configured by opts. Options.Store is required.
func NewRunner(opts *Options) (*Runner, error) {
	cfg, err := opts.config()
	if err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, jobs: make(map[string]*job)}
	if cfg.maxConcurrent > 0 {
		r.sem = make(chan struct{}, cfg.maxConcurrent)
	}
	r.ctx, r.cancel = context.WithCancelCause(context.Background())
	return r, nil
}

// Budget returns the default budget of the Runner's calls.
func (r *Runner) Budget() time.Duration { return r.cfg.budget }

// Close cancels every live job (their context's cause is ErrClosed; they are
// recorded as cancelled with the message "server shutting down") and waits
// until each has returned and been recorded. Later calls fail with ErrClosed.
// Close is idempotent and always returns nil; the error result is there so
// that Runner satisfies io.Closer.
func (r *Runner) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.cancel(ErrClosed)
	r.wg.Wait()
	return nil
}

// CancelResult is the answer of Runner.Cancel.
type CancelResult struct {
	JobID string `json:"job_id"`
	// Status is the job's final state: "cancelled", or the state it reached
	// first for a job that had already finished. It is "running" when ctx
	// ended before the job stopped (the job is still cancelled).
	Status jobstore.State `json:"status"`
}

// Cancel cancels the live job id: its context is cancelled with cause
// ErrCancelled, and Cancel waits until the work has returned and the job has
// been recorded as cancelled, or until ctx ends. Work that runs a script is
// expected to take the script's process tree down before it returns, so a nil
// error means the tree is gone.
//
// For a job that is not live in this Runner (unknown, owned by another
// process, or finished) Cancel changes nothing and returns an error wrapping
// ErrNotRunning; for a job that finished while still tracked, the result
// carries its final state.
func (r *Runner) Cancel(ctx context.Context, id string) (CancelResult, error) {
	j := r.lookup(id)
	if j == nil {
		return CancelResult{JobID: id}, fmt.Errorf("%w: job %q", ErrNotRunning, id)
	}
	j.mu.Lock()
	ended := j.ended
	if !ended {
		// Under j.mu, so the work cannot be classified as completed between
		// this check and the cancellation.
		j.cancel(ErrCancelled)
	}
	j.mu.Unlock()
	select {
	case <-j.done:
	case <-ctx.Done():
		return CancelResult{JobID: id, Status: jobstore.StateRunning},
			fmt.Errorf("smartasync: job %s was cancelled but has not stopped yet: %w", id, context.Cause(ctx))
	}
	res := CancelResult{JobID: id, Status: j.final}
	if ended {
		return res, fmt.Errorf("%w: job %s already %s", ErrNotRunning, id, j.final)
	}
	return res, nil
}

// Wait waits until the job id has finished and been recorded, or ctx ends. It
// returns nil at once for a job that is not live in this Runner (finished, or
// never started here).
func (r *Runner) Wait(ctx context.Context, id string) error {
	j := r.lookup(id)
	if j == nil {
		return nil
	}
	select {
	case <-j.done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (r *Runner) lookup(id string) *job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.jobs[id]
}
