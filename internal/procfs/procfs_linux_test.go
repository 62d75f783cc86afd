package procfs

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadStatSelf(t *testing.T) {
	t.Parallel()
	st, err := ReadStat(os.Getpid())
	require.NoError(t, err)
	require.Equal(t, os.Getpid(), st.PID)
	require.Equal(t, os.Getppid(), st.PPID)
	require.Equal(t, syscall.Getpgrp(), st.PGID)
	require.NotZero(t, st.StartTime)
	require.False(t, st.Exited())
	alive, err := Alive(os.Getpid(), st.StartTime)
	require.NoError(t, err)
	require.True(t, alive)
	alive, err = Alive(os.Getpid(), st.StartTime+1)
	require.NoError(t, err)
	require.False(t, alive, "another start time: the pid was reused")
}

func TestNoSuchProcess(t *testing.T) {
	t.Parallel()
	for _, pid := range []int{-1, 0, 1 << 30} {
		t.Run(strconv.Itoa(pid), func(t *testing.T) {
			t.Parallel()
			_, err := ReadStat(pid)
			require.ErrorIs(t, err, ErrNoProcess)
			require.ErrorContains(t, err, "process "+strconv.Itoa(pid))
			_, err = ReadStatus(pid)
			require.ErrorIs(t, err, ErrNoProcess)
			require.ErrorContains(t, err, "process "+strconv.Itoa(pid))
			alive, err := Alive(pid, 0)
			require.NoError(t, err)
			require.False(t, alive)
		})
	}
	_, err := Group(0)
	require.ErrorContains(t, err, "process group 0", "group 0 is the kernel's threads")
}

// TestCommandNameLikeFields: a real process whose name holds spaces and
// parentheses that read like a zombie's fields is read right.
func TestCommandNameLikeFields(t *testing.T) {
	t.Parallel()
	sleep, err := exec.LookPath("sleep")
	require.NoError(t, err)
	b, err := os.ReadFile(sleep)
	require.NoError(t, err)
	name := filepath.Join(t.TempDir(), ") Z 1 (x")
	require.NoError(t, os.WriteFile(name, b, 0o700))
	cmd := exec.Command(name, "300")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	pid := cmd.Process.Pid
	// exec has happened once comm is the new name (set at exec, after fork).
	waitFor(t, func() bool {
		c, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/comm")
		return string(c) == ") Z 1 (x\n"
	})
	st, err := ReadStat(pid)
	require.NoError(t, err)
	require.Equal(t, Stat{PID: pid, State: st.State, PPID: os.Getpid(), PGID: pid, StartTime: st.StartTime}, st)
	require.Contains(t, "RSD", string(st.State), "running or sleeping, not the Z in its name")
}

// TestZombie: a process that exited but is not reaped exists, has exited,
// and has no memory; once reaped it is gone.
func TestZombie(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("/bin/sh", "-c", "exit 0")
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	waitFor(t, func() bool { st, err := ReadStat(pid); return err == nil && st.Exited() })
	alive, err := Alive(pid, 0)
	require.NoError(t, err)
	require.False(t, alive, "a zombie is not alive")
	status, err := ReadStatus(pid)
	require.NoError(t, err)
	require.False(t, status.HasMemory)
	require.NoError(t, cmd.Wait())
	_, err = ReadStat(pid)
	require.ErrorIs(t, err, ErrNoProcess)
}

func TestReadStatusSelf(t *testing.T) {
	t.Parallel()
	st, err := ReadStatus(os.Getpid())
	require.NoError(t, err)
	require.True(t, st.HasMemory)
	require.Positive(t, st.VmRSS)
	require.GreaterOrEqual(t, st.VmHWM, st.VmRSS)
}

// TestGroup: Group finds a group's members, an orphan re-parented away from
// the leader included, and nothing once they are gone.
func TestGroup(t *testing.T) {
	t.Parallel()
	// The shell starts a grandchild and exits at once: the grandchild is
	// orphaned but stays in the group.
	cmd := exec.Command("/bin/sh", "-c", "sleep 300 & echo $!")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	pgid := cmd.Process.Pid
	t.Cleanup(func() { _ = syscall.Kill(-pgid, syscall.SIGKILL) })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	orphan, err := strconv.Atoi(strings.TrimSpace(line))
	require.NoError(t, err)
	require.NoError(t, cmd.Wait())

	members, err := Group(pgid)
	require.NoError(t, err)
	require.Len(t, members, 1, "the reaped leader is gone, its orphan is not")
	require.Equal(t, orphan, members[0].PID)
	require.Equal(t, pgid, members[0].PGID)
	require.NotEqual(t, pgid, members[0].PPID, "re-parented away from the leader")

	require.NoError(t, syscall.Kill(-pgid, syscall.SIGKILL))
	waitFor(t, func() bool { m, err := Group(pgid); return err == nil && len(m) == 0 })
	mine, err := Group(syscall.Getpgrp())
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(mine, func(s Stat) bool { return s.PID == os.Getpid() }))
}

func TestBootID(t *testing.T) {
	t.Parallel()
	id, err := BootID()
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`), id)
	again, err := BootID()
	require.NoError(t, err)
	require.Equal(t, id, again)
}

// TestReadFileGrows: a file larger than the buffer it is given is read
// whole.
func TestReadFileGrows(t *testing.T) {
	t.Parallel()
	want := strings.Repeat("0123456789", 1000)
	path := filepath.Join(t.TempDir(), "big")
	require.NoError(t, os.WriteFile(path, []byte(want), 0o600))
	var a [16]byte
	got, err := readFile(path, a[:])
	require.NoError(t, err)
	require.Equal(t, want, string(got))
}

// waitFor polls cond with a deadline (a process's state changes
// asynchronously; there is nothing to wait on).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, time.Minute, 2*time.Millisecond)
}
