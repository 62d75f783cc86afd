package jobstore_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/jobstore/storetest"
)

// TestBackendSuite runs the Backend suite against the directory store: a
// fresh store in a temporary directory for each open, and a peer is
// another Store on the same directory (as a second server process would
// open it).
func TestBackendSuite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T, o storetest.Options) jobstore.Backend {
		var dir string
		if o.Peer != nil {
			dir = filepath.Dir(o.Peer.(*jobstore.Store).Dir()) // Dir is <data dir>/jobs
		} else {
			dir = testenv.TempDir(t) // t.TempDir, and removable under Wine
		}
		s, err := jobstore.Open(t.Context(), &jobstore.Options{Dir: dir, MaxJobs: o.MaxJobs, MaxLogBytes: o.MaxLogBytes})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	})
}
