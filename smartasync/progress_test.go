package smartasync_test

import (
	"context"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/smartasync"
)

// TestProgressThrottled reports progress every 10 ms for 10 s of fake time:
// the store sees at most one write per interval, a value while the job runs,
// and the last value when it ends.
func TestProgressThrottled(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		interval  time.Duration
		maxWrites int
	}{
		{name: "default interval", interval: 0, maxWrites: 10*4 + 2},
		{name: "one second", interval: time.Second, maxWrites: 10 + 2},
		{name: "longer than the job", interval: time.Hour, maxWrites: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				store := newMemStore()
				r := newRunner(t, store, &smartasync.Options{ProgressInterval: tt.interval})
				sa := smartasync.New(r, "k", func(_ context.Context, job *smartasync.Job[struct{}]) (int, error) {
					progress := job.Progress
					for i := 1; i <= 1000; i++ {
						progress(float64(i), 1000, "step")
						time.Sleep(10 * time.Millisecond)
					}
					progress(1000, 1000, "finished")
					return 1, nil
				})
				out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Budget: time.Second})
				require.NoError(t, err)
				require.Equal(t, jobstore.StateRunning, out.Status)

				time.Sleep(4 * time.Second)
				synctest.Wait()
				rec, _ := store.get(out.JobID)
				require.Equal(t, jobstore.StateRunning, rec.State)
				require.Positive(t, rec.Current, "progress is visible while the job runs")
				require.Equal(t, 1000.0, rec.Total)

				waitJob(t, r, out.JobID)
				rec, _ = store.get(out.JobID)
				require.Equal(t, jobstore.StateCompleted, rec.State)
				require.Equal(t, 1000.0, rec.Current)
				require.Equal(t, "finished", rec.Message, "the last value is never lost")
				require.LessOrEqual(t, rec.ProgressWrites, tt.maxWrites)
				require.GreaterOrEqual(t, rec.ProgressWrites, 2)
			})
		})
	}
}

// TestProgressAfterReturn: a progress call from a goroutine the work left
// behind is dropped, not written after the final record.
func TestProgressAfterReturn(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		r := newRunner(t, store, nil)
		var saved smartasync.ProgressFunc
		sa := smartasync.New(r, "k", func(_ context.Context, job *smartasync.Job[struct{}]) (int, error) {
			progress := job.Progress
			progress(1, 2, "one")
			saved = progress
			return 1, nil
		})
		out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
		require.NoError(t, err)
		waitJob(t, r, out.JobID)
		saved(2, 2, "late")
		synctest.Wait()
		rec, _ := store.get(out.JobID)
		require.Equal(t, "one", rec.Message)
	})
}

// TestCallProgressWhileWaiting: Call.Progress gets the work's reports while
// the call waits, and none once the call has returned (the work goes on in
// the background, reporting to the Store only).
func TestCallProgressWhileWaiting(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		r := newRunner(t, store, nil)
		release := make(chan struct{})
		sa := smartasync.New(r, "k", func(_ context.Context, job *smartasync.Job[struct{}]) (int, error) {
			job.Progress(1, 2, "waited for")
			<-release
			job.Progress(2, 2, "in the background")
			return 1, nil
		})
		var mu sync.Mutex
		var got []string
		out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Budget: time.Second, Progress: func(_, _ float64, msg string) {
			mu.Lock()
			got = append(got, msg)
			mu.Unlock()
		}})
		require.NoError(t, err)
		require.False(t, out.Done)
		close(release)
		waitJob(t, r, out.JobID)
		mu.Lock()
		defer mu.Unlock()
		require.Equal(t, []string{"waited for"}, got)
		rec, _ := store.get(out.JobID)
		require.Equal(t, "in the background", rec.Message)
	})
}
