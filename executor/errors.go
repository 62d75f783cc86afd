package executor

import "errors"

var (
	// ErrInvalidRequest is returned, wrapped with the offending input and
	// the fix, when a Request cannot be run as given.
	ErrInvalidRequest = errors.New("executor: invalid request")
	// ErrPythonNotFound is returned when no interpreter matches: the default
	// python3 is missing, or a python_version is not installed (the message
	// lists the installed ones).
	ErrPythonNotFound = errors.New("executor: python not found")
	// ErrUVNotFound is returned for uv runs when the uv binary is missing.
	ErrUVNotFound = errors.New("executor: uv not found; install it with `python3 -m pip install --user uv` (or see https://docs.astral.sh/uv/), or run with use_uv=false")
	// ErrResolution is returned when the dependencies cannot be resolved;
	// the message carries uv's explanation.
	ErrResolution = errors.New("executor: dependencies could not be resolved")
	// ErrCancelled is returned, with the partial Result, when the caller's
	// context is cancelled while the child runs.
	ErrCancelled = errors.New("executor: run cancelled")
)
