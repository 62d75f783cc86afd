//go:build unix

package kernel

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// requireSandbox skips the test where p cannot be enforced, and fails it in
// CI, whose machines enforce every switch.
func requireSandbox(t *testing.T, p *sandbox.Policy) {
	t.Helper()
	testenv.RequireEnforceable(t, sandbox.Check(p))
}

// confined returns a policy with every switch on, dir writable.
func confined(dir string) *sandbox.Policy {
	return &sandbox.Policy{MemoryBytes: 256 << 20, CPUSeconds: 600, MaxProcesses: 64, MaxFileBytes: 1 << 30,
		NoNetwork: true, ReadOnlyFS: true, WritableDirs: []string{dir}, PIDNamespace: true,
		EnvAllowList: sandbox.DefaultEnvAllowList()}
}

func TestConfinedKernelKeepsItsProtocol(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := confined(dir)
	requireSandbox(t, p)
	k := start(t, &Config{Dir: dir, Sandbox: p})
	require.True(t, k.Confined())
	// The protocol pipes moved away from 3 and 4, and the sandbox's status
	// pipe (5) did not reach the kernel: a cell finds none of them.
	res := run(t, k, "import os\nbad = []\nfor fd in (3, 4, 5):\n    try:\n        os.fstat(fd)\n    except OSError:\n        bad.append(fd)\nbad")
	require.Nil(t, res.Error)
	require.Equal(t, "[3, 4, 5]", res.Value)
	// Output capture and REPL values work as unconfined.
	res = run(t, k, "import os\nprint('out')\nos.write(2, b'err\\n')\nos.getpid()")
	require.Equal(t, "out\n", res.Stdout)
	require.Equal(t, "err\n", res.Stderr)
	require.Equal(t, "2", res.Value) // the payload of the PID namespace's init
	require.Empty(t, res.LimitExceeded)
	require.Empty(t, k.Limits())
}

func TestConfinedInterrupt(t *testing.T) {
	t.Parallel()
	for _, pol := range []struct {
		name   string
		policy func(dir string) *sandbox.Policy
	}{
		{"pid_namespace", func(string) *sandbox.Policy { return &sandbox.Policy{PIDNamespace: true} }},
		{"every switch", confined},
	} {
		for _, tc := range []struct {
			name, code string
			errType    string
			// survives: the first SIGINT, to the kernel alone, stops the
			// cell, so a process of an earlier cell is not interrupted
			// (os.system needs the group-wide one).
			survives bool
		}{
			{name: "busy loop", code: "while True:\n    pass", errType: "KeyboardInterrupt", survives: true},
			{name: "sleep", code: "import time\ntime.sleep(60)", errType: "KeyboardInterrupt", survives: true},
			{name: "subprocess.run", code: "import subprocess\nsubprocess.run(['sleep', '60'])", errType: "KeyboardInterrupt", survives: true},
			{name: "os.system", code: "import os\nos.system('touch started; sleep 60')\ndone = True"},
		} {
			t.Run(pol.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				dir := t.TempDir()
				p := pol.policy(dir)
				requireSandbox(t, p)
				k := start(t, &Config{Dir: dir, Grace: 2 * time.Second, Sandbox: p})
				run(t, k, "state = 'kept'\nimport subprocess\nbg = subprocess.Popen(['sleep', '60'])")
				t.Cleanup(func() { run(t, k, "bg.kill()") })
				var res *Result
				if strings.Contains(tc.code, "touch started") {
					res = executeUntil(t, k, tc.code, filepath.Join(dir, "started"))
				} else {
					res = executeWithin(t, k, tc.code, 300*time.Millisecond)
				}
				require.True(t, res.Interrupted)
				require.False(t, res.Killed, "exit: %s", res.Exit)
				require.False(t, res.Died, "exit: %s", res.Exit)
				if tc.errType != "" {
					require.NotNil(t, res.Error)
					require.Equal(t, tc.errType, res.Error.Type)
				} else {
					require.Nil(t, res.Error)
				}
				require.Equal(t, "'kept'", run(t, k, "state").Value)
				if tc.survives {
					require.Equal(t, "True", run(t, k, "bg.poll() is None").Value)
				}
			})
		}
	}
}

func TestConfinedKernelKilledByMemoryLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := confined(dir)
	p.MemoryBytes = 64 << 20
	requireSandbox(t, p)
	k := start(t, &Config{Dir: dir, Sandbox: p})
	// A child that dies of the limit is the cell's event; the kernel lives.
	res := run(t, k, "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'b = bytearray(1 << 30)']).returncode")
	require.Equal(t, "-9", res.Value)
	require.Equal(t, "memory limit (64 MiB) exceeded: the kernel's OOM killer ended 1 process of the run", res.LimitExceeded)
	require.Empty(t, run(t, k, "1").LimitExceeded) // reported once
	// The kernel itself.
	res = run(t, k, "b = bytearray(1 << 30)")
	require.True(t, res.Died)
	require.Contains(t, res.Exit, "killed by signal 9")
	require.Equal(t, "memory limit (64 MiB) exceeded: the kernel's OOM killer ended 1 process of the run", res.LimitExceeded)
	_, err := k.Execute(context.Background(), "1", nil)
	require.ErrorIs(t, err, ErrExited)
}

func TestConfinedStartRefusesAnInvalidPolicy(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// WritableDirs without ReadOnlyFS: a promise the sandbox refuses to
	// make, so the kernel does not start at all.
	_, err := Start(ctx, &Config{Python: testenv.Python(t), Dir: dir, Sandbox: &sandbox.Policy{WritableDirs: []string{dir}}})
	require.ErrorIs(t, err, ErrStart)
	require.ErrorIs(t, err, sandbox.ErrInvalidPolicy)
}
