//go:build unix

package bench

import (
	"io"
	"os/exec"
	"syscall"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/shirou/gopsutil/v4/process"
	"github.com/stretchr/testify/require"
)

// startTree starts a python leader with one python child, in their own
// process group, and returns the group id. Both exit when the test ends.
func startTree(b *testing.B) int {
	b.Helper()
	py := testenv.Python(b)
	src := "import subprocess, sys\n" +
		"c = subprocess.Popen([sys.executable, '-c', 'import sys; print(\"ready\", flush=True); sys.stdin.read()'])\n" +
		"c.wait()\n"
	cmd := exec.Command(py, "-c", src)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stdin, err := cmd.StdinPipe()
	require.NoError(b, err)
	wait := startReady(b, cmd)
	b.Cleanup(func() {
		stdin.Close()
		_ = wait()
	})
	return cmd.Process.Pid
}

// BenchmarkScanProc is one sampler tick as implemented: every
// /proc/<pid>/stat for the process group, then /proc/<pid>/status of the
// members (VmRSS and VmHWM).
func BenchmarkScanProc(b *testing.B) {
	pgid := startTree(b)
	var g groupScan
	for b.Loop() {
		var err error
		g, err = scan(pgid, nil)
		if err != nil {
			b.Fatal(err)
		}
	}
	if g.members != 2 {
		b.Fatalf("members %d, want 2", g.members)
	}
}

// BenchmarkScanGopsutilTree is the same tick with gopsutil v4: it has no
// process-group getter on Linux, so the tree is walked from the leader with
// Children (each call reads every /proc/*/stat) and MemoryInfo (statm, RSS
// only: gopsutil parses VmHWM but does not expose it). It also misses
// orphans re-parented away from the tree.
func BenchmarkScanGopsutilTree(b *testing.B) {
	pgid := startTree(b)
	members := 0
	for b.Loop() {
		leader, err := process.NewProcess(int32(pgid))
		if err != nil {
			b.Fatal(err)
		}
		members = 0
		var rss uint64
		queue := []*process.Process{leader}
		for len(queue) > 0 {
			p := queue[0]
			queue = queue[1:]
			if mi, err := p.MemoryInfo(); err == nil {
				members++
				rss += mi.RSS
			}
			children, _ := p.Children() // ErrorNoChildren for leaves
			queue = append(queue, children...)
		}
	}
	if members != 2 {
		b.Fatalf("members %d, want 2", members)
	}
}

// BenchmarkScanGopsutilProcesses is only gopsutil's listing of all processes
// (NewProcess for each pid, which reads its stat for the create time),
// before any filtering by group could start.
func BenchmarkScanGopsutilProcesses(b *testing.B) {
	for b.Loop() {
		if _, err := process.Processes(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReaperOverhead is the cost of one run of an idle interpreter,
// directly and under the reaper.
func BenchmarkReaperOverhead(b *testing.B) {
	py := testenv.Python(b)
	b.Run("direct", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(py, "-c", "pass")
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("reaper", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(py, "-c", "pass")
			cmd.Stdout = io.Discard
			r, err := NewReaper(cmd, py)
			if err != nil {
				b.Fatal(err)
			}
			if err := cmd.Run(); err != nil {
				b.Fatal(err)
			}
			if _, err := r.Report(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
