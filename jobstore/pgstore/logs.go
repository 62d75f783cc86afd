package pgstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// streamNo is a stream's number in pyexec_logs.
func streamNo(st jobstore.Stream) (int16, error) {
	switch st {
	case jobstore.Stdout:
		return 1, nil
	case jobstore.Stderr:
		return 2, nil
	}
	return 0, fmt.Errorf("pgstore: unknown log stream %q; use stdout or stderr", st)
}

// truncMarker is what the directory store appends once to a log that
// reaches its cap.
func truncMarker(max int64) []byte {
	return fmt.Appendf(nil, "\n[jobstore: log truncated at %d bytes (MaxLogBytes); later output was dropped]\n", max)
}

// appendLog appends p at the end of a log (pyexec_append_log: one round
// trip, the cap kept under the job's row lock) and returns the new size.
// tok, when not nil, names this write, so that a retry of it that landed
// adds nothing; at is then the end of the caller's previous write, where
// the search for it starts.
func (s *Store) appendLog(ctx context.Context, id string, st jobstore.Stream, p []byte, at int64, tok []byte) (int64, error) {
	if err := check(id); err != nil {
		return 0, err
	}
	n, err := streamNo(st)
	if err != nil {
		return 0, err
	}
	if err := s.begin(); err != nil {
		return 0, err
	}
	var size int64
	err = s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT pyexec_append_log($1, $2, $3, $4, $5, $6, $7)`,
			id, n, p, s.maxLogBytes, truncMarker(s.maxLogBytes), at, tok).Scan(&size)
	})
	if err != nil {
		return 0, wrap("appending to the log of", id, err)
	}
	if size < 0 {
		return 0, notFound(id)
	}
	return size, nil
}

// AppendLog appends p to a log of job id. Appends from several replicas
// never interleave within one call. A retry after a connection lost in the
// middle of an append may append p twice; a LogWriter's may not.
func (s *Store) AppendLog(ctx context.Context, id string, st jobstore.Stream, p []byte) error {
	if len(p) == 0 {
		_, err := s.LogSize(ctx, id, st)
		return err
	}
	_, err := s.appendLog(ctx, id, st, p, -1, nil)
	return err
}

// maxPending bounds what a LogWriter holds before Write waits for the
// database: a chatty job is slowed down, never made to lose output.
const maxPending = 1 << 20

// LogWriter opens a log of job id for appending. Writes are sent in the
// background and gathered while one is in flight, so a job that prints
// line by line costs an append per batch, not per line (one append is a
// round trip: ~0.2 ms here); at most maxPending bytes wait, beyond which
// Write waits. Close sends what is left and returns the first error, so
// everything written is in the database when Close returns — before the
// job's end is recorded. Its Write never returns a short count for the
// cap. Safe for concurrent use; the caller must Close it.
func (s *Store) LogWriter(ctx context.Context, id string, st jobstore.Stream) (io.WriteCloser, error) {
	size, err := s.LogSize(ctx, id, st)
	if err != nil {
		return nil, err
	}
	w := &logWriter{s: s, ctx: context.WithoutCancel(ctx), id: id, st: st, at: size, done: make(chan struct{})}
	w.cond = sync.NewCond(&w.mu)
	go w.flush()
	return w, nil
}

type logWriter struct {
	s    *Store
	ctx  context.Context
	id   string
	st   jobstore.Stream
	done chan struct{} // closed when flush returns

	mu      sync.Mutex
	cond    *sync.Cond // pending changed, or closed
	pending []byte     // written, not yet sent
	at      int64      // the log's end as this writer knows it
	err     error      // the first failed append: every later call returns it
	closed  bool
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for len(w.pending) >= maxPending && w.err == nil && !w.closed {
		w.cond.Wait()
	}
	switch {
	case w.closed:
		return 0, os.ErrClosed
	case w.err != nil:
		return 0, w.err
	}
	w.pending = append(w.pending, p...)
	w.cond.Broadcast()
	return len(p), nil
}

// flush sends the pending bytes, a batch at a time, until Close.
func (w *logWriter) flush() {
	defer close(w.done)
	w.mu.Lock()
	defer w.mu.Unlock()
	for {
		for len(w.pending) == 0 && !w.closed {
			w.cond.Wait()
		}
		if len(w.pending) == 0 || w.err != nil {
			return // closed, with everything sent (or nothing more can be)
		}
		batch := w.pending
		w.pending = nil
		w.mu.Unlock()
		// The batch's token makes a retry of it that landed add nothing
		// (pyexec_append_log), whoever else writes to the log.
		var tok [8]byte
		_, _ = rand.Read(tok[:])
		size, err := w.s.appendLog(w.ctx, w.id, w.st, batch, w.at, tok[:])
		w.mu.Lock()
		if err != nil {
			w.err = err
		} else {
			w.at = size
		}
		w.cond.Broadcast()
	}
}

func (w *logWriter) Close() error {
	w.mu.Lock()
	w.closed = true
	w.cond.Broadcast()
	w.mu.Unlock()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// LogSize returns the current size of one of a job's logs.
func (s *Store) LogSize(ctx context.Context, id string, st jobstore.Stream) (int64, error) {
	_, size, err := s.logHead(ctx, id, st)
	return size, err
}

// logHead returns a job's state and the size of one of its logs, read
// together: a final state then means the log was complete at that size.
func (s *Store) logHead(ctx context.Context, id string, st jobstore.Stream) (jobstore.State, int64, error) {
	if err := check(id); err != nil {
		return "", 0, err
	}
	n, err := streamNo(st)
	if err != nil {
		return "", 0, err
	}
	if err := s.begin(); err != nil {
		return "", 0, err
	}
	var (
		state string
		size  int64
	)
	err = s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT state, CASE WHEN $2 = 1 THEN stdout_size ELSE stderr_size END FROM pyexec_jobs WHERE id = $1`,
			id, n).Scan(&state, &size)
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return "", 0, notFound(id)
	}
	if err != nil {
		return "", 0, wrap("reading the log of", id, err)
	}
	return jobstore.State(state), size, nil
}

// ReadLog reads up to limit bytes (jobstore.DefaultReadLogMax if limit <= 0) of
// a log of job id from byte offset, as the directory store's ReadLog does:
// the data, the next offset, and done once the job is finished and next is
// the end of its log.
func (s *Store) ReadLog(ctx context.Context, id string, st jobstore.Stream, offset int64, limit int) ([]byte, int64, bool, error) {
	if offset < 0 {
		return nil, offset, false, fmt.Errorf("pgstore: log offset %d is negative; start at 0", offset)
	}
	state, size, err := s.logHead(ctx, id, st)
	if err != nil {
		return nil, offset, false, err
	}
	final := state.Final()
	if limit <= 0 {
		limit = jobstore.DefaultReadLogMax
	}
	end := min(offset+int64(limit), size)
	if end <= offset {
		return nil, offset, final && offset >= size, nil
	}
	n, _ := streamNo(st)
	data := make([]byte, 0, end-offset)
	err = s.retry(ctx, func(ctx context.Context) error {
		data = data[:0]
		// The chunks that overlap [offset, end): the one that holds offset
		// (the last to start at or before it) and those that start before
		// end. Both bounds use the primary key.
		rows, err := s.pool.Query(ctx, `SELECT off, data FROM pyexec_logs WHERE job_id = $1 AND stream = $2 AND off < $4 AND off >= coalesce(
				(SELECT max(off) FROM pyexec_logs WHERE job_id = $1 AND stream = $2 AND off <= $3), 0)
			ORDER BY off`, id, n, offset, end)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var (
				off   int64
				chunk []byte
			)
			if err := rows.Scan(&off, &chunk); err != nil {
				return err
			}
			lo := max(offset-off, 0)
			hi := min(end-off, int64(len(chunk)))
			if lo < hi && off+lo == offset+int64(len(data)) {
				data = append(data, chunk[lo:hi]...)
			}
		}
		return rows.Err()
	})
	if err != nil {
		return nil, offset, false, wrap("reading the log of", id, err)
	}
	next := offset + int64(len(data))
	return data, next, final && next >= size, nil
}
