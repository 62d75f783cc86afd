//go:build unix

package jobstore

// Recovery of a dead owner's job, across processes: the job's process
// group is checked and killed, which is Unix's (on Windows the owner's
// job object dies with it: internal/proc).

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// startOwner runs the "owner" helper: a server process with a running job
// whose process is a sleeper in its own group. It returns the helper, the
// job id and the group id.
func startOwner(t *testing.T, dir string) (helper *os.Process, id string, pgid int) {
	t.Helper()
	cmd := helperCmd(t, "owner", dir)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "helper did not report its job")
	fields := strings.Fields(line)
	require.Len(t, fields, 2)
	pgid, err = strconv.Atoi(fields[1])
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd.Process, fields[0], pgid
}

// TestRecoverAfterOwnerKilled: a server process owning a running job is
// killed with SIGKILL; opening the store fails its job and kills the job's
// leftover process group, while the jobs of live servers (another helper,
// and this process) are untouched.
func TestRecoverAfterOwnerKilled(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	mine := openT(t, dir, nil)
	myJob, err := mine.CreateJob(ctx, "k", "mine")
	require.NoError(t, err)
	require.NoError(t, mine.SetRunning(ctx, myJob))
	myPending, err := mine.CreateJob(ctx, "k", "mine, pending")
	require.NoError(t, err)

	victim, deadJob, deadGroup := startOwner(t, dir)
	_, liveJob, liveGroup := startOwner(t, dir)

	j, err := mine.Get(ctx, deadJob)
	require.NoError(t, err)
	require.Equal(t, StateRunning, j.State)
	require.Equal(t, victim.Pid, j.Owner.PID)
	require.True(t, groupAlive(t, deadGroup))

	require.NoError(t, victim.Signal(syscall.SIGKILL))
	_, _ = victim.Wait() // reap it, so its pid is really free
	require.True(t, groupAlive(t, deadGroup), "the job's group outlives its server")

	s := openT(t, dir, nil) // a server (re)starting
	j, err = s.Get(ctx, deadJob)
	require.NoError(t, err)
	require.Equal(t, StateFailed, j.State)
	require.Equal(t, OwnerDiedMessage, j.Error)
	require.False(t, j.CompletedAt.IsZero())
	testenv.PollUntil(t, "the dead server's job group to die", func() bool { return !groupAlive(t, deadGroup) })

	for _, id := range []string{liveJob, myJob} {
		j, err := s.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, StateRunning, j.State, "a live server's job is untouched")
	}
	j, err = s.Get(ctx, myPending)
	require.NoError(t, err)
	require.Equal(t, StatePending, j.State)
	require.True(t, groupAlive(t, liveGroup), "a live server's job keeps its process")

	n, err := s.Recover(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "recovery is idempotent")
}

// TestReadOnlyDoesNotRecover: a read-only open of a store whose running job
// belongs to a dead server neither fails the job nor kills its process
// group, and writes nothing; a writing open then does both.
func TestReadOnlyDoesNotRecover(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	victim, id, pgid := startOwner(t, dir)
	require.NoError(t, victim.Signal(syscall.SIGKILL))
	_, _ = victim.Wait() // reaped: its owner is dead
	before := tree(t, dir)

	ro := openT(t, dir, &Options{ReadOnly: true})
	jobs, _, err := ro.List(ctx, &ListOptions{States: []State{StateRunning}})
	require.NoError(t, err)
	require.Len(t, jobs, 1)
	require.Equal(t, id, jobs[0].ID)
	n, err := ro.Recover(ctx)
	require.ErrorIs(t, err, ErrReadOnly)
	require.Zero(t, n)
	require.ErrorIs(t, ro.Kill(ctx, id), ErrReadOnly)
	require.True(t, groupAlive(t, pgid), "a read-only open kills nothing")
	j, err := ro.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StateRunning, j.State, "a read-only open fails no job")
	require.Equal(t, before, tree(t, dir), "a read-only Store writes nothing")

	w := openT(t, dir, nil) // a writing server recovers it
	testenv.PollUntil(t, "the dead server's job group to die", func() bool { return !groupAlive(t, pgid) })
	j, err = ro.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StateFailed, j.State)
	jobs, _, err = ro.List(ctx, &ListOptions{States: []State{StateFailed}})
	require.NoError(t, err)
	require.Len(t, jobs, 1, "the read-only Store sees the recovery")
	require.NoError(t, w.Close())
}

// groupAlive reports whether process group pgid has a live member.
func groupAlive(t *testing.T, pgid int) bool {
	t.Helper()
	m, err := procfs.Group(pgid)
	require.NoError(t, err)
	return len(m) > 0
}
