// Package forward hands a stream of output to a caller's io.Writer on a
// goroutine of its own, behind a bounded queue, so that a slow writer never
// stalls the reader of a child's pipe. Package executor forwards a run's
// output with it, package session a cell's.
//
// A Writer's goroutine belongs to it: Close stops it, after handing the
// writer what was queued.
package forward
