//go:build unix

package jobstore

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// Journal rotation exists on Unix only: on Windows a file that other
// processes hold open cannot be replaced (canRotate, fs_windows.go).

// TestJournalRotation drives the journal through rotations with a small
// size limit and checks that another Store follows one rotation
// incrementally and falls back to a full reload after missing one.
func TestJournalRotation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	a := openT(t, dir, nil)
	b := openT(t, dir, nil)
	a.journalMax, a.rotateEvery = 10*journalLineLen, 1
	id, err := a.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	_, _, err = b.List(ctx, nil)
	require.NoError(t, err)
	gen := func() uint64 {
		f, g, _, err := a.openJournal()
		require.NoError(t, err)
		require.NoError(t, f.Close())
		return g
	}
	progress := func(s *Store) float64 {
		jobs, _, err := s.List(ctx, nil)
		require.NoError(t, err)
		require.Len(t, jobs, 1)
		return jobs[0].Progress.Current
	}

	g0 := gen()
	n := 0
	for gen() == g0 { // exactly one rotation
		n++
		require.NoError(t, a.SetProgress(ctx, id, float64(n), 0, ""))
	}
	require.Equal(t, float64(n), progress(b))
	require.Equal(t, 1, b.fullLoads, "one rotation is followed incrementally")

	g1 := gen()
	for gen() < g1+2 { // two rotations between b's looks
		n++
		require.NoError(t, a.SetProgress(ctx, id, float64(n), 0, ""))
	}
	require.Equal(t, float64(n), progress(b))
	require.Equal(t, 2, b.fullLoads, "a missed rotation costs a full reload")

	// A deleted journal is recreated, and readers reload.
	require.NoError(t, os.Remove(filepath.Join(dir, JobsSubdir, journalName)))
	n++
	require.NoError(t, a.SetProgress(ctx, id, float64(n), 0, ""))
	require.Equal(t, float64(n), progress(b))
}
