//go:build linux

package bench

import (
	"fmt"
	"os"
)

// SelfPeakRSS returns the peak resident set size (VmHWM) of this process in
// bytes: the floor under wait4's ru_maxrss of any child it starts (see
// [FromProcessState]). getrusage(RUSAGE_SELF) is not used: its maxrss
// carries this process's own inherited floor, which does not pass to
// children. Linux only; elsewhere it returns ErrUnsupported.
func SelfPeakRSS() (int64, error) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("bench: reading own peak RSS: %w", err)
	}
	st, ok := parseStatus(data)
	if !ok || st.hwm == 0 {
		return 0, fmt.Errorf("bench: no VmHWM in /proc/self/status: %w", ErrUnsupported)
	}
	return st.hwm, nil
}
