// Package storetest is the test suite that every jobstore.Backend must
// pass: the promises of the Backend interface, as the methods of
// *jobstore.Store document them, checked the same way against the
// directory store and jobstore/pgstore (issue 17: "the same test suite runs
// against both backends").
//
// A backend's test calls Run with a function that opens a store:
//
//	func TestBackend(t *testing.T) {
//		storetest.Run(t, func(t *testing.T, o storetest.Options) jobstore.Backend {
//			if o.Peer != nil {
//				// another handle on the store o.Peer was opened on
//			}
//			// a fresh, empty store with o.MaxJobs, o.MaxLogBytes
//			// closed at t.Cleanup
//		})
//	}
//
// Where the backends legitimately differ (when retention runs, what a
// handle's Close does to its live jobs), the suite checks the promise they
// share and says so in the subtest.
package storetest

import (
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// Options is what a subtest asks of the store it opens.
type Options struct {
	// MaxJobs and MaxLogBytes are the backend's retention settings, as in
	// jobstore.Options: 0 means the backend's default, negative no cap.
	MaxJobs     int
	MaxLogBytes int64
	// Peer, when set, asks for another handle on the store that Peer (a
	// Backend this open function returned earlier in the same test) was
	// opened on, as a second server process sharing it would open it: a
	// second *jobstore.Store on the same directory, a second pgstore
	// replica on the same database. MaxJobs and MaxLogBytes apply to the
	// new handle. When nil, open returns a fresh, empty store.
	Peer jobstore.Backend
}

// OpenFunc opens a store for test t as o asks, fails t if it cannot, and
// closes the store at t.Cleanup (the suite may close it earlier itself:
// Close must be idempotent). Every call without o.Peer returns a new, empty
// store; subtests run in parallel, so it must be safe for concurrent use.
type OpenFunc = func(t *testing.T, o Options) jobstore.Backend

// RetentionSlack is how many finished jobs beyond MaxJobs a backend may
// keep between two passes of retention: pgstore applies MaxJobs every 32
// creates (and on each heartbeat), the directory store on every create.
const RetentionSlack = 32

// Run runs the suite against the backend that open opens, one parallel
// subtest per promise.
func Run(t *testing.T, open OpenFunc) {
	s := &suite{open: open}
	for _, tc := range []struct {
		name string
		f    func(t *testing.T)
	}{
		{"CreateAndGet", s.testCreateAndGet},
		{"IDsSortByCreation", s.testIDsSortByCreation},
		{"InvalidID", s.testInvalidID},
		{"NotFound", s.testNotFound},
		{"SetRunning", s.testSetRunning},
		{"FinishJob", s.testFinishJob},
		{"FinishJobFirstFinisherWins", s.testFinishJobRace},
		{"FinishJobRejectsInvalidJSON", s.testFinishJobInvalidJSON},
		{"SetProgress", s.testSetProgress},
		{"SetProcess", s.testSetProcess},
		{"SetExitCode", s.testSetExitCode},
		{"Update", s.testUpdate},
		{"UpdateConcurrent", s.testUpdateConcurrent},
		{"List", s.testList},
		{"ListAndGetSeePeerWrites", s.testPeerSeesWrites},
		{"LogReadByOffset", s.testLogReadByOffset},
		{"LogSize", s.testLogSize},
		{"LogWriterConcurrent", s.testLogWriterConcurrent},
		{"LogSeveralWriters", s.testLogSeveralWriters},
		{"LogDone", s.testLogDone},
		{"LogEmpty", s.testLogEmpty},
		{"LogBadArguments", s.testLogBadArguments},
		{"LogCap", s.testLogCap},
		{"DiscardJob", s.testDiscardJob},
		{"Prune", s.testPrune},
		{"PruneMaxAge", s.testPruneMaxAge},
		{"Retention", s.testRetention},
		{"Kill", s.testKill},
		{"Recover", s.testRecover},
		{"Close", s.testClose},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.f(t)
		})
	}
}

type suite struct{ open OpenFunc }

// fresh opens a new, empty store with the backend's defaults.
func (s *suite) fresh(t *testing.T) jobstore.Backend { return s.open(t, Options{}) }

// peer opens a second handle on b's store.
func (s *suite) peer(t *testing.T, b jobstore.Backend) jobstore.Backend {
	return s.open(t, Options{Peer: b})
}

// create creates a job and returns its id.
func create(t *testing.T, b jobstore.Backend, kind, label string) string {
	t.Helper()
	id, err := b.CreateJob(t.Context(), kind, label)
	require.NoError(t, err)
	require.True(t, jobstore.ValidID(id), "id %q", id)
	return id
}

// get returns the record of job id.
func get(t *testing.T, b jobstore.Backend, id string) *jobstore.Job {
	t.Helper()
	j, err := b.Get(t.Context(), id)
	require.NoError(t, err)
	require.Equal(t, id, j.ID)
	return j
}

// finished creates a job and finishes it in state st.
func finished(t *testing.T, b jobstore.Backend, kind string, st jobstore.State) string {
	t.Helper()
	id := create(t, b, kind, "")
	require.NoError(t, b.FinishJob(t.Context(), id, st, nil, ""))
	return id
}

// idCalls are the methods that take a job id, each called with id in a way
// that is valid for an existing job. They answer the same errors for a bad
// id, an unknown one, or a closed store.
func idCalls(b jobstore.Backend) map[string]func(ctx context.Context, id string) error {
	return map[string]func(ctx context.Context, id string) error{
		"Get":         func(ctx context.Context, id string) error { _, err := b.Get(ctx, id); return err },
		"SetRunning":  func(ctx context.Context, id string) error { return b.SetRunning(ctx, id) },
		"SetProgress": func(ctx context.Context, id string) error { return b.SetProgress(ctx, id, 1, 2, "m") },
		"SetProcess": func(ctx context.Context, id string) error {
			return b.SetProcess(ctx, id, jobstore.Process{PID: os.Getpid()})
		},
		"SetExitCode": func(ctx context.Context, id string) error { return b.SetExitCode(ctx, id, 3) },
		"FinishJob": func(ctx context.Context, id string) error {
			return b.FinishJob(ctx, id, jobstore.StateCompleted, nil, "")
		},
		"DiscardJob": func(ctx context.Context, id string) error { return b.DiscardJob(ctx, id) },
		"AppendLog": func(ctx context.Context, id string) error {
			return b.AppendLog(ctx, id, jobstore.Stdout, []byte("x"))
		},
		"LogWriter": func(ctx context.Context, id string) error {
			w, err := b.LogWriter(ctx, id, jobstore.Stdout)
			if err == nil {
				_ = w.Close()
			}
			return err
		},
		"LogSize": func(ctx context.Context, id string) error { _, err := b.LogSize(ctx, id, jobstore.Stderr); return err },
		"ReadLog": func(ctx context.Context, id string) error {
			_, _, _, err := b.ReadLog(ctx, id, jobstore.Stdout, 0, 0)
			return err
		},
		"Kill": func(ctx context.Context, id string) error { return b.Kill(ctx, id) },
		"Update": func(ctx context.Context, id string) error {
			_, err := b.Update(ctx, id, func(j *jobstore.Job) error { j.Label = "updated"; return nil })
			return err
		},
	}
}

// readAll reads a log whole, from offset 0, max bytes at a time, and
// returns it and whether the last read said done.
func readAll(t *testing.T, b jobstore.Backend, id string, st jobstore.Stream, max int) ([]byte, bool) {
	t.Helper()
	var (
		all  []byte
		off  int64
		done bool
	)
	for range 1 << 16 {
		data, next, d, err := b.ReadLog(t.Context(), id, st, off, max)
		require.NoError(t, err)
		if max > 0 {
			require.LessOrEqual(t, len(data), max)
		}
		require.Equal(t, off+int64(len(data)), next, "next is the offset after the data")
		all, off, done = append(all, data...), next, d
		if len(data) == 0 {
			return all, done
		}
	}
	t.Fatalf("ReadLog of job %s did not reach the end", id)
	return nil, false
}

// within asserts that tm lies in [lo-slack, hi+slack]: a backend may take
// its times from a database server's clock, and store them to the
// microsecond.
func within(t *testing.T, tm, lo, hi time.Time, what string) {
	t.Helper()
	const slack = 2 * time.Second
	require.False(t, tm.IsZero(), "%s is set", what)
	require.Equal(t, time.UTC, tm.Location(), "%s is UTC", what)
	require.WithinRange(t, tm, lo.Add(-slack), hi.Add(slack), what)
}

var errFromFn = errors.New("storetest: fn refuses")

// closeWriter closes w at the end of the test and asserts the error.
func closeWriter(t *testing.T, w io.WriteCloser) {
	t.Helper()
	require.NoError(t, w.Close())
	require.NoError(t, w.Close(), "Close of a LogWriter is idempotent")
}
