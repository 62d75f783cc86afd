//go:build unix

package jobstore

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/cgroup"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// escapeeScript starts a child that leaves the process group (setsid) and
// sleeps, writes "<pid> <child pid>\n" to argv[1], and sleeps.
const escapeeScript = `import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=True)
assert os.getsid(child.pid) != os.getsid(0)
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(f"{os.getpid()} {child.pid}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
`

// The environment of the "sandboxowner" helper besides the store directory.
const (
	helperPythonEnv  = "JOBSTORE_TEST_PYTHON"
	helperPIDFileEnv = "JOBSTORE_TEST_PIDFILE"
)

// sandboxPolicy is the confinement of the sandboxowner helper's run: a
// process limit, so the run has a cgroup of its own.
var sandboxPolicy = sandbox.Policy{MaxProcesses: 64}

// helperSandboxOwner is a server process that runs escapeeScript as a job
// the way a server does (executor, sandbox, SetProcess from OnStart),
// reports the job id once the process is recorded, and waits to be killed.
func helperSandboxOwner(ctx context.Context) error {
	s, err := Open(ctx, &Options{Dir: os.Getenv(helperDirEnv)})
	if err != nil {
		return err
	}
	id, err := s.CreateJob(ctx, "test", "sandboxed, owned by helper")
	if err != nil {
		return err
	}
	if err := s.SetRunning(ctx, id); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp("", "jobstore-sandboxowner-")
	if err != nil {
		return err
	}
	e, err := executor.New(&executor.Options{Python: os.Getenv(helperPythonEnv), TempDir: tmp, DataDir: tmp})
	if err != nil {
		return err
	}
	pol := sandboxPolicy
	recorded := make(chan error, 1)
	go func() {
		_, err := e.Run(ctx, &executor.Request{Code: escapeeScript, Args: []string{os.Getenv(helperPIDFileEnv)}, Sandbox: &pol,
			OnStart: func(si executor.StartInfo) {
				recorded <- s.SetProcess(ctx, id, Process{PID: si.PID, PGID: si.PID, StartTime: si.StartTime, Cgroups: si.Cgroups, PIDNamespace: si.PIDNamespace})
			}})
		recorded <- fmt.Errorf("the run ended: %v", err)
	}()
	if err := <-recorded; err != nil {
		return err
	}
	fmt.Println(id)
	for {
		time.Sleep(time.Hour) // until killed
	}
}

// requireSandbox ends the test where the machine cannot give a run a
// cgroup; in CI, whose machines can, that is a failure.
func requireSandbox(t *testing.T, p *sandbox.Policy) {
	t.Helper()
	testenv.RequireEnforceable(t, sandbox.Check(p))
}

// TestRecoverKillsEscapeesThroughCgroups: a server running a sandboxed job
// (a process limit, so a cgroup) whose script starts a child that leaves
// the process group with setsid is killed with SIGKILL. Recovery by the next
// server kills every process of the job, the escapee included, and removes
// the job's cgroups: nothing survives the crash.
func TestRecoverKillsEscapeesThroughCgroups(t *testing.T) {
	t.Parallel()
	python := testenv.Python(t)
	requireSandbox(t, &sandboxPolicy)
	ctx := t.Context()
	dir := testenv.TempDir(t)
	pidFile := filepath.Join(testenv.TempDir(t), "pids")
	cmd := helperCmd(t, "sandboxowner", dir, helperPythonEnv+"="+python, helperPIDFileEnv+"="+pidFile)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err, "helper did not report its job")
	id := strings.TrimSpace(line)
	pids := readPIDFile(t, pidFile)
	t.Cleanup(func() {
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	})

	s := openT(t, dir, nil)
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	require.NotNil(t, j.Process)
	dirs := j.Process.Cgroups
	require.NotEmpty(t, dirs, "the job's cgroups are recorded when it starts")
	t.Cleanup(func() { _ = cgroup.Remove(dirs...) })
	for _, d := range dirs {
		require.NoError(t, cgroup.Validate(d))
	}

	require.NoError(t, cmd.Process.Kill()) // the server crashes
	_ = cmd.Wait()
	for _, pid := range pids {
		require.True(t, testenv.Alive(pid), "process %d of the job outlives its server until recovery", pid)
	}

	n, err := s.Recover(ctx) // as the next server's Open does
	require.NoError(t, err)
	require.Equal(t, 1, n)
	testenv.RequireGone(t, pids...) // the setsid escapee too: 0 survivors
	for _, d := range dirs {
		_, err := os.Stat(d)
		require.ErrorIs(t, err, fs.ErrNotExist, "cgroup %s leaked", d)
	}
	j, err = s.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StateFailed, j.State)
	require.Equal(t, OwnerDiedMessage, j.Error)
}

// readPIDFile waits for a script to write "<pid> <pid>...\n" to path.
func readPIDFile(t *testing.T, path string) []int {
	t.Helper()
	var pids []int
	testenv.PollUntil(t, "the script's pid file", func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		pids = pids[:0]
		for _, f := range strings.Fields(string(b)) {
			var pid int
			_, err := fmt.Sscan(f, &pid)
			require.NoError(t, err)
			pids = append(pids, pid)
		}
		return len(pids) > 0
	})
	return pids
}

// startEscapee runs escapeeScript confined by sandboxPolicy in this process,
// as the executor would (its own process group), and returns the Box, the
// leader and its pids (the leader's and the setsid child's).
func startEscapee(t *testing.T) (*sandbox.Box, *exec.Cmd, []int) {
	t.Helper()
	python := testenv.Python(t)
	requireSandbox(t, &sandboxPolicy)
	pidFile := filepath.Join(testenv.TempDir(t), "pids")
	cmd := exec.Command(python, "-c", escapeeScript, pidFile)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	pol := sandboxPolicy
	box, err := sandbox.Prepare(t.Context(), cmd, &pol, nil)
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	pids := readPIDFile(t, pidFile)
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		_ = box.Close()
	})
	return box, cmd, pids
}

// TestKillReachesCgroupMembers: Kill from another server process kills the
// setsid escapee of a live job through the job's cgroup, and leaves the
// cgroup to its owner; a recorded cgroup not named after the job's owner is
// never touched.
func TestKillReachesCgroupMembers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	s := openT(t, dir, nil)
	other := openT(t, dir, nil)

	t.Run("the job's cgroup", func(t *testing.T) {
		box, cmd, pids := startEscapee(t)
		id, err := s.CreateJob(ctx, "k", "")
		require.NoError(t, err)
		require.NoError(t, s.SetProcess(ctx, id, Process{PID: cmd.Process.Pid, PGID: cmd.Process.Pid, Cgroups: box.CgroupDirs()}))
		require.NoError(t, other.Kill(ctx, id))
		testenv.RequireGone(t, pids...)
		for _, d := range box.CgroupDirs() {
			require.DirExists(t, d, "the live owner removes its cgroups")
		}
	})
	t.Run("another owner's cgroup", func(t *testing.T) {
		box, _, pids := startEscapee(t)
		id, err := s.CreateJob(ctx, "k", "")
		require.NoError(t, err)
		// Recorded as the cgroups of a job whose process is a sleeper.
		pid := startSleeper(t)
		require.NoError(t, s.SetProcess(ctx, id, Process{PID: pid, PGID: pid, Cgroups: box.CgroupDirs()}))
		_, err = s.Update(ctx, id, func(j *Job) error { j.Owner.PID++; return nil })
		require.NoError(t, err)
		require.NoError(t, other.Kill(ctx, id))
		testenv.PollUntil(t, "the job's own group to die", func() bool { return !groupAlive(t, pid) })
		for _, p := range pids {
			require.True(t, testenv.Alive(p), "process %d of a cgroup that is not the job's owner's survives", p)
		}
	})
}

// TestSetProcessAfterCancel: a job cancelled (by any process) before its
// process was recorded records none: its starter must stop it.
func TestSetProcessAfterCancel(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	require.NoError(t, s.FinishJob(ctx, id, StateCancelled, nil, "cancelled on request"))
	require.ErrorIs(t, s.SetProcess(ctx, id, Process{PID: os.Getpid()}), ErrFinished)
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	require.Nil(t, j.Process)
	require.Equal(t, StateCancelled, j.State)
}
