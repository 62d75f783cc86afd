package sandbox

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/bench"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// requireAvailable checks p on this machine. Where the kernel or our
// permissions cannot enforce it, the error must be the clear one (naming
// the switch) and the test ends there: a run is never attempted without
// the protection. In CI that still fails the test, as the CI machines are
// known to support every switch.
func requireAvailable(t *testing.T, p *Policy) {
	t.Helper()
	err := Check(p)
	if err == nil {
		return
	}
	require.ErrorIs(t, err, ErrUnavailable)
	var ue *UnavailableError
	require.ErrorAs(t, err, &ue)
	require.Contains(t, err.Error(), "sandbox: "+ue.Switch+" needs ")
	if testenv.InCI() {
		t.Fatalf("CI machines support every switch, but: %v", err)
	}
	t.Skipf("not enforceable here (the clear error was checked): %v", err)
}

func TestMemoryBombHitsMemoryLimit(t *testing.T) {
	t.Parallel()
	p := &Policy{MemoryBytes: 64 << 20}
	requireAvailable(t, p)
	res := runSandboxed(t, runSpec{policy: p, code: `
chunks = []
while True:
    chunks.append(b"x" * (1 << 20))  # written, so resident
`})
	require.Equal(t, -int(syscall.SIGKILL), res.exit, "stderr: %s", res.stderr)
	require.True(t, res.outcome.MemoryExceeded)
	require.Contains(t, res.box.Verdict(res.exit), "memory limit (64 MiB) exceeded: the kernel's OOM killer ended")
	require.Greater(t, res.peak, int64(32<<20), "peak memory is the cgroup's, exact")
	require.LessOrEqual(t, res.peak, int64(64<<20))
}

func TestForkBombIsContained(t *testing.T) {
	t.Parallel()
	p := &Policy{MaxProcesses: 20}
	requireAvailable(t, p)
	python := testenv.Python(t)
	tok := token(t)
	// Every child forks again and leaves the process group, so that only
	// the cgroup can find them all; a refused fork is retried.
	code := `
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    try:
        if os.fork() == 0:
            os.setsid()
    except OSError:
        time.sleep(0.01)
`
	var ticks atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the "server": it must keep running
		defer wg.Done()
		tk := time.NewTicker(5 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				ticks.Add(1)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	var dir string
	res := runSandboxed(t, runSpec{policy: p, code: code, args: []string{tok}, during: func(b *Box, cancel context.CancelFunc) {
		dir = b.cg.dirs[0].dir
		testenv.PollUntil(t, "the bomb to reach the process limit", func() bool {
			return readKeyed(filepath.Join(dir, "pids.events"), "max") > 0
		})
		current, ok := readInt(filepath.Join(dir, "pids.current"))
		require.True(t, ok)
		require.LessOrEqual(t, current, int64(20))
		// The machine still starts processes and this process still runs.
		before := ticks.Load()
		out, err := exec.Command(python, "-c", "print('still responsive')").Output()
		require.NoError(t, err)
		require.Equal(t, "still responsive\n", string(out))
		testenv.PollUntil(t, "the ticker to tick", func() bool { return ticks.Load() > before })
		cancel() // the timeout path
	}})
	require.True(t, res.outcome.ProcessLimitHit)
	require.Contains(t, res.box.Verdict(res.exit), "process limit (20) reached: the kernel refused")
	testenv.PollUntil(t, "every bomb process to be gone", func() bool { return len(findProcs(tok)) == 0 })
	_, err := os.Stat(dir)
	require.ErrorIs(t, err, os.ErrNotExist, "Close removes the cgroup")
}

func TestCPUAndFileSizeLimits(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		policy  *Policy
		code    string
		exit    int
		stdout  string
		verdict string
	}{
		{"cpu_seconds", &Policy{CPUSeconds: 1}, "while True: pass", -int(syscall.SIGXCPU), "",
			"CPU time limit (1 s) exceeded: the process was killed by SIGXCPU"},
		{"max_file_bytes python", &Policy{MaxFileBytes: 1 << 20}, `
import errno
try:
    with open("big", "wb") as f:
        f.write(b"x" * (2 << 20))
except OSError as e:
    print(errno.errorcode[e.errno])
`, 0, "EFBIG\n", ""},
		{"max_file_bytes signal", &Policy{MaxFileBytes: 1 << 20}, `
import signal
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)  # as a program other than Python has it
with open("big", "wb") as f:
    f.write(b"x" * (2 << 20))
`, -int(syscall.SIGXFSZ), "", "file size limit (1 MiB) exceeded: the process was killed by SIGXFSZ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			requireAvailable(t, tc.policy)
			dir := t.TempDir()
			res := runSandboxed(t, runSpec{policy: tc.policy, dir: dir, code: tc.code})
			require.Equal(t, tc.exit, res.exit, "stderr: %s", res.stderr)
			require.Equal(t, tc.stdout, res.stdout)
			require.Equal(t, tc.verdict, res.box.Verdict(res.exit))
			if tc.policy.MaxFileBytes > 0 {
				fi, err := os.Stat(filepath.Join(dir, "big"))
				require.NoError(t, err)
				require.Equal(t, tc.policy.MaxFileBytes, fi.Size())
			}
		})
	}
}

func TestExitStatusPassesThrough(t *testing.T) {
	t.Parallel()
	for _, pol := range []struct {
		name   string
		policy *Policy
	}{
		{"wrapper execs the payload", &Policy{EnvAllowList: DefaultEnvAllowList()}},
		{"pid_namespace relay", &Policy{PIDNamespace: true}},
		{"every switch", &Policy{MemoryBytes: 256 << 20, CPUSeconds: 30, MaxProcesses: 50, MaxFileBytes: 1 << 30,
			NoNetwork: true, ReadOnlyFS: true, PIDNamespace: true, EnvAllowList: DefaultEnvAllowList()}},
	} {
		for _, tc := range []struct {
			name string
			code string
			exit int
		}{
			{"exit code", "import sys; sys.exit(7)", 7},
			{"signal", "import os, signal; os.kill(os.getpid(), signal.SIGUSR1)", -int(syscall.SIGUSR1)},
			{"success", "print('hello')", 0},
		} {
			t.Run(pol.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				requireAvailable(t, pol.policy)
				res := runSandboxed(t, runSpec{policy: pol.policy, code: tc.code})
				require.Equal(t, tc.exit, res.exit, "stderr: %s", res.stderr)
				require.True(t, res.box.Confined())
				require.NoError(t, res.box.SetupErr())
				require.Empty(t, res.box.Verdict(res.exit))
			})
		}
	}
}

func TestSetupFailureNeverRunsThePayload(t *testing.T) {
	t.Parallel()
	extra := t.TempDir()
	p := &Policy{ReadOnlyFS: true, WritableDirs: []string{extra}}
	requireAvailable(t, p)
	// The directory disappears between Prepare and the start: the wrapper
	// cannot bind it, and must not run the payload anyway.
	res := runSandboxed(t, runSpec{policy: p, code: "print('payload ran')",
		beforeStart: func() { require.NoError(t, os.Remove(extra)) }})
	require.Equal(t, ExitSetupFailed, res.exit)
	require.Empty(t, res.stdout)
	require.Contains(t, res.stderr, "pyexec sandbox: read_only_fs: mount "+extra)
	var se *SetupError
	require.ErrorAs(t, res.outcome.Setup, &se)
	require.ErrorIs(t, res.outcome.Setup, ErrSetup)
	require.Equal(t, "read_only_fs", se.Switch)
	require.False(t, res.box.Confined())
	require.Contains(t, res.box.Verdict(res.exit), "sandbox: set-up failed (read_only_fs): mount "+extra)
}

func TestPrepare(t *testing.T) {
	t.Parallel()
	python := testenv.Python(t)
	t.Run("nil policy leaves the command alone", func(t *testing.T) {
		cmd := exec.Command(python, "-c", "pass")
		args := append([]string(nil), cmd.Args...)
		box, err := Prepare(context.Background(), cmd, nil, nil)
		require.NoError(t, err)
		require.False(t, box.Enabled())
		require.Equal(t, args, cmd.Args)
		require.Nil(t, cmd.Env)
		require.Empty(t, box.Verdict(-9))
		_, err = box.PeakMemory()
		require.ErrorIs(t, err, ErrNotMeasured)
		require.NoError(t, box.Kill())
		require.NoError(t, box.Close())
	})
	t.Run("started command", func(t *testing.T) {
		cmd := exec.Command(python, "-c", "pass")
		require.NoError(t, cmd.Run())
		_, err := Prepare(context.Background(), cmd, &Policy{CPUSeconds: 1}, nil)
		require.ErrorIs(t, err, ErrStarted)
	})
	t.Run("not a python command needs Options.Python", func(t *testing.T) {
		cmd := exec.Command("/bin/sh", "-c", "true")
		_, err := Prepare(context.Background(), cmd, &Policy{CPUSeconds: 1}, nil)
		require.ErrorIs(t, err, ErrInvalidPolicy)
		require.Contains(t, err.Error(), "Options.Python is required")
	})
	t.Run("missing writable dir", func(t *testing.T) {
		cmd := exec.Command(python, "-c", "pass")
		p := &Policy{ReadOnlyFS: true, WritableDirs: []string{filepath.Join(t.TempDir(), "missing")}}
		requireAvailable(t, &Policy{ReadOnlyFS: true})
		_, err := Prepare(context.Background(), cmd, p, nil)
		require.ErrorIs(t, err, ErrInvalidPolicy)
	})
	t.Run("cancelled context", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := Prepare(ctx, exec.Command(python), &Policy{CPUSeconds: 1}, nil)
		require.ErrorIs(t, err, context.Canceled)
	})
}

func TestCheckOnThisMachine(t *testing.T) {
	t.Parallel()
	all := &Policy{MemoryBytes: 64 << 20, CPUSeconds: 1, MaxProcesses: 10, MaxFileBytes: 1 << 20,
		NoNetwork: true, ReadOnlyFS: true, PIDNamespace: true, EnvAllowList: []string{}}
	err := Check(all)
	if err != nil {
		require.ErrorIs(t, err, ErrUnavailable, "only unavailability, never another failure: %v", err)
		if testenv.InCI() {
			t.Fatalf("CI machines support every switch: %v", err)
		}
	}
	require.NoError(t, Check(nil))
	require.NoError(t, Check(&Policy{}))
}

func TestCheckExplainsWhatIsMissing(t *testing.T) {
	t.Parallel()
	eperm := syscall.EPERM
	writable := func(string) error { return nil }
	for _, tc := range []struct {
		name   string
		host   host
		policy *Policy
		want   []string // one line per unavailable switch
	}{
		{"network namespace refused", host{ns: nsFacts{netNS: eperm}, writable: writable}, &Policy{NoNetwork: true},
			[]string{"sandbox: no_network needs a new network namespace (unshare CLONE_NEWNET, which needs CAP_SYS_ADMIN): operation not permitted"}},
		{"no memory controller", host{v1: map[string]string{"pids": "/sys/fs/cgroup/pids"}, writable: writable}, &Policy{MemoryBytes: 64 << 20},
			[]string{"sandbox: memory_bytes needs a memory cgroup this process can create child cgroups in (cgroup v2 memory controller, or the v1 memory hierarchy): no cgroup hierarchy with the memory controller is mounted"}},
		{"cgroup not writable", host{v1: map[string]string{"pids": "/cg/pids/x"}, writable: func(string) error { return syscall.EACCES }}, &Policy{MaxProcesses: 5},
			[]string{"sandbox: max_processes needs a pids cgroup this process can create child cgroups in (cgroup v2 pids controller, or the v1 pids hierarchy): /cg/pids/x: permission denied"}},
		{"old kernel", host{ns: nsFacts{mountSetattr: errors.New("the kernel has no mount_setattr (Linux 5.12 or newer is needed)")}, writable: writable}, &Policy{ReadOnlyFS: true},
			[]string{"sandbox: read_only_fs needs recursive read-only bind mounts (mount_setattr): the kernel has no mount_setattr (Linux 5.12 or newer is needed)"}},
		{"several", host{ns: nsFacts{pidNS: eperm, mountNS: eperm}, writable: writable}, &Policy{PIDNamespace: true, CPUSeconds: 3},
			[]string{
				"sandbox: pid_namespace needs a new PID namespace (unshare CLONE_NEWPID, which needs CAP_SYS_ADMIN): operation not permitted",
				"sandbox: pid_namespace needs a new mount namespace for its /proc (unshare CLONE_NEWNS, which needs CAP_SYS_ADMIN): operation not permitted",
			}},
		{"v2 preferred when it has the controller", host{v2: "/sys/fs/cgroup/x", v2c: []string{"memory", "pids"}, v1: map[string]string{"memory": "/v1"},
			writable: func(d string) error {
				if d == "/v1" {
					return syscall.EACCES
				}
				return nil
			}}, &Policy{MemoryBytes: 64 << 20}, nil},
		{"rlimits need nothing", host{writable: writable}, &Policy{CPUSeconds: 1, MaxFileBytes: 1}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.host.check(tc.policy)
			if tc.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, ErrUnavailable)
			require.Equal(t, strings.Join(tc.want, "\n"), err.Error())
			var ue *UnavailableError
			require.ErrorAs(t, err, &ue)
			require.True(t, strings.HasPrefix(tc.want[0], "sandbox: "+ue.Switch+" "))
		})
	}
}

// The executor runs the payload under bench's reaper when it measures;
// the sandbox wraps the whole command line, so the reaper runs confined
// and its report descriptor (fd 3, a file opened by the server) still
// works under a read-only file system.
func TestUnderTheBenchReaper(t *testing.T) {
	t.Parallel()
	p := &Policy{MemoryBytes: 256 << 20, ReadOnlyFS: true, PIDNamespace: true, NoNetwork: true}
	requireAvailable(t, p)
	python := testenv.Python(t)
	dir := t.TempDir()
	report, err := os.Create(filepath.Join(t.TempDir(), "usage.json"))
	require.NoError(t, err)
	defer report.Close()
	argv := bench.ReaperArgv(python, 3, []string{python, "-c", "b = b'x' * (50 << 20); raise SystemExit(3)"})
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.ExtraFiles = []*os.File{report}
	box, err := Prepare(context.Background(), cmd, p, nil)
	require.NoError(t, err)
	defer box.Close()
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "output: %s", out)
	require.Equal(t, 3, ee.ExitCode())
	require.True(t, box.Confined())
	data, err := os.ReadFile(report.Name())
	require.NoError(t, err)
	rep, err := bench.ParseReport(data)
	require.NoError(t, err)
	require.Equal(t, 3, rep.ExitCode)
	require.Greater(t, rep.Usage.PeakRSS, int64(50<<20))
	peak, err := box.PeakMemory()
	require.NoError(t, err)
	require.Greater(t, peak, int64(50<<20))
}

// A payload of a root server keeps uid 0 after it loses its capabilities,
// and uid 0 owns the cgroup files, the sysctls and the SysRq trigger. Any
// confined run of a server that may make mount namespaces gets those
// read-only, or the payload could move itself out of its memory limit.
// blockDevice returns a block device node under /dev, or "".
