//go:build unix

package jobstore

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// startSleeper starts a process that blocks until killed, in its own group,
// and reaps it at cleanup.
func startSleeper(t *testing.T) int {
	t.Helper()
	cmd := sleeperCmd(true)
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		_ = cmd.Wait()
	})
	return pid
}

func TestKillProcessGroup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	require.ErrorIs(t, s.Kill(ctx, id), ErrNoProcess)

	pid := startSleeper(t)
	require.NoError(t, s.SetProcess(ctx, id, Process{PID: pid, PGID: pid}))
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	info, err := procfs.ReadStat(pid)
	require.NoError(t, err)
	boot, err := procfs.BootID()
	require.NoError(t, err)
	require.Equal(t, &Process{PID: pid, PGID: pid, StartTime: info.StartTime, BootID: boot}, j.Process)

	other := openT(t, s.Dir()+"/..", nil) // another server kills it
	require.NoError(t, other.Kill(ctx, id))
	testenv.PollUntil(t, "the group to die", func() bool { return !groupAlive(t, pid) })
	require.NoError(t, other.Kill(ctx, id), "killing a dead job is not an error")
}

func TestKillRefusesAReusedPID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	for _, tc := range []struct {
		name   string
		tamper func(p *Process)
	}{
		{"other start time", func(p *Process) { p.StartTime-- }},
		{"unknown start time", func(p *Process) { p.StartTime = 0 }},
		{"other start time, no group", func(p *Process) { p.StartTime--; p.PGID = 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id, err := s.CreateJob(ctx, "k", "")
			require.NoError(t, err)
			pid := startSleeper(t)
			require.NoError(t, s.SetProcess(ctx, id, Process{PID: pid, PGID: pid}))
			_, err = s.Update(ctx, id, func(j *Job) error { tc.tamper(j.Process); return nil })
			require.NoError(t, err)
			require.NoError(t, s.Kill(ctx, id))
			require.True(t, testenv.Alive(pid), "a process that is not the job's survives")
		})
	}
}

func TestKillNeverHitsOwnGroup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	// Recorded as if this test process were the job's own process.
	require.NoError(t, s.SetProcess(ctx, id, Process{PID: os.Getpid(), PGID: syscall.Getpgrp()}))
	require.NoError(t, s.Kill(ctx, id))
	require.NoError(t, s.SetProcess(ctx, id, Process{PID: os.Getpid(), PGID: 0}))
	require.NoError(t, s.Kill(ctx, id))
	// Still here.
}

// TestKillOrphanedMembers records a group whose leader exits at once,
// leaving a child behind in the group: the child is killed through the
// member scan.
func TestKillOrphanedMembers(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)

	cmd := helperCmd(t, "spawner", "")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	leader := cmd.Process.Pid
	require.NoError(t, s.SetProcess(ctx, id, Process{PID: leader, PGID: leader}))
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	orphan, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err)
	t.Cleanup(func() { _ = syscall.Kill(orphan, syscall.SIGKILL) })
	require.NoError(t, cmd.Wait()) // the leader is reaped: its pid is free
	_, err = procfs.ReadStat(leader)
	require.ErrorIs(t, err, procfs.ErrNoProcess)
	require.True(t, groupAlive(t, leader), "the orphan is still in the group")

	require.NoError(t, s.Kill(ctx, id))
	testenv.PollUntil(t, "the orphan to die", func() bool { return !groupAlive(t, leader) })
}

func TestOwnerAlive(t *testing.T) {
	t.Parallel()
	s := openT(t, testenv.TempDir(t), nil)
	// A pid that is certainly gone: a child we started and reaped.
	cmd := sleeperCmd(false)
	require.NoError(t, cmd.Start())
	gone := cmd.Process.Pid
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	live := startSleeper(t)
	info, err := procfs.ReadStat(live)
	require.NoError(t, err)
	for _, tc := range []struct {
		name  string
		owner Owner
		alive bool
	}{
		{"self", s.self, true},
		{"live process", Owner{PID: live, StartTime: info.StartTime, BootID: s.bootID}, true},
		{"live process, start unknown", Owner{PID: live}, true},
		{"reused pid", Owner{PID: live, StartTime: info.StartTime + 1, BootID: s.bootID}, false},
		{"other boot", Owner{PID: live, StartTime: info.StartTime, BootID: "other-boot"}, false},
		{"exited", Owner{PID: gone, StartTime: 1, BootID: s.bootID}, false},
		{"no owner", Owner{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.alive, s.host.OwnerAlive(tc.owner))
		})
	}
}
