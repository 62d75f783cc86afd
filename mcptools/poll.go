package mcptools

import (
	"context"
	"sync"
	"time"
)

// jobPoller follows a set of jobs in the store: every interval, and at once
// after wakeUp, it calls check with the ids it follows (none: no call).
//
// It is the one mechanism behind the two followers of store records, the
// watcher (resource subscriptions) and owned (cancels recorded by other
// server processes). Other processes sharing the store write to it as
// well; a store that hears of their changes (jobstore.Notifier:
// PostgreSQL's LISTEN) wakes the poller through notify, and polling stays
// the way for a store that does not, and the fallback when a notification
// is lost. Each id
// carries its follower's state V, guarded by the poller's lock (see with).
// The run loop is owned by the Toolset, which starts it and ends it through
// the context.
type jobPoller[V any] struct {
	every time.Duration
	check func(ctx context.Context, ids []string)
	wake  chan struct{} // buffer 1: check at once

	mu   sync.Mutex
	jobs map[string]V
}

func newJobPoller[V any](every time.Duration, check func(ctx context.Context, ids []string)) *jobPoller[V] {
	return &jobPoller[V]{every: every, check: check, wake: make(chan struct{}, 1), jobs: map[string]V{}}
}

// with calls f with the followed jobs under the poller's lock; f may add,
// change and remove them. It must not block: check runs without the lock,
// and so may call with.
func (p *jobPoller[V]) with(f func(jobs map[string]V)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(p.jobs)
}

// notify wakes run if it follows job id: the store said the job changed
// (jobstore.Notifier).
func (p *jobPoller[V]) notify(id string) {
	p.mu.Lock()
	_, ok := p.jobs[id]
	p.mu.Unlock()
	if ok {
		p.wakeUp()
	}
}

// wakeUp makes run check at once, without waiting for the interval.
func (p *jobPoller[V]) wakeUp() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// run polls until ctx ends.
func (p *jobPoller[V]) run(ctx context.Context) {
	tick := time.NewTicker(p.every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-p.wake:
		}
		p.mu.Lock()
		ids := make([]string, 0, len(p.jobs))
		for id := range p.jobs {
			ids = append(ids, id)
		}
		p.mu.Unlock()
		if len(ids) > 0 {
			p.check(ctx, ids)
		}
	}
}
