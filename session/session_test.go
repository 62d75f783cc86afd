package session_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/session"
)

func TestStateAcrossCalls(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)
	res := execute(t, m, "", "import math\nr = 2")
	require.Equal(t, 1, res.ExecutionCount)
	require.Equal(t, "12.566370614359172", value(t, m, "default", "math.pi * r**2"))
	res = execute(t, m, "default", "def area(x):\n    return math.pi * x**2\nprint(round(area(r), 2))")
	require.Equal(t, "12.57\n", res.Stdout)
	require.Equal(t, 3, res.ExecutionCount)
	require.Equal(t, "'12.57'", value(t, m, "", "f'{area(r):.2f}'"))
}

func TestSessionsAreIsolated(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)
	execute(t, m, "alice", "x = 'alice'")
	res := execute(t, m, "bob", "x")
	require.NotNil(t, res.Error)
	require.Equal(t, "NameError", res.Error.Type)
	execute(t, m, "bob", "x = 'bob'")
	require.Equal(t, "'alice'", value(t, m, "alice", "x"))
	require.Equal(t, "'bob'", value(t, m, "bob", "x"))
	a, _ := info(t, m, "alice")
	b, _ := info(t, m, "bob")
	require.NotEqual(t, a.KernelPID, b.KernelPID)
}

func TestExceptionKeepsSession(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)
	execute(t, m, "", "data = [1, 2, 3]\ndef mean(xs):\n    return sum(xs) / len(xs)")
	res := execute(t, m, "", "print('computing')\nmean([])")
	require.Equal(t, "computing\n", res.Stdout)
	require.NotNil(t, res.Error)
	require.Equal(t, "ZeroDivisionError", res.Error.Type)
	require.Equal(t, "division by zero", res.Error.Message)
	require.Contains(t, res.Error.Traceback, "Traceback (most recent call last):")
	require.Contains(t, res.Error.Traceback, `File "<cell-2>", line 2, in <module>`)
	require.Contains(t, res.Error.Traceback, `File "<cell-1>", line 3, in mean`)
	require.NotContains(t, res.Error.Traceback, "kernel")
	require.False(t, res.StateLost)
	require.Equal(t, "2.0", value(t, m, "", "mean(data)"))
}

func TestTimeoutInterruptsAndKeepsState(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{Grace: 5 * time.Second})
	execute(t, m, "", "state = 'kept'")
	for _, code := range []string{"while True:\n    pass", "import time\ntime.sleep(600)"} {
		res, err := m.Execute(context.Background(), "", code, 300*time.Millisecond)
		require.NoError(t, err)
		require.True(t, res.TimedOut)
		require.True(t, res.Interrupted)
		// Not killed: the interrupt worked within the grace period.
		require.False(t, res.StateLost)
		require.NotNil(t, res.Error)
		require.Equal(t, "KeyboardInterrupt", res.Error.Type)
		require.Equal(t, "'kept'", value(t, m, "", "state"))
	}
}

// TestTracebacksShowOnlyUserFrames: a cell's traceback holds the user's
// frames and none of the kernel's — not the timeout's interrupt handler,
// which raises KeyboardInterrupt inside the interrupted frame, nor the
// kernel's loop — while code the user runs with exec ("<string>", as the
// kernel's own source is named) stays.
func TestTracebacksShowOnlyUserFrames(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{Grace: 5 * time.Second})
	execute(t, m, "", "import time\ndef nap():\n    time.sleep(600)")
	tests := []struct {
		name, code string
		timeout    time.Duration
		errType    string
		want       []string // in this order
	}{
		{name: "timeout in a function", code: "x = 1\nnap()", timeout: 300 * time.Millisecond, errType: "KeyboardInterrupt",
			want: []string{`File "<cell-2>", line 2, in <module>`, `File "<cell-1>", line 3, in nap`, "time.sleep(600)", "KeyboardInterrupt"}},
		{name: "timeout while handling an exception", code: "try:\n    1/0\nexcept ZeroDivisionError:\n    nap()", timeout: 300 * time.Millisecond, errType: "KeyboardInterrupt",
			want: []string{"ZeroDivisionError: division by zero", "During handling", `File "<cell-1>", line 3, in nap`, "KeyboardInterrupt"}},
		{name: "exec'd code is the user's", code: "exec('1/0')", errType: "ZeroDivisionError",
			want: []string{`File "<cell-4>", line 1, in <module>`, `File "<string>", line 1, in <module>`, "ZeroDivisionError"}},
	}
	for _, tc := range tests {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		res, err := m.Execute(ctx, "", tc.code, tc.timeout)
		cancel()
		require.NoError(t, err, tc.name)
		require.NotNil(t, res.Error, tc.name)
		require.Equal(t, tc.errType, res.Error.Type, tc.name)
		tb := res.Error.Traceback
		rest := tb
		for _, w := range tc.want {
			i := strings.Index(rest, w)
			require.GreaterOrEqual(t, i, 0, "%s: %q missing or out of order in:\n%s", tc.name, w, tb)
			rest = rest[i+len(w):]
		}
		require.NotContains(t, tb, "on_sigint", tc.name)
		require.NotContains(t, tb, "run_maybe_async", tc.name)
		require.NotContains(t, tb, "in execute", tc.name)
		require.True(t, strings.HasSuffix(tb, tc.errType+"\n") || strings.Contains(tb, tc.errType+":"), "%s:\n%s", tc.name, tb)
	}
}

func TestUnresponsiveCellKillsKernel(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{Grace: 300 * time.Millisecond})
	execute(t, m, "", "state = 'doomed'")
	before, _ := info(t, m, "default")
	code := "import time\nwhile True:\n    try:\n        time.sleep(60)\n    except KeyboardInterrupt:\n        print('not stopping')"
	res, err := m.Execute(context.Background(), "", code, 100*time.Millisecond)
	require.NoError(t, err)
	require.True(t, res.TimedOut)
	require.True(t, res.StateLost)
	require.False(t, res.KernelDied)
	require.Contains(t, res.KernelExit, "did not stop within 300ms")
	require.Contains(t, res.Stdout, "not stopping")

	res = execute(t, m, "", "state")
	require.NotNil(t, res.Error)
	require.Equal(t, "NameError", res.Error.Type)
	require.Equal(t, 1, res.ExecutionCount)
	require.Contains(t, res.Notes[0], "new kernel")
	after, _ := info(t, m, "default")
	require.NotEqual(t, before.KernelPID, after.KernelPID)
}

func TestKernelDeathIsReportedAndReplaced(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, code, exit, stdout string
	}{
		{name: "os._exit", code: "print('last words')\nimport os\nos._exit(7)", exit: "exited with status 7", stdout: "last words\n"},
		{name: "segfault", code: "import ctypes\nctypes.string_at(0)", exit: "killed by signal 11"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := newManager(t, nil)
			execute(t, m, "", "x = 1")
			res := execute(t, m, "", tc.code)
			require.True(t, res.KernelDied)
			require.True(t, res.StateLost)
			require.Contains(t, res.KernelExit, tc.exit)
			require.Equal(t, tc.stdout, res.Stdout)
			in, ok := info(t, m, "default")
			require.True(t, ok)
			require.Zero(t, in.KernelPID)

			res = execute(t, m, "", "'x' in globals()")
			require.Equal(t, "False", res.Value)
			require.Equal(t, 1, res.ExecutionCount)
		})
	}
}

func TestKernelKilledFromOutside(t *testing.T) {
	t.Parallel()
	t.Run("while idle", func(t *testing.T) {
		t.Parallel()
		m := newManager(t, nil)
		execute(t, m, "", "x = 1")
		in, _ := info(t, m, "default")
		require.NoError(t, proc.Kill(in.KernelPID))
		testenv.PollUntil(t, "the kernel to be reaped", func() bool { in, _ := info(t, m, "default"); return in.KernelPID == 0 })
		res := execute(t, m, "", "'x' in globals()")
		require.True(t, res.StateLost)
		require.False(t, res.KernelDied)
		require.Contains(t, res.KernelExit, "killed by signal 9 (killed) while idle")
		require.Equal(t, "False", res.Value)
	})
	t.Run("while running", func(t *testing.T) {
		t.Parallel()
		m := newManager(t, nil)
		execute(t, m, "", "x = 1")
		in, _ := info(t, m, "default")
		got := make(chan *session.CellResult, 1)
		go func() {
			res, _ := m.Execute(context.Background(), "", "import time\ntime.sleep(600)", 0)
			got <- res
		}()
		testenv.PollUntil(t, "the cell to run", func() bool { in, _ := info(t, m, "default"); return in.Busy })
		require.NoError(t, proc.Kill(in.KernelPID))
		res := <-got
		require.True(t, res.KernelDied)
		require.True(t, res.StateLost)
		require.Contains(t, res.KernelExit, "killed by signal 9")
		require.Equal(t, "2", value(t, m, "", "1 + 1"))
	})
}

func TestCallsOnOneSessionTakeTurns(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)
	gate := filepath.Join(m.WorkspaceDir(), "gate")
	first := make(chan *session.CellResult, 1)
	go func() {
		res, _ := m.Execute(context.Background(), "", "import os, time\nwhile not os.path.exists('gate'):\n    time.sleep(0.01)\n'first'", 0)
		first <- res
	}()
	testenv.PollUntil(t, "the first call to run", func() bool { in, _ := info(t, m, "default"); return in.Busy })

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := m.Execute(ctx, "", "'second'", 0)
	require.ErrorIs(t, err, session.ErrCancelled)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Contains(t, err.Error(), "waiting for session")

	// Another session is not blocked.
	require.Equal(t, "'other'", value(t, m, "other", "'other'"))

	require.NoError(t, os.WriteFile(gate, nil, 0o644))
	require.Equal(t, "'first'", (<-first).Value)
	require.Equal(t, "'third'", value(t, m, "", "'third'"))
}

func TestCancelledContextInterruptsCell(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)
	execute(t, m, "", "x = 5")
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	res, err := m.Execute(ctx, "", "import time\nprint('partial', flush=True)\ntime.sleep(600)", 0)
	require.ErrorIs(t, err, session.ErrCancelled)
	require.NotNil(t, res)
	require.True(t, res.Interrupted)
	require.False(t, res.TimedOut)
	require.Equal(t, "partial\n", res.Stdout)
	require.Equal(t, "5", value(t, m, "", "x"))
}

func TestListResetRemove(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)
	execute(t, m, "b", "y = 2")
	execute(t, m, "a", "x = 1")
	execute(t, m, "a", "x += 1")
	list := m.List()
	require.Len(t, list, 2)
	require.Equal(t, "a", list[0].ID)
	require.Equal(t, 2, list[0].ExecutionCount)
	require.NotZero(t, list[0].KernelPID)
	require.NotEmpty(t, list[0].Python)
	require.False(t, list[0].Busy)
	pid := list[0].KernelPID

	ctx := context.Background()
	require.NoError(t, m.Reset(ctx, "a"))
	in, _ := info(t, m, "a")
	require.Zero(t, in.KernelPID)
	require.Zero(t, in.ExecutionCount)
	require.True(t, !proc.Exists(pid), "the old kernel still runs")
	res := execute(t, m, "a", "x")
	require.NotNil(t, res.Error)
	require.Equal(t, 1, res.ExecutionCount)

	require.NoError(t, m.Remove(ctx, "b"))
	_, ok := info(t, m, "b")
	require.False(t, ok)
	err := m.Reset(ctx, "b")
	require.ErrorIs(t, err, session.ErrUnknownSession)
	require.Contains(t, err.Error(), `live sessions: "a"`)
	require.ErrorIs(t, m.Remove(ctx, "nope"), session.ErrUnknownSession)
}

func TestMaxSessions(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{MaxSessions: 2})
	execute(t, m, "a", "1")
	execute(t, m, "b", "1")
	_, err := m.Execute(context.Background(), "c", "1", 0)
	require.ErrorIs(t, err, session.ErrTooManySessions)
	require.Contains(t, err.Error(), `the limit is 2; remove or reset one of: "a", "b"`)
	execute(t, m, "a", "2") // existing sessions still work
	require.NoError(t, m.Remove(context.Background(), "a"))
	execute(t, m, "c", "1")
}

func TestIdleSessionsAreReaped(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{IdleTimeout: 200 * time.Millisecond})
	execute(t, m, "idle", "x = 1")
	in, _ := info(t, m, "idle")
	testenv.PollUntil(t, "the idle session to be reaped", func() bool { return len(m.List()) == 0 })
	testenv.PollUntil(t, "the reaped kernel to end", func() bool { return !proc.Exists(in.KernelPID) })
	// The id is free again, with fresh state.
	require.Equal(t, "False", value(t, m, "idle", "'x' in globals()"))
}

func TestBusySessionIsNotReaped(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{IdleTimeout: 50 * time.Millisecond})
	// A cell that runs for many reaper periods and idle timeouts.
	res, err := m.Execute(context.Background(), "busy", "import time\ntime.sleep(0.5)\n'survived'", 0)
	require.NoError(t, err)
	require.Equal(t, "'survived'", res.Value)
}

func TestCloseStopsRunningCells(t *testing.T) {
	t.Parallel()
	opts := &session.Options{
		Python:       testenv.Python(t),
		WorkspaceDir: t.TempDir(),
		DataDir:      t.TempDir(),
	}
	m, err := session.NewManager(opts)
	require.NoError(t, err)
	execute(t, m, "idle", "1")
	idle, _ := info(t, m, "idle")
	errc := make(chan error, 1)
	go func() {
		_, err := m.Execute(context.Background(), "busy", "import time\ntime.sleep(600)", 0)
		errc <- err
	}()
	testenv.PollUntil(t, "the cell to run", func() bool { in, _ := info(t, m, "busy"); return in.Busy && in.KernelPID != 0 })
	busy, _ := info(t, m, "busy")
	require.NoError(t, m.Close())
	require.ErrorIs(t, <-errc, session.ErrClosed)
	for _, pid := range []int{idle.KernelPID, busy.KernelPID} {
		require.True(t, !proc.Exists(pid), "kernel %d survived Close", pid)
	}
	_, err = m.Execute(context.Background(), "", "1", 0)
	require.ErrorIs(t, err, session.ErrClosed)
	require.NoError(t, m.Close())
}

func TestOptionsValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts *session.Options
		want error
	}{
		{name: "nil", opts: nil, want: session.ErrInvalidOptions},
		{name: "missing python", opts: &session.Options{Python: "/no/such/python3"}, want: session.ErrInvalidOptions},
		{name: "negative", opts: &session.Options{Python: "/bin/sh", MaxSessions: -1}, want: session.ErrInvalidOptions},
		{name: "bad env", opts: &session.Options{Python: "/bin/sh", Env: []string{"NOEQUALS"}}, want: session.ErrInvalidOptions},
		{name: "option as startup package", opts: &session.Options{Python: "/bin/sh", StartupPackages: []string{"--index-url=x"}}, want: session.ErrInvalidRequirement},
		{name: "startup packages without uv", opts: &session.Options{Python: "/bin/sh", UV: "/no/such/uv", StartupPackages: []string{"six"}}, want: session.ErrUVNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if tc.opts != nil {
				tc.opts.WorkspaceDir, tc.opts.DataDir = t.TempDir(), t.TempDir()
			}
			_, err := session.NewManager(tc.opts)
			require.ErrorIs(t, err, tc.want)
		})
	}
}

func TestInvalidSessionID(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)
	for _, id := range []string{"a\nb", string(make([]byte, 200)), "\xff"} {
		_, err := m.Execute(context.Background(), id, "1", 0)
		require.ErrorIs(t, err, session.ErrInvalidSessionID)
	}
}

func TestKernelStartFailure(t *testing.T) {
	t.Parallel()
	fake := filepath.Join(t.TempDir(), "python3")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho 'Fatal Python error: init_fs_encoding' >&2\nexit 1\n"), 0o755))
	m := newManager(t, &session.Options{Python: fake})
	_, err := m.Execute(context.Background(), "", "1", 0)
	require.ErrorIs(t, err, session.ErrKernelStart)
	require.Contains(t, err.Error(), "init_fs_encoding")
}
