package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"syscall"
)

// reportVersion is the "v" of the reaper's report line.
const reportVersion = 1

// Report is what the reaper says about its payload.
type Report struct {
	// Usage has WallTime (from just before fork to the end of wait4),
	// UserTime, SystemTime and, when it is above RSSFloor, PeakRSS with
	// PeakRSSSource SourceReaper.
	Usage Usage
	// ExitCode is the payload's exit code, -1 if a signal killed it.
	ExitCode int
	// Signal is the signal that killed the payload, 0 if it exited.
	Signal syscall.Signal
	// RSSFloor is the floor under the payload's ru_maxrss (the reaper's
	// forked copy at exec, ~8 MiB) in bytes; a peak at or below it is
	// reported as unknown.
	RSSFloor int64
	// ExecError is set when the payload could not be executed (not found,
	// not executable); ExitCode is then 127, as in a shell.
	ExecError string
}

type reportJSON struct {
	V         *int     `json:"v"`
	WallS     *float64 `json:"wall_s"`
	UtimeS    *float64 `json:"utime_s"`
	StimeS    *float64 `json:"stime_s"`
	MaxRSSKB  *int64   `json:"maxrss_kb"`
	FloorKB   *int64   `json:"floor_kb"`
	ExitCode  *int     `json:"exit_code"`
	Signal    *int     `json:"signal"`
	ExecError string   `json:"exec_error"`
}

// ParseReport decodes the line the reaper writes to its report fd. Empty
// data (the reaper died first) gives ErrNoReport; anything else that is not
// one well-formed report gives ErrBadReport.
func ParseReport(data []byte) (Report, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return Report{}, ErrNoReport
	}
	var j reportJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return Report{}, badReport(data, err.Error())
	}
	if j.V == nil || *j.V != reportVersion {
		return Report{}, badReport(data, fmt.Sprintf("want version %d", reportVersion))
	}
	if j.WallS == nil || j.UtimeS == nil || j.StimeS == nil || j.MaxRSSKB == nil || j.FloorKB == nil ||
		j.ExitCode == nil || j.Signal == nil {
		return Report{}, badReport(data, "missing field")
	}
	if *j.WallS < 0 || *j.UtimeS < 0 || *j.StimeS < 0 || *j.MaxRSSKB < 0 || *j.FloorKB < 0 {
		return Report{}, badReport(data, "negative figure")
	}
	if *j.WallS > maxSeconds || *j.UtimeS > maxSeconds || *j.StimeS > maxSeconds ||
		*j.MaxRSSKB > maxKB || *j.FloorKB > maxKB {
		return Report{}, badReport(data, "figure out of range")
	}
	exited := *j.Signal == 0 && *j.ExitCode >= 0 && *j.ExitCode <= 255
	signaled := *j.Signal > 0 && *j.Signal < 128 && *j.ExitCode == -1
	if !exited && !signaled {
		return Report{}, badReport(data, "want an exit code 0-255 or a signal 1-127")
	}
	r := Report{
		Usage: Usage{
			WallTime:   duration(*j.WallS),
			UserTime:   duration(*j.UtimeS),
			SystemTime: duration(*j.StimeS),
		},
		ExitCode:  *j.ExitCode,
		Signal:    syscall.Signal(*j.Signal),
		RSSFloor:  *j.FloorKB * 1024,
		ExecError: j.ExecError,
	}
	if *j.MaxRSSKB > *j.FloorKB {
		r.Usage.PeakRSS = *j.MaxRSSKB * 1024
		r.Usage.PeakRSSSource = SourceReaper
	}
	return r, nil
}

// Bounds that keep conversions to time.Duration and bytes from overflowing:
// a century and an exbibyte are beyond any real report.
const (
	maxSeconds = 100 * 365 * 24 * 3600
	maxKB      = 1 << 50
)

func badReport(data []byte, why string) error {
	const max = 200
	if len(data) > max {
		data = append(data[:max:max], "..."...)
	}
	return fmt.Errorf("%w (%s): %q", ErrBadReport, why, data)
}
