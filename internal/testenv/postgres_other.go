//go:build unix && !linux

package testenv

import (
	"os/exec"
	"syscall"
)

// startPostmaster starts the server (cmd) as cred, in a process group of its
// own, and reaps it when it exits. Without Linux's parent-death signal, a
// killed test binary leaves it running.
func startPostmaster(cmd *exec.Cmd, cred *syscall.Credential) (*postmaster, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: cred}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &postmaster{pid: cmd.Process.Pid, exited: make(chan struct{})}
	go func() {
		defer close(s.exited)
		s.err = cmd.Wait()
	}()
	return s, nil
}
