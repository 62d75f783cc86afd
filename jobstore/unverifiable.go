package jobstore

import (
	"errors"
	"fmt"
	"runtime"
)

// unverifiable is Host.KillJob's error for a job of a live server on a
// system without /proc (macOS, Windows): no process of the job can be told
// from an unrelated one with its pid, so none is killed; the job is that
// server's to stop, and the caller must not report it killed. (On Windows
// its tree is in the owner's job object, which dies with the owner.)
func unverifiable(j *Job) error {
	return fmt.Errorf("jobstore: job %s runs in server process %d, and this system (%s) cannot tell its processes from others without /proc: cancel it from that server: %w",
		j.ID, j.Owner.PID, runtime.GOOS, errors.ErrUnsupported)
}
