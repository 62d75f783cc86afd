package jobstore

import (
	"errors"
	"fmt"
)

var (
	// ErrNotFound is returned when no record exists for a well-formed job id:
	// it never existed, was discarded, or was pruned.
	ErrNotFound = errors.New("jobstore: job not found")

	// ErrFinished is returned by FinishJob, SetRunning, SetProgress and
	// SetProcess when the job is already completed, failed or cancelled; the
	// record is left unchanged.
	ErrFinished = errors.New("jobstore: job already finished")

	// ErrInvalidID is returned for a job id that CreateJob cannot have made:
	// ids are 16 lowercase hex characters, which also rules out path traversal.
	ErrInvalidID = errors.New("jobstore: invalid job id")

	// ErrInvalidState is returned when a caller asks for a state that does not
	// exist, or FinishJob is given a state that is not final.
	ErrInvalidState = errors.New("jobstore: invalid job state")

	// ErrNoProcess is returned by Kill when the job has no recorded process
	// (it is pending, or SetProcess was never called).
	ErrNoProcess = errors.New("jobstore: job has no recorded process")

	// ErrElsewhere is returned by Kill when the job's processes run on
	// another machine (a backend shared by server replicas): only their
	// owner can stop them, and it does once the job is recorded as
	// cancelled.
	ErrElsewhere = errors.New("jobstore: job runs on another machine")

	// ErrSessionElsewhere is returned by SessionHomes.ClaimSession when
	// another live replica holds the session's name.
	ErrSessionElsewhere = errors.New("jobstore: the session lives on another replica")

	// ErrClosed is returned by every method of a Store after Close.
	ErrClosed = errors.New("jobstore: store is closed")

	// ErrReadOnly is returned, with the method's name, by every method that
	// would change the store or signal a job's processes — CreateJob,
	// Update, SetRunning, SetProgress, SetProcess, SetExitCode, FinishJob,
	// DiscardJob, AppendLog, LogWriter, Kill, Recover and Prune — on a
	// Store opened with Options.ReadOnly.
	ErrReadOnly = errors.New("jobstore: store is read-only")
)

// jobError carries a user-facing message about one job id and unwraps to a
// sentinel, so callers branch with errors.Is while users read a sentence that
// names the id and what to do.
type jobError struct {
	msg string
	err error
}

func (e *jobError) Error() string { return e.msg }
func (e *jobError) Unwrap() error { return e.err }

// CheckID returns an error wrapping ErrInvalidID, naming id, unless
// ValidID(id). It and the constructors below give every backend the same
// errors.
func CheckID(id string) error { return checkID(id) }

// NotFoundError returns ErrNotFound wrapped in a message naming job id.
func NotFoundError(id string) error { return notFound(id) }

// FinishedError returns ErrFinished wrapped in a message naming job id and
// its final state st.
func FinishedError(id string, st State) error { return finished(id, st) }

// InvalidStateError returns ErrInvalidState wrapped in a message naming
// state st and the valid ones.
func InvalidStateError(st string) error { return invalidState(st) }

// NoProcessError returns ErrNoProcess wrapped in a message naming job id.
func NoProcessError(id string) error {
	return &jobError{msg: fmt.Sprintf("jobstore: job %q has no recorded process (it may not have started yet)", id), err: ErrNoProcess}
}

func notFound(id string) error {
	return &jobError{
		msg: fmt.Sprintf("jobstore: job %q not found (it may have been pruned or discarded); list_jobs shows the valid job ids", id),
		err: ErrNotFound,
	}
}

func invalidID(id string) error {
	const maxShown = 40
	shown := id
	if len(shown) > maxShown {
		shown = shown[:maxShown] + "…"
	}
	return &jobError{
		msg: fmt.Sprintf("jobstore: job id %q is not valid: ids are %d lowercase hex characters; list_jobs shows the valid job ids", shown, idLen),
		err: ErrInvalidID,
	}
}

func finished(id string, st State) error {
	return &jobError{
		msg: fmt.Sprintf("jobstore: job %q is already %s", id, st),
		err: ErrFinished,
	}
}

func invalidState(st string) error {
	return &jobError{
		msg: fmt.Sprintf("jobstore: state %q is not valid; use one of pending, running, completed, failed, cancelled", st),
		err: ErrInvalidState,
	}
}
