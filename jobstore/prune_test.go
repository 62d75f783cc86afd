package jobstore

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

func TestPrune(t *testing.T) {
	t.Parallel()
	old := time.Now().Add(-48 * time.Hour).UTC()
	type fixture struct {
		name  string
		state State
		old   bool
	}
	fixtures := []fixture{
		{"completed-old", StateCompleted, true},
		{"completed-new", StateCompleted, false},
		{"failed-old", StateFailed, true},
		{"failed-new", StateFailed, false},
		{"cancelled-old", StateCancelled, true},
		{"running-old", StateRunning, true},
		{"pending-old", StatePending, true},
	}
	for _, tc := range []struct {
		name    string
		opts    *PruneOptions
		removed []string
	}{
		{"nil: every finished job", nil, []string{"completed-old", "completed-new", "failed-old", "failed-new", "cancelled-old"}},
		{"max age", &PruneOptions{MaxAge: 24 * time.Hour}, []string{"completed-old", "failed-old", "cancelled-old"}},
		{"keep completed", &PruneOptions{MaxAge: 24 * time.Hour, KeepCompleted: true}, []string{"failed-old", "cancelled-old"}},
		{"keep failed", &PruneOptions{KeepFailed: true}, []string{"completed-old", "completed-new", "cancelled-old"}},
		{"keep everything finished", &PruneOptions{KeepCompleted: true, KeepFailed: true, KeepCancelled: true}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := openT(t, testenv.TempDir(t), nil)
			ids := map[string]string{}
			for _, f := range fixtures {
				id, err := s.CreateJob(ctx, "k", f.name)
				require.NoError(t, err)
				require.NoError(t, s.AppendLog(ctx, id, Stdout, []byte("out")))
				require.NoError(t, s.AppendLog(ctx, id, Stderr, []byte("err")))
				_, err = s.Update(ctx, id, func(j *Job) error {
					j.State = f.state
					if f.state.Final() {
						j.CompletedAt = time.Now().UTC()
						if f.old {
							j.CompletedAt = old
						}
					}
					if f.old {
						j.CreatedAt = old
					}
					return nil
				})
				require.NoError(t, err)
				ids[f.name] = id
			}
			removed, remaining, err := s.Prune(ctx, tc.opts)
			require.NoError(t, err)
			require.Equal(t, len(tc.removed), removed)
			require.Equal(t, len(fixtures)-len(tc.removed), remaining)
			for name, id := range ids {
				gone := slices.Contains(tc.removed, name)
				_, err := s.Get(ctx, id)
				for _, p := range []string{s.recordPath(id), s.logPath(id, Stdout), s.logPath(id, Stderr)} {
					if gone {
						require.NoFileExists(t, p)
					} else {
						require.FileExists(t, p)
					}
				}
				if gone {
					require.ErrorIs(t, err, ErrNotFound, name)
				} else {
					require.NoError(t, err, name)
				}
			}
		})
	}
}

func TestRetentionCap(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	s := openT(t, dir, &Options{MaxJobs: 3})
	live, err := s.CreateJob(ctx, "k", "live")
	require.NoError(t, err)
	var finishedIDs []string
	for range 6 {
		id, err := s.CreateJob(ctx, "k", "")
		require.NoError(t, err)
		require.NoError(t, s.AppendLog(ctx, id, Stdout, []byte("x")))
		require.NoError(t, s.FinishJob(ctx, id, "completed", nil, ""))
		finishedIDs = append(finishedIDs, id)
	}
	// The cap is applied when the next job is created.
	next, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	jobs, total, err := s.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 5, total)
	var got []string
	for _, j := range jobs {
		got = append(got, j.ID)
	}
	require.Equal(t, []string{next, finishedIDs[5], finishedIDs[4], finishedIDs[3], live}, got, "the oldest finished jobs go; live ones stay")
	require.NoFileExists(t, s.logPath(finishedIDs[0], Stdout))

	// A store opened with a smaller cap applies it at once.
	s2 := openT(t, dir, &Options{MaxJobs: 1})
	_, total, err = s2.List(ctx, &ListOptions{States: []State{StateCompleted}})
	require.NoError(t, err)
	require.Equal(t, 1, total)
}

func TestOrphanCleanup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	s := openT(t, dir, nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	require.NoError(t, s.AppendLog(ctx, id, Stdout, []byte("kept")))
	jd := s.Dir()
	stale := time.Now().Add(-time.Hour)
	files := map[string]bool{ // name → removed
		"0000000000000001.stdout":        true,
		"0000000000000001.stderr":        true,
		".0000000000000001.abcd1234.tmp": true,
		"0000000000000002.stdout":        false, // too recent
		"notes.txt":                      false, // not ours
	}
	for name, removed := range files {
		p := filepath.Join(jd, name)
		require.NoError(t, os.WriteFile(p, []byte("x"), 0o600))
		if removed || name == "notes.txt" {
			require.NoError(t, os.Chtimes(p, stale, stale))
		}
	}
	openT(t, dir, nil)
	for name, removed := range files {
		if removed {
			require.NoFileExists(t, filepath.Join(jd, name))
		} else {
			require.FileExists(t, filepath.Join(jd, name))
		}
	}
	require.FileExists(t, s.logPath(id, Stdout))
}
