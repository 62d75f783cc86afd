//go:build unix

package bench

import (
	"os"
	"runtime"
	"syscall"
	"time"
)

// ReaperAvailable reports whether the reaper (ReaperArgv, NewReaper) can
// run here: it forks, which every Unix can.
const ReaperAvailable = true

// FromProcessState reads the CPU time and peak RSS of a waited-for child
// from wait4's rusage (ps.SysUsage). CPU time includes every descendant the
// child waited for. wall is the elapsed time the caller measured.
//
// ru_maxrss is at least the peak RSS of this process at the child's exec
// (Go starts children with vfork, and the kernel carries the parent's
// high-water mark into the child's), so it is only believed when it exceeds
// floorBytes: pass [SelfPeakRSS] read after Wait returns (it only grows, so
// it bounds the value at exec). Otherwise PeakRSS is 0 and PeakRSSSource "".
// A nil ps gives only WallTime.
func FromProcessState(ps *os.ProcessState, wall time.Duration, floorBytes int64) Usage {
	u := Usage{WallTime: wall}
	if ps == nil {
		return u
	}
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok || ru == nil {
		return u
	}
	u.UserTime = time.Duration(ru.Utime.Nano())
	u.SystemTime = time.Duration(ru.Stime.Nano())
	maxrss := int64(ru.Maxrss)
	if runtime.GOOS != "darwin" {
		maxrss *= 1024 // KiB on Linux and the BSDs, bytes on Darwin
	}
	if maxrss > floorBytes {
		u.PeakRSS = maxrss
		u.PeakRSSSource = SourceWait4
	}
	return u
}
