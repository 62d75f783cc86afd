package bench

import (
	"errors"
	"fmt"
	"os"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

// groupScan is one look at every member of a process group.
type groupScan struct {
	rss     int64 // sum of the members' VmRSS
	hwm     int64 // largest VmHWM of a member
	members int
}

// scan finds the members of process group pgid (one scan of /proc, which
// also finds orphans re-parented to init: they stay in the group) and reads
// each one's memory. Members that exit mid-scan are skipped. Without /proc
// it fails, and the sampler then records no samples. Benchmarks
// (BenchmarkScan*) compare this with gopsutil.
func scan(pgid int, exclude map[int]bool) (groupScan, error) {
	members, err := procfs.Group(pgid)
	if err != nil {
		return groupScan{}, err
	}
	var g groupScan
	for _, m := range members {
		if exclude[m.PID] {
			continue
		}
		st, err := procfs.ReadStatus(m.PID)
		if err != nil || !st.HasMemory {
			continue // exited since Group saw it
		}
		g.members++
		g.rss += st.VmRSS
		g.hwm = max(g.hwm, st.VmHWM)
	}
	return g, nil
}

// SelfPeakRSS returns the peak resident set size (VmHWM) of this process in
// bytes: the floor under wait4's ru_maxrss of any child it starts (see
// [FromProcessState]). getrusage(RUSAGE_SELF) is not used: its maxrss
// carries this process's own inherited floor, which does not pass to
// children. Linux only; elsewhere it returns ErrUnsupported.
func SelfPeakRSS() (int64, error) {
	st, err := procfs.ReadStatus(os.Getpid())
	switch {
	case errors.Is(err, procfs.ErrUnsupported):
		return 0, ErrUnsupported
	case err != nil:
		return 0, fmt.Errorf("bench: reading own peak RSS: %w", err)
	case st.VmHWM == 0:
		return 0, fmt.Errorf("bench: no VmHWM in /proc/%d/status: %w", os.Getpid(), ErrUnsupported)
	}
	return st.VmHWM, nil
}
