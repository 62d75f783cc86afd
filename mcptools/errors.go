package mcptools

import (
	"errors"
	"fmt"
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
