package mcptools

import (
	"context"
	"errors"
	"time"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// ownedPoll is how often a server looks for a cancel of one of its running
// jobs that another server process sharing the store recorded: a record
// read per job this process runs. A store that notifies changes
// (jobstore.Notifier) wakes the poll at once; its poll is only the
// fallback for a lost notification, and runs every ownedPollNotified (it
// costs every replica a query per running job).
const (
	ownedPoll         = 200 * time.Millisecond
	ownedPollNotified = 2 * time.Second
)

// errCancelledElsewhere is the cause of a run stopped because another
// server process recorded its job as finished (py_cancel_job or kill_job
// sent through it).
var errCancelledElsewhere = errors.New("mcptools: the job was cancelled through another server process")

// owned tracks the script jobs this process runs, so that a cancel recorded
// by another server process is final here too: the other process kills
// what the job's record names and records the cancel, and the owner, which
// alone holds the run, stops it — whether it is waiting for a slot,
// preparing its environment or running. It polls the store (jobPoller);
// the Toolset runs and stops its poll.
type owned struct {
	*jobPoller[context.CancelCauseFunc]
	store jobstore.Backend
}

func newOwned(store jobstore.Backend) *owned {
	o := &owned{store: store}
	every := ownedPoll
	if _, ok := store.(jobstore.Notifier); ok {
		every = ownedPollNotified
	}
	o.jobPoller = newJobPoller[context.CancelCauseFunc](every, o.poll)
	return o
}

// track returns a context of ctx that is cancelled, with cause
// errCancelledElsewhere, once another process finishes job id; call the
// returned function when the run has ended.
func (o *owned) track(ctx context.Context, id string) (context.Context, func()) {
	ctx, cancel := context.WithCancelCause(ctx)
	o.with(func(runs map[string]context.CancelCauseFunc) { runs[id] = cancel })
	return ctx, func() {
		o.with(func(runs map[string]context.CancelCauseFunc) { delete(runs, id) })
		cancel(nil)
	}
}

// poll cancels every tracked run whose job another process has finished. A
// run stops tracking its job before the job is finished here, so a tracked
// job that is final was finished elsewhere.
func (o *owned) poll(ctx context.Context, ids []string) {
	for _, id := range ids {
		// Never stop a run on a missing or unreadable record: the next
		// poll tries again.
		if j, err := o.store.Get(ctx, id); err != nil || !j.State.Final() {
			continue
		}
		var cancel context.CancelCauseFunc
		o.with(func(runs map[string]context.CancelCauseFunc) { cancel = runs[id] })
		if cancel != nil {
			cancel(errCancelledElsewhere)
		}
	}
}
