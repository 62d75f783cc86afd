package jobstore

import (
	"fmt"
	"os"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// TestProgressSideFile: progress goes to the side file without rewriting
// the record, is folded into the record by the next rewrite, and lines of an
// older version are ignored after that.
func TestProgressSideFile(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	s := openT(t, dir, nil)
	other := openT(t, dir, nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	require.NoError(t, s.SetRunning(ctx, id))
	before, err := os.ReadFile(s.recordPath(id))
	require.NoError(t, err)

	require.NoError(t, s.SetProgress(ctx, id, 1, 4, "one"))
	require.NoError(t, s.SetProgress(ctx, id, 2, 4, "two"))
	after, err := os.ReadFile(s.recordPath(id))
	require.NoError(t, err)
	require.Equal(t, before, after, "progress does not rewrite the record")
	j, err := other.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, Progress{Current: 2, Total: 4, Message: "two"}, j.Progress)

	// A rewrite folds the progress in; Update may then change it, and the
	// older progress lines no longer apply.
	j, err = s.Update(ctx, id, func(j *Job) error {
		require.Equal(t, 2.0, j.Progress.Current, "fn sees the latest progress")
		j.Progress = Progress{Current: 3, Total: 4, Message: "set by Update"}
		return nil
	})
	require.NoError(t, err)
	j2, err := other.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, j.Progress, j2.Progress)
	require.Equal(t, j.Version, j2.Version)

	require.NoError(t, s.SetProgress(ctx, id, 4, 4, "four"))
	require.NoError(t, s.FinishJob(ctx, id, "completed", nil, ""))
	j, err = other.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, Progress{Current: 4, Total: 4, Message: "four"}, j.Progress, "finishing keeps the last progress")
	jobs, _, err := other.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, j, jobs[0])
}

func TestProgressCompaction(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	v0 := j.Version
	n := 0
	for {
		n++
		require.NoError(t, s.SetProgress(ctx, id, float64(n), 0, fmt.Sprintf("step %d of a long job", n)))
		j, err := s.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, float64(n), j.Progress.Current)
		if j.Version > v0 {
			break
		}
		require.Less(t, n, 10_000, "the progress file was never compacted")
	}
	fi, err := os.Stat(s.progressPath(id))
	require.NoError(t, err)
	require.Less(t, fi.Size(), int64(200), "compaction leaves one line")
	rec, err := s.readRecordFile(id)
	require.NoError(t, err)
	require.Equal(t, float64(n), rec.Progress.Current, "the record holds the folded progress")
}

// TestProgressTornTail: a crash mid-append (or zeros after a power loss)
// leaves an invalid tail, which readers skip.
func TestProgressTornTail(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	require.NoError(t, s.SetProgress(ctx, id, 7, 9, "seven"))
	for _, tail := range []string{`{"v":1,"curr`, "\x00\x00\x00\x00\n", "{\"v\":1,\"current\":8,\"total\":9,\"message\":\"eig\n"} {
		f, err := os.OpenFile(s.progressPath(id), os.O_WRONLY|os.O_APPEND, 0)
		require.NoError(t, err)
		_, err = f.WriteString(tail)
		require.NoError(t, err)
		require.NoError(t, f.Close())
		j, err := s.Get(ctx, id)
		require.NoError(t, err)
		require.Equal(t, Progress{Current: 7, Total: 9, Message: "seven"}, j.Progress, "tail %q", tail)
	}
	// The next update is read after the garbage.
	require.NoError(t, s.SetProgress(ctx, id, 8, 9, "eight"))
	j, err := s.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, 8.0, j.Progress.Current)
}

func TestScanProgressLines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		buf   string
		whole bool
		want  float64
		ok    bool
	}{
		{"empty", "", true, 0, false},
		{"one", `{"v":1,"current":1}` + "\n", true, 1, true},
		{"last wins", `{"v":1,"current":1}` + "\n" + `{"v":1,"current":2}` + "\n", true, 2, true},
		{"partial last line", `{"v":1,"current":1}` + "\n" + `{"v":1,"cur`, true, 1, true},
		{"window starts mid-line", `"current":1}` + "\n", false, 0, false},
		{"garbage then valid", `{"v":1,"current":3}` + "\nxx\n", true, 3, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pl, ok := scanProgressLines([]byte(tc.buf), tc.whole)
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, pl.Current)
		})
	}
}

func FuzzScanProgressLines(f *testing.F) {
	f.Add([]byte(`{"v":1,"current":1,"total":2,"message":"x"}`+"\n"), true)
	f.Add([]byte("\x00\x00\n{\n"), false)
	f.Fuzz(func(t *testing.T, buf []byte, whole bool) {
		_, _ = scanProgressLines(buf, whole)
	})
}
