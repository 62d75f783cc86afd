package jobstore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// TestGetThenListAgree: once Get says a job ended, List never lists it as
// running, and once List lists it ended, Get agrees. writeRecord used to
// rename the record, fsync the directory and only then update the index
// List reads: 99 of 200 jobs were caught in between (issue 11).
func TestGetThenListAgree(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	const jobs = 200
	ids := make([]string, jobs)
	for i := range ids {
		id, err := s.CreateJob(ctx, "k", "")
		require.NoError(t, err)
		require.NoError(t, s.SetRunning(ctx, id))
		ids[i] = id
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			// Progress too: its append and its index entry are one step.
			_ = s.SetProgress(ctx, id, 1, 2, "half")
			_ = s.FinishJob(ctx, id, StateCompleted, json.RawMessage(`1`), "")
		})
	}
	var mismatches []string
	check := func(ctx context.Context) {
		for _, id := range ids {
			j, err := s.Get(ctx, id)
			require.NoError(t, err)
			running, _, err := s.List(ctx, &ListOptions{States: []State{StateRunning}})
			require.NoError(t, err)
			listed := slices.ContainsFunc(running, func(r *Job) bool { return r.ID == id })
			if j.State.Final() && listed {
				mismatches = append(mismatches, fmt.Sprintf("%s: Get %s, List running", id, j.State))
			}
			done, _, err := s.List(ctx, &ListOptions{States: []State{StateCompleted}})
			require.NoError(t, err)
			if slices.ContainsFunc(done, func(r *Job) bool { return r.ID == id }) {
				j, err := s.Get(ctx, id)
				require.NoError(t, err)
				if j.State != StateCompleted {
					mismatches = append(mismatches, fmt.Sprintf("%s: List completed, Get %s", id, j.State))
				}
			}
		}
	}
	for range 3 {
		check(ctx)
	}
	wg.Wait()
	check(ctx)
	require.Empty(t, mismatches)
}
