package proc_test

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// A server that dies takes its children with it: the job object is killed
// when its last handle closes (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE), and the
// dead server held the only one.
func TestKilledServerTakesItsTree(t *testing.T) {
	t.Parallel()
	// The "server" is a child of this test that starts a tree with
	// proc.Start, so the job handle is the server's, as in production.
	server := helperCmd("server")
	out, err := server.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, server.Start())
	var child, gc int
	_, err = fmt.Fscan(out, &child, &gc)
	require.NoError(t, err)
	require.True(t, testenv.Alive(child))
	require.True(t, testenv.Alive(gc))
	require.NoError(t, server.Process.Kill()) // TerminateProcess: no cleanup runs
	_ = server.Wait()
	testenv.RequireGone(t, child, gc)
}

func TestSignalsOtherThanKill(t *testing.T) {
	t.Parallel()
	p, gc := startTree(t, "tree")
	err := p.Signal(syscall.SIGINT)
	require.ErrorIs(t, err, proc.ErrNoSignals)
	require.True(t, testenv.Alive(gc), "SIGINT did nothing")
	require.ErrorIs(t, proc.KillGroup(p.PID, syscall.SIGKILL), proc.ErrNoSignals)
	p.Stop()
	testenv.RequireGone(t, gc, p.PID)
	require.Equal(t, proc.KilledExitCode, proc.ExitCode(p.Cmd.ProcessState))
	var ee *exec.ExitError
	require.True(t, errors.As(p.Err(), &ee))
}
