package autosave

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned by Read and ReadSaved for a valid name that is
// not a regular file of the directory (missing, a directory, or a symlink
// that leads out).
var ErrNotFound = errors.New("autosave: no such script")

// NameError is returned by Read and ReadSaved for a name that is not a
// plain file name of the directory.
type NameError struct {
	Name   string
	Reason string // what is wrong, e.g. "contains a path"
}

func (e *NameError) Error() string {
	return fmt.Sprintf("autosave: script name %q %s", e.Name, e.Reason)
}
