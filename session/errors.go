package session

import (
	"errors"

	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
)

var (
	// ErrInvalidOptions is returned by NewManager, with the field and the
	// fix, for options it cannot use.
	ErrInvalidOptions = errors.New("session: invalid options")
	// ErrInvalidSessionID is returned for a session id that is too long or
	// holds control characters.
	ErrInvalidSessionID = errors.New("session: invalid session id")
	// ErrInvalidRequirement is returned by Install for an empty list or a
	// requirement that is empty, multi-line or looks like an option.
	ErrInvalidRequirement = errors.New("session: invalid requirement")
	// ErrTooManySessions is returned when a call would create a session
	// beyond Options.MaxSessions; the message lists the live ones.
	ErrTooManySessions = errors.New("session: too many sessions")
	// ErrUnknownSession is returned by Reset, Remove and History for an id that
	// names no live session.
	ErrUnknownSession = errors.New("session: no such session")
	// ErrUVNotFound is returned when a virtual environment is needed and
	// no uv binary was configured or found on PATH.
	ErrUVNotFound = errors.New("session: uv not found; set Options.UV or put uv on PATH")
	// ErrInstall is returned by Install (and by the first Execute of a
	// session when StartupPackages fail) when uv fails, the message
	// carrying uv's explanation, and when Options.Sandbox's install rules
	// refuse a requirement, together with a *RefusedError.
	ErrInstall = errors.New("session: package installation failed")
	// ErrKernelStart is returned when a kernel cannot be started; the
	// message carries the interpreter's complaint.
	ErrKernelStart = errors.New("session: the kernel could not start")
	// ErrCancelled is returned, with the partial result, when the caller's
	// context ends while a cell runs (the cell is interrupted as on a
	// timeout), and alone when it ends while the call waits for its turn.
	ErrCancelled = errors.New("session: cancelled")
	// ErrClosed is returned by every call once Close has begun.
	ErrClosed = errors.New("session: manager closed")
)

// RefusedError is a requirement that an install under Options.Sandbox does
// not take: a direct reference without Options.AllowDirectReferences
// (Rule uvcmd.RuleDirectReference, "direct-reference"), or a package that
// needs building from source without Options.AllowSourceBuilds
// ("source-build"). Option names the Options field that lifts the rule,
// for a tool layer to map to its own setting. It arrives wrapped with
// ErrInstall; use errors.As. It is the type package executor returns for
// the same rules.
type RefusedError = uvcmd.RefusedError
