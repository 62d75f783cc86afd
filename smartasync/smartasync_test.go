package smartasync_test

import (
	"context"
	"errors"
	"fmt"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/smartasync"
)

type answer struct {
	N    int    `json:"n"`
	Note string `json:"note"`
}

// TestCallBudget checks the budget logic on a fake clock: the value within the
// budget, a running job after it, a pending job at once in async mode.
func TestCallBudget(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		work       time.Duration // how long the work takes
		call       smartasync.Call
		wantDone   bool
		wantStatus jobstore.State
		wantAfter  time.Duration // when Call returns (fake time)
	}{
		{name: "finishes within budget", work: 5 * time.Second, wantDone: true, wantStatus: "completed", wantAfter: 5 * time.Second},
		{name: "instant", work: 0, wantDone: true, wantStatus: "completed", wantAfter: 0},
		{name: "outlives default budget", work: 30 * time.Second, wantStatus: "running", wantAfter: smartasync.DefaultBudget},
		{name: "per-call budget", work: 2 * time.Second, call: smartasync.Call{Budget: time.Second}, wantStatus: "running", wantAfter: time.Second},
		{name: "per-call budget longer", work: 25 * time.Second, call: smartasync.Call{Budget: time.Minute}, wantDone: true, wantStatus: "completed", wantAfter: 25 * time.Second},
		{name: "async", work: time.Second, call: smartasync.Call{Async: true}, wantStatus: "pending", wantAfter: 0},
		{name: "async instant work", work: 0, call: smartasync.Call{Async: true}, wantStatus: "pending", wantAfter: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				store := newMemStore()
				r := newRunner(t, store, nil)
				sa := smartasync.New(r, "answer", func(ctx context.Context, _ *smartasync.Job[struct{}]) (answer, error) {
					if err := sleepCtx(ctx, tt.work); err != nil {
						return answer{}, err
					}
					return answer{N: 42, Note: "ok"}, nil
				})
				start := time.Now()
				out, err := sa.Call(t.Context(), struct{}{}, tt.call)
				require.NoError(t, err)
				require.Equal(t, tt.wantAfter, time.Since(start))
				require.Equal(t, tt.wantDone, out.Done)
				require.Equal(t, tt.wantStatus, out.Status)
				if tt.wantDone {
					require.Equal(t, answer{N: 42, Note: "ok"}, out.Value)
					require.Empty(t, out.JobID)
					require.NoError(t, r.Close())
					require.Zero(t, store.len(), "a call that finished within its budget leaves no record")
					return
				}
				require.NotEmpty(t, out.JobID)
				require.Contains(t, out.Message, out.JobID)
				require.NotContains(t, out.Message, "py_job_status", "MCP tool names belong to mcptools")
				require.Zero(t, out.Value)
				waitJob(t, r, out.JobID)
				require.Equal(t, start.Add(tt.work), time.Now(), "the job ran to its end, undisturbed")
				rec, ok := store.get(out.JobID)
				require.True(t, ok)
				require.Equal(t, jobstore.StateCompleted, rec.State)
				require.JSONEq(t, `{"n":42,"note":"ok"}`, string(rec.Result))
				require.Empty(t, rec.Err)
			})
		})
	}
}

func TestCallWorkError(t *testing.T) {
	t.Parallel()
	errBoom := errors.New("boom: bad input")
	tests := []struct {
		name string
		work time.Duration
	}{
		{name: "within budget", work: time.Second},
		{name: "in background", work: time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				store := newMemStore()
				r := newRunner(t, store, nil)
				sa := smartasync.New(r, "k", func(ctx context.Context, _ *smartasync.Job[struct{}]) (int, error) {
					time.Sleep(tt.work)
					return 7, errBoom
				})
				out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{})
				if out.Done {
					require.ErrorIs(t, err, errBoom, "as if called directly")
					require.Equal(t, 7, out.Value)
					require.Equal(t, jobstore.StateFailed, out.Status)
					require.NoError(t, r.Close())
					require.Zero(t, store.len())
					return
				}
				require.NoError(t, err)
				require.Equal(t, time.Minute, tt.work)
				waitJob(t, r, out.JobID)
				rec, _ := store.get(out.JobID)
				require.Equal(t, jobstore.StateFailed, rec.State)
				require.Equal(t, "boom: bad input", rec.Err)
				require.Empty(t, rec.Result)
			})
		})
	}
}

// TestClientCancelDuringBudget: a client that gives up leaves a recorded job,
// and the work keeps the request's values but not its cancellation.
func TestClientCancelDuringBudget(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		store := newMemStore()
		r := newRunner(t, store, nil)
		type key struct{}
		var sawValue any
		var sawCancel error
		sa := smartasync.New(r, "k", func(ctx context.Context, _ *smartasync.Job[struct{}]) (string, error) {
			time.Sleep(time.Minute)
			sawValue, sawCancel = ctx.Value(key{}), ctx.Err()
			return "done", nil
		})
		ctx, cancel := context.WithCancel(context.WithValue(t.Context(), key{}, "request-value"))
		time.AfterFunc(3*time.Second, cancel)
		start := time.Now()
		out, err := sa.Call(ctx, struct{}{}, smartasync.Call{})
		require.NoError(t, err, "nothing is untracked, so the call reports the job, not an error")
		require.Equal(t, 3*time.Second, time.Since(start))
		require.False(t, out.Done)
		require.Equal(t, jobstore.StateRunning, out.Status)
		require.Contains(t, out.Message, "client cancelled")
		rec, ok := store.get(out.JobID)
		require.True(t, ok)
		require.Equal(t, jobstore.StateRunning, rec.State)

		waitJob(t, r, out.JobID)
		require.Equal(t, "request-value", sawValue)
		require.NoError(t, sawCancel)
		rec, _ = store.get(out.JobID)
		require.Equal(t, jobstore.StateCompleted, rec.State)
		require.JSONEq(t, `"done"`, string(rec.Result))
	})
}

func TestCallAlreadyCancelledContext(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	r := newRunner(t, store, nil)
	called := false
	sa := smartasync.New(r, "k", func(context.Context, *smartasync.Job[struct{}]) (int, error) {
		called = true
		return 1, nil
	})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := sa.Call(ctx, struct{}{}, smartasync.Call{})
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, called)
	require.Zero(t, store.len())
}

func TestCallInvalidBudget(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	r := newRunner(t, store, nil)
	sa := smartasync.New(r, "k", func(context.Context, *smartasync.Job[struct{}]) (int, error) { return 1, nil })
	_, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Budget: -time.Second})
	require.ErrorIs(t, err, smartasync.ErrInvalidOptions)
	require.ErrorContains(t, err, "Call.Budget")
	require.Zero(t, store.len())
}

// TestJobIDAndInput: the work knows its job's id from its first
// instruction, when the record already exists, and gets the call's input.
func TestJobIDAndInput(t *testing.T) {
	t.Parallel()
	for _, async := range []bool{false, true} {
		t.Run(map[bool]string{false: "sync", true: "async"}[async], func(t *testing.T) {
			t.Parallel()
			store := newMemStore()
			r := newRunner(t, store, nil)
			sa := smartasync.New(r, "k", func(ctx context.Context, job *smartasync.Job[string]) (string, error) {
				if job.Input != "in" {
					return "", fmt.Errorf("input %q, want \"in\"", job.Input)
				}
				if _, exists := store.get(job.ID); !exists {
					return "", errors.New("the record does not exist yet")
				}
				return job.ID, nil
			})
			out, err := sa.Call(t.Context(), "in", smartasync.Call{Async: async})
			require.NoError(t, err)
			if async {
				waitJob(t, r, out.JobID)
				rec, _ := store.get(out.JobID)
				require.Equal(t, jobstore.StateCompleted, rec.State, rec.Err)
				require.JSONEq(t, `"`+out.JobID+`"`, string(rec.Result))
				return
			}
			require.True(t, out.Done)
			require.True(t, strings.HasPrefix(out.Value, "job-"), out.Value)
		})
	}
}

func namedWork(context.Context, *smartasync.Job[struct{}]) (int, error) { return 1, nil }

func TestLabel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, kind, label string
		want              string
	}{
		{name: "from the call", kind: "run_script", label: "train model", want: "train model"},
		{name: "from the kind", kind: "run_script", want: "run_script"},
		{name: "from the function name", want: "smartasync_test.namedWork"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := newMemStore()
			r := newRunner(t, store, nil)
			sa := smartasync.New(r, tt.kind, namedWork)
			out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Label: tt.label, Async: true})
			require.NoError(t, err)
			waitJob(t, r, out.JobID)
			rec, ok := store.get(out.JobID)
			require.True(t, ok)
			require.Equal(t, tt.want, rec.Label)
			require.Equal(t, tt.kind, rec.Kind)
		})
	}
}

func TestNewPanicsOnNil(t *testing.T) {
	t.Parallel()
	r := newRunner(t, newMemStore(), nil)
	require.Panics(t, func() { smartasync.New[struct{}, int](nil, "k", namedWork) })
	require.Panics(t, func() { smartasync.New[struct{}, int](r, "k", nil) })
}

// TestMarshalFailure: a value that is not JSON fails the background job
// instead of losing it silently.
func TestMarshalFailure(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	r := newRunner(t, store, nil)
	sa := smartasync.New(r, "k", func(context.Context, *smartasync.Job[struct{}]) (chan int, error) {
		return make(chan int), nil
	})
	out, err := sa.Call(t.Context(), struct{}{}, smartasync.Call{Async: true})
	require.NoError(t, err)
	waitJob(t, r, out.JobID)
	rec, _ := store.get(out.JobID)
	require.Equal(t, jobstore.StateFailed, rec.State)
	require.Contains(t, rec.Err, "cannot be stored as JSON")
	require.True(t, smartasync.Fault(rec.Err), "an unstorable value is a fault")
	require.False(t, smartasync.Fault("the input was wrong"), "the work's own error is not")
}

// TestKeep: a work that calls Job.Keep keeps its record although its call
// got the value within the budget; the Outcome names the job.
func TestKeep(t *testing.T) {
	t.Parallel()
	store := newMemStore()
	r := newRunner(t, store, nil)
	sa := smartasync.New(r, "k", func(_ context.Context, job *smartasync.Job[int]) (int, error) {
		if job.Input > 0 {
			job.Keep()
		}
		return job.Input * 2, nil
	})
	out, err := sa.Call(t.Context(), 21, smartasync.Call{})
	require.NoError(t, err)
	require.True(t, out.Done)
	require.Equal(t, 42, out.Value)
	require.NotEmpty(t, out.JobID, "a kept job is named")
	waitJob(t, r, out.JobID)
	rec, ok := store.get(out.JobID)
	require.True(t, ok)
	require.Equal(t, jobstore.StateCompleted, rec.State)
	require.JSONEq(t, "42", string(rec.Result))

	out, err = sa.Call(t.Context(), 0, smartasync.Call{})
	require.NoError(t, err)
	require.Empty(t, out.JobID, "not kept: discarded as always")
}
