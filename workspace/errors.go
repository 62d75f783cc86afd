package workspace

import "errors"

var (
	// ErrOutside is returned, naming the path, for a path that is absolute,
	// climbs out with "..", or goes through a symbolic link that leads
	// outside the workspace.
	ErrOutside = errors.New("workspace: path leads outside the workspace")
	// ErrInvalidPath is returned for an empty file name or a path with a
	// NUL byte.
	ErrInvalidPath = errors.New("workspace: invalid path")
	// ErrTooLarge is returned when a file to read or content to write
	// exceeds the configured limit.
	ErrTooLarge = errors.New("workspace: too large")
	// ErrNotRegular is returned by Read and Write for a directory, device,
	// FIFO or socket.
	ErrNotRegular = errors.New("workspace: not a regular file")
	// ErrInvalidOptions is returned by Open for an empty directory or
	// negative limits.
	ErrInvalidOptions = errors.New("workspace: invalid options")
)
