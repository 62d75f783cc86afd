package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

func TestNoNetworkRefusesTheHostLoopback(t *testing.T) {
	t.Parallel()
	n, accepted := testenv.LoopbackListener(t)
	port := strconv.Itoa(n)
	code := `
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10).close()
    print("host listener: connected")
except OSError as e:
    print("host listener:", type(e).__name__)
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
socket.create_connection(s.getsockname(), timeout=10).close()
print("own loopback: connected")
`
	for _, tc := range []struct {
		name     string
		policy   *Policy
		want     string
		accepted int64
	}{
		{"unrestricted", nil, "host listener: connected\n", 1},
		{"no_network", &Policy{NoNetwork: true}, "host listener: ConnectionRefusedError\n", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireAvailable(t, tc.policy)
			before := accepted.Load()
			res := runSandboxed(t, runSpec{policy: tc.policy, code: code, args: []string{port}})
			require.Equal(t, 0, res.exit, "stderr: %s", res.stderr)
			require.Equal(t, tc.want+"own loopback: connected\n", res.stdout)
			if tc.accepted > 0 {
				testenv.PollUntil(t, "the accept", func() bool { return accepted.Load() > before })
			} else {
				require.Equal(t, before, accepted.Load())
			}
		})
	}
}

func TestReadOnlyFSKeepsWritesInTheWorkspace(t *testing.T) {
	t.Parallel()
	work, extra, other := t.TempDir(), t.TempDir(), t.TempDir()
	p := &Policy{ReadOnlyFS: true, WritableDirs: []string{work, extra}}
	requireAvailable(t, p)
	tok := token(t)
	code := `
import errno, os, sys, tempfile
def attempt(path):
    try:
        with open(path, "w") as f:
            f.write("x")
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
extra, other, tok = sys.argv[1:4]
print("workspace", attempt("written.txt"))
print("private tmp", attempt(os.path.join(tempfile.gettempdir(), "t.txt")))
print("writable_dirs", attempt(os.path.join(extra, "written.txt")))
print("other dir", attempt(os.path.join(other, "x")))
print("/tmp", attempt("/tmp/" + tok))
print("/etc", attempt("/etc/" + tok))
print("/dev/shm", attempt("/dev/shm/" + tok))
print("/dev/null", attempt("/dev/null"))
print("/dev/urandom", len(open("/dev/urandom", "rb").read(8)))
if sys.argv[4]:  # open a disk for writing, never write
    try:
        os.close(os.open(sys.argv[4], os.O_WRONLY))
        print("disk ok")
    except OSError as e:
        print("disk", errno.errorcode.get(e.errno))
print(tempfile.gettempdir())
`
	disk, diskWant := blockDevice(), ""
	if disk != "" {
		// Read-only mounts do not cover device nodes; uid 0 owns the disk.
		diskWant = "disk EACCES\n"
	}
	var tmp string
	res := runSandboxed(t, runSpec{policy: p, dir: work, code: code, args: []string{extra, other, tok, disk},
		during: func(b *Box, _ context.CancelFunc) { tmp = b.TempDir() }})
	require.Equal(t, 0, res.exit, "stderr: %s", res.stderr)
	require.Equal(t, "workspace ok\nprivate tmp ok\nwritable_dirs ok\nother dir EROFS\n/tmp EROFS\n/etc EROFS\n/dev/shm ok\n/dev/null ok\n/dev/urandom 8\n"+diskWant+tmp+"\n", res.stdout)
	for _, f := range []string{filepath.Join(work, "written.txt"), filepath.Join(extra, "written.txt")} {
		_, err := os.Stat(f)
		require.NoError(t, err)
	}
	for _, f := range []string{filepath.Join(other, "x"), "/tmp/" + tok, "/etc/" + tok, "/dev/shm/" + tok, tmp} {
		_, err := os.Stat(f)
		require.ErrorIs(t, err, os.ErrNotExist, "%s (the private /dev/shm and TMPDIR are gone with the run)", f)
	}
}

func TestSetsidEscapee(t *testing.T) {
	t.Parallel()
	// The payload ignores SIGTERM, so the stop goes to SIGKILL of the
	// group; its grandchild has left the group (start_new_session).
	code := `
import signal, subprocess, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)", sys.argv[1] + "-escapee"], start_new_session=True)
time.sleep(300)
`
	for _, tc := range []struct {
		name     string
		policy   *Policy
		survives bool
	}{
		{"process group only", nil, true}, // shows what the switches fix
		{"pid_namespace", &Policy{PIDNamespace: true}, false},
		{"cgroup kill", &Policy{MaxProcesses: 50}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			requireAvailable(t, tc.policy)
			tok := token(t)
			escapee := tok + "-escapee"
			t.Cleanup(func() {
				for _, pid := range findProcs(escapee) {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			})
			runSandboxed(t, runSpec{policy: tc.policy, code: code, args: []string{tok}, during: func(_ *Box, cancel context.CancelFunc) {
				testenv.PollUntil(t, "the escapee to start", func() bool { return len(findProcs(escapee)) == 1 })
				cancel() // as a timeout does
			}})
			if tc.survives {
				require.Len(t, findProcs(escapee), 1, "without a switch, setsid escapes the group kill")
				return
			}
			testenv.PollUntil(t, "the escapee to be killed", func() bool { return len(findProcs(escapee)) == 0 })
		})
	}
}

func TestEnvAllowListHidesServerSecrets(t *testing.T) {
	t.Parallel()
	p := &Policy{EnvAllowList: DefaultEnvAllowList()}
	requireAvailable(t, p)
	env := append(os.Environ(), "PYEXEC_TEST_API_KEY=s3cr3t", "PYEXEC_TEST_EXPLICIT=passed", "LC_PYEXEC_TEST=kept")
	code := `
import os
print(os.environ.get("PYEXEC_TEST_API_KEY"))
print(os.environ.get("PYEXEC_TEST_EXPLICIT"))
print(os.environ.get("LC_PYEXEC_TEST"))
print("PATH" in os.environ)
try:
    open("/proc/%d/environ" % os.getppid(), "rb").read()
    print("server environ: readable")
except OSError as e:
    print("server environ:", type(e).__name__)
`
	res := runSandboxed(t, runSpec{policy: p, env: env, code: code, opts: &Options{ExplicitEnv: []string{"PYEXEC_TEST_EXPLICIT"}}})
	require.Equal(t, 0, res.exit, "stderr: %s", res.stderr)
	lines := strings.Split(strings.TrimSpace(res.stdout), "\n")
	require.Equal(t, []string{"None", "passed", "kept", "True"}, lines[:4])
	if os.Geteuid() == 0 {
		// The payload runs without capabilities, so it may not read the
		// environment of a process that has them (ptrace access rules).
		require.Equal(t, "server environ: PermissionError", lines[4])
	}
}

func TestPIDNamespaceHidesHostProcesses(t *testing.T) {
	t.Parallel()
	p := &Policy{PIDNamespace: true}
	requireAvailable(t, p)
	code := `
import os, sys
print(os.getpid())
try:
    os.kill(int(sys.argv[1]), 0)
    print("server: visible")
except ProcessLookupError:
    print("server: not visible")
print(sorted(int(d) for d in os.listdir("/proc") if d.isdigit()))
`
	res := runSandboxed(t, runSpec{policy: p, code: code, args: []string{strconv.Itoa(os.Getpid())}})
	require.Equal(t, 0, res.exit, "stderr: %s", res.stderr)
	// The payload is pid 2: the wrapper's init is pid 1 of the namespace.
	require.Equal(t, "2\nserver: not visible\n[1, 2]\n", res.stdout)
}

func TestRootPayloadCannotLeaveItsLimits(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("only a root server's payload could write these files")
	}
	p := &Policy{MemoryBytes: 64 << 20}
	requireAvailable(t, p)
	// Open for writing, never write: opening changes nothing.
	code := `
import errno, os, sys
for path in sys.argv[1:]:
    try:
        os.close(os.open(path, os.O_WRONLY))
        print(path, "writable")
    except OSError as e:
        print(path, errno.errorcode[e.errno])
`
	files := []string{"/proc/sys/vm/drop_caches", "/sys/kernel/mm/transparent_hugepage/enabled"}
	if _, err := os.Stat("/proc/sysrq-trigger"); err == nil { // absent without CONFIG_MAGIC_SYSRQ
		files = append(files, "/proc/sysrq-trigger")
	}
	res := runSandboxed(t, runSpec{policy: p, code: code, args: files})
	require.Equal(t, 0, res.exit, "stderr: %s", res.stderr)
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			require.Contains(t, res.stdout, f+" EROFS\n")
		}
	}

	// The server's own memory cgroup: where an escaping payload would go.
	h := currentHost()
	parentProcs := filepath.Join(h.v1["memory"], "cgroup.procs")
	if h.v2 != "" && contains(h.v2c, "memory") {
		parentProcs = filepath.Join(h.v2, "cgroup.procs")
	}
	res = runSandboxed(t, runSpec{policy: p, code: `
import errno, os, sys
try:
    with open(sys.argv[1], "w") as f:
        f.write(str(os.getpid()))
    print("escaped")
except OSError as e:
    print(errno.errorcode[e.errno])
print(open("/proc/self/cgroup").read().count("pyexec-"))
`, args: []string{parentProcs}})
	require.Equal(t, 0, res.exit, "stderr: %s", res.stderr)
	require.Equal(t, "EROFS\n1\n", res.stdout)
}

func blockDevice() string {
	entries, _ := os.ReadDir("/dev")
	for _, e := range entries {
		if e.Type()&os.ModeDevice != 0 && e.Type()&os.ModeCharDevice == 0 {
			return "/dev/" + e.Name()
		}
	}
	return ""
}
