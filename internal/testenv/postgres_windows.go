package testenv

import (
	"context"
	"errors"
	"testing"
)

// The tests start PostgreSQL as a Unix server (a UNIX socket, an
// unprivileged user); the PostgreSQL tests run on Linux (README,
// "Platforms"). On Windows the API is here so that the packages whose tests
// use it build; a test that asks for a server is skipped with the reason.

var errNoPostgres = errors.New("testenv: the tests' PostgreSQL runs on Unix only (UNIX sockets, an unprivileged server user)")

// Postgres is a private PostgreSQL server (Unix only).
type Postgres struct{}

// StartPostgres returns an error on Windows.
func StartPostgres(context.Context) (*Postgres, error) { return nil, errNoPostgres }

// NewPostgres skips the test on Windows.
func NewPostgres(tb testing.TB) *Postgres {
	tb.Skip(errNoPostgres.Error())
	return nil
}

// RequirePostgres skips the test on Windows.
func RequirePostgres(tb testing.TB) *Postgres { return NewPostgres(tb) }

// StopPostgres does nothing on Windows.
func StopPostgres() error { return nil }

// NewDatabase is never reached on Windows.
func (p *Postgres) NewDatabase(tb testing.TB) string {
	tb.Fatal(errNoPostgres)
	return ""
}

// Start, Stop, Restart and Close return the reason.
func (p *Postgres) Start(context.Context) error   { return errNoPostgres }
func (p *Postgres) Stop(context.Context) error    { return errNoPostgres }
func (p *Postgres) Restart(context.Context) error { return errNoPostgres }
func (p *Postgres) Close() error                  { return nil }
