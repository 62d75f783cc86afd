package jobstore

import (
	"bytes"
	"io"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/stretchr/testify/require"
)

// TestLogCursorExactlyOnce: a reader following a log with cursor reads,
// while the job writes it (from another Store), gets every byte exactly once
// and learns when the log is complete.
func TestLogCursorExactlyOnce(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		useW    bool
		readMax int
	}{
		{"AppendLog, small reads", false, 777},
		{"LogWriter, default reads", true, 0},
		{"LogWriter, one-byte reads", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dir := testenv.TempDir(t)
			w := openT(t, dir, nil)
			r := openT(t, dir, nil)
			id, err := w.CreateJob(ctx, "k", "")
			require.NoError(t, err)
			require.NoError(t, w.SetRunning(ctx, id))

			rng := rand.New(rand.NewPCG(1, 2))
			var want bytes.Buffer
			var chunks [][]byte
			total := 200 << 10
			if tc.readMax == 1 {
				total = 8 << 10
			}
			for want.Len() < total {
				c := make([]byte, 1+rng.IntN(5000))
				for i := range c {
					c[i] = byte(rng.UintN(256))
				}
				chunks = append(chunks, c)
				want.Write(c)
			}
			var wg sync.WaitGroup
			wg.Go(func() {
				var out io.Writer
				if tc.useW {
					lw, err := w.LogWriter(ctx, id, Stdout)
					require.NoError(t, err)
					defer func() { require.NoError(t, lw.Close()) }()
					out = lw
				}
				for _, c := range chunks {
					if out != nil {
						n, err := out.Write(c)
						require.NoError(t, err)
						require.Equal(t, len(c), n)
					} else {
						require.NoError(t, w.AppendLog(ctx, id, Stdout, c))
					}
				}
				if tc.useW {
					require.NoError(t, out.(io.Closer).Close())
				}
				require.NoError(t, w.FinishJob(ctx, id, "completed", nil, ""))
			})
			var got bytes.Buffer
			var off int64
			for {
				data, next, done, err := r.ReadLog(ctx, id, Stdout, off, tc.readMax)
				require.NoError(t, err)
				require.Equal(t, off+int64(len(data)), next)
				if tc.readMax > 0 {
					require.LessOrEqual(t, len(data), tc.readMax)
				}
				got.Write(data)
				off = next
				if done {
					break
				}
			}
			wg.Wait()
			require.Equal(t, want.Len(), got.Len())
			require.True(t, bytes.Equal(want.Bytes(), got.Bytes()))
			// Past the end: nothing, and still done.
			data, next, done, err := r.ReadLog(ctx, id, Stdout, off, 0)
			require.NoError(t, err)
			require.Empty(t, data)
			require.Equal(t, off, next)
			require.True(t, done)
		})
	}
}

func TestLogCap(t *testing.T) {
	t.Parallel()
	const max = 100
	marker := string(truncMarker(max))
	for _, tc := range []struct {
		name   string
		chunks []string
		want   string
	}{
		{"under the cap", []string{"hello ", "world"}, "hello world"},
		{"exactly the cap", []string{string(make([]byte, max))}, string(make([]byte, max))},
		{"crossing", []string{string(bytes.Repeat([]byte("a"), 60)), string(bytes.Repeat([]byte("b"), 60)), "dropped"},
			string(bytes.Repeat([]byte("a"), 60)) + string(bytes.Repeat([]byte("b"), 40)) + marker},
		{"full then more", []string{string(bytes.Repeat([]byte("a"), max)), "x", "y"}, string(bytes.Repeat([]byte("a"), max)) + marker},
	} {
		for _, useW := range []bool{false, true} {
			t.Run(tc.name+map[bool]string{false: "/AppendLog", true: "/LogWriter"}[useW], func(t *testing.T) {
				t.Parallel()
				ctx := t.Context()
				s := openT(t, testenv.TempDir(t), &Options{MaxLogBytes: max})
				id, err := s.CreateJob(ctx, "k", "")
				require.NoError(t, err)
				var lw io.WriteCloser
				if useW {
					lw, err = s.LogWriter(ctx, id, Stderr)
					require.NoError(t, err)
					defer lw.Close()
				}
				for _, c := range tc.chunks {
					if useW {
						n, err := lw.Write([]byte(c))
						require.NoError(t, err)
						require.Equal(t, len(c), n, "dropped output still counts as written")
					} else {
						require.NoError(t, s.AppendLog(ctx, id, Stderr, []byte(c)))
					}
				}
				data, _, _, err := s.ReadLog(ctx, id, Stderr, 0, 0)
				require.NoError(t, err)
				require.Equal(t, tc.want, string(data))
			})
		}
	}
}

func TestReadLogEdges(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "")
	require.NoError(t, err)

	data, next, done, err := s.ReadLog(ctx, id, Stdout, 0, 0)
	require.NoError(t, err)
	require.Empty(t, data)
	require.Zero(t, next)
	require.False(t, done, "a live job's log may still grow")

	_, _, _, err = s.ReadLog(ctx, id, Stdout, -1, 0)
	require.Error(t, err)
	_, _, _, err = s.ReadLog(ctx, id, "stdin", 0, 0)
	require.Error(t, err)
	require.Error(t, s.AppendLog(ctx, id, "both", []byte("x")))

	require.NoError(t, s.AppendLog(ctx, id, Stderr, []byte("err")))
	require.NoError(t, s.FinishJob(ctx, id, "failed", nil, "x"))
	data, next, done, err = s.ReadLog(ctx, id, Stdout, 0, 0)
	require.NoError(t, err)
	require.Empty(t, data)
	require.Zero(t, next)
	require.True(t, done, "a finished job without output is done")
	data, next, done, err = s.ReadLog(ctx, id, Stderr, 0, 2)
	require.NoError(t, err)
	require.Equal(t, "er", string(data))
	require.False(t, done)
	data, _, done, err = s.ReadLog(ctx, id, Stderr, next, 2)
	require.NoError(t, err)
	require.Equal(t, "r", string(data))
	require.True(t, done)
	data, _, done, err = s.ReadLog(ctx, id, Stderr, 99, 2)
	require.NoError(t, err)
	require.Empty(t, data)
	require.True(t, done)

	lw, err := s.LogWriter(ctx, id, Stdout)
	require.NoError(t, err)
	require.NoError(t, lw.Close())
	require.NoError(t, lw.Close())
	_, err = lw.Write([]byte("x"))
	require.Error(t, err)
}

func TestLogSize(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openT(t, testenv.TempDir(t), nil)
	id, err := s.CreateJob(ctx, "k", "l")
	require.NoError(t, err)
	n, err := s.LogSize(ctx, id, Stdout)
	require.NoError(t, err)
	require.Zero(t, n)
	require.NoError(t, s.AppendLog(ctx, id, Stdout, []byte("hello")))
	n, err = s.LogSize(ctx, id, Stdout)
	require.NoError(t, err)
	require.Equal(t, int64(5), n)
	_, err = s.LogSize(ctx, "0000000000000000", Stdout)
	require.ErrorIs(t, err, ErrNotFound)
	_, err = s.LogSize(ctx, id, Stream("both"))
	require.Error(t, err)
}
