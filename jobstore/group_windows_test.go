package jobstore

import (
	"context"
	"fmt"
	"syscall"

	"golang.org/x/sys/windows"
)

// groupAttr starts a helper in a console process group of its own (Windows'
// nearest thing to a process group), or in ours.
func groupAttr(newGroup bool) *syscall.SysProcAttr {
	if newGroup {
		return &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP}
	}
	return nil
}

// platformHelper knows no helper of its own here: the Unix-only tests
// that need one are not built.
func platformHelper(_ context.Context, mode string) error {
	return fmt.Errorf("unknown helper %q", mode)
}
