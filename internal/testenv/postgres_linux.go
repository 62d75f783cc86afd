package testenv

import (
	"os/exec"
	"runtime"
	"syscall"
)

// startPostmaster starts the server (cmd) as cred, in a process group of its
// own, and reaps it when it exits.
//
// The server must not outlive the test binary, which may be killed at any
// moment (a test timeout): it gets SIGQUIT, PostgreSQL's immediate
// shutdown, when its parent dies. Linux sends that signal when the parent
// *thread* ends, and the Go runtime ends threads (a goroutine that exits
// while locked to one), so the server is started from a goroutine locked
// to its thread that lives exactly as long as the server: it waits for it,
// and its thread ends after it.
func startPostmaster(cmd *exec.Cmd, cred *syscall.Credential) (*postmaster, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGQUIT, Credential: cred}
	s := &postmaster{exited: make(chan struct{})}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // no Unlock: the thread ends with this goroutine, after the server
		defer close(s.exited)
		if err := cmd.Start(); err != nil {
			started <- err
			return
		}
		s.pid = cmd.Process.Pid
		started <- nil
		s.err = cmd.Wait()
	}()
	if err := <-started; err != nil {
		<-s.exited
		return nil, err
	}
	return s, nil
}
