package pgstore

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// retry runs op until it succeeds, fails for a reason other than a lost
// database, ctx ends, or s.retryFor has passed since the first failure. A
// database restart or fail-over takes seconds, and a job's record must
// outlive it: the operations are written so that running one twice is
// harmless (see finish, create and pyexec_append_log's p_tok).
func (s *Store) retry(ctx context.Context, op func(ctx context.Context) error) error {
	var deadline time.Time
	wait := 50 * time.Millisecond
	for {
		err := op(ctx)
		if err == nil || !transient(err) || ctx.Err() != nil {
			return err
		}
		if deadline.IsZero() {
			deadline = time.Now().Add(s.retryFor)
			s.log.Warn("pgstore: database unreachable; retrying", "db", s.target, "for", s.retryFor, "err", err)
		}
		if time.Now().Add(wait).After(deadline) {
			return &unreachableError{target: s.target, retryFor: s.retryFor, err: err}
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, time.Second)
	}
}

// unreachableError is an operation given up after RetryFor.
type unreachableError struct {
	target   string
	retryFor time.Duration
	err      error
}

func (e *unreachableError) Error() string {
	return "pgstore: the database " + e.target + " was unreachable for " + e.retryFor.String() +
		" (" + e.err.Error() + "); check that PostgreSQL runs and accepts connections"
}

func (e *unreachableError) Unwrap() error { return e.err }

// transient reports whether err says the database could not be reached or
// went away (a restart, a fail-over, a network cut), rather than refusing
// the operation.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	if pgconn.SafeToRetry(err) {
		return true
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case len(pe.Code) == 5 && pe.Code[:2] == "08": // connection exception
			return true
		case pe.Code == "57P01", pe.Code == "57P02", pe.Code == "57P03": // shutdown, crash, starting
			return true
		case pe.Code == "40001", pe.Code == "40P01": // serialization failure, deadlock
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed)
}
