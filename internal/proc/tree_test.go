package proc_test

import (
	"bufio"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// startTree starts helper mode (see helper) under proc.Start and returns
// it with the pid of the grandchild it printed.
func startTree(t *testing.T, mode string) (*proc.Process, int) {
	t.Helper()
	cmd := helperCmd(mode)
	// An *os.File of our own, not cmd.StdoutPipe: proc.Start waits for the
	// leader at once, and Wait closes a StdoutPipe, which may happen before
	// this test reads it (os/exec: reading it after Wait is wrong).
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	cmd.Stdout = w
	p, err := proc.Start(cmd, 200*time.Millisecond)
	w.Close()
	require.NoError(t, err)
	line, err := bufio.NewReader(r).ReadString('\n')
	require.NoError(t, err, "the helper printed %q", line)
	gc, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err)
	if mode == "tree" {
		// (An orphan's leftovers may already be gone: on Windows the job
		// is ended as soon as its leader is reaped.)
		require.True(t, testenv.Alive(gc), "the grandchild %d runs", gc)
	}
	return p, gc
}

// A child that starts a grandchild: Stop ends both (a process group on
// Unix, a job object on Windows).
func TestStopEndsTheTree(t *testing.T) {
	t.Parallel()
	p, gc := startTree(t, "tree")
	p.Stop()
	testenv.RequireGone(t, gc, p.PID)
	select {
	case <-p.Done():
	default:
		t.Fatal("Done not closed after Stop")
	}
	p.Stop() // idempotent
}

// A timeout (ctx ending) ends the tree.
func TestWaitEndsTheTreeOnContextEnd(t *testing.T) {
	t.Parallel()
	p, gc := startTree(t, "tree")
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	require.Error(t, p.Wait(ctx), "the leader was killed")
	require.NotZero(t, proc.ExitCode(p.Cmd.ProcessState))
	testenv.RequireGone(t, gc, p.PID)
}

// A grandchild left behind by a leader that exited is killed: a run leaves
// nothing behind.
func TestWaitKillsLeftovers(t *testing.T) {
	t.Parallel()
	p, gc := startTree(t, "orphan")
	require.NoError(t, p.Wait(context.Background()))
	require.Equal(t, 0, proc.ExitCode(p.Cmd.ProcessState))
	testenv.RequireGone(t, gc)
}

func TestExistsAndKill(t *testing.T) {
	t.Parallel()
	cmd := helperCmd("sleep")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	require.True(t, proc.Exists(pid))
	require.NoError(t, proc.Kill(pid))
	_ = cmd.Wait()
	require.False(t, proc.Exists(pid), "reaped")
	require.NoError(t, proc.Kill(pid), "a process that is gone is not an error")
	require.Error(t, proc.Kill(0))
}
