package bench

import (
	"os"
	"syscall"
	"time"
)

// ReaperAvailable reports whether the reaper can run here: it forks, and
// Windows has no fork. There, Usage has the leader's CPU time and no peak
// RSS (see FromProcessState).
const ReaperAvailable = false

// FromProcessState reads the CPU time of a waited-for child from
// GetProcessTimes (ps.SysUsage): the child's own, not its descendants'.
// Windows reports no peak resident set of a process that has exited, so
// PeakRSS stays 0 (unknown) and floorBytes is unused.
func FromProcessState(ps *os.ProcessState, wall time.Duration, _ int64) Usage {
	u := Usage{WallTime: wall}
	if ps == nil {
		return u
	}
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok && ru != nil {
		u.UserTime = filetimeDuration(ru.UserTime)
		u.SystemTime = filetimeDuration(ru.KernelTime)
	}
	return u
}

// filetimeDuration converts a FILETIME that holds a duration (100 ns units).
func filetimeDuration(ft syscall.Filetime) time.Duration {
	return time.Duration(int64(ft.HighDateTime)<<32|int64(ft.LowDateTime)) * 100
}
