package mcptools_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

// treeScript starts a grandchild, writes "<pid> <grandchild pid>\n" to
// argv[1], prints a line and sleeps.
const treeScript = `import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{os.getpid()} {child.pid}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
print("tree started", flush=True)
time.sleep(300)
`

func (h *harness) jobStatus(id string) mcptools.JobInfo {
	h.t.Helper()
	var st mcptools.JobStatusResult
	h.callOK("py_job_status", map[string]any{"job_id": id}, &st)
	return st.Job
}

func (h *harness) waitJob(id string) mcptools.JobInfo {
	h.t.Helper()
	var info mcptools.JobInfo
	testenv.PollUntil(h.t, "job "+id+" to end", func() bool {
		info = h.jobStatus(id)
		return info.Status == "completed" || info.Status == "failed" || info.Status == "cancelled"
	})
	return info
}

// TestSmartAsyncBudget: a run that outlives the budget returns a job id and
// keeps running; polled many times, it still completes with its result.
func TestSmartAsyncBudget(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) { o.Budget = 300 * time.Millisecond }})
	var r mcptools.RunResult
	res := h.callOK("run_script_in_dir", map[string]any{
		"directory": t.TempDir(), "use_uv": false, "job_label": "slow one",
		"script_content": "import time\nprint('begin', flush=True)\ntime.sleep(1.5)\nprint('end')",
	}, &r)
	require.Equal(t, string(jobstore.StateRunning), r.Status)
	require.NotEmpty(t, r.JobID)
	require.Contains(t, r.Message, r.JobID)
	// Its time so far: at least the budget it outlived, not 0.
	require.GreaterOrEqual(t, r.ElapsedSeconds, 0.3)
	require.Zero(t, r.QueuedSeconds)
	// One recommendation, not two that disagree (issue 16).
	require.Contains(t, text(res), "py_job_status")
	require.Contains(t, text(res), "py_cancel_job")
	require.NotContains(t, text(res), "kill_job")
	info := h.waitJob(r.JobID)
	require.Equal(t, "completed", info.Status, info.Error)
	require.Equal(t, "slow one", info.Label)
	require.Equal(t, "run_script_in_dir", info.Kind)
	require.NotNil(t, info.ExitCode)
	result, ok := info.Result.(map[string]any)
	require.True(t, ok, "result %T", info.Result)
	require.Equal(t, "begin\nend\n", result["stdout"])

	var out mcptools.JobOutput
	h.callOK("get_job_output", map[string]any{"job_id": r.JobID}, &out)
	require.Equal(t, "finished", out.Status)
	require.Equal(t, "begin\nend\n", out.Stdout)
	require.Equal(t, 0, *out.ExitCode)
	require.Equal(t, int64(len("begin\nend\n")), out.NextStdoutOffset)

	var list mcptools.ListJobsResult
	h.callOK("list_jobs", nil, &list)
	require.Equal(t, 1, list.Total)
	require.Equal(t, r.JobID, list.Jobs[0].JobID)
	require.False(t, list.Jobs[0].Running)
	require.True(t, list.Jobs[0].Stream)
	require.NotZero(t, list.Jobs[0].PID)
}

// TestFastCallLeavesNoJob: a run within the budget is not recorded.
func TestFastCallLeavesNoJob(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": "print(1)"}, nil)
	// The record is discarded just after the result is returned (smartasync
	// does not delay a result for a store write).
	testenv.PollUntil(t, "the discarded record to disappear", func() bool {
		var list mcptools.PyListJobsResult
		h.callOK("py_list_jobs", nil, &list)
		return list.Total == 0
	})
}

func TestAsyncModeAndAsyncTools(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	dir := t.TempDir()
	t.Run("async_mode", func(t *testing.T) {
		var r mcptools.RunResult
		h.callOK("run_script_in_dir", map[string]any{"directory": dir, "use_uv": false, "async_mode": true, "script_content": "print('bg')"}, &r)
		require.Equal(t, string(jobstore.StatePending), r.Status)
		require.Equal(t, "completed", h.waitJob(r.JobID).Status)
	})
	t.Run("run_script_in_dir_async", func(t *testing.T) {
		var r mcptools.AsyncStarted
		res := h.callOK("run_script_in_dir_async", map[string]any{"directory": dir, "use_uv": false, "script_content": "print('bg2')"}, &r)
		require.Equal(t, "started", r.Status)
		require.Equal(t, "system-python", r.ExecutionStrategy)
		require.Contains(t, text(res), r.JobID)
		require.Equal(t, "completed", h.waitJob(r.JobID).Status)
	})
	t.Run("stream=false writes the output at the end", func(t *testing.T) {
		var r mcptools.AsyncStarted
		h.callOK("run_script_in_dir_async", map[string]any{"directory": dir, "use_uv": false, "stream": false, "script_content": "print('late')"}, &r)
		h.waitJob(r.JobID)
		var out mcptools.JobOutput
		h.callOK("get_job_output", map[string]any{"job_id": r.JobID}, &out)
		require.Equal(t, "late\n", out.Stdout)
		var list mcptools.ListJobsResult
		h.callOK("list_jobs", nil, &list)
		for _, j := range list.Jobs {
			if j.JobID == r.JobID {
				require.False(t, j.Stream)
				require.Equal(t, "run_script_in_dir_async", j.Kind)
			}
		}
	})
}

// TestOutputCursor reads a running job's output with small byte windows:
// every byte arrives exactly once, and multi-byte characters are never split.
func TestOutputCursor(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	script := "import sys, time\nfor i in range(150):\n    print(f'line {i} é漢字', flush=True)\n    sys.stderr.write(f'err {i}\\n'); sys.stderr.flush()\n    time.sleep(0.004)\n"
	var want, wantErr strings.Builder
	for i := range 150 {
		want.WriteString("line " + strconv.Itoa(i) + " é漢字\n")
		wantErr.WriteString("err " + strconv.Itoa(i) + "\n")
	}
	var r mcptools.AsyncStarted
	h.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": script}, &r)
	var gotOut, gotErr strings.Builder
	var offOut, offErr int64
	sawRunning := false
	for calls := 0; ; calls++ {
		require.Less(t, calls, 100000)
		var o mcptools.JobOutput
		h.callOK("get_job_output", map[string]any{"job_id": r.JobID, "stdout_offset": offOut, "stderr_offset": offErr, "max_bytes": 7}, &o)
		gotOut.WriteString(o.Stdout)
		gotErr.WriteString(o.Stderr)
		require.NotContains(t, o.Stdout, "\uFFFD")
		offOut, offErr = o.NextStdoutOffset, o.NextStderrOffset
		if o.Status == "running" {
			sawRunning = true
		}
		if o.Status == "finished" && !o.More && o.Stdout == "" && o.Stderr == "" {
			break
		}
	}
	require.True(t, sawRunning)
	require.Equal(t, want.String(), gotOut.String())
	require.Equal(t, wantErr.String(), gotErr.String())
}

// TestKillAndCancel: kill_job and py_cancel_job stop the whole process tree
// and report it; a second stop is a clear no-op.
func TestKillAndCancel(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for _, tc := range []struct{ tool, status string }{{"kill_job", "killed"}, {"py_cancel_job", "cancelled"}} {
		t.Run(tc.tool, func(t *testing.T) {
			id, pids := h.startTreeJob()
			res := h.callOK(tc.tool, map[string]any{"job_id": id}, nil)
			var st struct {
				Status   string `json:"status"`
				ExitCode *int   `json:"exit_code"`
			}
			decode(t, res, &st)
			require.Equal(t, tc.status, st.Status, text(res))
			// The message says what the status says (issue 16).
			require.Contains(t, text(res), tc.status, "status %q", st.Status)
			testenv.RequireGone(t, pids...)
			info := h.jobStatus(id)
			require.Equal(t, "cancelled", info.Status)
			require.NotNil(t, info.ExitCode)
			require.Negative(t, *info.ExitCode)
			if tc.tool == "kill_job" {
				require.Equal(t, info.ExitCode, st.ExitCode)
			}
			// Again: nothing to stop, and it says so.
			res = h.callOK(tc.tool, map[string]any{"job_id": id}, nil)
			decode(t, res, &st)
			require.Equal(t, "cancelled", st.Status)
			require.Contains(t, text(res), "already ended")
		})
	}
}

// TestKillJobOfAnotherServer: a second Toolset sharing the data directory
// (as a second stdio server process would) kills a job it does not run.
func TestKillJobOfAnotherServer(t *testing.T) {
	t.Parallel()
	a := newHarness(t, nil)
	b := newHarness(t, &harnessOptions{dataDir: a.dataDir})
	id, pids := a.startTreeJob()
	var k mcptools.KillResult
	b.callOK("kill_job", map[string]any{"job_id": id}, &k)
	require.Equal(t, "killed", k.Status)
	testenv.RequireGone(t, pids...)
	require.Equal(t, "cancelled", a.jobStatus(id).Status)
	testenv.PollUntil(t, "the owner to record the exit code", func() bool { return a.jobStatus(id).ExitCode != nil })
}

// TestClientCancelKillsTree: notifications/cancelled for a synchronous call
// kills the script's process tree and records the job as cancelled.
func TestClientCancelKillsTree(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	pidFile := filepath.Join(t.TempDir(), "pids")
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := h.cs.CallTool(ctx, &mcp.CallToolParams{Name: "run_script_in_dir", Arguments: map[string]any{
			"directory": t.TempDir(), "use_uv": false, "script_content": treeScript, "args": []string{pidFile},
		}})
		errc <- err
	}()
	pids := readPIDs(t, pidFile, 2)
	cancel() // the SDK sends notifications/cancelled
	require.True(t, errors.Is(<-errc, context.Canceled))
	testenv.RequireGone(t, pids...)
	var list mcptools.PyListJobsResult
	testenv.PollUntil(t, "the cancelled job record", func() bool {
		h.callOK("py_list_jobs", map[string]any{"status_filter": "cancelled"}, &list)
		return list.Total == 1
	})
}

// TestCloseCancelsRunningJobs: Close kills running jobs' trees and records
// them as cancelled because the server is shutting down.
func TestCloseCancelsRunningJobs(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id, pids := h.startTreeJob()
	require.NoError(t, h.ts.Close())
	testenv.RequireGone(t, pids...)
	j, err := h.ts.Store().Get(context.Background(), id)
	if err == nil { // the store is the Toolset's own and is closed by now
		require.Equal(t, "cancelled", string(j.State))
	}
	other := newHarness(t, &harnessOptions{dataDir: h.dataDir})
	info := other.jobStatus(id)
	require.Equal(t, "cancelled", info.Status)
	require.Contains(t, info.Error, "shutting down")
}

func TestPyListJobsAndPrune(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	dir := t.TempDir()
	var ids []string
	for _, code := range []string{"print(1)", "import sys; sys.exit(2)", "print(3)"} {
		var r mcptools.AsyncStarted
		h.callOK("run_script_in_dir_async", map[string]any{"directory": dir, "use_uv": false, "script_content": code}, &r)
		h.waitJob(r.JobID)
		ids = append(ids, r.JobID)
	}
	var list mcptools.PyListJobsResult
	h.callOK("py_list_jobs", map[string]any{"limit": 2}, &list)
	require.Equal(t, 3, list.Total)
	require.Len(t, list.Jobs, 2)
	require.Equal(t, ids[2], list.Jobs[0].ID, "newest first")
	h.callOK("py_list_jobs", map[string]any{"status_filter": "running"}, &list)
	require.Zero(t, list.Total)

	var pr mcptools.PruneResult
	h.callOK("py_prune_jobs", nil, &pr) // 24 h by default: all are younger
	require.Equal(t, mcptools.PruneResult{Removed: 0, Remaining: 3}, pr)
	h.callOK("py_prune_jobs", map[string]any{"max_age_hours": 0, "keep_completed": true}, &pr)
	require.Equal(t, 3, pr.Removed+pr.Remaining)
	h.callOK("py_prune_jobs", map[string]any{"max_age_hours": 0}, &pr)
	require.Equal(t, 0, pr.Remaining)
	msg := h.callErr("get_job_output", map[string]any{"job_id": ids[0]})
	require.Contains(t, msg, "not found")
}

// TestIncrementalPollingGivesEachByteOnce: py_job_status(incremental=true)
// in a polling loop returns the job's output, each byte exactly once, while
// it runs and to its end, with progress and state in the same call.
func TestIncrementalPollingGivesEachByteOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) { o.ResponseTokens = 700 }}) // small pages: many polls
	script := `import sys, time
for i in range(3000):
    print(f"line {i:05d}", flush=(i % 50 == 0))
    if i % 500 == 0:
        print(f"warning {i}", file=sys.stderr, flush=True)
        time.sleep(0.05)
`
	var a mcptools.AsyncStarted
	h.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": script}, &a)
	var out, errs strings.Builder
	polls := 0
	for {
		var st mcptools.JobStatusResult
		h.callOK("py_job_status", map[string]any{"job_id": a.JobID, "incremental": true}, &st)
		polls++
		out.WriteString(st.NewStdout)
		errs.WriteString(st.NewStderr)
		require.NotNil(t, st.NextStdoutOffset)
		require.Equal(t, int64(out.Len()), *st.NextStdoutOffset, "the offsets follow what was returned")
		if st.Job.Status != "running" && st.Job.Status != "pending" && !st.More {
			break
		}
		require.Less(t, polls, 5000, "polling ends")
	}
	var want strings.Builder
	for i := range 3000 {
		fmt.Fprintf(&want, "line %05d\n", i)
	}
	require.True(t, want.String() == out.String(), "stdout: each byte once, in order (%d bytes of %d)", out.Len(), want.Len())
	require.Equal(t, "warning 0\nwarning 500\nwarning 1000\nwarning 1500\nwarning 2000\nwarning 2500\n", errs.String())
	require.Greater(t, polls, 5, "the pages were bounded")

	// Offsets override the remembered position.
	var st mcptools.JobStatusResult
	h.callOK("py_job_status", map[string]any{"job_id": a.JobID, "incremental": true, "stdout_offset": 11, "stderr_offset": 0}, &st)
	require.True(t, strings.HasPrefix(st.NewStdout, "line 00001\n"))
	require.True(t, strings.HasPrefix(st.NewStderr, "warning 0\n"))
	require.Contains(t, h.callErr("py_job_status", map[string]any{"job_id": a.JobID, "stdout_offset": 5}), "incremental")
}
