package storetest

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// killRecordedProcess records a real child, in a process group of its own,
// as job id's process on b, and requires p.Kill to kill it with SIGKILL:
// with /proc, a backend tells the job's process from any other by its
// start time.
func killRecordedProcess(t *testing.T, b, p jobstore.Backend, id string) {
	ctx := t.Context()
	cmd := exec.Command("sleep", "30")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	var waitErr error
	exited := make(chan struct{}) // closed once the child is reaped
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
		}
	})
	require.NoError(t, b.SetProcess(ctx, id, jobstore.Process{PID: pid, PGID: pid}))

	select {
	case <-exited:
		t.Fatalf("the child exited before Kill: %v", waitErr)
	case <-time.After(50 * time.Millisecond):
	}
	require.NoError(t, p.Kill(ctx, id), "another handle kills it")
	select {
	case <-exited:
		var ee *exec.ExitError
		require.ErrorAs(t, waitErr, &ee)
		ws, ok := ee.Sys().(syscall.WaitStatus)
		require.True(t, ok)
		require.True(t, ws.Signaled() && ws.Signal() == syscall.SIGKILL, "killed by SIGKILL: %v", ws)
	case <-time.After(10 * time.Second):
		t.Fatal("the job's process survived Kill")
	}
	require.Equal(t, jobstore.StateRunning, get(t, b, id).State, "Kill does not change the state")
	require.NoError(t, b.Kill(ctx, id), "killing a job with nothing left is not an error")
	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateCancelled, nil, "killed"))
	require.NoError(t, p.Kill(ctx, id), "nor after it finished")
}
