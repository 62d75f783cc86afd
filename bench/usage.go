package bench

import (
	"encoding/json"
	"math"
	"time"
)

// Sources of [Usage.PeakRSS].
const (
	SourceReaper  = "reaper"  // wait4 of the payload inside the reaper: exact max over waited processes
	SourceWait4   = "wait4"   // wait4 of a child of this process, above this process's own peak
	SourceSampler = "sampler" // /proc samples of the process group
)

// Usage is what one run cost. The zero value means "nothing known"; a zero
// PeakRSS with an empty PeakRSSSource means the peak is unknown, not zero.
//
// Its JSON form (see [Usage.MarshalJSON]) has durations as float seconds:
// wall_time_seconds, user_time_seconds, system_time_seconds,
// cpu_time_seconds (derived, ignored on input), peak_rss_bytes,
// peak_rss_source and samples.
type Usage struct {
	// WallTime is the elapsed time of the run.
	WallTime time.Duration
	// UserTime and SystemTime are the CPU time of the process and of every
	// descendant it waited for (wait4), in user and kernel mode.
	UserTime, SystemTime time.Duration
	// PeakRSS is the best known peak resident set size in bytes (see the
	// package doc for what each source measures), 0 if unknown.
	PeakRSS int64
	// PeakRSSSource says where PeakRSS comes from: SourceReaper,
	// SourceWait4, SourceSampler, or "" if unknown.
	PeakRSSSource string
	// Samples is how many /proc samples a [Sampler] took, 0 without one.
	Samples int
}

// CPUTime is UserTime + SystemTime.
func (u Usage) CPUTime() time.Duration { return u.UserTime + u.SystemTime }

type usageJSON struct {
	WallTimeSeconds   float64 `json:"wall_time_seconds"`
	UserTimeSeconds   float64 `json:"user_time_seconds"`
	SystemTimeSeconds float64 `json:"system_time_seconds"`
	CPUTimeSeconds    float64 `json:"cpu_time_seconds"`
	PeakRSSBytes      int64   `json:"peak_rss_bytes"`
	PeakRSSSource     string  `json:"peak_rss_source"`
	Samples           int     `json:"samples"`
}

// MarshalJSON encodes u with snake_case names and durations as float
// seconds (microsecond precision), the form the MCP tools return.
func (u Usage) MarshalJSON() ([]byte, error) {
	return json.Marshal(usageJSON{
		WallTimeSeconds:   seconds(u.WallTime),
		UserTimeSeconds:   seconds(u.UserTime),
		SystemTimeSeconds: seconds(u.SystemTime),
		CPUTimeSeconds:    seconds(u.CPUTime()),
		PeakRSSBytes:      u.PeakRSS,
		PeakRSSSource:     u.PeakRSSSource,
		Samples:           u.Samples,
	})
}

// UnmarshalJSON decodes the form [Usage.MarshalJSON] writes.
func (u *Usage) UnmarshalJSON(data []byte) error {
	var j usageJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*u = Usage{
		WallTime:      duration(j.WallTimeSeconds),
		UserTime:      duration(j.UserTimeSeconds),
		SystemTime:    duration(j.SystemTimeSeconds),
		PeakRSS:       j.PeakRSSBytes,
		PeakRSSSource: j.PeakRSSSource,
		Samples:       j.Samples,
	}
	return nil
}

// seconds rounds to microseconds: rusage has no finer resolution, and short
// decimals read better in a tool result.
func seconds(d time.Duration) float64 {
	return math.Round(d.Seconds()*1e6) / 1e6
}

func duration(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}

// Merge combines the exact figures of a run (from [Reaper.Report] or
// [FromProcessState]) with what a [Sampler] saw of its process group. Times
// come from exact. The peak is the largest known of exact.PeakRSS, the
// sampled group total and the sampled per-process high-water mark: each is a
// lower bound of the tree's true peak (a max over processes, a sum that can
// miss short peaks, a max over the processes still alive), so the largest is
// the best one. PeakRSSSource names the winner; ties go to exact.
func Merge(exact Usage, sampled SamplerResult) Usage {
	u := exact
	u.Samples = sampled.Samples
	if best := max(sampled.PeakGroupRSS, sampled.PeakHWM); best > u.PeakRSS {
		u.PeakRSS = best
		u.PeakRSSSource = SourceSampler
	}
	return u
}
