//go:build unix

package bench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// holds200MiB touches 200 MiB (bytes * n writes every page) for 10 ms.
const holds200MiB = "import time\nb = b'\\x01' * (200 * 1024 * 1024)\ntime.sleep(0.01)\n"

// TestReaperPeakRSSAboveGoFloor is the reason the reaper exists: this test
// process first touches 300 MiB, which floors wait4's ru_maxrss of any child
// it starts directly; under the reaper, a 200 MiB payload still reports
// ~200 MiB. Not parallel: it raises this process's peak RSS for good.
func TestReaperPeakRSSAboveGoFloor(t *testing.T) {
	py := testenv.Python(t)
	ballast := make([]byte, 300*mib)
	for i := 0; i < len(ballast); i += 4096 {
		ballast[i] = 1
	}
	defer runtime.KeepAlive(ballast)
	floor, err := SelfPeakRSS()
	require.NoError(t, err)
	require.GreaterOrEqual(t, floor, int64(300*mib))

	// Baseline: the same interpreter doing nothing, under the reaper.
	base := runReaped(t, py, []string{py, "-c", "import time; time.sleep(0.01)"}, nil)
	require.NoError(t, base.repErr)
	require.NoError(t, base.waitErr)
	baseline := base.report.Usage.PeakRSS
	if baseline == 0 { // below the reaper's floor: the floor bounds it
		baseline = base.report.RSSFloor
	}
	require.Less(t, baseline, int64(64*mib), "an idle interpreter is not this big")

	big := runReaped(t, py, []string{py, "-c", holds200MiB}, nil)
	require.NoError(t, big.repErr)
	require.NoError(t, big.waitErr)
	u := big.report.Usage
	require.Equal(t, SourceReaper, u.PeakRSSSource)
	require.GreaterOrEqual(t, u.PeakRSS, int64(200*mib))
	require.LessOrEqual(t, float64(u.PeakRSS), 1.1*float64(200*mib+baseline),
		"peak %d MiB, baseline %d MiB", u.PeakRSS/mib, baseline/mib)
	require.Positive(t, u.WallTime)
	require.Positive(t, u.CPUTime())

	// The same payload started directly: ru_maxrss is this process's peak,
	// and FromProcessState refuses to believe it.
	direct := exec.Command(py, "-c", holds200MiB)
	start := time.Now()
	require.NoError(t, direct.Run())
	wall := time.Since(start)
	after, err := SelfPeakRSS()
	require.NoError(t, err)
	raw := int64(direct.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) * 1024
	require.GreaterOrEqual(t, raw, int64(300*mib), "wait4 is floored at the Go process's peak")
	du := FromProcessState(direct.ProcessState, wall, after)
	require.Zero(t, du.PeakRSS)
	require.Empty(t, du.PeakRSSSource)
	t.Logf("Go peak %d KiB; reaper: payload %d KiB, idle baseline %d KiB, floor %d KiB; direct wait4 %d KiB",
		after/1024, u.PeakRSS/1024, baseline/1024, big.report.RSSFloor/1024, raw/1024)
	require.Positive(t, du.CPUTime())
}

func TestReaperCPUTime(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	const burn = 300 * time.Millisecond
	src := "import time\nt = time.process_time()\nwhile time.process_time() - t < 0.3:\n    pass\n"
	res := runReaped(t, py, []string{py, "-c", src}, nil)
	require.NoError(t, res.repErr)
	require.NoError(t, res.waitErr)
	u := res.report.Usage
	require.Greater(t, u.CPUTime(), burn/2, "user %v sys %v", u.UserTime, u.SystemTime)
	require.GreaterOrEqual(t, res.wall, u.WallTime, "the reaper's wall time is inside ours")
}

func TestReaperExitStatus(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	// Payloads that die of a signal first drop their core limit, so that no
	// core file is written even where the limit is not 0.
	dieOf := func(sig syscall.Signal) string {
		return "import os, resource, signal\n" +
			"resource.setrlimit(resource.RLIMIT_CORE, (0, 0))\n" +
			"if " + strconv.Itoa(int(sig)) + " != signal.SIGKILL:\n" +
			"    signal.signal(" + strconv.Itoa(int(sig)) + ", signal.SIG_DFL)\n" +
			"os.kill(os.getpid(), " + strconv.Itoa(int(sig)) + ")\n"
	}
	notExec := filepath.Join(t.TempDir(), "not-executable")
	require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o644))
	tests := []struct {
		name      string
		argv      []string
		code      int
		sig       syscall.Signal
		execError string
	}{
		{"exit 0", []string{py, "-c", "pass"}, 0, 0, ""},
		{"exit 3", []string{py, "-c", "import sys; sys.exit(3)"}, 3, 0, ""},
		{"exit 255", []string{py, "-c", "import os; os._exit(255)"}, 255, 0, ""},
		{"uncaught exception", []string{py, "-c", "raise SystemExit('boom')"}, 1, 0, ""},
		{"SIGKILL", []string{py, "-c", dieOf(syscall.SIGKILL)}, -1, syscall.SIGKILL, ""},
		{"SIGTERM", []string{py, "-c", dieOf(syscall.SIGTERM)}, -1, syscall.SIGTERM, ""},
		{"SIGINT", []string{py, "-c", dieOf(syscall.SIGINT)}, -1, syscall.SIGINT, ""},
		{"SIGSEGV", []string{py, "-c", dieOf(syscall.SIGSEGV)}, -1, syscall.SIGSEGV, ""},
		{"SIGABRT", []string{py, "-c", dieOf(syscall.SIGABRT)}, -1, syscall.SIGABRT, ""},
		{"not found", []string{"/nonexistent/program", "x"}, 127, 0, "No such file or directory"},
		{"not executable", []string{notExec}, 127, 0, "Permission denied"},
		{"not on PATH", []string{"pyexec-bench-no-such-program"}, 127, 0, "searched PATH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			configure := func(cmd *exec.Cmd) {
				// exec.Command would refuse a path it cannot run; the reaper must report it.
				cmd.Err = nil
				cmd.Path = tt.argv[0]
			}
			res := runReaped(t, py, tt.argv, configure)
			require.NoError(t, res.repErr)
			require.Equal(t, tt.code, res.report.ExitCode)
			require.Equal(t, tt.sig, res.report.Signal)
			if tt.execError != "" {
				require.Contains(t, res.report.ExecError, tt.execError)
				require.Contains(t, res.report.ExecError, tt.argv[0])
			} else {
				require.Empty(t, res.report.ExecError)
			}
			ws := waitStatus(t, res.cmd)
			if tt.sig != 0 {
				require.True(t, ws.Signaled(), "the reaper dies of the payload's signal: %v", ws)
				require.Equal(t, tt.sig, ws.Signal())
				require.False(t, ws.CoreDump(), "no core file of the reaper")
				return
			}
			require.True(t, ws.Exited())
			require.Equal(t, tt.code, ws.ExitStatus())
			if tt.code == 0 {
				require.NoError(t, res.waitErr)
			} else {
				require.True(t, isExitError(res.waitErr))
			}
		})
	}
}

// TestReaperGroupSignal: the executor signals the whole process group; the
// payload dies of it, the reaper survives long enough to report and then
// dies of the same signal.
func TestReaperGroupSignal(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(py, "-c", "import time\nprint('ready', flush=True)\ntime.sleep(60)\n")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			r, err := NewReaper(cmd, py)
			require.NoError(t, err)
			wait := startReady(t, cmd)
			require.NoError(t, syscall.Kill(-cmd.Process.Pid, sig))
			waitErr := wait()
			require.True(t, isExitError(waitErr), "%v", waitErr)
			rep, err := r.Report()
			require.NoError(t, err)
			// Python exits of SIGINT itself after KeyboardInterrupt (3.8+).
			require.Equal(t, sig, rep.Signal, "stderr: %s", stderr.String())
			require.Equal(t, -1, rep.ExitCode)
			ws := waitStatus(t, cmd)
			require.True(t, ws.Signaled())
			require.Equal(t, sig, ws.Signal())
		})
	}
}

func TestReaperGroupSIGKILLGivesNoReport(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	cmd := exec.Command(py, "-c", "import time\nprint('ready', flush=True)\ntime.sleep(60)\n")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	r, err := NewReaper(cmd, py)
	require.NoError(t, err)
	wait := startReady(t, cmd)
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL))
	require.Error(t, wait())
	_, err = r.Report()
	require.ErrorIs(t, err, ErrNoReport)
	require.Equal(t, syscall.SIGKILL, waitStatus(t, cmd).Signal())
}

// TestReaperIsTransparent: the payload gets the command's stdio, directory
// and environment, and the same descriptors as when started directly (the
// report pipe does not leak into it).
func TestReaperIsTransparent(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	src := `import os, sys
data = sys.stdin.read()
print(data.upper())
print("to stderr", file=sys.stderr)
print(os.getcwd())
print(os.environ.get("BENCH_TEST_VAR"))
def is_open(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
print("fds", [fd for fd in range(3, 1024) if is_open(fd)])
`
	run := func(reaper bool) (string, string, string) {
		dir := t.TempDir()
		cmd := exec.Command(py, "-c", src)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "BENCH_TEST_VAR=hello env")
		cmd.Stdin = strings.NewReader("from stdin")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		runMaybeReaped(t, cmd, py, reaper)
		return stdout.String(), stderr.String(), dir
	}
	want, _, wantDir := run(false)
	got, gotErr, gotDir := run(true)
	require.Equal(t, strings.Replace(want, wantDir, "DIR", 1), strings.Replace(got, gotDir, "DIR", 1))
	require.Contains(t, got, "FROM STDIN\n")
	require.Contains(t, got, "hello env\n")
	require.Contains(t, got, gotDir+"\n")
	require.Equal(t, "to stderr\n", gotErr)
}

// TestReaperRestoresSignals: the payload starts with the signal dispositions
// and mask a direct exec would give it, although the reaper (a Python
// process) ignores SIGPIPE, SIGXFSZ, SIGINT and SIGTERM and blocks some.
// grep reads its own status and changes no disposition.
func TestReaperRestoresSignals(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	grep, err := exec.LookPath("grep")
	if err != nil {
		t.Skip("grep not found")
	}
	run := func(reaper bool) string {
		cmd := exec.Command(grep, "-E", "^Sig(Blk|Ign|Cgt)", "/proc/self/status")
		var stdout bytes.Buffer
		cmd.Stdout = &stdout
		runMaybeReaped(t, cmd, py, reaper)
		return stdout.String()
	}
	want := run(false)
	require.Contains(t, want, "SigIgn")
	require.Equal(t, want, run(true))
}

// TestReaperKeepsEnvironment: the payload's environment is exactly the
// command's, even where the interpreter coerces the C locale (PEP 538) by
// setting LC_CTYPE in its own environment.
func TestReaperKeepsEnvironment(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	envBin, err := exec.LookPath("env")
	if err != nil {
		t.Skip("env not found")
	}
	tests := []struct {
		name string
		env  []string
	}{
		{"C locale via LANG", []string{"LANG=C", "A=1"}},
		{"C locale via LC_CTYPE", []string{"LC_CTYPE=C"}},
		{"POSIX", []string{"LC_CTYPE=POSIX", "LANG=en_US.UTF-8"}},
		{"LC_ALL", []string{"LC_ALL=C"}},
		{"UTF-8", []string{"LC_CTYPE=C.UTF-8", "LANG=C"}},
		{"no locale at all", []string{"X=y z"}},
		{"empty", []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			run := func(reaper bool) string {
				cmd := exec.Command(envBin)
				cmd.Env = tt.env
				var stdout bytes.Buffer
				cmd.Stdout = &stdout
				runMaybeReaped(t, cmd, py, reaper)
				return stdout.String()
			}
			want := run(false)
			require.Equal(t, want, run(true))
		})
	}
}

func runMaybeReaped(t *testing.T, cmd *exec.Cmd, py string, reaper bool) {
	t.Helper()
	if !reaper {
		require.NoError(t, cmd.Run())
		return
	}
	r, err := NewReaper(cmd, py)
	require.NoError(t, err)
	if err := cmd.Run(); err != nil {
		r.Close()
		require.NoError(t, err)
	}
	rep, err := r.Report()
	require.NoError(t, err)
	require.Equal(t, 0, rep.ExitCode)
}

func TestNewReaperErrors(t *testing.T) {
	t.Parallel()
	t.Run("started", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command("true")
		cmd.Process = &os.Process{Pid: 1}
		_, err := NewReaper(cmd, "/usr/bin/python3")
		require.ErrorIs(t, err, ErrStarted)
	})
	t.Run("lookup failed", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command("pyexec-bench-no-such-program")
		_, err := NewReaper(cmd, "/usr/bin/python3")
		require.ErrorIs(t, err, exec.ErrNotFound)
	})
	t.Run("no args", func(t *testing.T) {
		t.Parallel()
		_, err := NewReaper(&exec.Cmd{Path: "/bin/true"}, "/usr/bin/python3")
		require.Error(t, err)
	})
	t.Run("start fails then close", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command("true")
		r, err := NewReaper(cmd, "/nonexistent/python")
		require.NoError(t, err)
		require.Error(t, cmd.Start())
		require.NoError(t, r.Close())
		require.NoError(t, r.Close())
		_, err = r.Report()
		require.ErrorIs(t, err, ErrNoReport)
	})
	t.Run("start fails then report", func(t *testing.T) {
		t.Parallel()
		cmd := exec.Command("true")
		r, err := NewReaper(cmd, "/nonexistent/python")
		require.NoError(t, err)
		require.Error(t, cmd.Start())
		_, err = r.Report()
		require.ErrorIs(t, err, ErrNoReport)
	})
}

func TestReaperArgv(t *testing.T) {
	t.Parallel()
	got := ReaperArgv("/py", 5, []string{"uv", "run", "x.py"})
	require.Equal(t, []string{"/py", "-I", "-S", "-c"}, got[:4])
	require.Equal(t, reaperSource, got[4])
	require.Equal(t, []string{"5", "uv", "run", "x.py"}, got[5:])
	require.Contains(t, reaperSource, "os.wait4")

	cmd := exec.Command("true", "a", "b")
	cmd.ExtraFiles = []*os.File{os.Stdin}
	r, err := NewReaper(cmd, "/py")
	require.NoError(t, err)
	defer r.Close()
	require.Equal(t, "/py", cmd.Path)
	require.Len(t, cmd.ExtraFiles, 2)
	require.Equal(t, "4", cmd.Args[5], "fd 3 is taken by the existing extra file")
	require.Equal(t, []string{"/", "a", "b"}, []string{cmd.Args[6][:1], cmd.Args[7], cmd.Args[8]},
		"argv[0] is the resolved absolute path")
}
