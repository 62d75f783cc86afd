package kernel

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/windows"
)

// handlesEnv names, in the kernel's environment, the handles of its
// requests, replies and interrupts pipes on Windows; kernel.py removes it
// before user code runs.
const handlesEnv = "PYEXEC_KERNEL_HANDLES"

// passProtocol gives the kernel the protocol's pipes on Windows, where
// os/exec has no ExtraFiles: as inherited handles (AdditionalInheritedHandles
// keeps their values in the child) whose numbers travel in handlesEnv, and
// which kernel.py opens with msvcrt.open_osfhandle. The alternative, the
// protocol on the kernel's stdin and stdout with the user's output captured
// another way, would have to redirect C-level writes to fd 1 (printf of an
// extension) away from the protocol — what the separate pipes get for free,
// as on Unix, so the kernel's capture of output stays one design.
//
// A third pipe carries interrupts: a console-less process cannot be sent
// Ctrl+C, so a thread of the kernel reads it and calls
// _thread.interrupt_main(), which raises KeyboardInterrupt in the cell as
// SIGINT does on Unix. intW is its write end; childEnds are the kernel's
// ends that are not the caller's to close otherwise.
func passProtocol(cmd *exec.Cmd, reqR, respW *os.File) (intW *os.File, childEnds []*os.File, err error) {
	intR, intW, err := os.Pipe()
	if err != nil {
		return nil, nil, fmt.Errorf("interrupt pipe: %w", err)
	}
	files := []*os.File{reqR, respW, intR}
	handles := make([]syscall.Handle, len(files))
	for i, f := range files {
		h := windows.Handle(f.Fd())
		// Inheritable, yet inherited by this child only: os/exec passes
		// an explicit handle list (PROC_THREAD_ATTRIBUTE_HANDLE_LIST).
		if err := windows.SetHandleInformation(h, windows.HANDLE_FLAG_INHERIT, windows.HANDLE_FLAG_INHERIT); err != nil {
			_ = intR.Close()
			_ = intW.Close()
			return nil, nil, fmt.Errorf("making the kernel's pipes inheritable: %w", err)
		}
		handles[i] = syscall.Handle(h)
	}
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.AdditionalInheritedHandles = append(cmd.SysProcAttr.AdditionalInheritedHandles, handles...)
	cmd.Env = append(cmd.Env, fmt.Sprintf("%s=%d,%d,%d", handlesEnv, handles[0], handles[1], handles[2]))
	return intW, []*os.File{intR}, nil
}

// interrupt asks the kernel's interrupt thread to interrupt the cell.
func (k *Kernel) interrupt() error {
	_, err := k.intW.Write([]byte{1})
	return err
}
