package bench

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

const mib = 1 << 20

func TestParseReport(t *testing.T) {
	t.Parallel()
	const ok = `{"v":1,"wall_s":1.5,"utime_s":0.25,"stime_s":0.125,"maxrss_kb":204800,"floor_kb":7480,"exit_code":3,"signal":0}`
	tests := []struct {
		name string
		in   string
		want Report
		err  error
	}{
		{"exit", ok + "\n", Report{
			Usage: Usage{WallTime: 1500 * time.Millisecond, UserTime: 250 * time.Millisecond,
				SystemTime: 125 * time.Millisecond, PeakRSS: 200 * mib, PeakRSSSource: SourceReaper},
			ExitCode: 3, RSSFloor: 7480 * 1024,
		}, nil},
		{"signal", `{"v":1,"wall_s":0,"utime_s":0,"stime_s":0,"maxrss_kb":9000,"floor_kb":8000,"exit_code":-1,"signal":9}`,
			Report{Usage: Usage{PeakRSS: 9000 * 1024, PeakRSSSource: SourceReaper}, ExitCode: -1,
				Signal: syscall.SIGKILL, RSSFloor: 8000 * 1024}, nil},
		{"peak at floor is unknown", `{"v":1,"wall_s":0.001,"utime_s":0,"stime_s":0,"maxrss_kb":8000,"floor_kb":8000,"exit_code":0,"signal":0}`,
			Report{Usage: Usage{WallTime: time.Millisecond}, RSSFloor: 8000 * 1024}, nil},
		{"exec error", `{"v":1,"wall_s":0,"utime_s":0,"stime_s":0,"maxrss_kb":1,"floor_kb":2,"exit_code":127,"signal":0,"exec_error":"x: [Errno 2] No such file"}`,
			Report{ExitCode: 127, RSSFloor: 2048, ExecError: "x: [Errno 2] No such file"}, nil},
		{"unknown fields ignored", strings.Replace(ok, `"v":1,`, `"v":1,"future":true,`, 1), Report{
			Usage: Usage{WallTime: 1500 * time.Millisecond, UserTime: 250 * time.Millisecond,
				SystemTime: 125 * time.Millisecond, PeakRSS: 200 * mib, PeakRSSSource: SourceReaper},
			ExitCode: 3, RSSFloor: 7480 * 1024,
		}, nil},
		{"empty", "", Report{}, ErrNoReport},
		{"blank", " \n", Report{}, ErrNoReport},
		{"not json", "Traceback (most recent call last):", Report{}, ErrBadReport},
		{"truncated", ok[:40], Report{}, ErrBadReport},
		{"two lines", ok + "\n" + ok, Report{}, ErrBadReport},
		{"wrong version", strings.Replace(ok, `"v":1`, `"v":2`, 1), Report{}, ErrBadReport},
		{"no version", strings.Replace(ok, `"v":1,`, ``, 1), Report{}, ErrBadReport},
		{"missing field", strings.Replace(ok, `"maxrss_kb":204800,`, ``, 1), Report{}, ErrBadReport},
		{"negative", strings.Replace(ok, `"wall_s":1.5`, `"wall_s":-1`, 1), Report{}, ErrBadReport},
		{"huge", strings.Replace(ok, `"maxrss_kb":204800`, `"maxrss_kb":9007199254740992`, 1), Report{}, ErrBadReport},
		{"exit and signal", strings.Replace(ok, `"signal":0`, `"signal":9`, 1), Report{}, ErrBadReport},
		{"neither", strings.Replace(ok, `"exit_code":3`, `"exit_code":-1`, 1), Report{}, ErrBadReport},
		{"exit code too big", strings.Replace(ok, `"exit_code":3`, `"exit_code":256`, 1), Report{}, ErrBadReport},
		{"wrong type", strings.Replace(ok, `"exit_code":3`, `"exit_code":"3"`, 1), Report{}, ErrBadReport},
		{"array", "[1]", Report{}, ErrBadReport},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseReport([]byte(tt.in))
			if tt.err != nil {
				require.ErrorIs(t, err, tt.err)
				require.Equal(t, Report{}, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestParseReportErrorQuotesBoundedInput(t *testing.T) {
	t.Parallel()
	_, err := ParseReport([]byte(strings.Repeat("x", 10000)))
	require.ErrorIs(t, err, ErrBadReport)
	require.Less(t, len(err.Error()), 400)
}

func FuzzParseReport(f *testing.F) {
	f.Add([]byte(`{"v":1,"wall_s":1.5,"utime_s":0.25,"stime_s":0.125,"maxrss_kb":204800,"floor_kb":7480,"exit_code":3,"signal":0}`))
	f.Add([]byte(`{"v":1,"wall_s":0,"utime_s":0,"stime_s":0,"maxrss_kb":1,"floor_kb":2,"exit_code":-1,"signal":15,"exec_error":"x"}`))
	f.Add([]byte(""))
	f.Add([]byte("{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseReport(data)
		if err != nil {
			require.True(t, errors.Is(err, ErrNoReport) || errors.Is(err, ErrBadReport), "%v", err)
			return
		}
		u := r.Usage
		require.GreaterOrEqual(t, u.WallTime, time.Duration(0))
		require.GreaterOrEqual(t, u.UserTime, time.Duration(0))
		require.GreaterOrEqual(t, u.SystemTime, time.Duration(0))
		require.GreaterOrEqual(t, u.PeakRSS, int64(0))
		require.True(t, (r.Signal == 0) != (r.ExitCode == -1))
		if u.PeakRSS > 0 {
			require.Equal(t, SourceReaper, u.PeakRSSSource)
			require.Greater(t, u.PeakRSS, r.RSSFloor)
		} else {
			require.Empty(t, u.PeakRSSSource)
		}
	})
}

func TestFromProcessState(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	cmd := exec.Command(py, "-c", "pass")
	require.NoError(t, cmd.Run())
	ps := cmd.ProcessState

	u := FromProcessState(ps, time.Second, 0)
	require.Equal(t, time.Second, u.WallTime)
	require.Positive(t, u.CPUTime())
	require.Positive(t, u.PeakRSS)
	require.Equal(t, SourceWait4, u.PeakRSSSource)

	u = FromProcessState(ps, time.Second, 1<<62)
	require.Zero(t, u.PeakRSS, "not above the floor: unknown")
	require.Empty(t, u.PeakRSSSource)
	require.Positive(t, u.CPUTime(), "CPU time does not depend on the floor")

	require.Equal(t, Usage{WallTime: 3}, FromProcessState(nil, 3, 0))
	var unstarted os.ProcessState
	require.Equal(t, Usage{WallTime: 3}, FromProcessState(&unstarted, 3, 0))
}

func TestUsageJSON(t *testing.T) {
	t.Parallel()
	u := Usage{WallTime: 1500 * time.Millisecond, UserTime: 250 * time.Millisecond, SystemTime: 125*time.Millisecond + 400,
		PeakRSS: 3 * mib, PeakRSSSource: SourceReaper, Samples: 7}
	data, err := json.Marshal(u)
	require.NoError(t, err)
	require.JSONEq(t, `{"wall_time_seconds":1.5,"user_time_seconds":0.25,"system_time_seconds":0.125,
		"cpu_time_seconds":0.375,"peak_rss_bytes":3145728,"peak_rss_source":"reaper","samples":7}`, string(data))
	var back Usage
	require.NoError(t, json.Unmarshal(data, &back))
	u.SystemTime = 125 * time.Millisecond // microsecond precision
	require.Equal(t, u, back)
	require.Error(t, json.Unmarshal([]byte(`{"wall_time_seconds":"x"}`), &back))
}

func TestMerge(t *testing.T) {
	t.Parallel()
	exact := Usage{WallTime: 2, UserTime: 3, SystemTime: 4, PeakRSS: 100, PeakRSSSource: SourceReaper}
	tests := []struct {
		name       string
		exact      Usage
		sampled    SamplerResult
		wantPeak   int64
		wantSource string
	}{
		{"exact wins", exact, SamplerResult{PeakGroupRSS: 90, PeakHWM: 80, Samples: 5}, 100, SourceReaper},
		{"tie goes to exact", exact, SamplerResult{PeakGroupRSS: 100, Samples: 5}, 100, SourceReaper},
		{"sum wins", exact, SamplerResult{PeakGroupRSS: 150, PeakHWM: 80, Samples: 5}, 150, SourceSampler},
		{"hwm wins", exact, SamplerResult{PeakGroupRSS: 90, PeakHWM: 120, Samples: 5}, 120, SourceSampler},
		{"unknown exact", Usage{WallTime: 2}, SamplerResult{PeakGroupRSS: 10, Samples: 1}, 10, SourceSampler},
		{"nothing known", Usage{WallTime: 2}, SamplerResult{}, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := Merge(tt.exact, tt.sampled)
			require.Equal(t, tt.wantPeak, got.PeakRSS)
			require.Equal(t, tt.wantSource, got.PeakRSSSource)
			require.Equal(t, tt.sampled.Samples, got.Samples)
			require.Equal(t, tt.exact.WallTime, got.WallTime)
			require.Equal(t, tt.exact.CPUTime(), got.CPUTime())
		})
	}
}
