//go:build unix

package kernel

import (
	"os"
	"os/exec"
	"syscall"
)

// passProtocol gives the kernel the protocol's pipes as fds 3 (requests)
// and 4 (replies). Unix needs no interrupt pipe: SIGINT is the interrupt.
func passProtocol(cmd *exec.Cmd, reqR, respW *os.File) (intW *os.File, childEnds []*os.File, err error) {
	cmd.ExtraFiles = []*os.File{reqR, respW}
	return nil, nil, nil
}

// interrupt sends SIGINT to the kernel process alone (see Execute).
func (k *Kernel) interrupt() error { return syscall.Kill(k.PID, syscall.SIGINT) }
