//go:build unix

package bench

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// reaped is the outcome of one command run under the reaper.
type reaped struct {
	cmd     *exec.Cmd
	report  Report
	repErr  error
	waitErr error
	wall    time.Duration
}

// runReaped runs argv under the reaper (interpreted by python) in its own
// process group and returns everything there is to know. configure may set
// up the command further before the reaper rewrites it.
func runReaped(t *testing.T, python string, argv []string, configure func(*exec.Cmd)) reaped {
	t.Helper()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = t.TempDir() // a core file, if any, lands here
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if configure != nil {
		configure(cmd)
	}
	r, err := NewReaper(cmd, python)
	require.NoError(t, err)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		r.Close()
		require.NoError(t, err)
	}
	waitErr := cmd.Wait()
	wall := time.Since(start)
	rep, repErr := r.Report()
	return reaped{cmd: cmd, report: rep, repErr: repErr, waitErr: waitErr, wall: wall}
}

// waitStatus returns the wait status of a finished command.
func waitStatus(t *testing.T, cmd *exec.Cmd) syscall.WaitStatus {
	t.Helper()
	require.NotNil(t, cmd.ProcessState)
	ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus)
	require.True(t, ok)
	return ws
}

// startReady starts cmd with stdout on a pipe and waits until the payload
// prints "ready". The returned function waits for the command and releases
// the pipe.
func startReady(t testing.TB, cmd *exec.Cmd) (wait func() error) {
	t.Helper()
	pr, pw, err := os.Pipe()
	require.NoError(t, err)
	cmd.Stdout = pw
	require.NoError(t, cmd.Start())
	pw.Close()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "ready" {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
		pr.Close()
		require.FailNow(t, "payload did not get ready", "line %q, err %v", line, err)
	}
	return func() error {
		err := cmd.Wait()
		pr.Close()
		return err
	}
}

func isExitError(err error) bool {
	var ee *exec.ExitError
	return errors.As(err, &ee)
}
