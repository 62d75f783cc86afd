package jobstore

import (
	"context"
	"errors"
	"time"
)

// PruneOptions selects the finished jobs that Prune removes. The zero value
// (and nil) removes every finished job of any age.
type PruneOptions struct {
	// MaxAge keeps jobs that finished less than MaxAge ago; 0 means any age.
	MaxAge time.Duration
	// KeepCompleted keeps completed jobs.
	KeepCompleted bool
	// KeepFailed keeps failed jobs.
	KeepFailed bool
	// KeepCancelled keeps cancelled jobs.
	KeepCancelled bool
}

// prunable reports whether opts selects j, given the cutoff time.
func (o *PruneOptions) prunable(j *Job, cutoff time.Time) bool {
	switch j.State {
	case StateCompleted:
		if o.KeepCompleted {
			return false
		}
	case StateFailed:
		if o.KeepFailed {
			return false
		}
	case StateCancelled:
		if o.KeepCancelled {
			return false
		}
	default:
		return false // pending and running jobs are never pruned
	}
	if o.MaxAge <= 0 {
		return true
	}
	end := j.CompletedAt
	if end.IsZero() {
		end = j.CreatedAt
	}
	return end.Before(cutoff)
}

// Prune removes the finished jobs that opts selects, with their logs, and
// returns how many it removed and how many jobs (of every state) remain. A
// pending or running job is never removed; to remove the job of a dead
// server, Recover (run by Open) first fails it.
func (s *Store) Prune(ctx context.Context, opts *PruneOptions) (removed, remaining int, err error) {
	if err := s.writable("Prune"); err != nil {
		return 0, 0, err
	}
	if opts == nil {
		opts = &PruneOptions{}
	}
	if err := s.begin(); err != nil {
		return 0, 0, err
	}
	defer s.end()
	cutoff := time.Now().Add(-opts.MaxAge)
	victims, err := s.snapshot(ctx, func(j *Job) bool { return opts.prunable(j, cutoff) })
	if err != nil {
		return 0, 0, err
	}
	var errs []error
	for _, v := range victims {
		// The record is checked again under its lock: another process may
		// have changed it since the snapshot.
		ok, err := s.removeIf(ctx, v.ID, func(j *Job) bool { return opts.prunable(j, cutoff) })
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
		}
		if ok {
			removed++
		}
	}
	s.mu.Lock()
	if err := s.refresh(); err != nil {
		errs = append(errs, err)
	}
	remaining = len(s.idx.jobs)
	s.mu.Unlock()
	return removed, remaining, errors.Join(errs...)
}

// enforceCap removes the oldest finished jobs beyond MaxJobs. Two processes
// enforcing at once may each remove one job too many; the cap is a bound on
// growth, not an exact count. Failures are logged: retention must not fail
// the CreateJob that triggered it.
func (s *Store) enforceCap(ctx context.Context) {
	if s.maxJobs < 0 {
		return
	}
	s.mu.Lock()
	over := s.idx.finished - s.maxJobs
	s.mu.Unlock()
	if over <= 0 {
		return
	}
	if err := s.begin(); err != nil {
		return
	}
	defer s.end()
	// Refresh, then pick the oldest finished jobs.
	all, err := s.snapshot(ctx, func(j *Job) bool { return j.State.Final() })
	if err != nil {
		s.log.Warn("jobstore: retention", "err", err)
		return
	}
	over = len(all) - s.maxJobs
	for i := len(all) - 1; i >= 0 && over > 0; i-- {
		ok, err := s.removeIf(ctx, all[i].ID, func(j *Job) bool { return j.State.Final() })
		if err != nil {
			s.log.Warn("jobstore: retention", "job", all[i].ID, "err", err)
			continue
		}
		if ok {
			over--
			s.log.Debug("jobstore: removed job beyond MaxJobs", "job", all[i].ID)
		}
	}
}
