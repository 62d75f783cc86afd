//go:build unix

package proc_test

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// These tests use the shell and signals; tree_test.go has the portable
// ones, which run on Windows too.

// shellTree starts sh, which starts a background child (printed) that
// ignores SIGTERM when ignore is set, then waits.
func shellTree(t *testing.T, ignore bool) (*proc.Process, int) {
	t.Helper()
	trap := ""
	if ignore {
		trap = "trap '' TERM; "
	}
	cmd := exec.Command("/bin/sh", "-c", trap+"sleep 300 & echo $!; wait")
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	p, err := proc.Start(cmd, 200*time.Millisecond)
	require.NoError(t, err)
	buf := make([]byte, 32)
	n, err := out.Read(buf)
	require.NoError(t, err)
	child, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	require.NoError(t, err)
	return p, child
}

func TestStopEndsTheGroup(t *testing.T) {
	t.Parallel()
	for _, ignore := range []bool{false, true} {
		p, child := shellTree(t, ignore)
		require.NotZero(t, p.StartTime)
		start := time.Now()
		p.Stop()
		testenv.RequireGone(t, child)
		testenv.RequireGone(t, p.PID)
		// A group that ignores SIGTERM needs the grace period, then SIGKILL.
		require.Less(t, time.Since(start), 10*time.Second)
		select {
		case <-p.Done():
		default:
			t.Fatal("Done not closed after Stop")
		}
		p.Stop() // idempotent
	}
}

func TestWaitKillsLeftoversAfterTheLeaderExits(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("/bin/sh", "-c", "sleep 300 & echo $!")
	// An *os.File of our own, not cmd.StdoutPipe: proc.Start waits for the
	// leader at once, and Wait closes a StdoutPipe, which may happen
	// before this test reads it (os/exec: reading it after Wait is wrong).
	r, w, err := os.Pipe()
	require.NoError(t, err)
	defer r.Close()
	cmd.Stdout = w
	p, err := proc.Start(cmd, time.Second)
	w.Close()
	require.NoError(t, err)
	var line []byte
	buf := make([]byte, 32)
	for !strings.Contains(string(line), "\n") {
		n, err := r.Read(buf)
		require.NoError(t, err, "the shell printed %q", line)
		line = append(line, buf[:n]...)
	}
	child, err := strconv.Atoi(strings.TrimSpace(string(line)))
	require.NoError(t, err)
	_ = p.Wait(context.Background()) // the shell exits at once
	testenv.RequireGone(t, child)
}

func TestWaitStopsOnContextEnd(t *testing.T) {
	t.Parallel()
	p, child := shellTree(t, true)
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := p.Wait(ctx)
	require.Error(t, err)
	require.Equal(t, -int(syscall.SIGKILL), proc.ExitCode(p.Cmd.ProcessState), "the leader ignored TERM: killed")
	testenv.RequireGone(t, child)
}

func TestKillGroupRefusesInit(t *testing.T) {
	t.Parallel()
	for _, pgid := range []int{-1, 0, 1} {
		require.Error(t, proc.KillGroup(pgid, syscall.SIGKILL))
	}
	// A group that does not exist is not an error.
	require.NoError(t, proc.KillGroup(1<<22-1, syscall.SIGTERM))
}

func TestExitCode(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("/bin/sh", "-c", "exit 3")
	require.Error(t, cmd.Run())
	require.Equal(t, 3, proc.ExitCode(cmd.ProcessState))
	cmd = exec.Command("/bin/sh", "-c", "kill -9 $$")
	require.Error(t, cmd.Run())
	require.Equal(t, -9, proc.ExitCode(cmd.ProcessState))
	require.Equal(t, -1, proc.ExitCode(nil))
}
