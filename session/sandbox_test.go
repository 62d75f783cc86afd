package session_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/session"
)

// requireSandbox skips the test where p cannot be enforced, and fails it in
// CI, whose machines enforce every switch.
func requireSandbox(t *testing.T, p *sandbox.Policy) {
	t.Helper()
	testenv.RequireEnforceable(t, sandbox.Check(p))
}

// allSwitches is a policy with every switch on.
func allSwitches() *sandbox.Policy {
	return &sandbox.Policy{MemoryBytes: 256 << 20, CPUSeconds: 600, MaxProcesses: 128, MaxFileBytes: 1 << 30,
		NoNetwork: true, ReadOnlyFS: true, PIDNamespace: true, EnvAllowList: sandbox.DefaultEnvAllowList()}
}

// confinedManager is newManager with opts.Sandbox set to p (every switch
// when nil), skipping where the machine cannot enforce it.
func confinedManager(t *testing.T, p *sandbox.Policy, opts *session.Options) *session.Manager {
	t.Helper()
	if p == nil {
		p = allSwitches()
	}
	requireSandbox(t, p)
	if opts == nil {
		opts = &session.Options{}
	}
	opts.Sandbox = p
	return newManager(t, opts)
}

func TestConfinedKernelKilledByItsMemoryLimit(t *testing.T) {
	t.Parallel()
	p := allSwitches()
	p.MemoryBytes = 128 << 20
	m := confinedManager(t, p, nil)
	execute(t, m, "", "x = 41")
	res := execute(t, m, "", "b = bytearray(1 << 30)")
	const verdict = "memory limit (128 MiB) exceeded: the kernel's OOM killer ended 1 process of the run"
	require.True(t, res.KernelDied, "%+v", res)
	require.True(t, res.StateLost)
	require.Equal(t, verdict, res.LimitExceeded)
	require.Contains(t, res.Notes, "the session's kernel died: "+verdict+"; its state is lost; the next call starts a new kernel")

	res = execute(t, m, "", "x")
	require.NotNil(t, res.Error)
	require.Equal(t, "NameError", res.Error.Type)
	require.Len(t, res.Notes, 1)
	require.Contains(t, res.Notes[0], "this cell ran in a new kernel (the previous one was killed by signal 9")
	require.Contains(t, res.Notes[0], verdict)
	require.Empty(t, res.LimitExceeded)
	require.Equal(t, "42", value(t, m, "", "x = 42\nx")) // the new kernel works
}

func TestConfinedKernelReachesNoHostListener(t *testing.T) {
	t.Parallel()
	port, accepted := testenv.LoopbackListener(t)
	code := "import socket\ntry:\n    socket.create_connection(('127.0.0.1', " + strconv.Itoa(port) + "), timeout=10).close()\n    r = 'connected'\n" +
		"except OSError as e:\n    r = type(e).__name__\nr"
	for _, tc := range []struct {
		name   string
		policy *sandbox.Policy
		want   string
	}{
		{"unconfined", nil, "'connected'"},
		{"no_network", &sandbox.Policy{NoNetwork: true}, "'ConnectionRefusedError'"},
		{"every switch", allSwitches(), "'ConnectionRefusedError'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m *session.Manager
			if tc.policy == nil {
				m = newManager(t, nil)
			} else {
				m = confinedManager(t, tc.policy, nil)
			}
			before := accepted.Load()
			require.Equal(t, tc.want, value(t, m, "", code))
			if tc.policy != nil {
				require.Equal(t, before, accepted.Load())
			}
			// Outside addresses are unreachable too (no route at all).
			if tc.policy != nil {
				require.Equal(t, "'OSError'", value(t, m, "", "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=5)\n    r = 'connected'\nexcept OSError as e:\n    r = 'OSError' if e.errno == 101 else repr(e)\nr"))
			}
		})
	}
}

func TestConfinedKernelWritesOnlyTheWorkspace(t *testing.T) {
	t.Parallel()
	outside, data := t.TempDir(), t.TempDir()
	m := confinedManager(t, nil, &session.Options{DataDir: data, Env: []string{"PYEXEC_EXPLICIT=given"}})
	ws := m.WorkspaceDir()
	probe := func(path string) string {
		return value(t, m, "", "import errno\ntry:\n    open("+pyQuote(path)+", 'w').write('x')\n    r = 'written'\nexcept OSError as e:\n    r = errno.errorcode[e.errno]\nr")
	}
	require.Equal(t, "'written'", probe(filepath.Join(ws, "inside.txt")))
	b, err := os.ReadFile(filepath.Join(ws, "inside.txt"))
	require.NoError(t, err)
	require.Equal(t, "x", string(b))
	require.Equal(t, "'EROFS'", probe(filepath.Join(outside, "outside.txt")))
	require.Equal(t, "'EROFS'", probe(filepath.Join(data, "planted.txt"))) // the sessions' environments
	require.NoFileExists(t, filepath.Join(outside, "outside.txt"))
	require.NoFileExists(t, filepath.Join(data, "planted.txt"))
	// A private TMPDIR, writable and not the host's.
	tmp := value(t, m, "", "import tempfile, os\nwith tempfile.NamedTemporaryFile() as f:\n    f.write(b'x')\nos.environ['TMPDIR']")
	require.NotEqual(t, "'"+os.TempDir()+"'", tmp)
	// The environment is the allow-list's, plus what was given on purpose.
	keys := strings.Split(strings.Trim(value(t, m, "", "','.join(sorted(__import__('os').environ))"), "'"), ",")
	for _, k := range keys {
		switch k {
		case "PYEXEC_EXPLICIT", "VIRTUAL_ENV", "MPLBACKEND", "PYTHONUNBUFFERED", "PYTHONIOENCODING", "TMPDIR", "TMP", "TEMP":
			continue
		}
		allowed := false
		for _, a := range sandbox.DefaultEnvAllowList() {
			if a == k || strings.HasSuffix(a, "*") && strings.HasPrefix(k, strings.TrimSuffix(a, "*")) {
				allowed = true
			}
		}
		require.True(t, allowed, "the kernel sees %s", k)
	}
	require.Equal(t, "'given'", value(t, m, "", "__import__('os').environ['PYEXEC_EXPLICIT']"))
	// The workspace is in the effective policy, the data directory is not.
	p := m.Sandbox()
	require.Contains(t, p.WritableDirs, ws)
	require.NotContains(t, p.WritableDirs, data)
}

func TestConfinedInterruptKeepsState(t *testing.T) {
	t.Parallel()
	m := confinedManager(t, nil, &session.Options{Grace: 4 * time.Second})
	execute(t, m, "", "state = 'kept'\nimport subprocess\nbg = subprocess.Popen(['sleep', '60'])")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := m.Execute(ctx, "", "import time\ntime.sleep(60)", 300*time.Millisecond)
	require.NoError(t, err)
	require.True(t, res.TimedOut)
	require.False(t, res.StateLost, "%+v", res)
	require.NotNil(t, res.Error)
	require.Equal(t, "KeyboardInterrupt", res.Error.Type)
	// The interrupt reached the kernel alone: the earlier cell's child
	// lives on (a group-wide SIGINT would have ended it).
	require.Equal(t, "('kept', True)", value(t, m, "", "(state, bg.poll() is None)"))
	execute(t, m, "", "bg.kill()")
}

func TestConfinedSessionsLeaveNoCgroups(t *testing.T) {
	// Not parallel: it counts this process's cgroups, which parallel tests
	// would change.
	p := &sandbox.Policy{MemoryBytes: 256 << 20, MaxProcesses: 64, PIDNamespace: true}
	requireSandbox(t, p)
	before := runCgroups(t)
	m, err := session.NewManager(&session.Options{Python: testenv.Python(t), Sandbox: p,
		WorkspaceDir: t.TempDir(), DataDir: t.TempDir(), Grace: 500 * time.Millisecond})
	require.NoError(t, err)
	execute(t, m, "a", "1")
	execute(t, m, "b", "1")
	execute(t, m, "c", "import os\nos._exit(3)") // dies in a cell
	execute(t, m, "d", "import subprocess\nsubprocess.Popen(['setsid', 'sleep', '60'])")
	require.Greater(t, runCgroups(t), before, "the test counts the wrong directories")
	require.NoError(t, m.Reset(context.Background(), "a"))
	require.NoError(t, m.Remove(context.Background(), "b"))
	execute(t, m, "c", "1") // reports the death; a new kernel
	require.NoError(t, m.Close())
	require.Equal(t, before, runCgroups(t))
}

// runCgroups counts the sandbox cgroups of this process: directories named
// pyexec-<pid>-… in its own memory and pids cgroups (v1) or its unified
// cgroup (v2), where sandbox creates them.
func runCgroups(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/self/cgroup")
	require.NoError(t, err)
	prefix := "pyexec-" + strconv.Itoa(os.Getpid()) + "-"
	var dirs []string
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		switch ctrls := "," + parts[1] + ","; {
		case parts[1] == "":
			dirs = append(dirs, filepath.Join("/sys/fs/cgroup", parts[2]))
		case strings.Contains(ctrls, ",memory,"):
			dirs = append(dirs, filepath.Join("/sys/fs/cgroup/memory", parts[2]))
		case strings.Contains(ctrls, ",pids,"):
			dirs = append(dirs, filepath.Join("/sys/fs/cgroup/pids", parts[2]))
		}
	}
	sort.Strings(dirs)
	n := 0
	for _, d := range dirs {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.IsDir() && strings.HasPrefix(e.Name(), prefix) {
				n++
			}
		}
	}
	return n
}

// isRefusal reports whether err is a refusal by the confined-install
// rules under rule.
func isRefusal(t *testing.T, err error, rule string) *session.RefusedError {
	t.Helper()
	require.ErrorIs(t, err, session.ErrInstall)
	var re *session.RefusedError
	require.True(t, errors.As(err, &re), "%v", err)
	require.Equal(t, rule, re.Rule)
	return re
}
