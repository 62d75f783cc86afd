package smartasync

import (
	"errors"
	"fmt"
	"strings"
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
	return fmt.Sprintf("%s%v\n\n%s", panicPrefix, e.Value, e.Stack)
}

// The beginnings of the errors smartasync records for faults of its own: a
// panic, and a value that cannot be stored.
const (
	panicPrefix      = "panic: "
	unstorablePrefix = "smartasync: the value cannot be stored as JSON: "
)

// Fault reports whether errMsg, the error of a failed job, is one smartasync
// recorded for a fault (the work panicked, or its value could not be stored
// as JSON) rather than the error the work returned. The Tasks extension of
// MCP tells them apart: a work's error is the tool's error, a completed task
// whose result is an error; a fault is a failed task. A work whose own error
// begins "panic: " is taken for a panic.
func Fault(errMsg string) bool {
	return strings.HasPrefix(errMsg, panicPrefix) || strings.HasPrefix(errMsg, unstorablePrefix)
}
