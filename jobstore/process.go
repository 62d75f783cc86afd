package jobstore

import (
	"context"
	"errors"
	"time"
)

// Kill sends SIGKILL to every process of job id that its record lets it
// find, from any process: every member of its cgroups, its PID namespace
// (through the namespace's outside end), and its process group (or its
// process, if it has no group of its own), each only after making sure it is
// still the job's: see "Killing safely" in the package documentation. It
// returns nil when the signals were sent or when nothing of the job is left
// to kill, ErrNoProcess when no process was recorded, and an error
// wrapping errors.ErrUnsupported for a job of a live server on a system
// without /proc (macOS, Windows), whose processes it cannot verify. Kill does not
// change the job's state, and leaves the cgroups in place for their owner to
// remove; the caller records the cancel with FinishJob.
func (s *Store) Kill(ctx context.Context, id string) error {
	if err := s.writable("Kill"); err != nil {
		return err
	}
	j, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if j.Process == nil {
		return NoProcessError(id)
	}
	_, err = s.host.KillJob(j)
	return err
}

// Recover fails every pending or running job whose owner process is dead,
// with the error OwnerDiedMessage, after killing every process of it that is
// left (see Kill) and removing its cgroups. Jobs of live owners are not touched. Open runs it; a long-lived
// server may run it again (say, when listing jobs) to notice servers that
// died since. It returns the number of jobs it failed.
func (s *Store) Recover(ctx context.Context) (int, error) {
	if err := s.writable("Recover"); err != nil {
		return 0, err
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.end()
	live, err := s.snapshot(ctx, func(j *Job) bool { return j.State.Live() })
	if err != nil {
		return 0, err
	}
	alive := map[Owner]bool{}
	n := 0
	var errs []error
	for _, j := range live {
		a, seen := alive[j.Owner]
		if !seen {
			a = s.host.OwnerAlive(j.Owner)
			alive[j.Owner] = a
		}
		if a {
			continue
		}
		ok, err := s.recoverJob(ctx, j.ID)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			n++
		}
	}
	return n, errors.Join(errs...)
}

// recoverJob fails one job of a dead owner, checking again under its lock.
func (s *Store) recoverJob(ctx context.Context, id string) (bool, error) {
	st := s.stripes[stripeOf(id)]
	if err := st.lock(ctx); err != nil {
		return false, err
	}
	defer st.unlock()
	j, err := s.readRecord(id)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !j.State.Live() || s.host.OwnerAlive(j.Owner) {
		return false, nil
	}
	// Kill before recording the failure, so a failed job never has a
	// process still running.
	kerr := s.host.ReapJob(j)
	j.State = StateFailed
	j.Error = OwnerDiedMessage
	j.CompletedAt = time.Now().UTC()
	if err := s.writeRecord(j, true, false); err != nil {
		return false, errors.Join(kerr, err)
	}
	s.committed(j)
	s.log.Warn("jobstore: failed job of a dead server", "job", id, "owner_pid", j.Owner.PID)
	return true, kerr
}
