package jobstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

// Stream names one of a job's two output logs.
type Stream string

// The log streams.
const (
	Stdout Stream = "stdout"
	Stderr Stream = "stderr"
)

// DefaultReadLogMax is how many bytes ReadLog returns at most when its max
// argument is not positive.
const DefaultReadLogMax = 1 << 20

func (st Stream) valid() bool { return st == Stdout || st == Stderr }

func (s *Store) logPath(id string, st Stream) string {
	return filepath.Join(s.dir, id+"."+string(st))
}

// openLog opens (creating) a log for appending, after checking that the job
// exists, so that no log outlives its record. O_APPEND makes every write land
// whole at the end of the file, whichever process makes it.
func (s *Store) openLog(id string, st Stream) (*os.File, int64, error) {
	if err := checkID(id); err != nil {
		return nil, 0, err
	}
	if !st.valid() {
		return nil, 0, fmt.Errorf("jobstore: unknown log stream %q; use stdout or stderr", st)
	}
	if !fileExists(s.recordPath(id)) {
		return nil, 0, notFound(id)
	}
	f, err := openFile(s.logPath(id, st), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, 0, fmt.Errorf("jobstore: log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, fmt.Errorf("jobstore: log: %w", err)
	}
	return f, fi.Size(), nil
}

// truncMarker is appended once to a log that reaches its cap.
func truncMarker(max int64) []byte {
	return fmt.Appendf(nil, "\n[jobstore: log truncated at %d bytes (MaxLogBytes); later output was dropped]\n", max)
}

// capWrite writes p to f, whose size is size, honouring the cap max (<0: no
// cap). It returns the new size. Output beyond the cap is dropped silently
// except for one marker, so a chatty job never fails for want of log space.
func capWrite(f *os.File, size, max int64, p []byte) (int64, error) {
	if max >= 0 && size+int64(len(p)) > max {
		if size > max {
			return size, nil // capped already; the marker is in place
		}
		p = append(p[:max-size:max-size], truncMarker(max)...)
	}
	n, err := f.Write(p)
	return size + int64(n), err
}

// AppendLog appends p to a log of job id. Appends from several processes
// never interleave within one call. Logs are not fsynced.
func (s *Store) AppendLog(ctx context.Context, id string, st Stream, p []byte) error {
	if err := s.writable("AppendLog"); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	f, size, err := s.openLog(id, st)
	if err != nil {
		return err
	}
	_, err = capWrite(f, size, s.maxLogBytes, p)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("jobstore: log of job %s: %w", id, err)
	}
	return nil
}

// logWriter is an open log of one job (Store.LogWriter).
type logWriter struct {
	max int64
	mu  sync.Mutex
	f   *os.File
	// size is the log's size as this writer knows it: exact when it is the
	// log's only writer, which is the normal case.
	size int64
}

// LogWriter opens a log of job id for appending, for a process that streams
// a child's output into it. The job must exist. Its Write never returns a
// short count for the cap (output beyond MaxLogBytes is dropped and
// marked), so it can sit behind an output pump without failing it. It is
// safe for concurrent use; the caller must Close it (Close is idempotent).
func (s *Store) LogWriter(ctx context.Context, id string, st Stream) (io.WriteCloser, error) {
	if err := s.writable("LogWriter"); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	f, size, err := s.openLog(id, st)
	if err != nil {
		return nil, err
	}
	return &logWriter{max: s.maxLogBytes, f: f, size: size}, nil
}

// Write appends p to the log.
func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return 0, os.ErrClosed
	}
	size, err := capWrite(w.f, w.size, w.max, p)
	w.size = size
	if err != nil {
		return 0, fmt.Errorf("jobstore: log: %w", err)
	}
	return len(p), nil
}

// Close closes the log file.
func (w *logWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

// LogSize returns the current size in bytes of one of a job's logs (0 if
// nothing was written yet), so that a reader can start at the tail.
func (s *Store) LogSize(ctx context.Context, id string, st Stream) (int64, error) {
	if err := checkID(id); err != nil {
		return 0, err
	}
	if !st.valid() {
		return 0, fmt.Errorf("jobstore: unknown log stream %q; use stdout or stderr", st)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	defer s.end()
	if _, err := s.readRecord(id); err != nil {
		return 0, err
	}
	fi, err := os.Stat(s.logPath(id, st))
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("jobstore: log: %w", err)
	}
	return fi.Size(), nil
}

// ReadLog reads up to max bytes (DefaultReadLogMax if max <= 0) of a log of
// job id from byte offset, while the job runs or after. It returns the data,
// the offset to pass next time, and done, which is true once the job is
// finished and next is the end of the log: nothing more will ever be
// appended (given that output is appended before FinishJob). Reading from
// each returned next gives every byte exactly once.
func (s *Store) ReadLog(ctx context.Context, id string, st Stream, offset int64, max int) (data []byte, next int64, done bool, err error) {
	if err := checkID(id); err != nil {
		return nil, offset, false, err
	}
	if !st.valid() {
		return nil, offset, false, fmt.Errorf("jobstore: unknown log stream %q; use stdout or stderr", st)
	}
	if offset < 0 {
		return nil, offset, false, fmt.Errorf("jobstore: log offset %d is negative; start at 0", offset)
	}
	if err := ctx.Err(); err != nil {
		return nil, offset, false, err
	}
	if err := s.begin(); err != nil {
		return nil, offset, false, err
	}
	defer s.end()
	// The state is read before the log, so "finished" implies the log was
	// complete when we measured it.
	j, err := s.readRecord(id)
	if err != nil {
		return nil, offset, false, err
	}
	final := j.State.Final()
	f, err := openFile(s.logPath(id, st), os.O_RDONLY, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, offset, final, nil
	}
	if err != nil {
		return nil, offset, false, fmt.Errorf("jobstore: log: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, offset, false, fmt.Errorf("jobstore: log: %w", err)
	}
	size := fi.Size()
	if max <= 0 {
		max = DefaultReadLogMax
	}
	n := min(int64(max), size-offset)
	if n <= 0 {
		return nil, offset, final && offset >= size, nil
	}
	data = make([]byte, n)
	got, err := f.ReadAt(data, offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, offset, false, fmt.Errorf("jobstore: log: %w", err)
	}
	data = data[:got]
	next = offset + int64(got)
	return data, next, final && next >= size, nil
}
