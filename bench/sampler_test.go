//go:build unix

package bench

import (
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// TestSamplerSeesGroupMember: a leader whose child (not the leader) holds
// 100 MiB. The child stays alive until stdin closes, so the sampler's final
// sample at Stop is sure to see it: no sleeping, no timing.
func TestSamplerSeesGroupMember(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the sampler reads /proc")
	}
	py := testenv.Python(t)
	child := "import sys\n" +
		"b = b'\\x01' * (100 * 1024 * 1024)\n" +
		"print('ready', flush=True)\n" +
		"sys.stdin.read()\n"
	leader := "import subprocess, sys\n" +
		"sys.exit(subprocess.call([sys.executable, '-c', " + pyQuote(child) + "]))\n"
	tests := []struct {
		name        string
		skipLeader  bool
		wantMembers int
	}{
		{"whole group", false, 2},
		{"leader excluded", true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cmd := exec.Command(py, "-c", leader)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			stdin, err := cmd.StdinPipe()
			require.NoError(t, err)
			wait := startReady(t, cmd)
			opts := &SamplerOptions{Interval: MinSampleInterval}
			if tt.skipLeader {
				opts.Exclude = []int{cmd.Process.Pid}
			}
			s := StartSampler(cmd.Process.Pid, opts)
			res := s.Stop()
			require.Equal(t, res, s.Stop(), "Stop is idempotent")
			stdin.Close()
			require.NoError(t, wait())

			require.GreaterOrEqual(t, res.Samples, 2, "one at start, one at Stop")
			require.Equal(t, tt.wantMembers, res.MaxProcesses)
			require.GreaterOrEqual(t, res.PeakHWM, int64(100*mib))
			require.GreaterOrEqual(t, res.PeakGroupRSS, int64(100*mib))
			require.Less(t, res.PeakGroupRSS, int64(200*mib))

			u := Merge(Usage{PeakRSS: 1, PeakRSSSource: SourceReaper}, res)
			require.Equal(t, SourceSampler, u.PeakRSSSource)
			require.Equal(t, res.Samples, u.Samples)
		})
	}
}

// pyQuote returns s as a Python string literal (triple-quoted; s has no
// triple quotes or backslashes that matter here).
func pyQuote(s string) string { return `"""` + s + `"""` }

func TestSamplerEmptyGroup(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the sampler reads /proc")
	}
	tests := []struct {
		name        string
		pgid        int
		wantSamples bool
	}{
		{"no such group", 1 << 23, true}, // above PID_MAX_LIMIT (4194304)
		{"zero", 0, false},
		{"negative", -5, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := StartSampler(tt.pgid, &SamplerOptions{Interval: time.Nanosecond}).Stop()
			require.Zero(t, res.PeakGroupRSS)
			require.Zero(t, res.PeakHWM)
			require.Zero(t, res.MaxProcesses)
			if tt.wantSamples {
				require.GreaterOrEqual(t, res.Samples, 2)
			} else {
				require.Zero(t, res.Samples)
			}
		})
	}
}

func TestSamplerDefaults(t *testing.T) {
	t.Parallel()
	s := StartSampler(1<<23, nil)
	res := s.Stop()
	require.Positive(t, res.Samples)
}

func TestSelfPeakRSS(t *testing.T) {
	t.Parallel()
	got, err := SelfPeakRSS()
	if runtime.GOOS != "linux" {
		require.ErrorIs(t, err, ErrUnsupported)
		return
	}
	require.NoError(t, err)
	require.Greater(t, got, int64(mib), "a Go test binary is bigger than 1 MiB")
}
