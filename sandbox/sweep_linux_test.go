package sandbox

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/cgroup"
	"github.com/pyexec-mcp/pyexec/internal/procfs"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// TestSweepCgroups: the cgroups a dead server left (named after its pid
// and start time), and one named after a live pid with another start time
// (the pid was reused), are emptied, their setsid members killed, and
// removed; the cgroup of a live server (this process) is not touched.
func TestSweepCgroups(t *testing.T) {
	t.Parallel()
	requireAvailable(t, &Policy{MaxProcesses: 10})
	python := testenv.Python(t)
	top, _, err := currentHost().cgroupParent("pids")
	require.NoError(t, err)
	// The test's cgroups live in a private parent that no other sweep looks
	// into: every test process that makes a Toolset sweeps this server
	// cgroup's dead owners too, and could remove a test cgroup between its
	// mkdir and its first member (that made this test flaky in CI).
	parent := filepath.Join(top, "pyexec-sweep-test-"+strconv.Itoa(os.Getpid()))
	require.NoError(t, os.Mkdir(parent, 0o755))
	t.Cleanup(func() { _ = cgroup.Remove(parent) })

	// A server that died: a process we started, then killed and reaped.
	dead := exec.Command(python, "-c", "import time; time.sleep(300)")
	require.NoError(t, dead.Start())
	deadStat, err := procfs.ReadStat(dead.Process.Pid)
	require.NoError(t, err)
	deadStart := deadStat.StartTime
	require.NoError(t, dead.Process.Kill())
	_ = dead.Wait()
	self, err := procfs.ReadStat(os.Getpid())
	require.NoError(t, err)
	selfStart := self.StartTime
	live, err := cgroup.NewName()
	require.NoError(t, err)

	cases := []struct {
		name  string
		swept bool
	}{
		{"pyexec-" + strconv.Itoa(dead.Process.Pid) + "-" + strconv.FormatUint(deadStart, 10) + "-00000000000000a1", true},
		{"pyexec-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatUint(selfStart+1, 10) + "-00000000000000a2", true},
		{live, false},
	}
	members := make([]*exec.Cmd, len(cases))
	for i, tc := range cases {
		dir := filepath.Join(parent, tc.name)
		require.NoError(t, os.Mkdir(dir, 0o755))
		t.Cleanup(func() { _ = cgroup.Remove(dir) })
		// A member that left every process group and session of ours.
		m := exec.Command(python, "-c", "import time; time.sleep(300)")
		m.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
		require.NoError(t, m.Start())
		t.Cleanup(func() { _ = m.Process.Kill(); _ = m.Wait() })
		require.NoError(t, os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(m.Process.Pid)), 0))
		members[i] = m
	}

	removed, err := cgroup.Sweep(parent)
	require.NoError(t, err)
	require.Len(t, removed, 2)
	// SweepCgroups sweeps this server's own cgroups the same way (it must
	// not fail because other sweepers race it).
	_, err = SweepCgroups()
	require.NoError(t, err)
	for i, tc := range cases {
		dir := filepath.Join(parent, tc.name)
		_, statErr := os.Stat(dir)
		if !tc.swept {
			require.NoError(t, statErr, "a live server's cgroup is never swept")
			require.True(t, testenv.Alive(members[i].Process.Pid), "a live server's run is never killed")
			continue
		}
		require.ErrorIs(t, statErr, fs.ErrNotExist, "%s was not removed", tc.name)
		err := members[i].Wait()
		var ee *exec.ExitError
		require.ErrorAs(t, err, &ee)
		require.Equal(t, syscall.SIGKILL, ee.Sys().(syscall.WaitStatus).Signal(), "the setsid member of %s was killed", tc.name)
	}
}
