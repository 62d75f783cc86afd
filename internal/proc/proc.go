package proc

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

// DefaultGrace is the time between SIGTERM and SIGKILL.
const DefaultGrace = 2 * time.Second

// Process is a started child that leads its own process group. It is safe
// for concurrent use: Stop may be called while Wait blocks.
type Process struct {
	Cmd       *exec.Cmd
	PID       int
	StartTime uint64 // /proc/<pid>/stat field 22, to recognise a reused pid
	Started   time.Time

	done  chan struct{} // closed when Wait has reaped the leader
	err   error         // Wait's error, valid after done
	grace time.Duration
}

// Start starts cmd as the leader of a new process group. cmd.SysProcAttr is
// extended, not replaced.
func Start(cmd *exec.Cmd, grace time.Duration) (*Process, error) {
	if grace <= 0 {
		grace = DefaultGrace
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	// No Pdeathsig: Linux ties it to the creating OS thread, not the process,
	// so a background job could die when the Go runtime retires a thread.
	// Children of a dead server are reaped by jobstore's recovery instead.
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Process{Cmd: cmd, PID: cmd.Process.Pid, Started: started, done: make(chan struct{}), grace: grace}
	if st, err := procfs.ReadStat(p.PID); err == nil {
		p.StartTime = st.StartTime // 0, unknown, where there is no /proc
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// Done is closed once the group leader has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the leader's wait error; valid after Done is closed.
func (p *Process) Err() error { <-p.done; return p.err }

// Signal sends sig to the whole process group. A group that is already gone
// is not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	return KillGroup(p.PID, sig)
}

// Stop ends the group: SIGTERM to every member, up to the grace period for the
// leader to exit, then SIGKILL to the group. It returns once the leader has
// been reaped. Members that left the group with setsid are out of reach
// (docs/design.md §3; the isolation options contain them).
func (p *Process) Stop() {
	select {
	case <-p.done:
		_ = p.Signal(syscall.SIGKILL) // leftovers of an exited leader
		return
	default:
	}
	_ = p.Signal(syscall.SIGTERM)
	t := time.NewTimer(p.grace)
	defer t.Stop()
	select {
	case <-p.done:
	case <-t.C:
	}
	_ = p.Signal(syscall.SIGKILL)
	<-p.done
}

// Wait waits for the leader to exit, or for ctx to end, in which case it
// stops the group (see Stop). Either way, once the leader has exited, any
// remaining members of its group are killed: a one-shot run leaves nothing
// behind. It returns the leader's wait error.
func (p *Process) Wait(ctx context.Context) error {
	select {
	case <-p.done:
	case <-ctx.Done():
		p.Stop()
	}
	_ = p.Signal(syscall.SIGKILL)
	return p.err
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

// ExitCode maps a wait error to an exit code: the child's own code, or -N for
// death by signal N. A nil error is 0.
func ExitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -int(ws.Signal())
	}
	return ps.ExitCode()
}
