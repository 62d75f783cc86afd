package jobstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// consumerStore is smartasync's view of a store; *Store must satisfy it
// exactly (std types only).
type consumerStore interface {
	CreateJob(ctx context.Context, kind, label string) (id string, err error)
	SetRunning(ctx context.Context, id string) error
	SetProgress(ctx context.Context, id string, current, total float64, message string) error
	FinishJob(ctx context.Context, id string, state State, result json.RawMessage, errMsg string) error
	DiscardJob(ctx context.Context, id string) error
}

var _ consumerStore = (*Store)(nil)

func TestLifecycle(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)

	id, err := s.CreateJob(ctx, "run_script_in_dir", "report")
	require.NoError(t, err)
	require.True(t, ValidID(id))
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StatePending, j.State)
	require.Equal(t, "report", j.Label)
	require.Equal(t, "run_script_in_dir", j.Kind)
	require.Equal(t, os.Getpid(), j.Owner.PID)
	if st, err := procfs.ReadStat(os.Getpid()); err == nil {
		require.Equal(t, st.StartTime, j.Owner.StartTime)
	} else { // no /proc (macOS, Windows): unknown, and said so by 0
		require.Zero(t, j.Owner.StartTime)
	}
	require.Equal(t, time.UTC, j.CreatedAt.Location())
	require.True(t, j.StartedAt.IsZero())

	require.NoError(t, s.SetRunning(ctx, id))
	j, err = s.Get(ctx, id)
	require.NoError(t, err)
	started := j.StartedAt
	require.Equal(t, StateRunning, j.State)
	require.False(t, started.IsZero())
	require.NoError(t, s.SetRunning(ctx, id), "SetRunning is idempotent")
	j, err = s.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, started, j.StartedAt)

	require.NoError(t, s.SetProgress(ctx, id, 3, 10, "fetching"))
	require.NoError(t, s.SetExitCode(ctx, id, 0))
	require.NoError(t, s.FinishJob(ctx, id, StateCompleted, json.RawMessage(`{"rows":42}`), ""))

	j, err = s.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StateCompleted, j.State)
	require.Equal(t, Progress{Current: 3, Total: 10, Message: "fetching"}, j.Progress)
	require.JSONEq(t, `{"rows":42}`, string(j.Result))
	require.NotNil(t, j.ExitCode)
	require.Equal(t, 0, *j.ExitCode)
	require.False(t, j.CompletedAt.IsZero())

	// A final state is final: the record is left unchanged.
	err = s.FinishJob(ctx, id, StateFailed, nil, "late")
	require.ErrorIs(t, err, ErrFinished)
	require.ErrorIs(t, s.SetProgress(ctx, id, 4, 10, ""), ErrFinished)
	require.ErrorIs(t, s.SetRunning(ctx, id), ErrFinished)
	j2, err := s.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, j, j2)

	// SetExitCode is a fact about the process, accepted after the end.
	require.NoError(t, s.SetExitCode(ctx, id, 137))
}

func TestRecordJSON(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "l")
	require.NoError(t, err)
	require.NoError(t, s.FinishJob(ctx, id, StateFailed, nil, "boom"))
	b, err := os.ReadFile(s.recordPath(id))
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"id", "label", "kind", "state", "progress", "created_at", "completed_at", "error", "owner", "version"} {
		require.Contains(t, m, k)
	}
	require.NotContains(t, m, "started_at", "unset times are omitted")
	require.NotContains(t, m, "result")
	_, err = time.Parse(time.RFC3339, m["created_at"].(string))
	require.NoError(t, err)
	require.Equal(t, map[string]any{"current": 0.0, "total": 0.0, "message": ""}, m["progress"])
}

func TestInvalidID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	calls := map[string]func(id string) error{
		"Get":         func(id string) error { _, err := s.Get(ctx, id); return err },
		"SetRunning":  func(id string) error { return s.SetRunning(ctx, id) },
		"SetProgress": func(id string) error { return s.SetProgress(ctx, id, 1, 2, "") },
		"FinishJob":   func(id string) error { return s.FinishJob(ctx, id, "completed", nil, "") },
		"DiscardJob":  func(id string) error { return s.DiscardJob(ctx, id) },
		"Update":      func(id string) error { _, err := s.Update(ctx, id, func(*Job) error { return nil }); return err },
		"SetProcess":  func(id string) error { return s.SetProcess(ctx, id, Process{PID: 1, PGID: 1}) },
		"SetExitCode": func(id string) error { return s.SetExitCode(ctx, id, 1) },
		"Kill":        func(id string) error { return s.Kill(ctx, id) },
		"AppendLog":   func(id string) error { return s.AppendLog(ctx, id, Stdout, []byte("x")) },
		"LogWriter":   func(id string) error { _, err := s.LogWriter(ctx, id, Stdout); return err },
		"ReadLog":     func(id string) error { _, _, _, err := s.ReadLog(ctx, id, Stdout, 0, 0); return err },
	}
	ids := []string{"", "../../etc/passwd", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg", "../0123456789abc", "0123456789abc/.."}
	for name, call := range calls {
		for _, id := range ids {
			t.Run(fmt.Sprintf("%s/%q", name, id), func(t *testing.T) {
				err := call(id)
				require.ErrorIs(t, err, ErrInvalidID)
				require.Contains(t, err.Error(), "list_jobs")
			})
		}
	}
}

func TestNotFound(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	const id = "0123456789abcdef"
	_, err := s.Get(ctx, id)
	require.ErrorIs(t, err, ErrNotFound)
	require.Contains(t, err.Error(), id)
	require.Contains(t, err.Error(), "list_jobs")
	require.ErrorIs(t, s.SetProgress(ctx, id, 1, 1, ""), ErrNotFound)
	require.ErrorIs(t, s.DiscardJob(ctx, id), ErrNotFound)
	require.ErrorIs(t, s.AppendLog(ctx, id, Stdout, []byte("x")), ErrNotFound)
	require.NoFileExists(t, s.logPath(id, Stdout), "no log without a record")
}

func TestFinishJobArguments(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	for _, tc := range []struct {
		name   string
		state  string
		result string
		want   error
	}{
		{"running is not final", "running", "", ErrInvalidState},
		{"unknown state", "done", "", ErrInvalidState},
		{"invalid result", "completed", "{nope", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.FinishJob(ctx, id, State(tc.state), json.RawMessage(tc.result), "")
			require.Error(t, err)
			if tc.want != nil {
				require.ErrorIs(t, err, tc.want)
			}
		})
	}
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StatePending, j.State)
	for _, st := range []State{StateCompleted, StateFailed, StateCancelled} {
		id, err := s.CreateJob(ctx, "k", "")
		require.NoError(t, err)
		require.NoError(t, s.FinishJob(ctx, id, st, nil, ""))
		j, err := s.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, st, j.State)
	}
}

func TestUpdate(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)

	boom := errors.New("boom")
	_, err = s.Update(ctx, id, func(j *Job) error { j.Label = "changed"; return boom })
	require.ErrorIs(t, err, boom)
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	require.Empty(t, j.Label, "a failed update writes nothing")

	_, err = s.Update(ctx, id, func(j *Job) error { j.State = "bogus"; return nil })
	require.ErrorIs(t, err, ErrInvalidState)

	j, err = s.Update(ctx, id, func(j *Job) error { j.ID = "ffffffffffffffff"; j.Label = "x"; return nil })
	require.NoError(t, err)
	require.Equal(t, id, j.ID, "the id cannot change")
	require.NoFileExists(t, s.recordPath("ffffffffffffffff"))
}

func TestConcurrentUpdatesInProcess(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	a := openT(t, dir, nil)
	b := openT(t, dir, nil) // a second Store: its own lock files, like another process
	id, err := a.CreateJob(ctx, "counter", "")
	require.NoError(t, err)
	const workers, each = 8, 40
	var wg sync.WaitGroup
	for w := range workers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for range each {
				_, err := s.Update(ctx, id, func(j *Job) error { j.Progress.Current++; return nil })
				require.NoError(t, err)
			}
		})
	}
	wg.Wait()
	j, err := a.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, float64(workers*each), j.Progress.Current, "no update lost")
}

func TestPolledWhileRunning(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	s := openT(t, dir, nil)
	poller := openT(t, dir, nil)
	id, err := s.CreateJob(ctx, "long", "polled")
	require.NoError(t, err)

	const steps = 200
	var wg sync.WaitGroup
	wg.Go(func() {
		require.NoError(t, s.SetRunning(ctx, id))
		for i := range steps {
			require.NoError(t, s.SetProgress(ctx, id, float64(i+1), steps, "working"))
			require.NoError(t, s.AppendLog(ctx, id, Stdout, []byte("line\n")))
		}
		require.NoError(t, s.FinishJob(ctx, id, StateCompleted, json.RawMessage(`{"answer":42}`), ""))
	})
	polls := 0
	last := -1.0
	for {
		j, err := poller.Get(ctx, id)
		require.NoError(t, err)
		require.GreaterOrEqual(t, j.Progress.Current, last, "progress never goes back")
		last = j.Progress.Current
		jobs, total, err := poller.List(ctx, &ListOptions{Limit: 1})
		require.NoError(t, err)
		require.Equal(t, 1, total)
		require.Equal(t, id, jobs[0].ID)
		polls++
		if j.State.Final() {
			require.Equal(t, StateCompleted, j.State)
			require.JSONEq(t, `{"answer":42}`, string(j.Result))
			break
		}
	}
	wg.Wait()
	jobs, _, err := poller.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, StateCompleted, jobs[0].State)
	require.Equal(t, float64(steps), jobs[0].Progress.Current)
	require.JSONEq(t, `{"answer":42}`, string(jobs[0].Result))
	t.Logf("polled %d times", polls)
}

func TestList(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	var ids []string // oldest first
	for i, st := range []State{StatePending, StateRunning, StateCompleted, StateFailed, StateRunning, StateCancelled, StateCompleted} {
		kind := "a"
		if i%2 == 1 {
			kind = "b"
		}
		id, err := s.CreateJob(ctx, kind, fmt.Sprint(i))
		require.NoError(t, err)
		_, err = s.Update(ctx, id, func(j *Job) error { j.State = st; return nil })
		require.NoError(t, err)
		ids = append(ids, id)
	}
	rev := func(idx ...int) []string {
		var out []string
		for _, i := range idx {
			out = append(out, ids[i])
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		opts  *ListOptions
		want  []string
		total int
	}{
		{"nil lists all newest first", nil, rev(6, 5, 4, 3, 2, 1, 0), 7},
		{"state filter", &ListOptions{States: []State{StateRunning}}, rev(4, 1), 2},
		{"several states", &ListOptions{States: []State{StateCompleted, StateFailed}}, rev(6, 3, 2), 3},
		{"limit keeps the total", &ListOptions{Limit: 2}, rev(6, 5), 7},
		{"kind", &ListOptions{Kind: "b"}, rev(5, 3, 1), 3},
		{"kind, state and limit", &ListOptions{Kind: "a", States: []State{StateCompleted}, Limit: 1}, rev(6), 2},
		{"no match", &ListOptions{Kind: "zzz"}, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			jobs, total, err := s.List(ctx, tc.opts)
			require.NoError(t, err)
			require.Equal(t, tc.total, total)
			var got []string
			for _, j := range jobs {
				got = append(got, j.ID)
			}
			require.Equal(t, tc.want, got)
		})
	}
	_, _, err := s.List(ctx, &ListOptions{States: []State{"bogus"}})
	require.ErrorIs(t, err, ErrInvalidState)

	// Returned jobs are copies.
	jobs, _, err := s.List(ctx, &ListOptions{Limit: 1})
	require.NoError(t, err)
	jobs[0].Label = "mutated"
	again, _, err := s.List(ctx, &ListOptions{Limit: 1})
	require.NoError(t, err)
	require.NotEqual(t, "mutated", again[0].Label)
}

// TestListSeesOtherStore checks that the journal carries creates, updates
// and removals between Stores (as between processes).
func TestListSeesOtherStore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	a := openT(t, dir, nil)
	b := openT(t, dir, nil)
	listed := func(s *Store) map[string]*Job {
		jobs, _, err := s.List(ctx, nil)
		require.NoError(t, err)
		m := map[string]*Job{}
		for _, j := range jobs {
			m[j.ID] = j
		}
		return m
	}
	id, err := a.CreateJob(ctx, "k", "x")
	require.NoError(t, err)
	require.Contains(t, listed(b), id)
	require.NoError(t, a.SetProgress(ctx, id, 5, 9, "half"))
	require.Equal(t, 5.0, listed(b)[id].Progress.Current)
	require.NoError(t, b.FinishJob(ctx, id, "completed", nil, ""))
	require.Equal(t, StateCompleted, listed(a)[id].State)
	require.NoError(t, b.DiscardJob(ctx, id))
	require.NotContains(t, listed(a), id)
	require.Equal(t, 1, a.fullLoads, "only Open read every record")
}

func TestCorruptRecord(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	s := openT(t, dir, nil)
	good, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	const bad = "0000000000abcdef"
	require.NoError(t, os.WriteFile(filepath.Join(s.Dir(), bad+".json"), []byte("{torn"), 0o600))

	s2 := openT(t, dir, nil)
	jobs, total, err := s2.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, good, jobs[0].ID)
	_, err = s2.Get(ctx, bad)
	require.Error(t, err)
	require.NotErrorIs(t, err, ErrNotFound)
	require.NoError(t, s2.DiscardJob(ctx, bad), "a corrupt record can be discarded")
}

func TestClosed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "Close is idempotent")
	_, err = s.Get(ctx, id)
	require.ErrorIs(t, err, ErrClosed)
	_, err = s.CreateJob(ctx, "k", "")
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.SetProgress(ctx, id, 1, 1, ""), ErrClosed)
	_, _, err = s.List(ctx, nil)
	require.ErrorIs(t, err, ErrClosed)
	require.ErrorIs(t, s.AppendLog(ctx, id, Stdout, nil), ErrClosed)
}

func TestCancelledContext(t *testing.T) {
	t.Parallel()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(t.Context(), "k", "")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	require.ErrorIs(t, s.SetProgress(ctx, id, 1, 1, ""), context.Canceled)
	_, err = s.Get(ctx, id)
	require.ErrorIs(t, err, context.Canceled)

	// A lock held by another Store is waited for until ctx ends.
	other := openT(t, filepath.Dir(s.Dir()), nil)
	st := other.stripes[stripeOf(id)]
	require.NoError(t, st.lock(t.Context()))
	defer st.unlock()
	short, cancel2 := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel2()
	require.ErrorIs(t, s.SetProgress(short, id, 1, 1, ""), context.DeadlineExceeded)
}

func TestDefaultDir(t *testing.T) {
	home := testenv.TempDir(t)
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home) // os.UserHomeDir on Windows
	s, err := Open(t.Context(), nil)
	require.NoError(t, err)
	defer s.Close()
	require.Equal(t, filepath.Join(home, DefaultDirName, JobsSubdir), s.Dir())
	fi, err := os.Stat(s.Dir())
	require.NoError(t, err)
	require.True(t, fi.IsDir())
	if runtime.GOOS != "windows" { // Windows has no permission bits
		require.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	}
}

func TestNewIDSortsByTime(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	prev := newID(t0)
	for i := 1; i < 100; i++ {
		id := newID(t0.Add(time.Duration(i) * time.Millisecond))
		require.True(t, ValidID(id), id)
		require.Greater(t, id, prev)
		prev = id
	}
}

// TestIDsIncreaseWithinAMillisecond: jobs created faster than the clock
// ticks still list newest first.
func TestIDsIncreaseWithinAMillisecond(t *testing.T) {
	t.Parallel()
	var q idSeq
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	prev := q.next(t0)
	for i := range 5000 {
		id := q.next(t0.Add(time.Duration(i/1000) * time.Millisecond)) // 1000 ids a millisecond
		require.True(t, ValidID(id), id)
		require.Greater(t, id, prev)
		prev = id
	}
	// A clock that steps back does not make ids go back either.
	require.Greater(t, q.next(t0.Add(-time.Second)), prev)
}

// TestStripeExcludesAnotherStore: a job's lock stripe held by one Store
// keeps another Store of the same directory (as another server process
// would be) waiting until it is released — flock on Unix, LockFileEx on
// Windows (internal/filelock).
func TestStripeExcludesAnotherStore(t *testing.T) {
	t.Parallel()
	dir := testenv.TempDir(t)
	a, err := openStripes(dir)
	require.NoError(t, err)
	defer closeStripes(a)
	b, err := openStripes(dir)
	require.NoError(t, err)
	defer closeStripes(b)

	require.NoError(t, a[7].lock(t.Context()))
	short, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, b[7].lock(short), context.DeadlineExceeded, "b waited while a held the stripe")
	require.NoError(t, b[8].lock(t.Context()), "another stripe is free")
	b[8].unlock()
	a[7].unlock()
	require.NoError(t, b[7].lock(t.Context()), "a released it")
	b[7].unlock()
}
