package envload

import "errors"

var (
	// ErrFileNotFound is returned when the .env file does not exist.
	ErrFileNotFound = errors.New("envload: env file not found")

	// ErrFileUnreadable is returned when the .env file exists but cannot be
	// read (permissions, a directory, an I/O error) or a reader fails.
	ErrFileUnreadable = errors.New("envload: env file unreadable")

	// ErrSyntax is returned when the .env file is not valid .env syntax. The
	// message names the file and the line.
	ErrSyntax = errors.New("envload: env file syntax error")

	// ErrEmptyKey is returned when a variable name is empty, in the file or
	// in Options.Vars or Options.Unset.
	ErrEmptyKey = errors.New("envload: empty variable name")

	// ErrInvalidKey is returned when a variable name contains '=' or a NUL
	// byte: such a name cannot be passed to exec.
	ErrInvalidKey = errors.New("envload: invalid variable name")

	// ErrInvalidValue is returned when a value contains a NUL byte, which
	// exec cannot pass (os/exec fails the start with EINVAL).
	ErrInvalidValue = errors.New("envload: invalid variable value")
)

// inputError is a sentinel plus a message naming the input at fault, and
// optionally the underlying cause (an *fs.PathError, say), so that both
// errors.Is(err, ErrFileNotFound) and errors.Is(err, fs.ErrNotExist) hold.
type inputError struct {
	sentinel error
	cause    error
	msg      string
}

func (e *inputError) Error() string { return "envload: " + e.msg }

func (e *inputError) Unwrap() []error {
	if e.cause == nil {
		return []error{e.sentinel}
	}
	return []error{e.sentinel, e.cause}
}

func newError(sentinel, cause error, msg string) error {
	return &inputError{sentinel: sentinel, cause: cause, msg: msg}
}
