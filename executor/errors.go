package executor

import (
	"errors"
	"fmt"

	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
)

var (
	// ErrInvalidRequest is returned, wrapped with the offending input and
	// the fix, when a Request cannot be run as given.
	ErrInvalidRequest = errors.New("executor: invalid request")
	// ErrPythonNotFound is returned when no interpreter matches: the default
	// python3 is missing, or a python_version is not installed (the message
	// lists the installed ones).
	ErrPythonNotFound = errors.New("executor: python not found")
	// ErrUVNotFound is returned for uv runs when the uv binary is missing.
	ErrUVNotFound = errors.New("executor: uv not found; install it with `python3 -m pip install --user uv` (or see https://docs.astral.sh/uv/), or set Request.UseUV to false")
	// ErrResolution is returned when the dependencies cannot be resolved;
	// the message carries uv's explanation.
	ErrResolution = errors.New("executor: dependencies could not be resolved")
	// ErrCancelled is returned, with the partial Result, when the caller's
	// context is cancelled while the child runs.
	ErrCancelled = errors.New("executor: run cancelled")
)

// RequestError is a Request that cannot run as given. Field names the
// input by its Request field (ScriptPath, Code, Dir, Args, Env, EnvFile,
// UseUV, PythonVersion, Dependencies, Timeout, Sandbox, MaxOutputBytes;
// "" for a nil Request), so a tool layer can map it to its own parameter
// without re-validating; Reason says what is wrong and what to do, naming
// fields the same way. It matches ErrInvalidRequest with errors.Is.
type RequestError struct {
	Field  string
	Reason string
	Err    error // the underlying error, if any (e.g. envload's)
}

func (e *RequestError) Error() string { return ErrInvalidRequest.Error() + ": " + e.Reason }

// Unwrap makes errors.Is(err, ErrInvalidRequest) true, and errors.Is/As
// see Err.
func (e *RequestError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrInvalidRequest}
	}
	return []error{ErrInvalidRequest, e.Err}
}

// RefusedError is a requirement a confined run does not install: a direct
// reference without Options.AllowDirectReferences, or a source build
// without Options.AllowSourceBuilds. Option names the option that lifts
// the rule. It arrives wrapped in a *RequestError for "dependencies"; use
// errors.As.
type RefusedError = uvcmd.RefusedError

func invalid(field, format string, a ...any) error {
	return &RequestError{Field: field, Reason: fmt.Sprintf(format, a...)}
}
