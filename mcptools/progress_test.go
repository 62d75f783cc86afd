package mcptools_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

// progressScript uses the documented two-line helper, then waits for a
// file so the test decides when it ends.
func progressScript(gate string) string {
	return mcptools.PythonProgressHelper + `import os, time
for i in range(1, 4):
    print(f"step {i} done", flush=True)
    progress(i, 3, f"step {i} of 3")
while not os.path.exists(` + pyQuote(gate) + `):
    time.sleep(0.01)
print("bye")
`
}

func pyQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "\\'") + "'" }

// TestProgressNotifications: a call with a progress token gets MCP progress
// notifications carrying the script's progress and messages, and the script
// progress protocol works through the documented helper.
func TestProgressNotifications(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	gate := filepath.Join(t.TempDir(), "gate")
	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := h.cs.CallTool(context.Background(), &mcp.CallToolParams{
			Name: "run_script_in_dir",
			Meta: mcp.Meta{"progressToken": "tok-1"},
			Arguments: map[string]any{
				"directory": t.TempDir(), "use_uv": false, "script_content": progressScript(gate),
			},
		})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	testenv.PollUntil(t, "a progress notification with the script's last step", func() bool {
		for _, p := range h.progressSnapshot() {
			// 3 of 3, or just above 3 when the count of output lines
			// reached 3 before the script's report did (values increase).
			if p.Progress >= 3 && p.Progress < 3.001 && p.Total == 3 && p.Message == "step 3 of 3" {
				return true
			}
		}
		return false
	})
	require.NoError(t, os.WriteFile(gate, nil, 0o600))
	res := <-done
	require.NotNil(t, res)
	require.False(t, res.IsError, text(res))
	last := -1.0
	for _, p := range h.progressSnapshot() {
		require.Equal(t, "tok-1", p.ProgressToken)
		require.Greater(t, p.Progress, last, "progress increases with each notification")
		last = p.Progress
	}
}

// TestProgressStrictlyIncreases: a script whose values go 5, 3, 3, 8 gives
// a client progress values that increase with each notification (MCP,
// basic/utilities/progress) while its messages, and its output lines when it
// has no message, still come through.
func TestProgressStrictlyIncreases(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	gates := t.TempDir()
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := h.cs.CallTool(context.Background(), &mcp.CallToolParams{
			Name: "run_script_in_dir",
			Meta: mcp.Meta{"progressToken": "tok-2"},
			Arguments: map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": mcptools.PythonProgressHelper + `import os, time
def wait(gate):
    while not os.path.exists(os.path.join(` + pyQuote(gates) + `, gate)):
        time.sleep(0.01)
progress(5, 10, "five")
wait("1")
progress(3, 10, "three")
wait("2")
progress(3, 10)
print("line c", flush=True)
wait("3")
progress(8, 10, "eight")
wait("4")
`},
		})
		if err != nil {
			t.Error(err)
		} else if res.IsError {
			t.Error(text(res))
		}
	}()
	seen := func(what string, match func(*mcp.ProgressNotificationParams) bool) *mcp.ProgressNotificationParams {
		t.Helper()
		var got *mcp.ProgressNotificationParams
		testenv.PollUntil(t, what, func() bool {
			for _, p := range h.progressSnapshot() {
				if match(p) {
					got = p
					return true
				}
			}
			return false
		})
		return got
	}
	open := func(gate string) { require.NoError(t, os.WriteFile(filepath.Join(gates, gate), nil, 0o600)) }
	seen(`5 "five"`, func(p *mcp.ProgressNotificationParams) bool { return p.Message == "five" && p.Progress == 5 })
	open("1")
	three := seen(`"three"`, func(p *mcp.ProgressNotificationParams) bool { return p.Message == "three" })
	require.Greater(t, three.Progress, 5.0, "3 after 5 is sent above 5")
	require.Less(t, three.Progress, 5.001, "and shows no movement")
	open("2")
	seen(`the output line as the message`, func(p *mcp.ProgressNotificationParams) bool { return p.Message == "line c" })
	open("3")
	seen(`8 "eight"`, func(p *mcp.ProgressNotificationParams) bool { return p.Message == "eight" && p.Progress == 8 })
	open("4")
	<-done
	last := -1.0
	for _, p := range h.progressSnapshot() {
		if p.ProgressToken != "tok-2" {
			continue
		}
		require.Greater(t, p.Progress, last, "progress increases with each notification: %+v", p)
		require.EqualValues(t, 10, p.Total)
		last = p.Progress
	}
}

// TestProgressShowsOutputLines: without script progress, the message is the
// latest output lines.
func TestProgressShowsOutputLines(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	gate := filepath.Join(t.TempDir(), "gate")
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, err := h.cs.CallTool(context.Background(), &mcp.CallToolParams{
			Name: "run_script_in_dir",
			Meta: mcp.Meta{"progressToken": 7},
			Arguments: map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": `import os, time
print("loading data", flush=True)
while not os.path.exists(` + pyQuote(gate) + `):
    time.sleep(0.01)
`},
		})
		if err != nil {
			t.Error(err)
		}
	}()
	testenv.PollUntil(t, "an output line as a progress message", func() bool {
		for _, p := range h.progressSnapshot() {
			if strings.Contains(p.Message, "loading data") {
				return true
			}
		}
		return false
	})
	require.NoError(t, os.WriteFile(gate, nil, 0o600))
	<-done
}

// TestJobProgressPersisted: progress of a background job shows in
// py_job_status and py_list_jobs.
func TestJobProgressPersisted(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	gate := filepath.Join(t.TempDir(), "gate")
	var r mcptools.AsyncStarted
	h.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": progressScript(gate)}, &r)
	testenv.PollUntil(t, "the job's progress", func() bool {
		p := h.jobStatus(r.JobID).Progress
		return p.Current == 3 && p.Total == 3 && p.Message == "step 3 of 3"
	})
	var list mcptools.PyListJobsResult
	h.callOK("py_list_jobs", map[string]any{"status_filter": "running"}, &list)
	require.Equal(t, 1, list.Total)
	require.Equal(t, "step 3 of 3", list.Jobs[0].Progress.Message)
	require.NoError(t, os.WriteFile(gate, nil, 0o600))
	require.Equal(t, "completed", h.waitJob(r.JobID).Status)
}

// TestPythonProgressHelperOutsidePyexec: the helper is a no-op without the
// variable.
func TestPythonProgressHelperOutsidePyexec(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	cmd := exec.Command(py, "-c", mcptools.PythonProgressHelper+"progress(1, 2, 'x'); print('ok')")
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "ok\n", string(out))
}

// TestConcurrencyLimit: with one execution slot, a second run waits and
// tells its client so; both complete.
func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) { o.MaxConcurrent = 1 }})
	gate := filepath.Join(t.TempDir(), "gate")
	var first mcptools.AsyncStarted
	h.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": progressScript(gate)}, &first)
	testenv.PollUntil(t, "the first job to run", func() bool { return h.jobStatus(first.JobID).Progress.Current == 3 })

	done := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := h.cs.CallTool(context.Background(), &mcp.CallToolParams{
			Name: "run_script_in_dir", Meta: mcp.Meta{"progressToken": "wait"},
			Arguments: map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": "print('second')"},
		})
		if err != nil {
			t.Error(err)
		}
		done <- res
	}()
	testenv.PollUntil(t, "a notification that the call waits for a slot", func() bool {
		for _, p := range h.progressSnapshot() {
			if strings.Contains(p.Message, "waiting for a free execution slot") {
				return true
			}
		}
		return false
	})
	select {
	case <-done:
		t.Fatal("the second run did not wait for the slot")
	case <-time.After(100 * time.Millisecond): // a negative check: it is still waiting
	}
	require.NoError(t, os.WriteFile(gate, nil, 0o600))
	res := <-done
	var r mcptools.RunResult
	decode(t, res, &r)
	require.Equal(t, "second\n", r.Stdout)
	// The wait is reported apart from the run's own time.
	require.Positive(t, r.QueuedSeconds, "the run waited for the slot")
	require.Contains(t, r.Message, "for a free execution slot")
	require.Contains(t, text(res), "for a free execution slot first")
}

// sleeperScript writes its marker (argv[2]) into argv[1], then waits until
// argv[3] markers are there: it ends only if that many scripts run at once.
const sleeperScript = `import os, sys, time
d, me, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
open(os.path.join(d, me), "w").close()
deadline = time.monotonic() + 50
while len(os.listdir(d)) < n:
    if time.monotonic() > deadline:
        sys.exit("only %d of %d scripts ran at once" % (len(os.listdir(d)), n))
    time.sleep(0.02)
`

// TestSleepingScriptsRunAtOnce: with the default limit, ten scripts that
// wait (for each other) all run at once, none queued behind another
// (issue 16: ten concurrent sleeps took two rounds under a limit of 8). A
// limit below ten would leave the running ones waiting for markers that
// the queued ones cannot write until they have given up.
func TestSleepingScriptsRunAtOnce(t *testing.T) {
	t.Parallel()
	const n = 10
	require.GreaterOrEqual(t, mcptools.DefaultMaxConcurrent, n)
	h := newHarness(t, nil)
	markers := t.TempDir()
	ids := make([]string, n)
	for i := range n {
		var a mcptools.AsyncStarted
		h.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false,
			"script_content": sleeperScript, "args": []string{markers, strconv.Itoa(i), strconv.Itoa(n)}}, &a)
		ids[i] = a.JobID
	}
	for _, id := range ids {
		info := h.waitJob(id)
		require.Equal(t, "completed", info.Status, info.Error)
		result, ok := info.Result.(map[string]any)
		require.True(t, ok, "result %T", info.Result)
		require.EqualValues(t, 0, result["exit_code"], "stderr: %v", result["stderr"])
		require.NotContains(t, result, "queued_seconds", "no run waited for a slot")
	}
}
