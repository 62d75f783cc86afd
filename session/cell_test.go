package session_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/session"
)

// run runs code through Run with opts, bounded by a minute.
func run(t testing.TB, m *session.Manager, id, code string, opts *session.CellOptions) *session.CellResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := m.Run(ctx, id, code, opts)
	require.NoError(t, err)
	return res
}

// noMarker fails the test if s holds a byte of the kernel's end markers.
func noMarker(t *testing.T, s string) {
	t.Helper()
	require.NotContains(t, s, "\x00")
	require.NotContains(t, s, "pyexec:")
}

func TestRunLiveWriters(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)

	t.Run("a cell that prints a lot", func(t *testing.T) {
		// 1.9 MB of stdout, far past OutputCap, and stderr interleaved.
		var out, errs bytes.Buffer
		res := run(t, m, "", "import sys\nfor i in range(200000):\n    print(i)\n    if i % 1000 == 0:\n        print('e', i, file=sys.stderr)",
			&session.CellOptions{Stdout: &out, Stderr: &errs})
		require.Nil(t, res.Error)
		var want, wantErr strings.Builder
		for i := range 200000 {
			fmt.Fprintf(&want, "%d\n", i)
			if i%1000 == 0 {
				fmt.Fprintf(&wantErr, "e %d\n", i)
			}
		}
		require.Equal(t, want.Len(), out.Len())
		require.True(t, want.String() == out.String(), "every byte once, in order")
		require.Equal(t, wantErr.String(), errs.String())
		require.Zero(t, res.Dropped)
		require.Positive(t, res.StdoutOmitted, "the result keeps head and tail as ever")
		require.True(t, strings.HasPrefix(res.Stdout, "0\n1\n2\n"))
	})

	t.Run("a background thread across cells", func(t *testing.T) {
		// The thread prints while the first cell runs and after it ended,
		// then, released by the second cell, during that one: each cell's
		// writer gets what its result holds, together every line once.
		// One write a line: print writes the text and the newline apart,
		// which threads may interleave.
		code := "import threading, sys\nev = threading.Event()\ndef bg():\n" +
			"    for i in range(300):\n        sys.stdout.write('a %d\\n' % i)\n" +
			"    ev.wait()\n    for i in range(300):\n        sys.stdout.write('b %d\\n' % i)\n" +
			"th = threading.Thread(target=bg)\nth.start()\nsys.stdout.write('started\\n')"
		var first, second bytes.Buffer
		r1 := run(t, m, "thread", code, &session.CellOptions{Stdout: &first})
		r2 := run(t, m, "thread", "ev.set()\nth.join()\nprint('joined')", &session.CellOptions{Stdout: &second})
		require.Equal(t, r1.Stdout, first.String())
		require.Equal(t, r2.Stdout, second.String())
		all := first.String() + second.String()
		noMarker(t, all)
		require.True(t, strings.HasSuffix(all, "b 299\njoined\n"), "%q", all[max(0, len(all)-40):])
		lines := strings.Split(strings.TrimSuffix(all, "\n"), "\n")
		require.Len(t, lines, 602)
		seen := map[string]int{}
		for _, l := range lines {
			seen[l]++
		}
		for i := range 300 {
			require.Equal(t, 1, seen[fmt.Sprint("a ", i)])
			require.Equal(t, 1, seen[fmt.Sprint("b ", i)])
		}
		// In order within the thread: a 0..299 then b 0..299.
		var got []string
		for _, l := range lines {
			if strings.HasPrefix(l, "a ") || strings.HasPrefix(l, "b ") {
				got = append(got, l)
			}
		}
		for i, l := range got {
			want := fmt.Sprint("a ", i)
			if i >= 300 {
				want = fmt.Sprint("b ", i-300)
			}
			require.Equal(t, want, l)
		}
	})

	t.Run("the writers get nothing after Run", func(t *testing.T) {
		w := &lockedBuffer{}
		run(t, m, "late", "import threading\nev = threading.Event()\ndef bg():\n    ev.wait()\n    print('late')\nth = threading.Thread(target=bg)\nth.start()\nprint('now')",
			&session.CellOptions{Stdout: w})
		require.Equal(t, "now\n", w.String())
		res := run(t, m, "late", "ev.set()\nth.join()", nil)
		require.Equal(t, "late\n", res.Stdout)
		require.Equal(t, "now\n", w.String())
	})
}

// lockedBuffer is a writer that may be read while it is written to.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// cancelOn is a writer that cancels a context once it has seen a string:
// the cell is cancelled while it surely runs, with no timer.
type cancelOn struct {
	lockedBuffer
	what   string
	cancel context.CancelFunc
}

func (c *cancelOn) Write(p []byte) (int, error) {
	n, err := c.lockedBuffer.Write(p)
	if strings.Contains(c.String(), c.what) {
		c.cancel()
	}
	return n, err
}

func TestRunCancelKeepsState(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{Grace: 10 * time.Second})
	execute(t, m, "", "x = 5\nimport time")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w := &cancelOn{what: "running\n", cancel: cancel}
	res, err := m.Run(ctx, "", "x = 6\nprint('running', flush=True)\nwhile True:\n    time.sleep(0.01)", &session.CellOptions{Stdout: w})
	require.ErrorIs(t, err, session.ErrCancelled)
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, res)
	require.True(t, res.Interrupted)
	require.False(t, res.TimedOut)
	require.False(t, res.StateLost)
	require.Equal(t, "KeyboardInterrupt", res.Error.Type)
	require.Equal(t, "running\n", res.Stdout)
	require.Equal(t, "running\n", w.String())
	require.Equal(t, "6", value(t, m, "", "x"), "the state, the cell's assignments included, is kept")
	require.Equal(t, "True", value(t, m, "", "'time' in dir()"))
}

func TestHistory(t *testing.T) {
	t.Parallel()
	m := newManager(t, nil)
	_, err := m.History("nope")
	require.ErrorIs(t, err, session.ErrUnknownSession)

	execute(t, m, "", "print('hello')")
	execute(t, m, "", "import sys\nprint('warn', file=sys.stderr)\nprint('out')\n1/0")
	execute(t, m, "", pngCode+"\nPic(3, 2)")
	execute(t, m, "", "class Two:\n    def _repr_png_(self): return png(2, 2)\n    def __repr__(self): return 'Two()'\nx = 41\nx + 1")
	h, err := m.History("default")
	require.NoError(t, err)
	require.Len(t, h, 4)
	for i, c := range h {
		require.Equal(t, i+1, c.Seq)
		require.Equal(t, i+1, c.ExecutionCount)
		require.False(t, c.Started.IsZero())
		require.False(t, c.NewKernel)
	}
	require.Equal(t, "print('hello')", h[0].Code)
	require.Equal(t, []session.Output{{Type: session.OutputStream, Name: "stdout", Text: "hello\n"}}, h[0].Outputs)

	o := h[1].Outputs
	require.Len(t, o, 3)
	require.Equal(t, session.Output{Type: "stream", Name: "stdout", Text: "out\n"}, o[0])
	require.Equal(t, session.Output{Type: "stream", Name: "stderr", Text: "warn\n"}, o[1])
	require.Equal(t, "error", o[2].Type)
	require.Equal(t, "ZeroDivisionError", o[2].Error.Type)
	require.Contains(t, o[2].Error.Traceback, `File "<cell-2>", line 4`)

	o = h[2].Outputs
	require.Len(t, o, 1, "the value's image is in its bundle, not a display_data")
	require.Equal(t, "execute_result", o[0].Type)
	require.Equal(t, 3, o[0].ExecutionCount)
	require.Equal(t, "<Pic 3x2>", o[0].Data["text/plain"])
	_, err = base64.StdEncoding.DecodeString(o[0].Data["image/png"])
	require.NoError(t, err)

	require.Equal(t, []session.Output{{Type: "execute_result", ExecutionCount: 4, Data: map[string]string{"text/plain": "42"}}}, h[3].Outputs)

	// The history is the caller's copy.
	h[3].Outputs[0].Data["text/plain"] = "changed"
	again, _ := m.History("")
	require.Equal(t, "42", again[3].Outputs[0].Data["text/plain"])

	// A kernel lost during a cell: the next cell runs in a new one.
	res := execute(t, m, "", "print('bye', flush=True)\nimport os\nos._exit(3)")
	require.True(t, res.KernelDied)
	execute(t, m, "", "'x' in globals()")
	h, _ = m.History("")
	require.Len(t, h, 6)
	lost, next := h[4], h[5]
	require.True(t, lost.KernelLost)
	require.Zero(t, lost.ExecutionCount)
	require.Equal(t, []session.Output{{Type: "stream", Name: "stdout", Text: "bye\n"}}, lost.Outputs)
	require.False(t, lost.NewKernel)
	require.True(t, next.NewKernel)
	require.Equal(t, 1, next.ExecutionCount)
	require.Equal(t, "False", next.Outputs[0].Data["text/plain"])

	// Reset forgets the history; Remove the session.
	require.NoError(t, m.Reset(context.Background(), ""))
	h, err = m.History("")
	require.NoError(t, err)
	require.Empty(t, h)
	execute(t, m, "", "1")
	h, _ = m.History("")
	require.Len(t, h, 1)
	require.Equal(t, 1, h[0].Seq)
	require.False(t, h[0].NewKernel, "a reset session's history begins with its new kernel")
	require.NoError(t, m.Remove(context.Background(), ""))
	_, err = m.History("")
	require.ErrorIs(t, err, session.ErrUnknownSession)
}

func TestHistoryBounds(t *testing.T) {
	t.Parallel()
	t.Run("cells", func(t *testing.T) {
		t.Parallel()
		m := newManager(t, &session.Options{MaxHistory: 3})
		for i := range 5 {
			execute(t, m, "", fmt.Sprint(i))
		}
		h, err := m.History("")
		require.NoError(t, err)
		require.Len(t, h, 3)
		require.Equal(t, []int{3, 4, 5}, []int{h[0].Seq, h[1].Seq, h[2].Seq})
		require.Equal(t, "2", h[0].Code)
	})
	t.Run("bytes", func(t *testing.T) {
		t.Parallel()
		m := newManager(t, &session.Options{MaxHistoryBytes: 150_000})
		execute(t, m, "", "'small'")
		execute(t, m, "", "print('x' * 100_000)")
		h, _ := m.History("")
		require.Len(t, h, 2)
		execute(t, m, "", "print('y' * 100_000)")
		h, _ = m.History("")
		require.Len(t, h, 1, "the oldest cells go first")
		require.Equal(t, 3, h[0].Seq)
		execute(t, m, "", "print('z' * 200_000)")
		h, _ = m.History("")
		require.Len(t, h, 1, "the latest cell stays, even over the bound")
		require.Equal(t, 4, h[0].Seq)
	})
	t.Run("none", func(t *testing.T) {
		t.Parallel()
		m := newManager(t, &session.Options{MaxHistory: -1})
		execute(t, m, "", "1")
		h, err := m.History("")
		require.NoError(t, err)
		require.Empty(t, h)
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		_, err := session.NewManager(&session.Options{Python: "/bin/sh", MaxHistoryBytes: -1, WorkspaceDir: t.TempDir(), DataDir: t.TempDir()})
		require.ErrorIs(t, err, session.ErrInvalidOptions)
		require.Contains(t, err.Error(), "MaxHistoryBytes")
	})
}
