package bench

import "errors"

var (
	// ErrNoReport is returned by [ParseReport] and [Reaper.Report] when the
	// reaper wrote nothing: it never started, or it was killed (SIGKILL to
	// the process group) before its payload had been waited for.
	ErrNoReport = errors.New("bench: the reaper wrote no report")

	// ErrBadReport is returned by [ParseReport] when the data is not a report
	// of the reaper shipped with this package.
	ErrBadReport = errors.New("bench: malformed reaper report")

	// ErrStarted is returned by [NewReaper] for a command that was already
	// started.
	ErrStarted = errors.New("bench: command already started")

	// ErrUnsupported is returned by [SelfPeakRSS] on systems without
	// /proc/self/status (everything but Linux).
	ErrUnsupported = errors.New("bench: not supported on this system")
)
