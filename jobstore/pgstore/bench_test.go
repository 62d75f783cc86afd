package pgstore_test

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore/pgstore"
	"github.com/pyexec-mcp/pyexec/jobstore/storetest"
)

// BenchmarkBackend measures PostgreSQL on storetest's fixture of 10,000
// jobs, as jobstore's BenchmarkBackend measures the directory store. The
// server is the tests' private one: UNIX socket, fsync off.
func BenchmarkBackend(b *testing.B) {
	url := testenv.RequirePostgres(b).NewDatabase(b)
	s, err := pgstore.Open(b.Context(), &pgstore.Options{URL: url, MaxJobs: -1, MaxLogBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	// After a burst of 10,000 jobs, autovacuum would come by (it wakes
	// every minute): without it, counts read the heap instead of the index.
	storetest.Bench(b, s, func() error {
		conn, err := pgx.Connect(b.Context(), url)
		if err != nil {
			return err
		}
		defer conn.Close(b.Context())
		_, err = conn.Exec(b.Context(), "VACUUM ANALYZE")
		return err
	})
}
