//go:build unix

package jobstore

import (
	"context"
	"fmt"
	"syscall"
)

// groupAttr starts a helper in a process group of its own, or in ours.
func groupAttr(newGroup bool) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: newGroup}
}

// platformHelper runs the helpers of Unix-only tests.
func platformHelper(ctx context.Context, mode string) error {
	if mode == "sandboxowner" {
		return helperSandboxOwner(ctx)
	}
	return fmt.Errorf("unknown helper %q", mode)
}
