//go:build unix

package proc

import (
	"errors"
	"os/exec"
	"strconv"
	"syscall"
)

// tree is empty on Unix: the tree is the child's process group, named by
// its pid.
type tree struct{}

// prepare makes the child the leader of a new process group. No Pdeathsig:
// Linux ties it to the creating OS thread, not the process, so a background
// job could die when the Go runtime retires a thread. Children of a dead
// server are reaped by jobstore's recovery instead.
func (*tree) prepare(cmd *exec.Cmd) error {
	cmd.SysProcAttr.Setpgid = true
	return nil
}

func (*tree) attach(*exec.Cmd) error { return nil }
func (*tree) reaped()                {}
func (*tree) release()               {}

// Signal sends sig to the whole process group. A group that is already gone
// is not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	return KillGroup(p.PID, sig)
}

// KillGroup sends sig to process group pgid; ESRCH (no such group) is nil.
func KillGroup(pgid int, sig syscall.Signal) error {
	if pgid <= 1 {
		return errors.New("proc: refusing to signal process group " + strconv.Itoa(pgid))
	}
	err := syscall.Kill(-pgid, sig)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// Kill sends SIGKILL to process pid alone; a process that is gone is not an
// error.
func Kill(pid int) error {
	if pid <= 1 {
		return errors.New("proc: refusing to kill process " + strconv.Itoa(pid))
	}
	err := syscall.Kill(pid, syscall.SIGKILL)
	if errors.Is(err, syscall.ESRCH) {
		return nil
	}
	return err
}

// Exists reports whether a process pid exists (a zombie too), by the
// signal-0 probe: EPERM means it exists but is not ours to signal. It
// cannot tell a reused pid from the original; procfs.Alive can, where there
// is a /proc.
func Exists(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
