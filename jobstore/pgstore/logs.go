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

// LogWriter opens a log of job id for appending. Each Write is one append,
// written before Write returns, so a reader on any replica sees it at once,
// and output is never lost for a slow reader. Its Write never returns a short
// count for the cap. Safe for concurrent use; the caller must Close it.
func (s *Store) LogWriter(ctx context.Context, id string, st jobstore.Stream) (io.WriteCloser, error) {
	size, err := s.LogSize(ctx, id, st)
	if err != nil {
		return nil, err
	}
	return &logWriter{s: s, ctx: context.WithoutCancel(ctx), id: id, st: st, at: size}, nil
}

type logWriter struct {
	s   *Store
	ctx context.Context
	id  string
	st  jobstore.Stream

	mu     sync.Mutex
	at     int64 // the log's end after this writer's last write (others may have written since)
	closed bool
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return 0, os.ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	var tok [8]byte
	_, _ = rand.Read(tok[:])
	size, err := w.s.appendLog(w.ctx, w.id, w.st, p, w.at, tok[:])
	if err != nil {
		return 0, err
	}
	w.at = size
	return len(p), nil
}

func (w *logWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closed = true
	return nil
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
