package jobstore_test

import (
	"testing"

	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/jobstore/storetest"
)

// BenchmarkBackend measures the directory store on storetest's fixture of
// 10,000 jobs; jobstore/pgstore's BenchmarkBackend measures PostgreSQL on
// the same (docs/scale-out.md compares them).
func BenchmarkBackend(b *testing.B) {
	s, err := jobstore.Open(b.Context(), &jobstore.Options{Dir: b.TempDir(), MaxJobs: -1, MaxLogBytes: -1})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	storetest.Bench(b, s, nil)
}
