package mcptools_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// TestAddSmartTool: the edges of a custom smart-async tool — bad input is
// refused before any job exists (async mode too), the work's own error is
// the tool error, and an async call is a job with the value as its result.
func TestAddSmartTool(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	type args struct {
		N int `json:"n"`
		mcptools.SmartArgs
	}
	mcptools.AddSmartTool(h.ts, h.server, mcptools.SmartTool[args, int]{
		Tool: &mcp.Tool{Name: "square"},
		Check: func(in args) error {
			if in.N < 0 {
				return fmt.Errorf("n %d is negative; give a number ≥ 0", in.N)
			}
			return nil
		},
		Work: func(_ context.Context, job *smartasync.Job[args]) (int, error) {
			if job.Input.N == 13 {
				return 0, errors.New("13 is unlucky")
			}
			return job.Input.N * job.Input.N, nil
		},
		Text: func(out int) string { return fmt.Sprintf("= %d", out) },
	})
	// First: a call that ended within its budget has its record discarded
	// just after it returns (off its path), so a listing made later might
	// still see one.
	t.Run("bad input is refused at once", func(t *testing.T) {
		for _, async := range []bool{false, true} {
			msg := h.callErr("square", map[string]any{"n": -1, "async_mode": async})
			require.Contains(t, msg, "n -1 is negative")
		}
		jobs, _, err := h.ts.Store().List(t.Context(), &jobstore.ListOptions{Kind: "square"})
		require.NoError(t, err)
		require.Empty(t, jobs, "no job for refused input")
	})
	t.Run("within the budget", func(t *testing.T) {
		var r mcptools.SmartResult[int]
		res := h.callOK("square", map[string]any{"n": 7}, &r)
		require.Equal(t, string(jobstore.StateCompleted), r.Status)
		require.Equal(t, 49, *r.Result)
		require.Equal(t, "= 49", text(res))
	})
	t.Run("the work's error is the tool error", func(t *testing.T) {
		require.Contains(t, h.callErr("square", map[string]any{"n": 13}), "13 is unlucky")
	})
	t.Run("async mode is a job with the value as its result", func(t *testing.T) {
		var r mcptools.SmartResult[int]
		h.callOK("square", map[string]any{"n": 9, "async_mode": true, "job_label": "nine"}, &r)
		require.Equal(t, string(jobstore.StatePending), r.Status)
		require.Contains(t, r.Message, "py_job_status")
		require.NoError(t, h.ts.Runner().Wait(t.Context(), r.JobID))
		var st mcptools.JobStatusResult
		h.callOK("py_job_status", map[string]any{"job_id": r.JobID}, &st)
		require.Equal(t, "completed", st.Job.Status)
		require.Equal(t, "nine", st.Job.Label)
		require.Equal(t, 81.0, st.Job.Result)
	})
}
