package smartasync

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidOptions is returned by NewRunner for invalid Options and by
	// SmartAsync.Call for an invalid Call; the message names the field.
	ErrInvalidOptions = errors.New("smartasync: invalid options")

	// ErrClosed is returned by SmartAsync.Call once the Runner is closed. It is
	// also the context cause seen by work that is still running when
	// Runner.Close is called; such jobs are recorded as cancelled with the
	// message "server shutting down".
	ErrClosed = errors.New("smartasync: runner closed (server shutting down)")

	// ErrCancelled is the context cause seen by work whose job was cancelled
	// with Runner.Cancel (context.Cause(ctx) == ErrCancelled). Call wraps it
	// when the job is cancelled while the call still waits within its budget.
	ErrCancelled = errors.New("smartasync: job cancelled")

	// ErrNotRunning is returned by Runner.Cancel for a job that is not live in
	// this Runner: never started here (unknown id, another process) or already
	// finished. Cancelling a finished job is a no-op; the caller should consult
	// the Store (or the process that owns the job) for its state.
	ErrNotRunning = errors.New("smartasync: job not running in this process")

	// ErrPanic matches (errors.Is) every *PanicError.
	ErrPanic = errors.New("smartasync: work panicked")
)

// PanicError is the error Call returns when the work panics while the call is
// still waiting within its budget. The job record is kept (state failed, with
// the stack) so the panic stays inspectable; JobID names it.
type PanicError struct {
	JobID string // the failed job's id
	Value any    // the value passed to panic
	Stack []byte // runtime/debug.Stack() of the panicking goroutine
}

// Error reports the job and the panic value (not the stack).
func (e *PanicError) Error() string {
	return fmt.Sprintf("smartasync: job %s panicked: %v", e.JobID, e.Value)
}

// Is reports whether target is ErrPanic.
func (e *PanicError) Is(target error) bool { return target == ErrPanic }

// record is the text stored as the failed job's error: the panic value and the
// stack, as the spec asks ("panic: ...\n<stack>").
func (e *PanicError) record() string {
	return fmt.Sprintf("panic: %v\n\n%s", e.Value, e.Stack)
}
