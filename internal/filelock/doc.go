// Package filelock takes and releases advisory locks on whole files, shared
// or exclusive, without blocking: flock(2) on Unix, LockFileEx on Windows.
// It is the one place that knows how (jobstore's stripes and journal, the
// executor's environment cache use it); callers that must wait retry with
// their own back-off, so that a context can end the wait.
//
// A lock belongs to the open file (flock: its open file description;
// LockFileEx: its handle), so it excludes every other open file of the same
// path, in this process too, but not goroutines that share one *os.File.
//
//	ok, err := filelock.TryLock(a, true)
//	if err == nil && ok {
//		defer filelock.Unlock(a)
//	}
package filelock
