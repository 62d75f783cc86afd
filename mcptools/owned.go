package mcptools

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// ownedPoll is how often a server looks for a cancel of one of its running
// jobs that another server process sharing the store recorded. A poll reads
// only what the journal says changed since the last one (jobstore.List), so
// it is cheap enough to run this often.
const ownedPoll = 200 * time.Millisecond

// errCancelledElsewhere is the cause of a run stopped because another
// server process recorded its job as finished (py_cancel_job or kill_job
// sent through it).
var errCancelledElsewhere = errors.New("mcptools: the job was cancelled through another server process")

// owned tracks the script jobs this process runs, so that a cancel recorded
// by another server process is final here too: the other process kills
// what the job's record names and records the cancel, and the owner, which
// alone holds the run, stops it — whether it is waiting for a slot,
// preparing its environment or running. It is owned by the Toolset, which
// runs and stops its poll.
type owned struct {
	store *jobstore.Store
	every time.Duration

	mu   sync.Mutex
	runs map[string]context.CancelCauseFunc
}

func newOwned(store *jobstore.Store) *owned {
	return &owned{store: store, every: ownedPoll, runs: map[string]context.CancelCauseFunc{}}
}

// track returns a context of ctx that is cancelled, with cause
// errCancelledElsewhere, once another process finishes job id; call the
// returned function when the run has ended.
func (o *owned) track(ctx context.Context, id string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	o.mu.Lock()
	o.runs[id] = cancel
	o.mu.Unlock()
	return ctx, func() {
		o.mu.Lock()
		delete(o.runs, id)
		o.mu.Unlock()
		cancel(nil)
	}
}

// run polls until ctx ends.
func (o *owned) run(ctx context.Context) {
	tick := time.NewTicker(o.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		o.poll(ctx)
	}
}

// poll cancels every tracked run whose job another process has finished. A
// run stops tracking its job before the job is finished here, so a tracked
// job that is final was finished elsewhere.
func (o *owned) poll(ctx context.Context) {
	o.mu.Lock()
	ids := make([]string, 0, len(o.runs))
	for id := range o.runs {
		ids = append(ids, id)
	}
	o.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	live, _, err := o.store.List(ctx, &jobstore.ListOptions{States: []jobstore.State{jobstore.StatePending, jobstore.StateRunning}})
	if err != nil {
		return // the next poll tries again
	}
	isLive := make(map[string]bool, len(live))
	for _, j := range live {
		isLive[j.ID] = true
	}
	for _, id := range ids {
		if isLive[id] {
			continue
		}
		// Rare: confirm from the record itself, and never stop a run on a
		// missing or unreadable record.
		if j, err := o.store.Get(ctx, id); err != nil || !j.State.Final() {
			continue
		}
		o.mu.Lock()
		cancel := o.runs[id]
		o.mu.Unlock()
		if cancel != nil {
			cancel(errCancelledElsewhere)
		}
	}
}
