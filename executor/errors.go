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
	// ErrResolution is returned when the dependencies cannot be resolved
	// or installed because of the requirements themselves (no such
	// package, no version that satisfies them); the message carries uv's
	// explanation, which names the requirement.
	ErrResolution = errors.New("executor: dependencies could not be resolved")
	// ErrIndexUnreachable is matched by every *IndexError: uv could not
	// reach a package index, so the network or the index settings are at
	// fault, not the requirements. It does not match ErrResolution.
	ErrIndexUnreachable = errors.New("executor: package index unreachable")
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

// IndexError is a resolution or install that failed because uv could not
// reach a package index or a URL it fetched from one (connection refused,
// a host name that does not resolve, a timeout, TLS, a server error), or
// had its network disabled (--offline, UV_OFFLINE) for a package it does
// not have cached. The server's network or its index settings are at
// fault, not the requirements. It matches ErrIndexUnreachable.
type IndexError struct {
	URL     string // what uv failed to fetch; "" if it names nothing
	Index   string // the configured index or find-links location URL lies under; "" if unknown
	Offline bool   // uv ran with its network disabled
	Cause   string // uv's last word on it, e.g. "Connection refused (os error 111)"
	Message string // uv's whole explanation
}

func (e *IndexError) Error() string {
	fix := "check the network, or uv's index settings: UV_INDEX_URL, UV_DEFAULT_INDEX or UV_INDEX in the environment uv " +
		"runs with (Options.BaseEnv, default the process's), --index-url or --find-links in Options.UVArgs"
	if e.Offline {
		fix = "let uv use the network (drop --offline from Options.UVArgs and UV_OFFLINE from Options.BaseEnv), " +
			"or serve the packages from a local directory (--find-links in Options.UVArgs)"
	}
	return ErrIndexUnreachable.Error() + ": " + e.Problem() + "; " + fix
}

// Problem says what uv could not do, naming the index and the URL: "could
// not reach the package index http://127.0.0.1:1/simple (fetching
// http://127.0.0.1:1/simple/six/: Connection refused (os error 111))".
// A tool layer puts its own fix after it.
func (e *IndexError) Problem() string {
	switch {
	case e.Offline && e.URL == "":
		return "could not fetch packages: uv runs offline (--offline or UV_OFFLINE) and has not cached what the requirements need"
	case e.Index != "":
		return fmt.Sprintf("could not reach the package index %s (fetching %s: %s)", e.Index, e.URL, e.Cause)
	case e.URL != "":
		return fmt.Sprintf("could not fetch %s from a package index (%s)", e.URL, e.Cause)
	}
	return fmt.Sprintf("could not reach the package index (%s)", e.Cause)
}

// Is makes errors.Is(err, ErrIndexUnreachable) true.
func (e *IndexError) Is(target error) bool { return target == ErrIndexUnreachable }

func invalid(field, format string, a ...any) error {
	return &RequestError{Field: field, Reason: fmt.Sprintf(format, a...)}
}
