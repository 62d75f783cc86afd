package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
	"github.com/pyexec-mcp/pyexec/jobstore"
)

// CreateJob makes a pending job of this process with the kind and label
// given; Get returns it.
func (s *suite) testCreateAndGet(t *testing.T) {
	b := s.fresh(t)
	before := time.Now()
	id := create(t, b, "run_script_in_dir", "nightly report")
	after := time.Now()
	j := get(t, b, id)
	require.Equal(t, "run_script_in_dir", j.Kind)
	require.Equal(t, "nightly report", j.Label)
	require.Equal(t, jobstore.StatePending, j.State)
	within(t, j.CreatedAt, before, after, "created_at")
	require.True(t, j.StartedAt.IsZero(), "not started")
	require.True(t, j.CompletedAt.IsZero(), "not completed")
	require.Equal(t, jobstore.Progress{}, j.Progress)
	require.Empty(t, j.Result)
	require.Empty(t, j.Error)
	require.Nil(t, j.ExitCode)
	require.Nil(t, j.Process)
	require.Equal(t, os.Getpid(), j.Owner.PID, "the creating process owns the job")
	if runtime.GOOS == "linux" {
		require.NotZero(t, j.Owner.StartTime, "the owner's start time is recorded (from /proc)")
	}
	require.NotZero(t, j.Version)

	// A returned *Job is the caller's copy.
	j.Label = "scribbled"
	require.Equal(t, "nightly report", get(t, b, id).Label)
	require.Equal(t, get(t, b, id), get(t, b, id), "Get is repeatable")

	// Empty kind and label are allowed.
	id2 := create(t, b, "", "")
	j2 := get(t, b, id2)
	require.Empty(t, j2.Kind)
	require.Empty(t, j2.Label)
	require.NotEqual(t, id, id2)
}

// Ids have ValidID's form and sort by creation: strictly within one
// handle, and across handles for jobs created a few milliseconds apart
// (ids are time first; within one millisecond two processes' ids need not
// be ordered).
func (s *suite) testIDsSortByCreation(t *testing.T) {
	b := s.fresh(t)
	var ids []string
	for range 50 {
		ids = append(ids, create(t, b, "k", ""))
	}
	require.True(t, slices.IsSorted(ids), "ids of one handle increase: %v", ids)
	require.Len(t, slices.Compact(slices.Clone(ids)), len(ids), "ids are unique")

	p := s.peer(t, b)
	last := ids[len(ids)-1]
	for i := range 6 {
		time.Sleep(3 * time.Millisecond) // the next millisecond, at least
		h := b
		if i%2 == 1 {
			h = p
		}
		id := create(t, h, "k", "")
		require.Greater(t, id, last, "a newer job has a greater id, whichever handle made it")
		last = id
	}
}

// Every method that takes an id refuses one CreateJob cannot have made.
func (s *suite) testInvalidID(t *testing.T) {
	b := s.fresh(t)
	ids := []string{"", "abc", "../../etc/passwd", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0",
		"0123456789abcdeg", "../0123456789abc", "0123456789abc/..", " 0123456789abcde", "0123456789abcdef\n"}
	for name, call := range idCalls(b) {
		for _, id := range ids {
			err := call(t.Context(), id)
			require.ErrorIs(t, err, jobstore.ErrInvalidID, "%s(%q)", name, id)
		}
	}
	jobs, _, err := b.List(t.Context(), nil)
	require.NoError(t, err)
	require.Empty(t, jobs, "nothing was created by a refused call")
}

// Every method that takes an id answers ErrNotFound for a valid id of no
// job: one never made, and one discarded.
func (s *suite) testNotFound(t *testing.T) {
	b := s.fresh(t)
	gone := create(t, b, "k", "")
	require.NoError(t, b.DiscardJob(t.Context(), gone))
	for _, id := range []string{jobstore.NewID(), "0123456789abcdef", gone} {
		for name, call := range idCalls(b) {
			err := call(t.Context(), id)
			require.ErrorIs(t, err, jobstore.ErrNotFound, "%s(%q)", name, id)
			require.Contains(t, err.Error(), id, "%s: the error names the job", name)
		}
	}
	called := false
	_, err := b.Update(t.Context(), gone, func(*jobstore.Job) error { called = true; return nil })
	require.ErrorIs(t, err, jobstore.ErrNotFound)
	require.False(t, called, "Update calls fn only for an existing job")
	_, err = b.Get(t.Context(), gone)
	require.ErrorIs(t, err, jobstore.ErrNotFound, "no call above made the job again")
}

// SetRunning moves a pending job to running once, and refuses a finished
// one.
func (s *suite) testSetRunning(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	id := create(t, b, "k", "")
	before := time.Now()
	require.NoError(t, b.SetRunning(ctx, id))
	after := time.Now()
	j := get(t, b, id)
	require.Equal(t, jobstore.StateRunning, j.State)
	within(t, j.StartedAt, before, after, "started_at")
	require.True(t, j.CompletedAt.IsZero())

	require.NoError(t, b.SetRunning(ctx, id), "SetRunning of a running job is a no-op")
	require.Equal(t, j, get(t, b, id), "and changes nothing, started_at included")

	for _, st := range []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled} {
		id := create(t, b, "k", "")
		require.NoError(t, b.FinishJob(ctx, id, st, nil, ""))
		j := get(t, b, id)
		err := b.SetRunning(ctx, id)
		require.ErrorIs(t, err, jobstore.ErrFinished, "SetRunning of a %s job", st)
		require.Contains(t, err.Error(), id)
		require.Equal(t, j, get(t, b, id), "a refused SetRunning changes nothing")
	}
}

// FinishJob takes final states only; the first finisher wins; the result's
// bytes come back as given.
func (s *suite) testFinishJob(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	id := create(t, b, "k", "")
	require.NoError(t, b.SetRunning(ctx, id))
	for _, st := range []jobstore.State{jobstore.StatePending, jobstore.StateRunning, "bogus", "", "Completed"} {
		err := b.FinishJob(ctx, id, st, nil, "")
		require.ErrorIs(t, err, jobstore.ErrInvalidState, "FinishJob to %q", st)
	}
	require.Equal(t, jobstore.StateRunning, get(t, b, id).State, "a refused FinishJob changes nothing")

	result := json.RawMessage(`{"rows":42,"names":["a","b c"],"nested":{"x":null,"y":1.5,"z":"\u00e9t\u00e9"}}`)
	before := time.Now()
	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateCompleted, result, ""))
	after := time.Now()
	j := get(t, b, id)
	require.Equal(t, jobstore.StateCompleted, j.State)
	require.Equal(t, string(result), string(j.Result), "the result's bytes round-trip exactly")
	require.Empty(t, j.Error)
	within(t, j.CompletedAt, before, after, "completed_at")
	require.False(t, j.StartedAt.IsZero(), "started_at stays")

	for _, st := range []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled} {
		err := b.FinishJob(ctx, id, st, json.RawMessage(`{"late":true}`), "late")
		require.ErrorIs(t, err, jobstore.ErrFinished, "a second FinishJob (%s)", st)
		require.Contains(t, err.Error(), id)
	}
	require.Equal(t, j, get(t, b, id), "the first finisher's record is unchanged")

	// Every final state, from pending too; an error message and no result.
	for _, st := range []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled} {
		id := create(t, b, "k", "")
		require.NoError(t, b.FinishJob(ctx, id, st, nil, "why: "+string(st)))
		j := get(t, b, id)
		require.Equal(t, st, j.State)
		require.Equal(t, "why: "+string(st), j.Error)
		require.Empty(t, j.Result)
		require.False(t, j.CompletedAt.IsZero())
	}
}

// Of finishers racing on two handles exactly one wins; the others get
// ErrFinished and the record is the winner's. Half the rounds race
// finishers of one state (two cancels, say), which only the result and
// error tell apart.
func (s *suite) testFinishJobRace(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	handles := []jobstore.Backend{b, s.peer(t, b)}
	states := []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled}
	for round := range 10 {
		state := func(i int) jobstore.State {
			if round%2 == 1 {
				return jobstore.StateCancelled
			}
			return states[i%3]
		}
		id := create(t, b, "k", "")
		require.NoError(t, b.SetRunning(ctx, id))
		const finishers = 8
		var (
			wg    sync.WaitGroup
			start = make(chan struct{})
			errs  [finishers]error
		)
		for i := range finishers {
			wg.Go(func() {
				res := json.RawMessage(fmt.Sprintf(`{"finisher":%d}`, i))
				<-start
				errs[i] = handles[i%2].FinishJob(ctx, id, state(i), res, fmt.Sprint("finisher ", i))
			})
		}
		close(start)
		wg.Wait()
		var winners []int
		for i, err := range errs {
			if err == nil {
				winners = append(winners, i)
			} else {
				require.ErrorIs(t, err, jobstore.ErrFinished, "round %d, finisher %d", round, i)
			}
		}
		require.Len(t, winners, 1, "round %d: exactly one finisher wins", round)
		w := winners[0]
		for _, h := range handles {
			j := get(t, h, id)
			require.Equal(t, state(w), j.State)
			require.Equal(t, fmt.Sprintf(`{"finisher":%d}`, w), string(j.Result))
			require.Equal(t, fmt.Sprint("finisher ", w), j.Error)
		}
	}
}

// A result must be JSON (or empty): a record whose result is not could not
// be encoded for a client again.
func (s *suite) testFinishJobInvalidJSON(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	id := create(t, b, "k", "")
	for _, res := range []string{`{"rows":`, `not json`, `{"a":1}{"b":2}`, "\xff"} {
		err := b.FinishJob(ctx, id, jobstore.StateCompleted, json.RawMessage(res), "")
		require.Error(t, err, "result %q", res)
		require.NotErrorIs(t, err, jobstore.ErrFinished)
		require.Equal(t, jobstore.StatePending, get(t, b, id).State, "a refused result finishes nothing")
	}
	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateCompleted, json.RawMessage(`[1,2]`), ""))
	j := get(t, b, id)
	require.Equal(t, `[1,2]`, string(j.Result))
	_, err := json.Marshal(j)
	require.NoError(t, err, "a record encodes as JSON")
}

// SetProgress keeps the latest progress, of a pending or running job, and
// refuses a finished one.
func (s *suite) testSetProgress(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	p := s.peer(t, b)
	id := create(t, b, "k", "")
	require.NoError(t, b.SetProgress(ctx, id, 0, 0, "queued"), "a pending job takes progress")
	require.Equal(t, jobstore.Progress{Message: "queued"}, get(t, b, id).Progress)
	require.NoError(t, b.SetRunning(ctx, id))
	for i := 1; i <= 20; i++ {
		h := b
		if i%2 == 0 {
			h = p
		}
		require.NoError(t, h.SetProgress(ctx, id, float64(i), 20, fmt.Sprintf("step %d", i)))
		want := jobstore.Progress{Current: float64(i), Total: 20, Message: fmt.Sprintf("step %d", i)}
		require.Equal(t, want, get(t, b, id).Progress, "Get shows the latest progress")
		require.Equal(t, want, get(t, p, id).Progress, "on every handle")
	}
	require.NoError(t, b.SetProgress(ctx, id, 2.5, 0, "unknown total, fractional current"))
	require.Equal(t, jobstore.Progress{Current: 2.5, Message: "unknown total, fractional current"}, get(t, b, id).Progress)

	// An Update after progress keeps it (the latest progress is the
	// record's), and progress after an Update shows.
	_, err := b.Update(ctx, id, func(j *jobstore.Job) error { j.Label = "relabelled"; return nil })
	require.NoError(t, err)
	require.Equal(t, 2.5, get(t, b, id).Progress.Current)
	require.NoError(t, b.SetProgress(ctx, id, 3, 4, "after update"))
	require.Equal(t, jobstore.Progress{Current: 3, Total: 4, Message: "after update"}, get(t, p, id).Progress)

	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateCompleted, nil, ""))
	j := get(t, b, id)
	err = b.SetProgress(ctx, id, 4, 4, "too late")
	require.ErrorIs(t, err, jobstore.ErrFinished)
	require.Contains(t, err.Error(), id)
	require.Equal(t, j, get(t, b, id), "a refused SetProgress changes nothing")
	require.Equal(t, "after update", j.Progress.Message)
}

// SetProcess records the job's process, filling in the start time of a
// live pid, and refuses a finished job.
func (s *suite) testSetProcess(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	// Without /proc (not Linux) there is no boot id and no start time to
	// read: both stay empty.
	boot, err := procfs.BootID()
	if errors.Is(err, procfs.ErrUnsupported) {
		boot, err = "", nil
	}
	require.NoError(t, err)

	// A live pid without a start time: the backend reads it.
	self := os.Getpid()
	var start uint64
	st, err := procfs.ReadStat(self)
	if err == nil {
		start = st.StartTime
	} else {
		require.ErrorIs(t, err, procfs.ErrUnsupported)
	}
	id := create(t, b, "k", "")
	require.NoError(t, b.SetRunning(ctx, id))
	v := get(t, b, id).Version
	require.NoError(t, b.SetProcess(ctx, id, jobstore.Process{PID: self}))
	j := get(t, b, id)
	require.Equal(t, &jobstore.Process{PID: self, PGID: 0, StartTime: start, BootID: boot}, j.Process)
	require.Greater(t, j.Version, v, "a new version")
	require.Equal(t, jobstore.StateRunning, j.State, "the state stays")

	// A given start time is kept, and so is everything else, on a pending
	// job too; a later SetProcess replaces the process.
	id2 := create(t, b, "k", "")
	want := jobstore.Process{PID: 4242, PGID: 4242, StartTime: 777, Cgroups: []string{"/sys/fs/cgroup/pyexec-1-00ff/job"}, PIDNamespace: true}
	require.NoError(t, b.SetProcess(ctx, id2, want))
	want.BootID = boot
	require.Equal(t, &want, get(t, b, id2).Process)
	require.Equal(t, jobstore.StatePending, get(t, b, id2).State)
	require.NoError(t, b.SetProcess(ctx, id2, jobstore.Process{PID: self, PGID: 0, StartTime: 5}))
	require.Equal(t, &jobstore.Process{PID: self, StartTime: 5, BootID: boot}, get(t, b, id2).Process)

	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateCancelled, nil, ""))
	j = get(t, b, id)
	err = b.SetProcess(ctx, id, jobstore.Process{PID: self, StartTime: 9})
	require.ErrorIs(t, err, jobstore.ErrFinished, "the caller must stop the process itself")
	require.Equal(t, j, get(t, b, id), "a refused SetProcess records nothing")
}

// SetExitCode is accepted in every state and changes nothing else.
func (s *suite) testSetExitCode(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	id := create(t, b, "k", "")
	check := func(code int, st jobstore.State) {
		t.Helper()
		before := get(t, b, id)
		require.NoError(t, b.SetExitCode(ctx, id, code))
		j := get(t, b, id)
		require.NotNil(t, j.ExitCode)
		require.Equal(t, code, *j.ExitCode)
		require.Equal(t, st, j.State)
		require.Greater(t, j.Version, before.Version)
		require.Equal(t, before.CompletedAt, j.CompletedAt)
		require.Equal(t, before.StartedAt, j.StartedAt)
	}
	check(0, jobstore.StatePending)
	require.NoError(t, b.SetRunning(ctx, id))
	check(-9, jobstore.StateRunning)
	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateCancelled, nil, "cancelled"))
	check(137, jobstore.StateCancelled) // reaped after another process cancelled it
	require.Equal(t, "cancelled", get(t, b, id).Error)
}

// Update is a read-modify-write: fn's error writes nothing, the id and
// version are the store's, the state must stay valid.
func (s *suite) testUpdate(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	id := create(t, b, "k", "label")
	before := get(t, b, id)

	_, err := b.Update(ctx, id, func(j *jobstore.Job) error {
		j.Label = "must not stick"
		j.State = jobstore.StateFailed
		return errFromFn
	})
	require.ErrorIs(t, err, errFromFn, "fn's error is returned")
	require.Equal(t, before, get(t, b, id), "and nothing is written")

	for _, st := range []jobstore.State{"bogus", ""} {
		_, err = b.Update(ctx, id, func(j *jobstore.Job) error { j.State = st; return nil })
		require.ErrorIs(t, err, jobstore.ErrInvalidState, "state %q", st)
		require.Equal(t, before, get(t, b, id), "an invalid state is not written")
	}
	_, err = b.Update(ctx, id, func(j *jobstore.Job) error { j.Result = json.RawMessage(`{"half":`); return nil })
	require.Error(t, err, "a result that is not JSON")
	require.Equal(t, before, get(t, b, id), "a result that is not JSON is not written")

	other := jobstore.NewID()
	code := 7
	got, err := b.Update(ctx, id, func(j *jobstore.Job) error {
		require.Equal(t, before, j, "fn sees the current record")
		j.ID, j.Version = other, 999
		j.Label = "relabelled"
		j.Progress = jobstore.Progress{Current: 1, Total: 3, Message: "m"}
		j.ExitCode = &code
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, id, got.ID, "the id cannot be changed")
	require.Equal(t, before.Version+1, got.Version, "the version is the store's: one more")
	require.Equal(t, "relabelled", got.Label)
	j := get(t, b, id)
	require.Equal(t, got.Version, j.Version)
	require.Equal(t, "relabelled", j.Label)
	require.Equal(t, jobstore.Progress{Current: 1, Total: 3, Message: "m"}, j.Progress)
	require.Equal(t, &code, j.ExitCode)
	_, err = b.Get(ctx, other)
	require.ErrorIs(t, err, jobstore.ErrNotFound, "no job under the id fn tried")

	// Update may move the state, even to a final one (Update is the raw
	// tool; FinishJob is the guarded one).
	res := json.RawMessage(`{"ok":true}`)
	now := time.Now().UTC().Truncate(time.Millisecond)
	_, err = b.Update(ctx, id, func(j *jobstore.Job) error {
		j.State, j.Result, j.CompletedAt = jobstore.StateCompleted, res, now
		return nil
	})
	require.NoError(t, err)
	j = get(t, b, id)
	require.Equal(t, jobstore.StateCompleted, j.State)
	require.Equal(t, string(res), string(j.Result))
	require.True(t, now.Equal(j.CompletedAt), "completed_at %v, want %v", j.CompletedAt, now)
	require.ErrorIs(t, b.FinishJob(ctx, id, jobstore.StateFailed, nil, ""), jobstore.ErrFinished)
}

// Updates from 8 goroutines on each of two handles lose nothing.
func (s *suite) testUpdateConcurrent(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	handles := []jobstore.Backend{b, s.peer(t, b)}
	id := create(t, b, "counter", "0")
	v0 := get(t, b, id).Version
	const goroutines, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, len(handles)*goroutines*each)
	for _, h := range handles {
		for range goroutines {
			wg.Go(func() {
				for range each {
					_, err := h.Update(ctx, id, func(j *jobstore.Job) error {
						var n int
						if _, err := fmt.Sscan(j.Label, &n); err != nil {
							return err
						}
						j.Label = fmt.Sprint(n + 1)
						j.Progress.Current++
						return nil
					})
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	want := len(handles) * goroutines * each
	for _, h := range handles {
		j := get(t, h, id)
		require.Equal(t, fmt.Sprint(want), j.Label, "no update is lost")
		require.Equal(t, float64(want), j.Progress.Current)
		require.Equal(t, v0+uint64(want), j.Version, "each update is one version")
	}
}

// List is newest first, filters by state and kind, and counts every match
// before the limit.
func (s *suite) testList(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	list := func(opts *jobstore.ListOptions) ([]string, int) {
		t.Helper()
		jobs, total, err := b.List(ctx, opts)
		require.NoError(t, err)
		ids := make([]string, len(jobs))
		for i, j := range jobs {
			ids[i] = j.ID
			require.Equal(t, get(t, b, j.ID), j, "List returns whole records")
		}
		return ids, total
	}
	ids, total := list(nil)
	require.Empty(t, ids)
	require.Zero(t, total)

	// Oldest first: pending a, running b, completed a, failed b, cancelled
	// a, pending b, completed b.
	var all []string
	mk := func(kind string, st jobstore.State) string {
		id := create(t, b, kind, string(st))
		switch st {
		case jobstore.StatePending:
		case jobstore.StateRunning:
			require.NoError(t, b.SetRunning(ctx, id))
		default:
			require.NoError(t, b.FinishJob(ctx, id, st, nil, ""))
		}
		all = append(all, id)
		return id
	}
	p1 := mk("a", jobstore.StatePending)
	r1 := mk("b", jobstore.StateRunning)
	c1 := mk("a", jobstore.StateCompleted)
	f1 := mk("b", jobstore.StateFailed)
	x1 := mk("a", jobstore.StateCancelled)
	p2 := mk("b", jobstore.StatePending)
	c2 := mk("b", jobstore.StateCompleted)

	newestFirst := slices.Clone(all)
	slices.Reverse(newestFirst)
	ids, total = list(nil)
	require.Equal(t, newestFirst, ids, "every job, newest first")
	require.Equal(t, 7, total)
	ids, total = list(&jobstore.ListOptions{})
	require.Equal(t, newestFirst, ids)
	require.Equal(t, 7, total)

	for _, tc := range []struct {
		opts  jobstore.ListOptions
		want  []string
		total int
	}{
		{jobstore.ListOptions{States: []jobstore.State{jobstore.StatePending}}, []string{p2, p1}, 2},
		{jobstore.ListOptions{States: []jobstore.State{jobstore.StateRunning, jobstore.StatePending}}, []string{p2, r1, p1}, 3},
		{jobstore.ListOptions{States: []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled}}, []string{c2, x1, f1, c1}, 4},
		{jobstore.ListOptions{Kind: "a"}, []string{x1, c1, p1}, 3},
		{jobstore.ListOptions{Kind: "b", States: []jobstore.State{jobstore.StateCompleted}}, []string{c2}, 1},
		{jobstore.ListOptions{Kind: "none"}, nil, 0},
		{jobstore.ListOptions{States: []jobstore.State{jobstore.StateCancelled}, Kind: "b"}, nil, 0},
		{jobstore.ListOptions{Limit: 2}, []string{c2, p2}, 7},
		{jobstore.ListOptions{Limit: 100}, newestFirst, 7},
		{jobstore.ListOptions{Kind: "b", Limit: 3}, []string{c2, p2, f1}, 4},
		{jobstore.ListOptions{States: []jobstore.State{jobstore.StatePending, jobstore.StateCompleted}, Limit: 1}, []string{c2}, 4},
	} {
		ids, total := list(&tc.opts)
		if len(tc.want) == 0 {
			require.Empty(t, ids, "List(%+v)", tc.opts)
		} else {
			require.Equal(t, tc.want, ids, "List(%+v)", tc.opts)
		}
		require.Equal(t, tc.total, total, "List(%+v): total counts every match", tc.opts)
	}

	for _, st := range []jobstore.State{"bogus", "", "Pending"} {
		_, _, err := b.List(ctx, &jobstore.ListOptions{States: []jobstore.State{jobstore.StatePending, st}})
		require.ErrorIs(t, err, jobstore.ErrInvalidState, "List of state %q", st)
	}

	// A changed state moves the job between filters.
	require.NoError(t, b.FinishJob(ctx, p1, jobstore.StateFailed, nil, ""))
	ids, total = list(&jobstore.ListOptions{States: []jobstore.State{jobstore.StateFailed}})
	require.Equal(t, []string{f1, p1}, ids)
	require.Equal(t, 2, total)
}

// A second handle on the store (another server process) sees the first's
// writes in List and Get, and the first sees the second's.
func (s *suite) testPeerSeesWrites(t *testing.T) {
	ctx := t.Context()
	a := s.fresh(t)
	id1 := create(t, a, "k", "by a")
	b := s.peer(t, a)
	require.Equal(t, get(t, a, id1), get(t, b, id1), "a record made before the peer opened")

	id2 := create(t, a, "k", "by a, later")
	time.Sleep(3 * time.Millisecond) // ids across handles order by millisecond
	id3 := create(t, b, "k2", "by b")
	for _, h := range []jobstore.Backend{a, b} {
		jobs, total, err := h.List(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, 3, total)
		require.Equal(t, []string{id3, id2, id1}, jobIDs(jobs))
	}

	require.NoError(t, a.SetRunning(ctx, id2))
	require.NoError(t, b.SetProgress(ctx, id2, 1, 2, "half"))
	require.NoError(t, b.FinishJob(ctx, id1, jobstore.StateFailed, nil, "by b"))
	_, err := a.Update(ctx, id3, func(j *jobstore.Job) error { j.Label = "relabelled by a"; return nil })
	require.NoError(t, err)

	for _, h := range []jobstore.Backend{a, b} {
		require.Equal(t, jobstore.StateRunning, get(t, h, id2).State)
		require.Equal(t, jobstore.Progress{Current: 1, Total: 2, Message: "half"}, get(t, h, id2).Progress)
		require.Equal(t, jobstore.StateFailed, get(t, h, id1).State)
		require.Equal(t, "relabelled by a", get(t, h, id3).Label)

		jobs, total, err := h.List(ctx, &jobstore.ListOptions{States: []jobstore.State{jobstore.StateRunning}})
		require.NoError(t, err)
		require.Equal(t, 1, total)
		require.Equal(t, []string{id2}, jobIDs(jobs))
		require.Equal(t, jobstore.Progress{Current: 1, Total: 2, Message: "half"}, jobs[0].Progress, "List shows the peer's progress")
		jobs, _, err = h.List(ctx, &jobstore.ListOptions{States: []jobstore.State{jobstore.StateFailed}})
		require.NoError(t, err)
		require.Equal(t, []string{id1}, jobIDs(jobs))
		require.Equal(t, "by b", jobs[0].Error)
		jobs, _, err = h.List(ctx, &jobstore.ListOptions{Kind: "k2"})
		require.NoError(t, err)
		require.Equal(t, []string{id3}, jobIDs(jobs))
		require.Equal(t, "relabelled by a", jobs[0].Label)
	}

	require.NoError(t, b.DiscardJob(ctx, id3))
	for _, h := range []jobstore.Backend{a, b} {
		_, err := h.Get(ctx, id3)
		require.ErrorIs(t, err, jobstore.ErrNotFound)
		jobs, total, err := h.List(ctx, nil)
		require.NoError(t, err)
		require.Equal(t, 2, total)
		require.Equal(t, []string{id2, id1}, jobIDs(jobs), "a discarded job leaves every handle's list")
	}
}

func jobIDs(jobs []*jobstore.Job) []string {
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.ID
	}
	return ids
}
