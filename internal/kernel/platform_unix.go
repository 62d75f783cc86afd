//go:build unix

package kernel

import "syscall"

// platformSupported is nil: the protocol's fds 3 and 4 are inherited as
// such (exec.Cmd.ExtraFiles).
func platformSupported() error { return nil }

// interrupt sends SIGINT to the kernel process alone (see Execute).
func interrupt(pid int) error { return syscall.Kill(pid, syscall.SIGINT) }
