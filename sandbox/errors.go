package sandbox

import (
	"errors"
	"fmt"
)

var (
	// ErrUnavailable matches (errors.Is) every error of [Check] and
	// [Prepare] that says a requested switch cannot be enforced on this
	// machine: not Linux, a missing permission, a missing cgroup controller.
	// The error is an [*UnavailableError] naming the switch.
	ErrUnavailable = errors.New("sandbox: requested isolation is unavailable")

	// ErrUnsupported is wrapped by an [*UnavailableError] on systems other
	// than Linux, where no switch can be enforced.
	ErrUnsupported = errors.New("sandbox: not supported on this system")

	// ErrInvalidPolicy is returned by [Check] and [Prepare] for a policy
	// that makes no sense (a negative limit, a writable directory that does
	// not exist), whatever the machine, and by Prepare for unusable
	// Options (no interpreter to run the wrapper).
	ErrInvalidPolicy = errors.New("sandbox: invalid policy")

	// ErrStarted is returned by [Prepare] for a command that was already
	// started: a sandbox cannot be applied after the fact.
	ErrStarted = errors.New("sandbox: command already started")

	// ErrNotMeasured is returned by [Box.PeakMemory] when the box has no
	// memory cgroup (Policy.MemoryBytes is 0).
	ErrNotMeasured = errors.New("sandbox: peak memory is only measured with a memory limit")

	// ErrSetup matches a [*SetupError]: the wrapper could not confine the
	// run, so the payload never started.
	ErrSetup = errors.New("sandbox: set-up failed; the payload did not run")
)

// UnavailableError says why one switch of a [Policy] cannot be enforced.
// It matches ErrUnavailable and, through Err, the underlying cause (an
// errno, ErrUnsupported).
type UnavailableError struct {
	// Switch is the policy field's JSON name ("no_network", "memory_bytes").
	Switch string
	// Needs says what the switch needs ("a Linux network namespace ...").
	Needs string
	// Err is the cause; it may be nil.
	Err error
}

func (e *UnavailableError) Error() string {
	s := "sandbox: " + e.Switch + " needs " + e.Needs
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns ErrUnavailable and the cause.
func (e *UnavailableError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrUnavailable}
	}
	return []error{ErrUnavailable, e.Err}
}

// SetupError is what the wrapper reported when a confinement step failed
// in the child, before the payload was executed (exit code 125). It
// matches ErrSetup.
type SetupError struct {
	Switch  string // the policy switch whose step failed ("read_only_fs")
	Message string // the wrapper's message, e.g. "mount /work: No such file or directory"
}

func (e *SetupError) Error() string {
	return fmt.Sprintf("sandbox: set-up failed (%s): %s; the payload did not run", e.Switch, e.Message)
}

// Is reports whether target is ErrSetup.
func (e *SetupError) Is(target error) bool { return target == ErrSetup }
