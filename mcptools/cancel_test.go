package mcptools_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

// markerScript writes argv[1]: the side effect that shows a run started.
const markerScript = "import sys\nopen(sys.argv[1], 'w').write('ran')\n"

// TestForeignCancelOfWaitingJob: server A runs one script at a time; its
// second job waits for the slot the first holds. Cancelled through server B
// (sharing the data directory), the waiting job never starts — not when
// the slot is freed either — and stays cancelled.
func TestForeignCancelOfWaitingJob(t *testing.T) {
	t.Parallel()
	one := func(o *mcptools.Options) { o.MaxConcurrent = 1 }
	a := newHarness(t, &harnessOptions{options: one})
	b := newHarness(t, &harnessOptions{dataDir: a.dataDir, options: one})

	holderID, pids := a.startTreeJob()
	marker := filepath.Join(t.TempDir(), "ran")
	var waiting mcptools.AsyncStarted
	a.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": markerScript, "args": []string{marker}}, &waiting)
	testenv.PollUntil(t, "the second job to wait for the slot", func() bool {
		return strings.Contains(a.jobStatus(waiting.JobID).Progress.Message, "waiting for a free execution slot")
	})

	var c mcptools.CancelResult
	b.callOK("py_cancel_job", map[string]any{"job_id": waiting.JobID}, &c)
	require.Equal(t, "cancelled", c.Status, c.Message)
	a.callOK("py_cancel_job", map[string]any{"job_id": holderID}, nil) // frees the slot
	testenv.RequireGone(t, pids...)
	require.NoError(t, a.ts.Runner().Wait(context.Background(), waiting.JobID), "A is done with the job")

	_, err := os.Stat(marker)
	require.ErrorIs(t, err, fs.ErrNotExist, "the cancelled job ran")
	info := a.jobStatus(waiting.JobID)
	require.Equal(t, "cancelled", info.Status)
	require.Contains(t, info.Error, "cancelled on request")
}

// TestForeignCancelStopsRunningJob: a running job of server A cancelled
// through server B is stopped by A as well, even when B cannot kill it
// itself (here its record names a process B cannot vouch for).
func TestForeignCancelStopsRunningJob(t *testing.T) {
	t.Parallel()
	a := newHarness(t, nil)
	b := newHarness(t, &harnessOptions{dataDir: a.dataDir})
	id, pids := a.startTreeJob()
	testenv.PollUntil(t, "the job's process to be recorded", func() bool {
		j, err := a.ts.Store().Get(context.Background(), id)
		require.NoError(t, err)
		return j.Process != nil
	})
	// A start time that is not the process's: no other process may kill it.
	_, err := b.ts.Store().Update(context.Background(), id, func(j *jobstore.Job) error {
		j.Process.StartTime++
		return nil
	})
	require.NoError(t, err)

	var c mcptools.CancelResult
	b.callOK("py_cancel_job", map[string]any{"job_id": id}, &c)
	require.Equal(t, "cancelled", c.Status, c.Message)
	testenv.RequireGone(t, pids...)
	require.Equal(t, "cancelled", a.jobStatus(id).Status)
}
