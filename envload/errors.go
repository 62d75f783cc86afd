package envload

import "errors"

var (
	// ErrFileNotFound is returned when the .env file does not exist.
	ErrFileNotFound = errors.New("envload: env file not found")

	// ErrFileUnreadable is returned when the .env file exists but cannot be
	// read (permissions, an I/O error) or a reader fails. Errors wrapping
	// [ErrFileNotRegular] or [ErrFileTooLarge] wrap it too, so a caller
	// that only asks "is the file at fault?" need not know the finer kinds.
	ErrFileUnreadable = errors.New("envload: env file unreadable")

	// ErrFileNotRegular is returned when the path leads to something other
	// than a regular file: a directory, FIFO, socket or device; a path under
	// /proc, /dev or /sys (before or after resolving symlinks) or a file on
	// a kernel file system such as procfs; or the process's own standard
	// input. The message names the file and the rule. It also matches
	// [ErrFileUnreadable].
	ErrFileNotRegular error = &kindError{"envload: env file is not a regular file", ErrFileUnreadable}

	// ErrFileTooLarge is returned when the .env file, or a reader given to
	// [Parse], holds more than [MaxFileBytes]. It also matches
	// [ErrFileUnreadable].
	ErrFileTooLarge error = &kindError{"envload: env file too large", ErrFileUnreadable}

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

// kindError is a sentinel that is a finer kind of another: errors.Is(err,
// parent) holds for every error that wraps it, at every place it is used.
type kindError struct {
	msg    string
	parent error
}

func (e *kindError) Error() string { return e.msg }

func (e *kindError) Unwrap() error { return e.parent }
