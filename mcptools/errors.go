package mcptools

import (
	"errors"
	"fmt"

	"github.com/pyexec-mcp/pyexec/executor"
)

var (
	// ErrInvalidOptions is returned by New, wrapped with the offending
	// field and the fix, for Options that cannot work.
	ErrInvalidOptions = errors.New("mcptools: invalid options")
	// ErrClosed is returned for calls on a closed Toolset.
	ErrClosed = errors.New("mcptools: toolset closed (server shutting down)")
	// ErrInvalidArgument matches (errors.Is) every *ArgumentError.
	ErrInvalidArgument = errors.New("mcptools: invalid argument")
)

// ArgumentError is a tool error about one argument of a call. Its message
// names the argument, what is wrong and what to do instead; tools return it
// as an IsError result and the server keeps serving.
type ArgumentError struct {
	Argument string // the JSON name, e.g. "script_path"
	Message  string // what is wrong and the fix
}

func (e *ArgumentError) Error() string {
	return fmt.Sprintf("invalid argument %s: %s", e.Argument, e.Message)
}

// Is makes errors.Is(err, ErrInvalidArgument) true.
func (e *ArgumentError) Is(target error) bool { return target == ErrInvalidArgument }

func argError(arg, format string, a ...any) error {
	return &ArgumentError{Argument: arg, Message: fmt.Sprintf(format, a...)}
}

// unreachableIndex is the tool error of a run whose dependencies could not
// be resolved or installed because the package index could not be reached:
// a server-side error, not an *ArgumentError, since no change to
// dependencies fixes it. nil when err is no such failure.
func unreachableIndex(err error) error {
	var ie *executor.IndexError
	if !errors.As(err, &ie) {
		return nil
	}
	fix := "check the server's network connection, or the index it uses (UV_INDEX_URL, UV_DEFAULT_INDEX or UV_INDEX " +
		"in its environment; --index-url or --find-links in an embedding server's executor.Options.UVArgs)"
	if ie.Offline {
		fix = "let the server's uv use the network (UV_OFFLINE in its environment, --offline in an embedding server's " +
			"executor.Options.UVArgs), or give it a local package directory (--find-links)"
	}
	return fmt.Errorf("the server cannot install dependencies: it %s. This is the server's network or package index "+
		"configuration, not the dependencies argument: %s", ie.Problem(), fix)
}
