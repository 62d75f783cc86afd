package pgstore_test

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/jobstore/pgstore"
	"github.com/pyexec-mcp/pyexec/jobstore/storetest"
)

// TestMain fails the package if a test leaves a goroutine behind: a Store
// runs a heartbeat and a listener, which Close must stop.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunTests(m))
}

// TestBackendSuite runs the Backend suite against pgstore: each open
// without a peer gets a database of its own; a peer is a second replica
// on the same database.
func TestBackendSuite(t *testing.T) {
	t.Parallel()
	var urls sync.Map // jobstore.Backend → its database URL
	storetest.Run(t, func(t *testing.T, o storetest.Options) jobstore.Backend {
		var dbURL string
		if o.Peer != nil {
			u, ok := urls.Load(o.Peer)
			require.True(t, ok, "the peer was opened by this function")
			dbURL = u.(string)
		} else {
			dbURL = newDatabase(t)
		}
		s, err := pgstore.Open(t.Context(), &pgstore.Options{
			URL: dbURL, Lease: 2 * time.Second, RetryFor: 5 * time.Second,
			MaxJobs: o.MaxJobs, MaxLogBytes: o.MaxLogBytes,
		})
		require.NoError(t, err)
		t.Cleanup(func() {
			urls.Delete(s)
			require.NoError(t, s.Close())
		})
		urls.Store(jobstore.Backend(s), dbURL)
		return s
	})
}

// newDatabase creates an empty database for test t on the package's
// private PostgreSQL server (testenv.RequirePostgres), dropped at cleanup,
// and returns its URL.
func newDatabase(t *testing.T) string {
	t.Helper()
	return testenv.RequirePostgres(t).NewDatabase(t)
}

// TestAppendLogRetry calls pyexec_append_log as a LogWriter's retry does:
// the same token again, after another writer appended, adds nothing; a
// new token from the same stale end appends.
func TestAppendLogRetry(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dbURL := newDatabase(t)
	s, err := pgstore.Open(ctx, &pgstore.Options{URL: dbURL, Lease: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, s.Close()) })
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	conn, err := pgx.Connect(ctx, dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	appendAs := func(data string, at int64, tok []byte) int64 {
		t.Helper()
		var size int64
		require.NoError(t, conn.QueryRow(ctx, `SELECT pyexec_append_log($1, 1::smallint, $2, -1, ''::bytea, $3, $4)`,
			id, []byte(data), at, tok).Scan(&size))
		return size
	}
	require.Equal(t, int64(4), appendAs("one\n", 0, []byte("tok-1")))
	require.NoError(t, s.AppendLog(ctx, id, jobstore.Stdout, []byte("other\n")))
	require.Equal(t, int64(10), appendAs("one\n", 0, []byte("tok-1")), "a retry of a write that landed adds nothing")
	require.Equal(t, int64(14), appendAs("two\n", 4, []byte("tok-2")), "a new write from a stale end appends")
	require.Equal(t, int64(18), appendAs("two\n", 4, nil), "no token: a plain append")
	data, _, _, err := s.ReadLog(ctx, id, jobstore.Stdout, 0, 0)
	require.NoError(t, err)
	require.Equal(t, "one\nother\ntwo\ntwo\n", string(data))
}

// TestOnChange: a replica hears the changes another makes to a job, and
// which of them is the job's end.
func TestOnChange(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	url := newDatabase(t)
	open := func(name string) *pgstore.Store {
		s, err := pgstore.Open(ctx, &pgstore.Options{URL: url, Replica: name, Lease: 2 * time.Second})
		require.NoError(t, err)
		t.Cleanup(func() { require.NoError(t, s.Close()) })
		return s
	}
	a, b := open("a"), open("b")
	changes := make(chan jobstore.Change, 100)
	stop := b.OnChange(func(c jobstore.Change) { changes <- c })
	defer stop()
	next := func() jobstore.Change {
		select {
		case c := <-changes:
			return c
		case <-time.After(10 * time.Second):
			t.Fatal("no notification")
			return jobstore.Change{}
		}
	}
	id, err := a.CreateJob(ctx, "k", "l")
	require.NoError(t, err)
	require.NoError(t, a.SetRunning(ctx, id))
	require.Equal(t, jobstore.Change{ID: id}, next())
	require.NoError(t, a.SetProgress(ctx, id, 1, 2, "half"))
	require.Equal(t, jobstore.Change{ID: id}, next())
	require.NoError(t, a.AppendLog(ctx, id, jobstore.Stdout, []byte("out\n")))
	require.Equal(t, jobstore.Change{ID: id}, next())
	require.NoError(t, a.FinishJob(ctx, id, jobstore.StateCancelled, nil, "stop"))
	require.Equal(t, jobstore.Change{ID: id, Final: true}, next())
	stop()
	require.NoError(t, a.SetExitCode(ctx, id, -9))
	select {
	case c := <-changes:
		t.Fatalf("a change after stop: %+v", c)
	case <-time.After(200 * time.Millisecond): // a notification would have come by now
	}
}
