package procfs

import (
	"errors"
	"fmt"
)

var (
	// ErrNoProcess is returned, wrapped with the pid, when there is no
	// process with that pid: /proc/<pid> does not exist, or the process was
	// reaped while its file was being read. A zombie still exists (see
	// [Stat.Exited]).
	ErrNoProcess = errors.New("procfs: no such process")

	// ErrUnsupported is returned, wrapped with what was asked for, on
	// systems without Linux /proc. It wraps errors.ErrUnsupported.
	ErrUnsupported = fmt.Errorf("procfs: no Linux /proc on this system: %w", errors.ErrUnsupported)
)

// errMalformed is wrapped, with the pid and file, for a file that does not
// parse: never seen from a real kernel, but /proc is read, not trusted.
var errMalformed = errors.New("malformed")
