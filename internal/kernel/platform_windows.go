package kernel

import (
	"errors"
	"fmt"
)

// ErrUnsupportedPlatform is wrapped by Start's error on Windows.
var ErrUnsupportedPlatform = errors.New("kernel: sessions are not available on windows yet")

// platformSupported refuses to start a kernel on Windows, saying why,
// rather than start one that cannot work: the protocol travels over
// inherited fds 3 and 4 (exec.Cmd.ExtraFiles, which os/exec does not
// support on Windows), and a cell is interrupted with SIGINT, which a
// console-less process on Windows cannot receive. The port is inherited
// pipe handles named in an environment variable (opened in kernel.py with
// msvcrt.open_osfhandle) and an interrupt request that a thread of the
// kernel turns into _thread.interrupt_main(); it needs a Windows Python to
// be tested with, which the project's CI does not have (README, Platforms).
func platformSupported() error {
	return fmt.Errorf("%w: the kernel protocol needs inherited descriptors 3 and 4 and SIGINT; use one-shot runs (run_script_in_dir) on windows", ErrUnsupportedPlatform)
}

// interrupt is never reached: no kernel starts on Windows.
func interrupt(pid int) error {
	return fmt.Errorf("kernel: interrupting process %d: %w", pid, ErrUnsupportedPlatform)
}
