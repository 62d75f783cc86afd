package jobstore

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// TestKillRefusesWithoutProcfs: without /proc a job's recorded pid cannot
// be told from a reused one, so Kill of a live server's job kills nothing
// and says so — the caller must not answer "killed" — rather than return
// nil as if it had.
func TestKillRefusesWithoutProcfs(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "test", "")
	require.NoError(t, err)
	child := sleeperCmd(true)
	require.NoError(t, child.Start())
	t.Cleanup(func() { _ = child.Process.Kill(); _ = child.Wait() })
	require.NoError(t, s.SetProcess(ctx, id, Process{PID: child.Process.Pid, PGID: child.Process.Pid}))

	err = s.Kill(ctx, id)
	require.True(t, errors.Is(err, errors.ErrUnsupported), "%v", err)
	require.ErrorContains(t, err, "cancel it from that server")
	require.True(t, testenv.Alive(child.Process.Pid), "nothing was killed")
}
