package jobstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/filelock"
)

// numStripes is the number of lock files. A job's lock is the stripe chosen
// by its id, so the directory never holds one lock file per job (which could
// not be deleted safely while another process waits on it) and two updates
// of different jobs rarely contend.
const numStripes = 64

// stripe is one cross-process lock: an in-process semaphore, because file
// locks belong to an open file (flock: its open file description; LockFileEx:
// its handle) and so do not exclude goroutines sharing one, and a file lock
// (internal/filelock) on a lock file held open for the
// Store's life, to exclude other processes (and other Stores in this
// process).
type stripe struct {
	sem chan struct{} // buffer 1: holding the token is holding the lock
	f   *os.File
}

func openStripes(dir string) ([]*stripe, error) {
	ldir := filepath.Join(dir, "locks")
	if err := os.MkdirAll(ldir, 0o700); err != nil {
		return nil, fmt.Errorf("jobstore: %w", err)
	}
	out := make([]*stripe, 0, numStripes)
	for i := range numStripes {
		f, err := os.OpenFile(filepath.Join(ldir, fmt.Sprintf("%02x", i)), os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			closeStripes(out)
			return nil, fmt.Errorf("jobstore: lock file: %w", err)
		}
		out = append(out, &stripe{sem: make(chan struct{}, 1), f: f})
	}
	return out, nil
}

func closeStripes(ss []*stripe) {
	for _, s := range ss {
		_ = s.f.Close()
	}
}

// stripeOf maps an id (already validated) to its stripe by its last two hex
// digits, which are random.
func stripeOf(id string) int {
	return (unhex(id[idLen-2])<<4 | unhex(id[idLen-1])) % numStripes
}

func unhex(c byte) int {
	if c >= 'a' {
		return int(c-'a') + 10
	}
	return int(c - '0')
}

// lock acquires the stripe for the caller, honouring ctx while waiting.
func (st *stripe) lock(ctx context.Context) error {
	select {
	case st.sem <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	if err := flockCtx(ctx, st.f); err != nil {
		<-st.sem
		return err
	}
	return nil
}

func (st *stripe) unlock() {
	_ = filelock.Unlock(st.f)
	<-st.sem
}

// flockCtx takes an exclusive lock on f. A blocking lock cannot be
// interrupted by ctx, so it tries without blocking and backs off (20 µs
// doubling to 5 ms) while another process holds the lock; locks are held
// for one read-modify-write, well under a millisecond.
func flockCtx(ctx context.Context, f *os.File) error {
	delay := 20 * time.Microsecond
	for {
		ok, err := filelock.TryLock(f, true)
		switch {
		case err != nil:
			return fmt.Errorf("jobstore: %w", err)
		case ok:
			return nil
		}
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return context.Cause(ctx)
		}
		delay = min(2*delay, 5*time.Millisecond)
	}
}
