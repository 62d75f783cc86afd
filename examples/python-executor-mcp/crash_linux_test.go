package main

import (
	"context"
	"io/fs"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// TestCrashLeavesNothing: a server whose runs have a process limit (so a
// cgroup each) is killed with SIGKILL while a job's script has a child that
// left the process group with setsid. The next server on the same data
// directory kills every process of the job, the escapee included, and
// removes the job's cgroups.
func TestCrashLeavesNothing(t *testing.T) {
	t.Parallel()
	testenv.RequireEnforceable(t, sandbox.Check(&sandbox.Policy{MaxProcesses: 64}))
	dataDir := t.TempDir()
	csA, _, cmdA := stdioServer(t, "PYEXEC_DATA_DIR="+dataDir, "PYEXEC_MAX_PROCESSES=64")
	jobID, pids := startTreeJob(t, csA, true)

	// What the job runs in, as its record holds it. (The owner is alive:
	// opening the store recovers nothing.)
	store, err := jobstore.Open(context.Background(), &jobstore.Options{Dir: dataDir})
	require.NoError(t, err)
	defer store.Close()
	var dirs []string
	testenv.PollUntil(t, "the job's cgroups in its record", func() bool {
		j, err := store.Get(context.Background(), jobID)
		require.NoError(t, err)
		if j.Process != nil {
			dirs = j.Process.Cgroups
		}
		return len(dirs) > 0
	})
	for _, d := range dirs {
		require.DirExists(t, d)
	}

	for _, pid := range pids {
		require.True(t, testenv.Alive(pid), "process %d runs before its server dies", pid)
	}
	require.NoError(t, cmdA.Process.Kill()) // SIGKILL: no cleanup at all
	_, _ = cmdA.Process.Wait()
	// From here the job's processes are a dead server's. Any pyexec server
	// that starts on this machine meanwhile — another test's, in this
	// package or another — sweeps dead servers' cgroups and kills what is
	// in them (sandbox.SweepCgroups, the same recovery), so whether they
	// still run when B starts is not this test's to assert: that none is
	// left once B has started is.

	csB, _, _ := stdioServer(t, "PYEXEC_DATA_DIR="+dataDir)
	testenv.RequireGone(t, pids...) // 0 survivors, the setsid escapee included
	for _, d := range dirs {
		_, err := os.Stat(d)
		require.ErrorIs(t, err, fs.ErrNotExist, "cgroup %s leaked", d)
	}
	st := structured(t, callTool(t, csB, "py_job_status", map[string]any{"job_id": jobID}))["job"].(map[string]any)
	require.Equal(t, "failed", st["status"])
}
