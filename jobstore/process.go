package jobstore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/cgroup"
	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

// Kill sends SIGKILL to every process of job id that its record lets it
// find, from any process: every member of its cgroups, its PID namespace
// (through the namespace's outside end), and its process group (or its
// process, if it has no group of its own), each only after making sure it is
// still the job's: see "Killing safely" in the package documentation. It
// returns nil when the signals were sent or when nothing of the job is left
// to kill, and ErrNoProcess when no process was recorded. Kill does not
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
		return &jobError{msg: fmt.Sprintf("jobstore: job %q has no recorded process (it may not have started yet)", id), err: ErrNoProcess}
	}
	_, err = s.killJob(j)
	return err
}

// killJob kills every process of j that it can show is j's (see Kill) and
// returns the cgroup directories it acted on, for a caller that then removes
// them.
func (s *Store) killJob(j *Job) ([]string, error) {
	p := *j.Process
	if p.BootID != "" && s.bootID != "" && p.BootID != s.bootID {
		return nil, nil // the machine rebooted since: all of it is gone, cgroups too
	}
	var errs []error
	dirs := s.jobCgroups(j)
	if err := cgroup.Kill(dirs...); err != nil {
		errs = append(errs, fmt.Errorf("jobstore: job %s: %w", j.ID, err))
	}
	if p.PIDNamespace {
		// The namespace's init dies with its outside end (PR_SET_PDEATHSIG),
		// and every process in the namespace with the init.
		if _, err := s.killOne(p); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := s.killProcess(p); err != nil {
		errs = append(errs, err)
	}
	return dirs, errors.Join(errs...)
}

// jobCgroups returns the recorded cgroups of j that may be acted on: pyexec
// run cgroups (cgroup.Validate) named after j's owner. A record is a file on
// disk, so nothing else it names is touched. A cgroup that is gone (the run
// ended and its owner removed it) is skipped quietly.
func (s *Store) jobCgroups(j *Job) []string {
	var out []string
	for _, d := range j.Process.Cgroups {
		err := cgroup.Validate(d)
		if err == nil {
			o, _ := cgroup.ParseName(filepath.Base(d))
			if o.PID != j.Owner.PID || (o.StartTime != 0 && j.Owner.StartTime != 0 && o.StartTime != j.Owner.StartTime) {
				err = fmt.Errorf("cgroup %s was not made by the job's owner (pid %d)", d, j.Owner.PID)
			}
		}
		switch {
		case err == nil:
			out = append(out, d)
		case !errors.Is(err, fs.ErrNotExist):
			s.log.Warn("jobstore: not touching a recorded cgroup", "job", j.ID, "cgroup", d, "err", err)
		}
	}
	return out
}

// killProcess kills p's group (or p alone when it has none) if it can show
// the group is the one recorded, and reports whether it sent a signal.
func (s *Store) killProcess(p Process) (bool, error) {
	switch {
	case p.StartTime == 0 || p.PID <= 1:
		return false, nil // unverifiable (always so without /proc): never risk an unrelated process
	case p.BootID != "" && s.bootID != "" && p.BootID != s.bootID:
		return false, nil // the machine rebooted since: all of it is gone
	}
	if p.PGID <= 1 || p.PGID != p.PID || p.PGID == syscall.Getpgrp() {
		// No group of its own (or, defensively, ours): the process alone.
		return s.killOne(p)
	}
	// The kernel keeps a group id allocated (never reused as a pid) while any
	// process is in the group. So if the number is a live pid with another
	// start time, the recorded group is empty and that process is unrelated.
	leader, err := procfs.ReadStat(p.PGID)
	switch {
	case err == nil && leader.StartTime == p.StartTime:
		return signal(-p.PGID) // the leader itself (alive or a zombie) vouches
	case err == nil, errors.Is(err, procfs.ErrUnsupported):
		return false, nil
	case !errors.Is(err, procfs.ErrNoProcess):
		return false, fmt.Errorf("jobstore: %w", err) // procfs names the pid
	}
	// The leader has exited and been reaped; members may remain (orphaned
	// grandchildren). Each must have started no earlier than the leader.
	members, err := procfs.Group(p.PGID)
	if err != nil {
		return false, fmt.Errorf("jobstore: %w", err)
	}
	if len(members) == 0 {
		return false, nil
	}
	for _, m := range members {
		if m.StartTime < p.StartTime {
			s.log.Warn("jobstore: not killing process group: a member predates the job", "pgid", p.PGID)
			return false, nil
		}
	}
	return signal(-p.PGID)
}

// killOne kills p's process alone if it is still the recorded one (the
// same start time), and never this process.
func (s *Store) killOne(p Process) (bool, error) {
	if p.StartTime == 0 || p.PID <= 1 || p.PID == syscall.Getpid() {
		return false, nil
	}
	if p.BootID != "" && s.bootID != "" && p.BootID != s.bootID {
		return false, nil
	}
	if alive, err := procfs.Alive(p.PID, p.StartTime); err != nil || !alive {
		return false, nil
	}
	return signal(p.PID)
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
	alive, err := procfs.Alive(o.PID, o.StartTime) // another start time: the pid was reused
	if errors.Is(err, procfs.ErrUnsupported) {
		// No /proc (non-Linux Unix): start times are unknown, and a
		// signal-0 probe is all there is. EPERM means the pid exists.
		err := syscall.Kill(o.PID, 0)
		return err == nil || errors.Is(err, syscall.EPERM)
	}
	return alive || err != nil
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
	// process still running; its owner is gone, so its cgroups are
	// removed here too, or nobody would.
	var kerr error
	if j.Process != nil {
		var dirs []string
		dirs, kerr = s.killJob(j)
		if err := cgroup.Remove(dirs...); err != nil {
			kerr = errors.Join(kerr, fmt.Errorf("jobstore: job %s: %w", id, err))
		}
	}
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
