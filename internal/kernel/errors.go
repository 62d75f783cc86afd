package kernel

import "errors"

var (
	// ErrStart is returned by Start when the interpreter cannot be started
	// or exits before its hello message; the message carries the tail of
	// its stderr.
	ErrStart = errors.New("kernel: could not start the kernel")
	// ErrProtocol is returned when the kernel speaks another protocol
	// version or breaks the protocol.
	ErrProtocol = errors.New("kernel: protocol error")
	// ErrExited is returned by Execute and UseVenv when the kernel process
	// has already exited; the message says how.
	ErrExited = errors.New("kernel: the kernel has exited")
)
