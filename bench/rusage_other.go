//go:build !unix && !windows

package bench

import (
	"os"
	"time"
)

// ReaperAvailable is false where wait4's rusage is missing too.
const ReaperAvailable = false

// FromProcessState returns only WallTime on systems without wait4 rusage.
func FromProcessState(ps *os.ProcessState, wall time.Duration, floorBytes int64) Usage {
	return Usage{WallTime: wall}
}
