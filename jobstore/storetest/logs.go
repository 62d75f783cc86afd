package storetest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// Reading a log from each returned offset gives every byte exactly once,
// whatever the read size and however the appends were cut.
func (s *suite) testLogReadByOffset(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	id := create(t, b, "k", "")
	require.NoError(t, b.SetRunning(ctx, id))
	rng := rand.New(rand.NewPCG(1, 2))
	var out, errOut []byte
	for i := range 60 {
		p := make([]byte, 1+rng.IntN(23))
		for k := range p {
			p[k] = byte(rng.IntN(256)) // any bytes: logs are byte streams, not text
		}
		if i%4 == 3 {
			require.NoError(t, b.AppendLog(ctx, id, jobstore.Stderr, p))
			errOut = append(errOut, p...)
		} else {
			require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, p))
			out = append(out, p...)
		}
	}
	require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, nil), "an empty append is fine")
	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateCompleted, nil, ""))
	p := s.peer(t, b)
	for _, h := range []jobstore.Backend{b, p} {
		for _, max := range []int{1, 7, 64, 1000, 0, -1} {
			got, done := readAll(t, h, id, jobstore.Stdout, max)
			require.Equal(t, out, got, "stdout read %d bytes at a time", max)
			require.True(t, done, "the end of a finished job's log is done")
			got, done = readAll(t, h, id, jobstore.Stderr, max)
			require.Equal(t, errOut, got, "stderr read %d bytes at a time", max)
			require.True(t, done)
		}
	}
	// From any offset, the rest of the log; done exactly at its end.
	for _, off := range []int64{0, 1, 5, 23, int64(len(out)) / 2, int64(len(out)) - 1} {
		data, next, done, err := b.ReadLog(ctx, id, jobstore.Stdout, off, 10)
		require.NoError(t, err)
		want := out[off:min(off+10, int64(len(out)))]
		require.Equal(t, want, data, "10 bytes from offset %d", off)
		require.Equal(t, off+int64(len(want)), next)
		require.Equal(t, next == int64(len(out)), done, "done at offset %d", off)
	}
	end := int64(len(out))
	for _, off := range []int64{end, end + 1, end + 1000} {
		data, next, done, err := b.ReadLog(ctx, id, jobstore.Stdout, off, 0)
		require.NoError(t, err)
		require.Empty(t, data, "nothing from offset %d at or past the end", off)
		require.Equal(t, off, next)
		require.True(t, done)
	}
}

// LogSize is each stream's size, 0 before any output.
func (s *suite) testLogSize(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	p := s.peer(t, b)
	id := create(t, b, "k", "")
	for _, st := range []jobstore.Stream{jobstore.Stdout, jobstore.Stderr} {
		n, err := b.LogSize(ctx, id, st)
		require.NoError(t, err)
		require.Zero(t, n, "%s before any output", st)
	}
	require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, []byte("hello\n")))
	require.NoError(t, p.AppendLog(ctx, id, jobstore.Stdout, []byte("world\n")))
	require.NoError(t, p.AppendLog(ctx, id, jobstore.Stderr, []byte("warn")))
	w, err := b.LogWriter(ctx, id, jobstore.Stderr)
	require.NoError(t, err)
	n, err := w.Write([]byte("ing\n"))
	require.NoError(t, err)
	require.Equal(t, 4, n)
	closeWriter(t, w)
	for _, h := range []jobstore.Backend{b, p} {
		n, err := h.LogSize(ctx, id, jobstore.Stdout)
		require.NoError(t, err)
		require.Equal(t, int64(12), n)
		n, err = h.LogSize(ctx, id, jobstore.Stderr)
		require.NoError(t, err)
		require.Equal(t, int64(8), n)
		got, _ := readAll(t, h, id, jobstore.Stderr, 0)
		require.Equal(t, "warning\n", string(got))
	}
	// A reader may start at the tail.
	size, err := b.LogSize(ctx, id, jobstore.Stdout)
	require.NoError(t, err)
	require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, []byte("tail")))
	data, next, done, err := b.ReadLog(ctx, id, jobstore.Stdout, size, 0)
	require.NoError(t, err)
	require.Equal(t, "tail", string(data))
	require.Equal(t, size+4, next)
	require.False(t, done, "a pending job's log is not done")
}

// lines is the output of one writer: numbered lines of varying length,
// which must come out whole and each exactly once.
func lines(writer, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, "w%02d-%04d %s|\n", writer, i, strings.Repeat("x", (writer*7+i*13)%97))
	}
	return out
}

// checkLines asserts that log holds exactly the lines of want, each whole,
// in the order each writer wrote them.
func checkLines(t *testing.T, log []byte, want [][][]byte) {
	t.Helper()
	got := bytes.SplitAfter(log, []byte("\n"))
	if len(got) > 0 && len(got[len(got)-1]) == 0 {
		got = got[:len(got)-1]
	}
	total := 0
	for _, w := range want {
		total += len(w)
	}
	require.Equal(t, total, len(got), "lines in the log: every write once, none lost or torn")
	next := make([]int, len(want))
	for _, line := range got {
		var writer, i int
		_, err := fmt.Sscanf(string(line), "w%02d-%04d ", &writer, &i)
		require.NoError(t, err, "a whole line: %q", line)
		require.Less(t, writer, len(want), "line %q", line)
		require.Less(t, next[writer], len(want[writer]), "line %q once", line)
		require.Equal(t, string(want[writer][next[writer]]), string(line), "writer %d's writes in order, whole", writer)
		next[writer]++
	}
}

// A LogWriter used by many goroutines writes each Write whole.
func (s *suite) testLogWriterConcurrent(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	id := create(t, b, "k", "")
	require.NoError(t, b.SetRunning(ctx, id))
	w, err := b.LogWriter(ctx, id, jobstore.Stdout)
	require.NoError(t, err)
	const writers, each = 8, 40
	want := make([][][]byte, writers)
	var wg sync.WaitGroup
	for k := range writers {
		want[k] = lines(k, each)
		wg.Go(func() {
			for _, line := range want[k] {
				n, err := w.Write(line)
				if !assertNoError(t, err) {
					return
				}
				if n != len(line) {
					t.Errorf("Write returned %d of %d bytes", n, len(line))
				}
			}
		})
	}
	wg.Wait()
	closeWriter(t, w)
	_, err = w.Write([]byte("after close\n"))
	require.Error(t, err, "a closed LogWriter writes nothing")
	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateCompleted, nil, ""))
	got, done := readAll(t, b, id, jobstore.Stdout, 0)
	require.True(t, done)
	checkLines(t, got, want)
}

// Writers on two handles (two LogWriters and AppendLog on each) share one
// log: no write is lost, torn, or interleaved with another.
func (s *suite) testLogSeveralWriters(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	p := s.peer(t, b)
	id := create(t, b, "k", "")
	require.NoError(t, b.SetRunning(ctx, id))
	const each = 30
	want := make([][][]byte, 4)
	for k := range want {
		want[k] = lines(k, each)
	}
	var wg sync.WaitGroup
	for k, h := range []jobstore.Backend{b, p} {
		w, err := h.LogWriter(ctx, id, jobstore.Stdout)
		require.NoError(t, err)
		wg.Go(func() {
			defer w.Close()
			for _, line := range want[2*k] {
				if _, err := w.Write(line); !assertNoError(t, err) {
					return
				}
			}
		})
		wg.Go(func() {
			for _, line := range want[2*k+1] {
				if !assertNoError(t, h.AppendLog(ctx, id, jobstore.Stdout, line)) {
					return
				}
			}
		})
	}
	wg.Wait()
	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateCompleted, nil, ""))
	got, done := readAll(t, p, id, jobstore.Stdout, 100)
	require.True(t, done)
	checkLines(t, got, want)
	n, err := b.LogSize(ctx, id, jobstore.Stdout)
	require.NoError(t, err)
	require.Equal(t, int64(len(got)), n)

	// A LogWriter opened before another writer's output still appends
	// after it, and loses nothing. A LogWriter may send in the background
	// (pgstore's does), so only each writer's own order is promised
	// until Close.
	id2 := create(t, b, "k", "")
	w, err := b.LogWriter(ctx, id2, jobstore.Stderr)
	require.NoError(t, err)
	require.NoError(t, p.AppendLog(ctx, id2, jobstore.Stderr, []byte("first\n")))
	_, err = w.Write([]byte("second\n"))
	require.NoError(t, err)
	require.NoError(t, b.AppendLog(ctx, id2, jobstore.Stderr, []byte("third\n")))
	_, err = w.Write([]byte("fourth\n"))
	require.NoError(t, err)
	closeWriter(t, w)
	got, _ = readAll(t, b, id2, jobstore.Stderr, 0)
	lines := strings.SplitAfter(string(got), "\n")
	require.ElementsMatch(t, []string{"first\n", "second\n", "third\n", "fourth\n", ""}, lines, "every line once")
	require.Equal(t, "first\n", lines[0], "the LogWriter appends after what was there")
	require.Less(t, strings.Index(string(got), "second"), strings.Index(string(got), "fourth"), "the writer's own order")
}

// done is false while the job may still write, true once it is finished
// and the reader is at the end.
func (s *suite) testLogDone(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	p := s.peer(t, b)
	id := create(t, b, "k", "")
	for _, h := range []jobstore.Backend{b, p} {
		data, next, done, err := h.ReadLog(ctx, id, jobstore.Stdout, 0, 0)
		require.NoError(t, err)
		require.Empty(t, data)
		require.Zero(t, next)
		require.False(t, done, "a pending job without output is not done")
	}
	require.NoError(t, b.SetRunning(ctx, id))
	require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, []byte("abc")))
	var off int64
	for _, h := range []jobstore.Backend{b, p} {
		data, next, done, err := h.ReadLog(ctx, id, jobstore.Stdout, 0, 0)
		require.NoError(t, err)
		require.Equal(t, "abc", string(data))
		require.False(t, done, "a running job's log is not done at its end")
		data, next, done, err = h.ReadLog(ctx, id, jobstore.Stdout, next, 0)
		require.NoError(t, err)
		require.Empty(t, data)
		require.False(t, done)
		off = next
	}
	require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, []byte("def")))
	require.NoError(t, b.FinishJob(ctx, id, jobstore.StateFailed, nil, "boom"))
	for _, h := range []jobstore.Backend{b, p} {
		data, next, done, err := h.ReadLog(ctx, id, jobstore.Stdout, off, 2)
		require.NoError(t, err)
		require.Equal(t, "de", string(data))
		require.False(t, done, "not done before the end, finished or not")
		data, next, done, err = h.ReadLog(ctx, id, jobstore.Stdout, next, 2)
		require.NoError(t, err)
		require.Equal(t, "f", string(data))
		require.Equal(t, int64(6), next)
		require.True(t, done, "done with the last byte of a finished job")
		data, next, done, err = h.ReadLog(ctx, id, jobstore.Stdout, next, 2)
		require.NoError(t, err)
		require.Empty(t, data)
		require.Equal(t, int64(6), next)
		require.True(t, done, "and after it")
		// The other stream, never written, is done too.
		data, next, done, err = h.ReadLog(ctx, id, jobstore.Stderr, 0, 0)
		require.NoError(t, err)
		require.Empty(t, data)
		require.Zero(t, next)
		require.True(t, done)
	}
}

// A finished job that wrote nothing has empty, done logs.
func (s *suite) testLogEmpty(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	for _, st := range []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled} {
		id := finished(t, b, "k", st)
		for _, stream := range []jobstore.Stream{jobstore.Stdout, jobstore.Stderr} {
			data, next, done, err := b.ReadLog(ctx, id, stream, 0, 0)
			require.NoError(t, err)
			require.Empty(t, data)
			require.Zero(t, next)
			require.True(t, done, "%s job, %s", st, stream)
			n, err := b.LogSize(ctx, id, stream)
			require.NoError(t, err)
			require.Zero(t, n)
		}
	}
}

// A negative offset and an unknown stream are errors.
func (s *suite) testLogBadArguments(t *testing.T) {
	ctx := t.Context()
	b := s.fresh(t)
	id := create(t, b, "k", "")
	require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, []byte("abc")))
	for _, off := range []int64{-1, -100} {
		data, _, done, err := b.ReadLog(ctx, id, jobstore.Stdout, off, 0)
		require.Error(t, err, "offset %d", off)
		require.Empty(t, data)
		require.False(t, done)
	}
	for _, st := range []jobstore.Stream{"", "stdin", "STDOUT", "../x"} {
		_, _, _, err := b.ReadLog(ctx, id, st, 0, 0)
		require.Error(t, err, "ReadLog of stream %q", st)
		_, err = b.LogSize(ctx, id, st)
		require.Error(t, err, "LogSize of stream %q", st)
		require.Error(t, b.AppendLog(ctx, id, st, []byte("x")), "AppendLog to stream %q", st)
		w, err := b.LogWriter(ctx, id, st)
		if err == nil {
			_ = w.Close()
		}
		require.Error(t, err, "LogWriter of stream %q", st)
	}
	got, _ := readAll(t, b, id, jobstore.Stdout, 0)
	require.Equal(t, "abc", string(got), "the refused calls wrote nothing")
}

// With MaxLogBytes 100, a stream keeps its first 100 bytes and one marker
// line; later output adds nothing, and writers are not failed for it.
func (s *suite) testLogCap(t *testing.T) {
	ctx := t.Context()
	const max = 100
	b := s.open(t, Options{MaxLogBytes: max})
	id := create(t, b, "k", "")
	require.NoError(t, b.SetRunning(ctx, id))
	// 250 bytes: eight appends of 30 (the cap falls inside the fourth)
	// and one of 10.
	var written []byte
	for i := range 9 {
		p := fmt.Appendf(nil, "line %-24d\n", i)
		if i == 8 {
			p = p[:10]
		}
		written = append(written, p...)
		require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, p))
	}
	require.Len(t, written, 250)
	// On stderr, ten writes of 25: the cap falls between two writes.
	w, err := b.LogWriter(ctx, id, jobstore.Stderr)
	require.NoError(t, err)
	for i := range 10 {
		p := bytes.Repeat([]byte{'a' + byte(i)}, 25)
		n, err := w.Write(p)
		require.NoError(t, err)
		require.Equal(t, len(p), n, "no short count for the cap")
	}
	closeWriter(t, w)
	var errWritten []byte
	for i := range 10 {
		errWritten = append(errWritten, bytes.Repeat([]byte{'a' + byte(i)}, 25)...)
	}

	check := func(st jobstore.Stream, written []byte) {
		t.Helper()
		got, _ := readAll(t, b, id, st, 0)
		require.Greater(t, len(got), max, "%s: a marker follows the kept output", st)
		require.Equal(t, string(written[:max]), string(got[:max]), "%s: the first MaxLogBytes bytes are kept", st)
		marker := string(got[max:])
		require.True(t, strings.HasPrefix(marker, "\n") && strings.HasSuffix(marker, "\n"), "%s: marker %q is a line of its own", st, marker)
		require.Equal(t, 2, strings.Count(marker, "\n"), "%s: one marker line: %q", st, marker)
		require.Contains(t, marker, "truncated")
		n, err := b.LogSize(ctx, id, st)
		require.NoError(t, err)
		require.Equal(t, int64(len(got)), n)
	}
	check(jobstore.Stdout, written)
	check(jobstore.Stderr, errWritten)

	before, _ := readAll(t, b, id, jobstore.Stdout, 0)
	require.NoError(t, b.AppendLog(ctx, id, jobstore.Stdout, []byte("more\n")))
	w, err = b.LogWriter(ctx, id, jobstore.Stdout)
	require.NoError(t, err)
	_, err = w.Write([]byte("and more\n"))
	require.NoError(t, err)
	closeWriter(t, w)
	after, _ := readAll(t, b, id, jobstore.Stdout, 0)
	require.Equal(t, before, after, "once capped, later writes add nothing")

	// Exactly MaxLogBytes fits, with no marker.
	id2 := create(t, b, "k", "")
	full := bytes.Repeat([]byte("z"), max)
	require.NoError(t, b.AppendLog(ctx, id2, jobstore.Stdout, full[:60]))
	require.NoError(t, b.AppendLog(ctx, id2, jobstore.Stdout, full[60:]))
	got, _ := readAll(t, b, id2, jobstore.Stdout, 0)
	require.Equal(t, full, got)

	// Negative: no cap.
	u := s.open(t, Options{MaxLogBytes: -1})
	id3 := create(t, u, "k", "")
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<12) // 64 KiB
	for range 4 {
		require.NoError(t, u.AppendLog(ctx, id3, jobstore.Stdout, big))
	}
	n, err := u.LogSize(ctx, id3, jobstore.Stdout)
	require.NoError(t, err)
	require.Equal(t, int64(4*len(big)), n)
	got, _ = readAll(t, u, id3, jobstore.Stdout, 0)
	require.True(t, slices.Equal(bytes.Repeat(big, 4), got), "an uncapped log keeps everything")
}

// assertNoError reports err in a goroutine that must not call FailNow.
func assertNoError(t *testing.T, err error) bool {
	t.Helper()
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}
