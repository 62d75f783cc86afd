package jobstore

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"

	"github.com/pyexec-mcp/pyexec/internal/cgroup"
	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

// Host checks and kills, on this machine, the processes that job records
// name: whether a job's owner still runs, and every process of a job (see
// "Killing safely"). Every backend's kill and recovery go through it, so
// there is one implementation of them: the directory Store's, and that of
// a store kept elsewhere (jobstore/pgstore), which asks it only about jobs
// whose owner ran on this machine. Its methods are safe for concurrent use.
type Host struct {
	self   Owner
	bootID string
	log    *slog.Logger
}

// NewHost returns the Host of this process: its owner identity (pid, start
// time, boot id) is read once. log receives warnings about records it will
// not act on; nil discards them.
func NewHost(log *slog.Logger) *Host {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Host{log: log}
	h.bootID, _ = procfs.BootID() // "" (unknown) without /proc
	h.self = Owner{PID: os.Getpid(), BootID: h.bootID}
	if st, err := procfs.ReadStat(h.self.PID); err == nil {
		h.self.StartTime = st.StartTime
	}
	return h
}

// Self returns the owner identity of this process, which a backend records
// on the jobs it creates.
func (h *Host) Self() Owner { return h.self }

// BootID returns this machine's kernel boot id ("" when unknown).
func (h *Host) BootID() string { return h.bootID }

// Complete checks p, a process of this machine about to be recorded, and
// fills in what a later kill needs: its start time when it has none (read
// from /proc now, before the process can have been reaped) and the boot id.
func (h *Host) Complete(p Process) (Process, error) {
	if p.PID <= 0 || p.PGID < 0 {
		return p, fmt.Errorf("jobstore: invalid process pid %d pgid %d", p.PID, p.PGID)
	}
	p.BootID = h.bootID
	p.Cgroups = slices.Clone(p.Cgroups)
	if p.StartTime == 0 {
		if st, err := procfs.ReadStat(p.PID); err == nil {
			p.StartTime = st.StartTime
		}
	}
	return p, nil
}

// ReapJob kills what is left of job j of a dead owner (KillJob) and removes
// its cgroups, which their owner never will.
func (h *Host) ReapJob(j *Job) error {
	dirs, err := h.KillJob(j)
	if rerr := cgroup.Remove(dirs...); rerr != nil {
		err = errors.Join(err, fmt.Errorf("jobstore: job %s: %w", j.ID, rerr))
	}
	return err
}

// KillJob sends SIGKILL to every process of j on this machine that it can
// show is j's — its cgroups, its PID namespace, its process group — as
// described under "Killing safely" in the package documentation, and
// returns the cgroup directories it acted on, for a caller that then
// removes them (ReapJob does). A job without a recorded process, or whose
// process was recorded in an earlier boot, has nothing to kill.
func (h *Host) KillJob(j *Job) ([]string, error) {
	if j.Process == nil {
		return nil, nil
	}
	p := *j.Process
	if p.BootID != "" && h.bootID != "" && p.BootID != h.bootID {
		return nil, nil // the machine rebooted since: all of it is gone, cgroups too
	}
	if p.StartTime == 0 && h.self.StartTime == 0 && h.OwnerAlive(j.Owner) {
		return nil, unverifiable(j)
	}
	var errs []error
	dirs := h.jobCgroups(j)
	if err := cgroup.Kill(dirs...); err != nil {
		errs = append(errs, fmt.Errorf("jobstore: job %s: %w", j.ID, err))
	}
	if p.PIDNamespace {
		// The namespace's init dies with its outside end (PR_SET_PDEATHSIG),
		// and every process in the namespace with the init.
		if _, err := h.killOne(p); err != nil {
			errs = append(errs, err)
		}
	}
	if _, err := h.killProcess(p); err != nil {
		errs = append(errs, err)
	}
	return dirs, errors.Join(errs...)
}

// jobCgroups returns the recorded cgroups of j that may be acted on: pyexec
// run cgroups (cgroup.Validate) named after j's owner. A record is a file on
// disk, so nothing else it names is touched. A cgroup that is gone (the run
// ended and its owner removed it) is skipped quietly.
func (h *Host) jobCgroups(j *Job) []string {
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
			h.log.Warn("jobstore: not touching a recorded cgroup", "job", j.ID, "cgroup", d, "err", err)
		}
	}
	return out
}

// killProcess kills p's group (or p alone when it has none) if it can show
// the group is the one recorded, and reports whether it sent a signal.
func (h *Host) killProcess(p Process) (bool, error) {
	switch {
	case p.StartTime == 0 || p.PID <= 1:
		return false, nil // unverifiable (always so without /proc): never risk an unrelated process
	case p.BootID != "" && h.bootID != "" && p.BootID != h.bootID:
		return false, nil // the machine rebooted since: all of it is gone
	}
	if p.PGID <= 1 || p.PGID != p.PID || p.PGID == ownGroup() {
		// No group of its own (or, defensively, ours): the process alone.
		return h.killOne(p)
	}
	// The kernel keeps a group id allocated (never reused as a pid) while any
	// process is in the group. So if the number is a live pid with another
	// start time, the recorded group is empty and that process is unrelated.
	leader, err := procfs.ReadStat(p.PGID)
	switch {
	case err == nil && leader.StartTime == p.StartTime:
		return signalGroup(p.PGID) // the leader itself (alive or a zombie) vouches
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
			h.log.Warn("jobstore: not killing process group: a member predates the job", "pgid", p.PGID)
			return false, nil
		}
	}
	return signalGroup(p.PGID)
}

// killOne kills p's process alone if it is still the recorded one (the
// same start time), and never this process.
func (h *Host) killOne(p Process) (bool, error) {
	if p.StartTime == 0 || p.PID <= 1 || p.PID == os.Getpid() {
		return false, nil
	}
	if p.BootID != "" && h.bootID != "" && p.BootID != h.bootID {
		return false, nil
	}
	if alive, err := procfs.Alive(p.PID, p.StartTime); err != nil || !alive {
		return false, nil
	}
	if err := proc.Kill(p.PID); err != nil {
		return false, fmt.Errorf("jobstore: %w", err)
	}
	return true, nil
}

func signalGroup(pgid int) (bool, error) {
	if err := proc.KillGroup(pgid, syscall.SIGKILL); err != nil {
		return false, fmt.Errorf("jobstore: kill process group %d: %w", pgid, err)
	}
	return true, nil
}

// OwnerAlive reports whether the server process o, an owner on this
// machine, still runs. When it cannot tell (say /proc is unreadable) it
// answers yes: a live server's job must never be failed behind its back.
// An owner of another boot is dead; a backend whose owners live on other
// machines decides by its own means (a lease) and asks this only of owners
// on this one.
func (h *Host) OwnerAlive(o Owner) bool {
	switch {
	case o.PID <= 0:
		return false
	case o.PID == h.self.PID && o.StartTime == h.self.StartTime && o.BootID == h.self.BootID:
		return true
	case o.BootID != "" && h.bootID != "" && o.BootID != h.bootID:
		return false
	}
	alive, err := procfs.Alive(o.PID, o.StartTime) // another start time: the pid was reused
	if errors.Is(err, procfs.ErrUnsupported) {
		// No /proc (macOS, Windows): start times are unknown, and
		// whether the pid exists is all there is.
		return proc.Exists(o.PID)
	}
	return alive || err != nil
}
