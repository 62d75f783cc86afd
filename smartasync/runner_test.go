package smartasync_test

import (
	"bytes"
	"context"
	"errors"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"log/slog"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

func TestNewRunnerOptions(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	tests := []struct {
		name    string
		opts    *smartasync.Options
		wantErr string // "" = valid
	}{
		{name: "nil options", opts: nil, wantErr: "Store is nil"},
		{name: "nil store", opts: &smartasync.Options{}, wantErr: "Store is nil"},
		{name: "negative budget", opts: &smartasync.Options{Store: store, Budget: -1}, wantErr: "Budget"},
		{name: "negative progress interval", opts: &smartasync.Options{Store: store, ProgressInterval: -1}, wantErr: "ProgressInterval"},
		{name: "negative max concurrent", opts: &smartasync.Options{Store: store, MaxConcurrent: -1}, wantErr: "MaxConcurrent"},
		{name: "defaults", opts: &smartasync.Options{Store: store}},
		{name: "everything set", opts: &smartasync.Options{Store: store, Budget: time.Second, ProgressInterval: time.Second,
			MaxConcurrent: 2, Logger: slog.New(slog.DiscardHandler)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, err := smartasync.NewRunner(tt.opts)
			if tt.wantErr != "" {
				require.ErrorIs(t, err, smartasync.ErrInvalidOptions)
				require.ErrorContains(t, err, tt.wantErr)
				require.Nil(t, r)
				return
			}
			require.NoError(t, err)
			want := tt.opts.Budget
			if want == 0 {
				want = smartasync.DefaultBudget
			}
			require.Equal(t, want, r.Budget())
			require.NoError(t, r.Close())
			require.NoError(t, r.Close(), "Close is idempotent")
		})
	}
}

// blocker is work that runs until released or cancelled, reporting progress
// each time it is polled.
type blocker struct {
	release chan struct{}
	started chan string // receives the job id when the work starts
	mu      sync.Mutex
	cause   error // context.Cause seen when cancelled
}

func newBlocker() *blocker {
	return &blocker{release: make(chan struct{}), started: make(chan string, 16)}
}

func (b *blocker) work(ctx context.Context, job *smartasync.Job[struct{}]) (answer, error) {
	id := job.ID
	b.started <- id
	job.Progress(1, 2, "half way")
	select {
	case <-b.release:
		job.Progress(2, 2, "done")
		return answer{N: 1, Note: id}, nil
	case <-ctx.Done():
		b.mu.Lock()
		b.cause = context.Cause(ctx)
		b.mu.Unlock()
		return answer{}, ctx.Err()
	}
}

func (b *blocker) seenCause() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cause
}

// TestPolledManyTimes: a job polled many times while running still completes
// with its result.
func TestPolledManyTimes(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	r := newRunner(t, store, &smartasync.Options{ProgressInterval: time.Millisecond})
	b := newBlocker()
	sa := smartasync.New(r, "k", b.work)
	out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
	require.NoError(t, err)
	require.Equal(t, out.JobID, <-b.started)
	testenv.PollUntil(t, "running state", func() bool { rec, _ := store.get(out.JobID); return rec.State == "running" })

	expired, cancel := context.WithCancel(t.Context())
	cancel()
	for range 2000 {
		rec, ok := store.get(out.JobID)
		require.True(t, ok)
		require.Equal(t, jobstore.StateRunning, rec.State)
		require.ErrorIs(t, r.Wait(expired, out.JobID), context.Canceled, "still live")
	}
	close(b.release)
	waitJob(t, r, out.JobID)
	rec, _ := store.get(out.JobID)
	require.Equal(t, jobstore.StateCompleted, rec.State)
	require.JSONEq(t, `{"n":1,"note":"`+out.JobID+`"}`, string(rec.Result))
	require.Equal(t, 2.0, rec.Current, "the last progress is never lost")
	require.Equal(t, "done", rec.Message)
}

// TestCancelAfterPolls: Cancel cancels the work's context with ErrCancelled,
// waits for it and records the job as cancelled.
func TestCancelAfterPolls(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	r := newRunner(t, store, nil)
	b := newBlocker()
	sa := smartasync.New(r, "k", b.work)
	out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
	require.NoError(t, err)
	<-b.started
	for range 500 {
		rec, _ := store.get(out.JobID)
		require.NotEqual(t, "cancelled", rec.State)
	}
	res, err := r.Cancel(t.Context(), out.JobID)
	require.NoError(t, err)
	require.Equal(t, smartasync.CancelResult{JobID: out.JobID, Status: "cancelled"}, res)
	require.ErrorIs(t, b.seenCause(), smartasync.ErrCancelled, "the work sees why it was cancelled")
	rec, _ := store.get(out.JobID)
	require.Equal(t, jobstore.StateCancelled, rec.State, "recorded before Cancel returns")
	require.Equal(t, "cancelled on request", rec.Err)
	require.Equal(t, "half way", rec.Message, "the last progress is flushed")

	_, err = r.Cancel(t.Context(), out.JobID)
	require.ErrorIs(t, err, smartasync.ErrNotRunning, "a second cancel is a no-op")
}

func TestCancelNotRunning(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	r := newRunner(t, store, nil)
	sa := smartasync.New(r, "k", func(context.Context, *smartasync.Job[struct{}]) (int, error) { return 3, nil })
	out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
	require.NoError(t, err)
	waitJob(t, r, out.JobID)

	tests := []struct{ name, id string }{
		{name: "finished job", id: out.JobID},
		{name: "unknown job", id: "job-from-another-process"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := r.Cancel(t.Context(), tt.id)
			require.ErrorIs(t, err, smartasync.ErrNotRunning)
			require.ErrorContains(t, err, tt.id)
			require.Equal(t, tt.id, res.JobID)
		})
	}
	rec, _ := store.get(out.JobID)
	require.Equal(t, jobstore.StateCompleted, rec.State, "cancelling a finished job changes nothing")
	require.Equal(t, 1, rec.Finishes)
}

// TestCancelRace cancels jobs as they finish: each job is recorded once, as
// either completed or cancelled, and Cancel's answer agrees with the record.
func TestCancelRace(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	r := newRunner(t, store, nil)
	sa := smartasync.New(r, "k", func(ctx context.Context, _ *smartasync.Job[struct{}]) (int, error) { return 1, nil })
	for range 200 {
		out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
		require.NoError(t, err)
		res, err := r.Cancel(t.Context(), out.JobID)
		waitJob(t, r, out.JobID)
		rec, _ := store.get(out.JobID)
		require.Equal(t, 1, rec.Finishes)
		if err == nil {
			require.Equal(t, jobstore.StateCancelled, rec.State)
			require.Equal(t, jobstore.StateCancelled, res.Status)
		} else {
			require.ErrorIs(t, err, smartasync.ErrNotRunning)
			require.Equal(t, jobstore.StateCompleted, rec.State)
		}
	}
}

// TestCancelDuringBudget: a job cancelled while its call still waits is kept
// as cancelled and the call says so.
func TestCancelDuringBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		r := newRunner(t, store, nil)
		b := newBlocker()
		sa := smartasync.New(r, "k", b.work)
		cancelErr := make(chan error, 1)
		go func() {
			id := <-b.started
			time.Sleep(time.Second)
			_, err := r.Cancel(context.Background(), id)
			cancelErr <- err
		}()
		start := time.Now()
		out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{})
		require.Equal(t, time.Second, time.Since(start))
		require.ErrorIs(t, err, smartasync.ErrCancelled)
		require.ErrorIs(t, err, context.Canceled, "the work's own error is kept")
		require.True(t, out.Done)
		require.Equal(t, jobstore.StateCancelled, out.Status)
		require.NotEmpty(t, out.JobID)
		require.NoError(t, <-cancelErr)
		rec, _ := store.get(out.JobID)
		require.Equal(t, jobstore.StateCancelled, rec.State, "recorded before Cancel returned")
	})
}

// TestCancelDeadline: Cancel gives up waiting when its ctx ends; the job still
// ends cancelled.
func TestCancelDeadline(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		r := newRunner(t, store, nil)
		sa := smartasync.New(r, "k", func(ctx context.Context, _ *smartasync.Job[struct{}]) (int, error) {
			<-ctx.Done()
			time.Sleep(time.Minute) // slow to clean up, e.g. a grace period
			return 0, ctx.Err()
		})
		out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
		require.NoError(t, err)
		synctest.Wait()
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		res, err := r.Cancel(ctx, out.JobID)
		require.ErrorIs(t, err, context.DeadlineExceeded)
		require.Equal(t, jobstore.StateRunning, res.Status)
		waitJob(t, r, out.JobID)
		rec, _ := store.get(out.JobID)
		require.Equal(t, jobstore.StateCancelled, rec.State)
	})
}

func TestPanic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		call  smartasync.Call
		delay time.Duration
	}{
		{name: "within budget", delay: time.Second},
		{name: "after budget", delay: time.Minute},
		{name: "async", call: smartasync.Call{Async: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				store := newMemStore()
				r := newRunner(t, store, nil)
				sa := smartasync.New(r, "k", func(ctx context.Context, _ *smartasync.Job[struct{}]) (int, error) {
					time.Sleep(tt.delay)
					return panickyHelper()
				})
				out, err := sa.Call(t.Context(), struct{}{}, tt.call)
				if out.Done {
					var perr *smartasync.PanicError
					require.ErrorAs(t, err, &perr)
					require.ErrorIs(t, err, smartasync.ErrPanic)
					require.Equal(t, "boom", perr.Value)
					require.Equal(t, out.JobID, perr.JobID)
					require.Contains(t, string(perr.Stack), "panickyHelper")
					require.Equal(t, jobstore.StateFailed, out.Status)
				} else {
					require.NoError(t, err)
				}
				require.NotEmpty(t, out.JobID, "a panic keeps its record")
				waitJob(t, r, out.JobID)
				rec, _ := store.get(out.JobID)
				require.Equal(t, jobstore.StateFailed, rec.State)
				require.True(t, strings.HasPrefix(rec.Err, "panic: boom\n"), rec.Err)
				require.Contains(t, rec.Err, "panickyHelper", "the stack is recorded")
				require.Contains(t, rec.Err, "goroutine ")
				require.True(t, smartasync.Fault(rec.Err), "a panic is a fault")
			})
		})
	}
}

func panickyHelper() (int, error) { panic("boom") }

func TestGoexit(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	r := newRunner(t, store, nil)
	sa := smartasync.New(r, "k", func(context.Context, *smartasync.Job[struct{}]) (int, error) {
		runtime.Goexit()
		return 1, nil
	})
	out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{})
	require.ErrorIs(t, err, smartasync.ErrPanic)
	waitJob(t, r, out.JobID)
	rec, _ := store.get(out.JobID)
	require.Equal(t, jobstore.StateFailed, rec.State)
	require.Contains(t, rec.Err, "Goexit")
}

// TestClose: Close cancels the live jobs (cause ErrClosed), waits until they
// are recorded and refuses new calls.
func TestClose(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		r, err := smartasync.NewRunner(&smartasync.Options{Store: store, MaxConcurrent: 2})
		require.NoError(t, err)
		b := newBlocker()
		sa := smartasync.New(r, "k", b.work)
		var ids []string
		for range 3 { // two running, one pending for a slot
			out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
			require.NoError(t, err)
			ids = append(ids, out.JobID)
		}
		synctest.Wait()
		require.NoError(t, r.Close())
		for _, id := range ids {
			rec, ok := store.get(id)
			require.True(t, ok)
			require.Equal(t, jobstore.StateCancelled, rec.State)
			require.Equal(t, "server shutting down", rec.Err)
		}
		require.ErrorIs(t, b.seenCause(), smartasync.ErrClosed)
		_, err = sa.Call(t.Context(), struct{}{}, smartasync.Call{})
		require.ErrorIs(t, err, smartasync.ErrClosed)
		_, err = r.Cancel(t.Context(), ids[0])
		require.ErrorIs(t, err, smartasync.ErrNotRunning)
	})
}

// TestCloseDuringBudget: a call waiting within its budget when the runner
// closes returns ErrClosed at once.
func TestCloseDuringBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		r, err := smartasync.NewRunner(&smartasync.Options{Store: store})
		require.NoError(t, err)
		b := newBlocker()
		sa := smartasync.New(r, "k", b.work)
		time.AfterFunc(time.Second, func() { _ = r.Close() })
		out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{})
		require.ErrorIs(t, err, smartasync.ErrClosed)
		require.Equal(t, jobstore.StateCancelled, out.Status)
		synctest.Wait()
		rec, _ := store.get(out.JobID)
		require.Equal(t, jobstore.StateCancelled, rec.State)
	})
}

func TestMaxConcurrent(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		r := newRunner(t, store, &smartasync.Options{MaxConcurrent: 1})
		b := newBlocker()
		sa := smartasync.New(r, "k", b.work)
		first, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
		require.NoError(t, err)
		second, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
		require.NoError(t, err)
		synctest.Wait()
		rec1, _ := store.get(first.JobID)
		rec2, _ := store.get(second.JobID)
		require.ElementsMatch(t, []jobstore.State{jobstore.StateRunning, jobstore.StatePending}, []jobstore.State{rec1.State, rec2.State},
			"one job runs, the other waits for the slot")

		third, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Budget: time.Second})
		require.NoError(t, err)
		require.Equal(t, jobstore.StatePending, third.Status, "the budget ran out while waiting for a slot")

		close(b.release) // every job, once it runs, returns at once
		for _, id := range []string{first.JobID, second.JobID, third.JobID} {
			waitJob(t, r, id)
			rec, _ := store.get(id)
			require.Equal(t, jobstore.StateCompleted, rec.State)
		}
	})
}

// TestStoreErrors: a failed CreateJob is returned and the work does not run;
// later store errors are logged and do not change the caller's outcome.
func TestStoreErrors(t *testing.T) {
	t.Parallel()
	errDisk := errors.New("disk full")
	t.Run("create", func(t *testing.T) {
		t.Parallel()
		store := newMemStore()
		store.failCreate = errDisk
		r := newRunner(t, store, nil)
		called := false
		sa := smartasync.New(r, "k", func(context.Context, *smartasync.Job[struct{}]) (int, error) {
			called = true
			return 1, nil
		})
		_, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{})
		require.ErrorIs(t, err, errDisk)
		require.False(t, called)
	})
	t.Run("later writes", func(t *testing.T) {
		t.Parallel()
		synctest.Test(t, func(t *testing.T) {
			store := newMemStore()
			store.failRunning, store.failProgress, store.failFinish, store.failDiscard = errDisk, errDisk, errDisk, errDisk
			var logs syncBuffer
			r := newRunner(t, store, &smartasync.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			sa := smartasync.New(r, "k", func(_ context.Context, job *smartasync.Job[struct{}]) (int, error) {
				progress := job.Progress
				progress(1, 1, "x")
				time.Sleep(time.Second)
				return 5, nil
			})
			out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{})
			require.NoError(t, err)
			require.Equal(t, 5, out.Value)
			bg, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Budget: time.Millisecond})
			require.NoError(t, err)
			require.Equal(t, jobstore.StateRunning, bg.Status)
			require.NoError(t, r.Close())
			for _, op := range []string{"set running", "set progress", "discard", "finish"} {
				require.Contains(t, logs.String(), "smartasync: store "+op+" failed", "op %s", op)
			}
			require.Contains(t, logs.String(), "job_id="+bg.JobID)
			require.Contains(t, logs.String(), "disk full")
		})
	})
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
