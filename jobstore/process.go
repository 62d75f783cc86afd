package jobstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"syscall"
	"time"
)

// Kill sends SIGKILL to the recorded process group of job id (or to its
// process, if it has no group of its own), from any process, after making
// sure the group is still the job's: see "Killing safely" in the package
// documentation. It returns nil when the signal was sent or when nothing of
// the job is left to kill, and ErrNoProcess when no process was recorded.
// Kill does not change the job's state; the caller records the cancel with
// FinishJob.
func (s *Store) Kill(ctx context.Context, id string) error {
	j, err := s.Get(ctx, id)
	if err != nil {
		return err
	}
	if j.Process == nil {
		return &jobError{msg: fmt.Sprintf("jobstore: job %q has no recorded process (it may not have started yet)", id), err: ErrNoProcess}
	}
	_, err = s.killProcess(*j.Process)
	return err
}

// killProcess kills p's group (or p alone when it has none) if it can show
// the group is the one recorded, and reports whether it sent a signal.
func (s *Store) killProcess(p Process) (bool, error) {
	switch {
	case !procSupported || p.StartTime == 0 || p.PID <= 1:
		return false, nil // unverifiable: never risk an unrelated process
	case p.BootID != "" && s.bootID != "" && p.BootID != s.bootID:
		return false, nil // the machine rebooted since: all of it is gone
	}
	self := syscall.Getpid()
	if p.PGID <= 1 || p.PGID != p.PID || p.PGID == syscall.Getpgrp() {
		// No group of its own (or, defensively, ours): the process alone.
		info, err := readProc(p.PID)
		if err != nil || info.dead() || info.start != p.StartTime || p.PID == self {
			return false, nil
		}
		return signal(p.PID)
	}
	// The kernel keeps a group id allocated (never reused as a pid) while any
	// process is in the group. So if the number is a live pid with another
	// start time, the recorded group is empty and that process is unrelated.
	leader, err := readProc(p.PGID)
	switch {
	case err == nil && leader.start == p.StartTime:
		return signal(-p.PGID) // the leader itself (alive or a zombie) vouches
	case err == nil:
		return false, nil
	case !procGone(err):
		return false, fmt.Errorf("jobstore: reading process %d: %w", p.PGID, err)
	}
	// The leader has exited and been reaped; members may remain (orphaned
	// grandchildren). Each must have started no earlier than the leader.
	members, err := groupMembers(p.PGID)
	if err != nil {
		return false, fmt.Errorf("jobstore: listing process group %d: %w", p.PGID, err)
	}
	if len(members) == 0 {
		return false, nil
	}
	for _, m := range members {
		if m.start < p.StartTime {
			s.log.Warn("jobstore: not killing process group: a member predates the job", "pgid", p.PGID)
			return false, nil
		}
	}
	return signal(-p.PGID)
}

func signal(pid int) (bool, error) {
	err := syscall.Kill(pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("jobstore: kill %d: %w", pid, err)
	}
	return true, nil
}

// procGone reports whether err from readProc means there is no such process.
func procGone(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ESRCH)
}

// ownerAlive reports whether the server process o still runs. When it cannot
// tell (say /proc is unreadable) it answers yes: a live server's job must
// never be failed behind its back.
func (s *Store) ownerAlive(o Owner) bool {
	switch {
	case o.PID <= 0:
		return false
	case o.PID == s.self.PID && o.StartTime == s.self.StartTime && o.BootID == s.self.BootID:
		return true
	case o.BootID != "" && s.bootID != "" && o.BootID != s.bootID:
		return false
	}
	info, err := readProc(o.PID)
	switch {
	case err != nil:
		return !procGone(err)
	case info.dead():
		return false
	case procSupported && o.StartTime != 0 && info.start != o.StartTime:
		return false // the pid now belongs to another process
	}
	return true
}

// Recover fails every pending or running job whose owner process is dead,
// with the error OwnerDiedMessage, after killing what is left of its process
// group. Jobs of live owners are not touched. Open runs it; a long-lived
// server may run it again (say, when listing jobs) to notice servers that
// died since. It returns the number of jobs it failed.
func (s *Store) Recover(ctx context.Context) (int, error) {
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
			a = s.ownerAlive(j.Owner)
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
	if !j.State.Live() || s.ownerAlive(j.Owner) {
		return false, nil
	}
	// Kill before recording the failure, so a failed job never has a
	// process still running.
	var kerr error
	if j.Process != nil {
		if _, kerr = s.killProcess(*j.Process); kerr != nil {
			kerr = fmt.Errorf("jobstore: job %s: %w", id, kerr)
		}
	}
	j.State = StateFailed
	j.Error = OwnerDiedMessage
	j.CompletedAt = time.Now().UTC()
	if err := s.writeRecord(j, true, false); err != nil {
		return false, errors.Join(kerr, err)
	}
	s.committed(j.Clone())
	s.log.Warn("jobstore: failed job of a dead server", "job", id, "owner_pid", j.Owner.PID)
	return true, kerr
}
