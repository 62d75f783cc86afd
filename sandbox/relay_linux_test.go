package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// A stop sent to the started process alone must reach the payload under
// pid_namespace too, where that process is the relay and the payload the
// init's child: a session interrupts a cell with a SIGINT to its kernel
// only, leaving the kernel's own children alone.
func TestPIDNamespaceRelaysStopsToThePayload(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			p := &Policy{PIDNamespace: true}
			requireAvailable(t, p)
			dir := t.TempDir()
			ready := filepath.Join(dir, "ready")
			code := `
import os, signal, subprocess, sys, time
got = []
signal.signal(int(sys.argv[1]), lambda s, f: got.append(s))
child = subprocess.Popen(["sleep", "60"])
open(sys.argv[2], "w").close()
while not got:
    time.sleep(0.01)
print("payload got", got[0], "child alive", child.poll() is None)
child.kill()
`
			res := runSandboxed(t, runSpec{policy: p, dir: dir, code: code, args: []string{strconv.Itoa(int(sig)), ready}, timeout: 30 * time.Second,
				during: func(b *Box, _ context.CancelFunc) {
					testenv.PollUntil(t, "the payload", func() bool { _, err := os.Stat(ready); return err == nil })
					require.NoError(t, b.cmd.Process.Signal(sig))
				}})
			require.Equal(t, 0, res.exit, "stderr: %s", res.stderr)
			require.Equal(t, "payload got "+strconv.Itoa(int(sig))+" child alive True\n", res.stdout)
		})
	}
}

// TestSignalGroupOncePerProcess: under a PID namespace a group-wide signal
// reached the payload directly and through the relay and the init; with
// SignalGroup it gets the signal once.
func TestSignalGroupOncePerProcess(t *testing.T) {
	t.Parallel()
	p := &Policy{PIDNamespace: true}
	requireAvailable(t, p)
	ready := filepath.Join(t.TempDir(), "ready")
	code := `
import signal, sys, time
n = 0
def on_int(*_):
    global n
    n += 1
signal.signal(signal.SIGINT, on_int)
open(sys.argv[1], "w").close()
deadline = time.time() + 60
while n == 0 and time.time() < deadline:
    time.sleep(0.01)
time.sleep(0.5)  # time for duplicates to arrive
print(n)
`
	res := runSandboxed(t, runSpec{policy: p, code: code, args: []string{ready},
		during: func(b *Box, _ context.CancelFunc) {
			testenv.PollUntil(t, "the payload's handler", func() bool { _, err := os.Stat(ready); return err == nil })
			require.NoError(t, b.SignalGroup(b.cmd.Process.Pid, syscall.SIGINT))
		}})
	require.Equal(t, 0, res.exit, res.stderr)
	require.Equal(t, "1\n", res.stdout)
}
