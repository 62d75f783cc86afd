package proc

import (
	"context"
	"os"
	"os/exec"
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
	tree  tree // the platform's handle on the whole tree (a job object on Windows)
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
	p := &Process{Cmd: cmd, done: make(chan struct{}), grace: grace}
	if err := p.tree.prepare(cmd); err != nil {
		return nil, err
	}
	p.Started = time.Now()
	if err := cmd.Start(); err != nil {
		p.tree.release()
		return nil, err
	}
	p.PID = cmd.Process.Pid
	if err := p.tree.attach(cmd); err != nil {
		// The child never ran a line of its own (see attach): kill it and
		// reap it, so that a failed Start leaves nothing behind.
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		p.tree.release()
		return nil, err
	}
	if st, err := procfs.ReadStat(p.PID); err == nil {
		p.StartTime = st.StartTime // 0, unknown, where there is no /proc
	}
	go func() {
		p.err = cmd.Wait()
		p.tree.reaped()
		close(p.done)
	}()
	return p, nil
}

// Done is closed once the group leader has exited and been reaped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Err is the leader's wait error; valid after Done is closed.
func (p *Process) Err() error { <-p.done; return p.err }

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
