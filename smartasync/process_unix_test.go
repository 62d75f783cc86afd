//go:build unix

package smartasync_test

import (
	"context"
	"errors"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/smartasync"
)

// TestCancelWaitsForProcess: work that runs a child process and kills it when
// its context is cancelled (as the executor does, with the group) has reaped
// the child by the time Cancel returns.
func TestCancelWaitsForProcess(t *testing.T) {
	t.Parallel()
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	store := newMemStore()
	r := newRunner(t, store, nil)
	started := make(chan *exec.Cmd, 1)
	sa := smartasync.New(r, "run", func(ctx context.Context, _ *smartasync.Job[struct{}]) (int, error) {
		cmd := exec.CommandContext(ctx, sleep, "1000")
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		cmd.WaitDelay = 5 * time.Second
		if err := cmd.Start(); err != nil {
			return 0, err
		}
		started <- cmd
		err := cmd.Wait()
		return cmd.ProcessState.ExitCode(), err
	})
	out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
	require.NoError(t, err)
	cmd := <-started

	res, err := r.Cancel(t.Context(), out.JobID)
	require.NoError(t, err)
	require.Equal(t, jobstore.StateCancelled, res.Status)
	require.NotNil(t, cmd.ProcessState, "the child was reaped before Cancel returned")
	require.True(t, errors.Is(syscall.Kill(cmd.Process.Pid, 0), syscall.ESRCH), "the child is gone")
}
