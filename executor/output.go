package executor

import (
	"github.com/pyexec-mcp/pyexec/internal/forward"
	"github.com/pyexec-mcp/pyexec/internal/headtail"
)

// DefaultOutputCap is the number of bytes of each stream kept in memory,
// head and tail: the same as a session cell keeps (session.DefaultOutputCap),
// one rule for both.
const DefaultOutputCap = headtail.DefaultLimit

// DefaultForwardBuffer bounds the bytes queued for a caller's writer
// (package internal/forward hands them over).
const DefaultForwardBuffer = forward.DefaultLimit
