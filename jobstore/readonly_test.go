package jobstore

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// helperWriter is a writing server: it creates a running job with output
// and progress, prints its id, and finishes it once a line (or EOF) arrives
// on stdin, printing "done" after FinishJob has returned.
func helperWriter(ctx context.Context) error {
	s, err := Open(ctx, &Options{Dir: os.Getenv(helperDirEnv)})
	if err != nil {
		return err
	}
	defer s.Close()
	id, err := s.CreateJob(ctx, "test", "written by helper")
	if err != nil {
		return err
	}
	if err := s.SetRunning(ctx, id); err != nil {
		return err
	}
	if err := s.AppendLog(ctx, id, Stdout, []byte("hello\n")); err != nil {
		return err
	}
	if err := s.SetProgress(ctx, id, 1, 2, "half"); err != nil {
		return err
	}
	fmt.Println(id)
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	if err := s.AppendLog(ctx, id, Stdout, []byte("bye\n")); err != nil {
		return err
	}
	if err := s.FinishJob(ctx, id, StateCompleted, json.RawMessage(`{"ok":true}`), ""); err != nil {
		return err
	}
	fmt.Println("done")
	return nil
}

// tree describes every file and directory below dir (kind, size, mtime),
// to show that a read-only Store changed nothing.
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		out[p] = fmt.Sprintf("%v %d %d", fi.Mode(), fi.Size(), fi.ModTime().UnixNano())
		return nil
	})
	require.NoError(t, err)
	return out
}

// TestReadOnlyMissingStore: a read-only open of a mistyped path, or of a
// data directory without a store, is an error that names the path and the
// fix, and creates nothing.
func TestReadOnlyMissingStore(t *testing.T) {
	t.Parallel()
	parent := testenv.TempDir(t)
	notDir := filepath.Join(parent, "file")
	require.NoError(t, os.MkdirAll(notDir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(notDir, JobsSubdir), nil, 0o600))
	before := tree(t, parent)
	for _, tc := range []struct {
		name, dir, want string
		notExist        bool
	}{
		{"typo", filepath.Join(parent, ".pyton_mcp"), "open the store once without ReadOnly", true},
		{"no jobs subdirectory", parent, "open the store once without ReadOnly", true},
		{"jobs is a file", notDir, "is not a job store directory", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Open(t.Context(), &Options{Dir: tc.dir, ReadOnly: true})
			require.Error(t, err)
			require.Nil(t, s)
			require.ErrorContains(t, err, tc.dir)
			require.ErrorContains(t, err, tc.want)
			if tc.notExist {
				require.ErrorIs(t, err, fs.ErrNotExist)
			}
		})
	}
	require.Equal(t, before, tree(t, parent), "a read-only open creates nothing")
}

// TestReadOnlySeesLiveWriter: a read-only Store next to a writing server
// process lists its running job and reads its output, then sees the job
// finish, through the writer's journal (no full reload).
func TestReadOnlySeesLiveWriter(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	// The writer exits by itself: without the race detector's default
	// second of sleep at exit.
	cmd := helperCmd(t, "writer", dir, "GORACE=atexit_sleep_ms=0")
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	out := bufio.NewReader(stdout)
	line, err := out.ReadString('\n')
	require.NoError(t, err, "the writer did not report its job")
	id := strings.TrimSpace(line)

	ro := openT(t, dir, &Options{ReadOnly: true})
	jobs, total, err := ro.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.Equal(t, id, jobs[0].ID)
	require.Equal(t, StateRunning, jobs[0].State)
	require.Equal(t, Progress{Current: 1, Total: 2, Message: "half"}, jobs[0].Progress)
	data, next, done, err := ro.ReadLog(ctx, id, Stdout, 0, 0)
	require.NoError(t, err)
	require.Equal(t, "hello\n", string(data))
	require.False(t, done)

	_, err = io.WriteString(stdin, "finish\n")
	require.NoError(t, err)
	line, err = out.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "done\n", line)
	require.NoError(t, cmd.Wait())

	jobs, _, err = ro.List(ctx, &ListOptions{States: []State{StateCompleted}})
	require.NoError(t, err)
	require.Len(t, jobs, 1, "the finish is seen at the next List")
	require.JSONEq(t, `{"ok":true}`, string(jobs[0].Result))
	ro.mu.Lock()
	loads := ro.fullLoads
	ro.mu.Unlock()
	require.Equal(t, 1, loads, "followed through the journal, not reloaded")
	j, err := ro.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StateCompleted, j.State)
	data, _, done, err = ro.ReadLog(ctx, id, Stdout, next, 0)
	require.NoError(t, err)
	require.Equal(t, "bye\n", string(data))
	require.True(t, done)
	size, err := ro.LogSize(ctx, id, Stdout)
	require.NoError(t, err)
	require.Equal(t, int64(len("hello\nbye\n")), size)
}

// TestReadOnlyMutators: every method that would change the store or signal
// a process returns ErrReadOnly, naming itself, and touches nothing; the
// reading methods work.
func TestReadOnlyMutators(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	w := openT(t, dir, nil)
	id, err := w.CreateJob(ctx, "k", "l")
	require.NoError(t, err)
	require.NoError(t, w.SetRunning(ctx, id))
	require.NoError(t, w.AppendLog(ctx, id, Stderr, []byte("oops\n")))
	require.NoError(t, w.SetProcess(ctx, id, Process{PID: os.Getpid()}))
	done, err := w.CreateJob(ctx, "k", "finished")
	require.NoError(t, err)
	require.NoError(t, w.FinishJob(ctx, done, StateCompleted, nil, ""))
	before := tree(t, dir)

	ro := openT(t, dir, &Options{ReadOnly: true})
	for _, tc := range []struct {
		op   string
		call func() error
	}{
		{"CreateJob", func() error { _, err := ro.CreateJob(ctx, "k", ""); return err }},
		{"Update", func() error { _, err := ro.Update(ctx, id, func(*Job) error { return nil }); return err }},
		{"SetRunning", func() error { return ro.SetRunning(ctx, id) }},
		{"SetProgress", func() error { return ro.SetProgress(ctx, id, 1, 2, "") }},
		{"SetProcess", func() error { return ro.SetProcess(ctx, id, Process{PID: os.Getpid()}) }},
		{"SetExitCode", func() error { return ro.SetExitCode(ctx, id, 0) }},
		{"FinishJob", func() error { return ro.FinishJob(ctx, id, StateCancelled, nil, "") }},
		{"DiscardJob", func() error { return ro.DiscardJob(ctx, done) }},
		{"AppendLog", func() error { return ro.AppendLog(ctx, id, Stdout, []byte("x")) }},
		{"LogWriter", func() error { _, err := ro.LogWriter(ctx, id, Stdout); return err }},
		{"Kill", func() error { return ro.Kill(ctx, id) }},
		{"Recover", func() error { _, err := ro.Recover(ctx); return err }},
		{"Prune", func() error { _, _, err := ro.Prune(ctx, nil); return err }},
	} {
		t.Run(tc.op, func(t *testing.T) {
			err := tc.call()
			require.ErrorIs(t, err, ErrReadOnly)
			require.ErrorContains(t, err, "jobstore: "+tc.op+": ")
			require.ErrorContains(t, err, ro.Dir())
		})
	}
	jobs, total, err := ro.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 2, total)
	require.Len(t, jobs, 2)
	j, err := ro.Get(ctx, id)
	require.NoError(t, err)
	require.Equal(t, StateRunning, j.State)
	size, err := ro.LogSize(ctx, id, Stderr)
	require.NoError(t, err)
	require.Equal(t, int64(5), size)
	data, _, _, err := ro.ReadLog(ctx, id, Stderr, 0, 0)
	require.NoError(t, err)
	require.Equal(t, "oops\n", string(data))
	require.NoError(t, ro.Close())
	require.Equal(t, before, tree(t, dir), "a read-only Store writes nothing")
}

// TestReadOnlyWithoutJournal: a read-only Store over a store that has lost
// its journal does not make one; it loads every record at each List
// instead, and follows the journal once a writer has made a new one.
func TestReadOnlyWithoutJournal(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := testenv.TempDir(t)
	w := openT(t, dir, nil)
	first, err := w.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	require.NoError(t, w.Close())
	journal := filepath.Join(dir, JobsSubdir, journalName)
	require.NoError(t, os.Remove(journal))

	ro := openT(t, dir, &Options{ReadOnly: true})
	_, total, err := ro.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, 1, total)
	require.NoFileExists(t, journal, "a read-only Store makes no journal")

	w = openT(t, dir, nil) // makes a journal
	second, err := w.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	jobs, _, err := ro.List(ctx, nil)
	require.NoError(t, err)
	require.Len(t, jobs, 2)
	require.Equal(t, []string{second, first}, []string{jobs[0].ID, jobs[1].ID})
	third, err := w.CreateJob(ctx, "k", "")
	require.NoError(t, err)
	ro.mu.Lock()
	loads := ro.fullLoads
	ro.mu.Unlock()
	jobs, _, err = ro.List(ctx, nil)
	require.NoError(t, err)
	require.Equal(t, third, jobs[0].ID)
	ro.mu.Lock()
	require.Equal(t, loads, ro.fullLoads, "the new journal is followed")
	ro.mu.Unlock()
}
