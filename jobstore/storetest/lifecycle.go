package storetest

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// DiscardJob removes a job and its logs, whatever its state.
func (s *suite) testDiscardJob(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	p := s.peer(t, b)
	keep := create(t, b, "k", "keep")
	require.NoError(t, b.AppendLog(ctx, keep, jobstore.Stdout, []byte("kept\n")))

	running := create(t, b, "k", "running")
	require.NoError(t, b.SetRunning(ctx, running))
	require.NoError(t, b.SetProgress(ctx, running, 1, 2, "half"))
	require.NoError(t, b.AppendLog(ctx, running, jobstore.Stdout, []byte("out\n")))
	require.NoError(t, b.AppendLog(ctx, running, jobstore.Stderr, []byte("err\n")))
	done := finished(t, b, "k", jobstore.StateCompleted)
	pending := create(t, b, "k", "pending")

	for _, id := range []string{running, done, pending} {
		require.NoError(t, b.DiscardJob(ctx, id))
		for _, h := range []jobstore.Backend{b, p} {
			_, err := h.Get(ctx, id)
			require.ErrorIs(t, err, jobstore.ErrNotFound)
			_, _, _, err = h.ReadLog(ctx, id, jobstore.Stdout, 0, 0)
			require.ErrorIs(t, err, jobstore.ErrNotFound, "the logs go with the record")
			_, err = h.LogSize(ctx, id, jobstore.Stderr)
			require.ErrorIs(t, err, jobstore.ErrNotFound)
		}
		require.ErrorIs(t, p.DiscardJob(ctx, id), jobstore.ErrNotFound, "a second discard")
		require.ErrorIs(t, b.AppendLog(ctx, id, jobstore.Stdout, []byte("late\n")), jobstore.ErrNotFound,
			"no log outlives its record")
	}
	for _, h := range []jobstore.Backend{b, p} {
		jobs, total, err := h.List(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, 1, total)
		require.Equal(t, []string{keep}, jobIDs(jobs))
		got, _ := readAll(t, h, keep, jobstore.Stdout, 0)
		require.Equal(t, "kept\n", string(got), "other jobs' logs stay")
	}
}

// pruneFixture makes one job in each state and returns their ids.
func pruneFixture(t *testing.T, b jobstore.Backend) map[jobstore.State]string {
	t.Helper()
	ids := map[jobstore.State]string{}
	ids[jobstore.StatePending] = create(t, b, "k", "pending")
	ids[jobstore.StateRunning] = create(t, b, "k", "running")
	require.NoError(t, b.SetRunning(t.Context(), ids[jobstore.StateRunning]))
	for _, st := range []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled} {
		ids[st] = finished(t, b, "k", st)
		require.NoError(t, b.AppendLog(t.Context(), ids[st], jobstore.Stdout, []byte("log\n")))
	}
	return ids
}

// exists reports whether job id exists.
func exists(t *testing.T, b jobstore.Backend, id string) bool {
	t.Helper()
	_, err := b.Get(t.Context(), id)
	if err != nil {
		require.ErrorIs(t, err, jobstore.ErrNotFound)
		return false
	}
	return true
}

// Prune removes the finished jobs its options select, never a live one,
// and counts what it removed and what remains.
func (s *suite) testPrune(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	p := s.peer(t, b)
	ids := pruneFixture(t, b)

	prune := func(h jobstore.Backend, opts *jobstore.PruneOptions, removed, remaining int) {
		t.Helper()
		r, n, err := h.Prune(ctx, opts)
		require.NoError(t, err)
		require.Equal(t, removed, r, "Prune(%+v) removed", opts)
		require.Equal(t, remaining, n, "Prune(%+v) remaining (jobs of every state)", opts)
	}
	prune(b, &jobstore.PruneOptions{KeepCompleted: true, KeepFailed: true, KeepCancelled: true}, 0, 5)
	prune(b, &jobstore.PruneOptions{MaxAge: time.Hour}, 0, 5) // all finished just now

	prune(p, &jobstore.PruneOptions{KeepCompleted: true, KeepCancelled: true}, 1, 4)
	require.False(t, exists(t, b, ids[jobstore.StateFailed]), "the failed job is pruned")
	_, _, _, err := b.ReadLog(ctx, ids[jobstore.StateFailed], jobstore.Stdout, 0, 0)
	require.ErrorIs(t, err, jobstore.ErrNotFound, "with its logs")
	require.True(t, exists(t, b, ids[jobstore.StateCompleted]))
	require.True(t, exists(t, b, ids[jobstore.StateCancelled]))

	prune(b, &jobstore.PruneOptions{KeepCompleted: true}, 1, 3)
	require.False(t, exists(t, p, ids[jobstore.StateCancelled]))
	require.True(t, exists(t, p, ids[jobstore.StateCompleted]))

	prune(b, nil, 1, 2) // every finished job
	require.False(t, exists(t, p, ids[jobstore.StateCompleted]))
	prune(p, &jobstore.PruneOptions{}, 0, 2)

	for _, st := range []jobstore.State{jobstore.StatePending, jobstore.StateRunning} {
		j := get(t, p, ids[st])
		require.Equal(t, st, j.State, "Prune never removes a live job")
	}
	jobs, total, err := b.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 2, total)
	require.Equal(t, []string{ids[jobstore.StateRunning], ids[jobstore.StatePending]}, jobIDs(jobs))
}

// Prune's MaxAge keeps the jobs that finished less than MaxAge ago; live
// jobs are kept however old.
func (s *suite) testPruneMaxAge(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	ids := pruneFixture(t, b)
	old := map[jobstore.State]string{}
	backdate := func(id string, by time.Duration) {
		t.Helper()
		_, err := b.Update(ctx, id, func(j *jobstore.Job) error {
			j.CompletedAt = time.Now().UTC().Add(-by) // on a live job too: still never pruned
			return nil
		})
		require.NoError(t, err)
	}
	for _, st := range []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled} {
		old[st] = finished(t, b, "old", st)
		backdate(old[st], 3*time.Hour)
	}
	// Live jobs with old times, as if left by a long-running server.
	oldPending := create(t, b, "old", "")
	backdate(oldPending, 3*time.Hour)
	oldRunning := create(t, b, "old", "")
	require.NoError(t, b.SetRunning(ctx, oldRunning))
	backdate(oldRunning, 3*time.Hour)

	r, n, err := b.Prune(ctx, &jobstore.PruneOptions{MaxAge: time.Hour, KeepFailed: true})
	require.NoError(t, err)
	require.Equal(t, 2, r, "the old completed and cancelled jobs")
	require.Equal(t, 8, n)
	require.False(t, exists(t, b, old[jobstore.StateCompleted]))
	require.False(t, exists(t, b, old[jobstore.StateCancelled]))
	require.True(t, exists(t, b, old[jobstore.StateFailed]), "kept by state")
	for _, id := range ids {
		require.True(t, exists(t, b, id), "recent jobs are kept")
	}

	r, n, err = b.Prune(ctx, &jobstore.PruneOptions{MaxAge: 4 * time.Hour})
	require.NoError(t, err)
	require.Zero(t, r, "nothing finished four hours ago")
	require.Equal(t, 8, n)

	r, n, err = b.Prune(ctx, &jobstore.PruneOptions{MaxAge: time.Hour})
	require.NoError(t, err)
	require.Equal(t, 1, r)
	require.Equal(t, 7, n)
	require.False(t, exists(t, b, old[jobstore.StateFailed]))
	require.True(t, exists(t, b, oldPending), "an old live job is never pruned")
	require.True(t, exists(t, b, oldRunning), "an old live job is never pruned")
}

// With MaxJobs 3, creating 40 finished jobs leaves at most MaxJobs +
// RetentionSlack of them, the newest, and never removes a live job. (When
// retention runs differs: on every create in the directory store, every
// 32 creates and every heartbeat in pgstore.)
func (s *suite) testRetention(t *testing.T) {
	ctx := t.Context()
	const maxJobs = 3
	b := s.open(t, Options{MaxJobs: maxJobs})
	livePending := create(t, b, "live", "")
	liveRunning := create(t, b, "live", "")
	require.NoError(t, b.SetRunning(ctx, liveRunning))

	var done []string
	for i := range 40 {
		st := []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled}[i%3]
		id := create(t, b, "done", "")
		require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, []byte("out\n")))
		require.NoError(t, b.FinishJob(ctx, id, st, json.RawMessage(`{}`), ""))
		done = append(done, id)
		require.True(t, exists(t, b, livePending), "a live job is never removed")
		require.True(t, exists(t, b, liveRunning), "a live job is never removed")
	}

	jobs, total, err := b.List(ctx, &jobstore.ListOptions{States: []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled}})
	require.NoError(t, err)
	require.LessOrEqual(t, total, maxJobs+RetentionSlack, "finished jobs beyond MaxJobs are removed")
	require.GreaterOrEqual(t, total, maxJobs, "MaxJobs finished jobs are kept")
	// The ones kept are the newest.
	kept := jobIDs(jobs)
	for i, id := range kept {
		require.Equal(t, done[len(done)-1-i], id, "retention removes the oldest finished jobs first")
	}
	for _, id := range done[:len(done)-len(kept)] {
		_, _, _, err := b.ReadLog(ctx, id, jobstore.Stdout, 0, 0)
		require.ErrorIs(t, err, jobstore.ErrNotFound, "a removed job's logs go too")
	}
	all, total, err := b.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, len(kept)+2, total)
	require.Equal(t, []string{liveRunning, livePending}, jobIDs(all)[len(all)-2:], "the live jobs stay")
	require.Equal(t, jobstore.StatePending, get(t, b, livePending).State)
	require.Equal(t, jobstore.StateRunning, get(t, b, liveRunning).State)

	// A negative MaxJobs keeps everything.
	u := s.open(t, Options{MaxJobs: -1})
	for range 2*RetentionSlack + 2 {
		finished(t, u, "done", jobstore.StateCompleted)
	}
	_, total, err = u.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 2*RetentionSlack+2, total, "no cap: nothing is removed")
}

// Kill needs a recorded process; it kills the job's process group, from
// any handle, and leaves the state to the caller.
func (s *suite) testKill(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	p := s.peer(t, b)
	id := create(t, b, "k", "")
	err := b.Kill(ctx, id)
	require.ErrorIs(t, err, jobstore.ErrNoProcess, "a pending job has no process")
	require.Contains(t, err.Error(), id)
	require.NoError(t, b.SetRunning(ctx, id))
	require.ErrorIs(t, p.Kill(ctx, id), jobstore.ErrNoProcess, "nor a running one before SetProcess")

	killRecordedProcess(t, b, p, id)
}

// Recover leaves the jobs of live owners alone.
func (s *suite) testRecover(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	pending := create(t, b, "k", "")
	running := create(t, b, "k", "")
	require.NoError(t, b.SetRunning(ctx, running))
	p := s.peer(t, b) // opening runs Recover too
	before := []*jobstore.Job{get(t, b, pending), get(t, b, running)}
	for _, h := range []jobstore.Backend{b, p} {
		n, err := h.Recover(ctx)
		require.NoError(t, err)
		require.Zero(t, n, "nothing to recover: the owner is alive")
	}
	require.Equal(t, before, []*jobstore.Job{get(t, p, pending), get(t, p, running)})
}

// After Close every method returns ErrClosed; Close is idempotent and
// leaves other handles working.
func (s *suite) testClose(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	p := s.peer(t, b)
	id := finished(t, b, "k", jobstore.StateCompleted)
	require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, []byte("x")))
	require.NoError(t, b.Close())
	require.NoError(t, b.Close(), "Close twice is fine")

	for name, call := range idCalls(b) {
		require.ErrorIs(t, call(ctx, id), jobstore.ErrClosed, name)
	}
	_, err := b.CreateJob(ctx, "k", "")
	require.ErrorIs(t, err, jobstore.ErrClosed, "CreateJob")
	_, _, err = b.List(ctx, nil)
	require.ErrorIs(t, err, jobstore.ErrClosed, "List")
	_, _, err = b.Prune(ctx, nil)
	require.ErrorIs(t, err, jobstore.ErrClosed, "Prune")
	_, err = b.Recover(ctx)
	require.ErrorIs(t, err, jobstore.ErrClosed, "Recover")

	// The store itself is untouched: another handle still has the job.
	j := get(t, p, id)
	require.Equal(t, jobstore.StateCompleted, j.State)
	got, _ := readAll(t, p, id, jobstore.Stdout, 0)
	require.Equal(t, "x", string(got))
	_, err = p.CreateJob(ctx, "k", "")
	require.NoError(t, err)
}
