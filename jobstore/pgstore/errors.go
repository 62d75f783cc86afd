package pgstore

import (
	"errors"
	"fmt"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// The job errors are jobstore's, so that callers branch on its sentinels
// whichever backend they use.
var (
	check        = jobstore.CheckID
	notFound     = jobstore.NotFoundError
	finished     = jobstore.FinishedError
	invalidState = jobstore.InvalidStateError
)

// wrap names the operation and the job of a database error; jobstore's own
// errors (not found, finished…) pass unchanged.
func wrap(what, id string, err error) error {
	for _, sentinel := range []error{jobstore.ErrNotFound, jobstore.ErrFinished, jobstore.ErrInvalidState, jobstore.ErrInvalidID} {
		if errors.Is(err, sentinel) {
			return err
		}
	}
	return fmt.Errorf("pgstore: %s job %s: %w", what, id, err)
}

// elsewhere is Kill's error for a job whose processes run on another
// machine.
func elsewhere(id, replica string) error {
	return fmt.Errorf("pgstore: job %q runs on replica %s, on another machine: its owner stops it once the job is recorded as cancelled: %w",
		id, replica, jobstore.ErrElsewhere)
}
