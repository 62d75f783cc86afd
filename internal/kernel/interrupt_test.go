//go:build unix

package kernel

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// executeWithin runs code with a deadline of d.
func executeWithin(t *testing.T, k *Kernel, code string, d time.Duration) *Result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	res, err := k.Execute(ctx, code, nil)
	require.NoError(t, err)
	return res
}

// executeUntil runs code and interrupts it once marker exists: for a cell
// that must be inside a call (os.system) when the interrupt comes, which a
// fixed deadline cannot promise on a loaded machine (an interrupt during
// the cell's first lines is an ordinary KeyboardInterrupt).
func executeUntil(t *testing.T, k *Kernel, code, marker string) *Result {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		deadline := time.Now().Add(time.Minute) // a hang bound, not a measurement
		for time.Now().Before(deadline) && ctx.Err() == nil {
			if _, err := os.Stat(marker); err == nil {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond) // a polling interval
		}
	}()
	res, err := k.Execute(ctx, code, nil)
	require.NoError(t, err)
	return res
}

func TestInterrupt(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, code string
		errType    string // "" = the cell ends without an error
	}{
		{name: "busy loop", code: "while True:\n    pass", errType: "KeyboardInterrupt"},
		{name: "sleep", code: "import time\nprint('started')\ntime.sleep(60)", errType: "KeyboardInterrupt"},
		{name: "subprocess.run", code: "import subprocess\nsubprocess.run(['sleep', '60'])", errType: "KeyboardInterrupt"},
		// os.system ignores SIGINT while it waits: the group-wide SIGINT
		// after half the grace period ends the child, and the cell goes on.
		{name: "os.system", code: "import os\nos.system('touch started; sleep 60')\ndone = True"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			k := start(t, &Config{Dir: dir, Grace: 2 * time.Second})
			run(t, k, "state = 'kept'")
			var res *Result
			if strings.Contains(tc.code, "touch started") {
				res = executeUntil(t, k, tc.code, filepath.Join(dir, "started"))
			} else {
				res = executeWithin(t, k, tc.code, 200*time.Millisecond)
			}
			require.True(t, res.Interrupted)
			require.False(t, res.Killed)
			require.False(t, res.Died)
			if tc.errType != "" {
				require.NotNil(t, res.Error)
				require.Equal(t, tc.errType, res.Error.Type)
			} else {
				require.Nil(t, res.Error)
			}
			require.Equal(t, "'kept'", run(t, k, "state").Value)
		})
	}
}

func TestInterruptIgnoredKills(t *testing.T) {
	t.Parallel()
	k := start(t, &Config{Grace: 400 * time.Millisecond})
	res := executeWithin(t, k, "import time\nwhile True:\n    try:\n        time.sleep(10)\n    except KeyboardInterrupt:\n        print('ignored')", 100*time.Millisecond)
	require.True(t, res.Interrupted)
	require.True(t, res.Killed)
	require.False(t, res.Died)
	require.Contains(t, res.Exit, "did not stop within 400ms")
	require.Contains(t, res.Stdout, "ignored") // output up to the kill is kept
	_, err := k.Execute(context.Background(), "1", nil)
	require.ErrorIs(t, err, ErrExited)
}

func TestKernelDies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, code, exit, stdout string
	}{
		{name: "os._exit", code: "print('bye')\nimport os\nos._exit(3)", exit: "exited with status 3", stdout: "bye\n"},
		{name: "segfault", code: "import ctypes\nctypes.string_at(0)", exit: "killed by signal 11"},
		{name: "killed by itself", code: "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", exit: "killed by signal 9"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			k := start(t, nil)
			res := run(t, k, tc.code)
			require.True(t, res.Died)
			require.Contains(t, res.Exit, tc.exit)
			require.Equal(t, tc.stdout, res.Stdout)
			require.True(t, k.Exited())
			_, err := k.Execute(context.Background(), "1", nil)
			require.ErrorIs(t, err, ErrExited)
		})
	}
}

func TestKilledWhileIdle(t *testing.T) {
	t.Parallel()
	k := start(t, nil)
	require.NoError(t, syscall.Kill(k.PID, syscall.SIGKILL))
	<-k.Done()
	require.Contains(t, k.ExitText(), "killed by signal 9")
	_, err := k.Execute(context.Background(), "1", nil)
	require.ErrorIs(t, err, ErrExited)
	_, err = k.UseVenv(context.Background(), t.TempDir())
	require.ErrorIs(t, err, ErrExited)
}

func TestCloseWhileBusy(t *testing.T) {
	t.Parallel()
	k := start(t, nil)
	got := make(chan *Result, 1)
	go func() {
		res, _ := k.Execute(context.Background(), "print('running', flush=True)\nimport time\ntime.sleep(60)", nil)
		got <- res
	}()
	// Wait until the cell runs, then close.
	deadline := time.Now().Add(time.Minute)
	for {
		k.out.mu.Lock()
		n := k.out.cur.Total()
		k.out.mu.Unlock()
		if n > 0 {
			break
		}
		require.True(t, time.Now().Before(deadline), "the cell never started")
		time.Sleep(time.Millisecond) // polling interval
	}
	require.NoError(t, k.Close())
	res := <-got
	require.True(t, res.Died)
	require.Contains(t, res.Stdout, "running")
}

func TestOutputCap(t *testing.T) {
	t.Parallel()
	k := start(t, &Config{OutputCap: 1000})
	res := run(t, k, "import sys\nsys.stdout.write('a' * 600 + 'b' * 200000 + 'z' * 600)\nsys.stderr.write('e' * 5000);")
	require.EqualValues(t, 600+200000+600-1000, res.StdoutOmitted)
	require.True(t, len(res.Stdout) < 1100)
	require.Contains(t, res.Stdout, "bytes omitted")
	require.Equal(t, strings.Repeat("a", 500), res.Stdout[:500])
	require.True(t, strings.HasSuffix(res.Stdout, strings.Repeat("z", 500)))
	require.EqualValues(t, 4000, res.StderrOmitted)
	require.Equal(t, "", run(t, k, "pass").Stdout)
}
