//go:build !unix

package bench

import (
	"os"
	"time"
)

// FromProcessState returns only WallTime on systems without wait4 rusage.
func FromProcessState(ps *os.ProcessState, wall time.Duration, floorBytes int64) Usage {
	return Usage{WallTime: wall}
}
