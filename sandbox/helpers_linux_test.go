package sandbox

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/procfs"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// runSpec is one command run under a Box the way the executor runs
// commands: its own process group, proc's TERM-grace-KILL on ctx end.
type runSpec struct {
	policy  *Policy
	opts    *Options
	dir     string   // working directory; default a fresh temporary one
	env     []string // default: this process's environment
	code    string   // python -c CODE
	args    []string // after the code
	timeout time.Duration
	// beforeStart runs between Prepare and the start.
	beforeStart func()
	// during runs after the start, before the wait; it may cancel the run.
	during func(b *Box, cancel context.CancelFunc)
}

type runResult struct {
	stdout, stderr string
	exit           int
	outcome        Outcome
	peak           int64
	box            *Box
}

func runSandboxed(t *testing.T, s runSpec) runResult {
	t.Helper()
	python := testenv.Python(t)
	if s.dir == "" {
		s.dir = t.TempDir()
	}
	if s.timeout == 0 {
		s.timeout = 2 * time.Minute // a bound for a hung test, not a measurement
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	cmd := exec.Command(python, append([]string{"-c", s.code}, s.args...)...)
	cmd.Dir, cmd.Env = s.dir, s.env
	// Files, not pipes: an escaped process holding a pipe cannot make the
	// wait hang, and no copy goroutines are involved.
	outDir := t.TempDir()
	stdout, err := os.Create(filepath.Join(outDir, "stdout"))
	require.NoError(t, err)
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(outDir, "stderr"))
	require.NoError(t, err)
	defer stderr.Close()
	cmd.Stdout, cmd.Stderr = stdout, stderr

	box, err := Prepare(ctx, cmd, s.policy, s.opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = box.Close() })
	if s.beforeStart != nil {
		s.beforeStart()
	}
	p, err := proc.Start(cmd, 300*time.Millisecond)
	require.NoError(t, err)
	if s.during != nil {
		s.during(box, cancel)
	}
	_ = p.Wait(ctx)
	res := runResult{exit: proc.ExitCode(cmd.ProcessState), box: box}
	require.NoError(t, box.Kill())
	res.outcome = box.Outcome(res.exit)
	res.peak, _ = box.PeakMemory()
	require.NoError(t, box.Close())
	out, _ := os.ReadFile(stdout.Name())
	errOut, _ := os.ReadFile(stderr.Name())
	res.stdout, res.stderr = string(out), string(errOut)
	return res
}

// token is a unique marker to find a test's processes by command line.
func token(t *testing.T) string {
	t.Helper()
	var b [6]byte
	_, err := rand.Read(b[:])
	require.NoError(t, err)
	return "pyexec-sbx-" + hex.EncodeToString(b[:])
}

// findProcs returns the host pids whose command line contains marker.
func findProcs(marker string) []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		b, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil || !bytes.Contains(b, []byte(marker)) {
			continue
		}
		if st, err := procfs.ReadStat(pid); err == nil && st.Exited() {
			continue // a zombie has ended; its parent has not reaped it yet
		}
		out = append(out, pid)
	}
	return out
}
