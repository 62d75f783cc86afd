package executor

import (
	"bytes"
	"context"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// treeScript starts a grandchild with subprocess, prints both pids, then
// runs forever. With ignoreTerm both ignore SIGTERM.
func treeScript(ignoreTerm bool) string {
	s := "import os, sys, signal, subprocess, time\n"
	if ignoreTerm {
		s += "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
		s += "child = subprocess.Popen([sys.executable, '-c', 'import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)'])\n"
	} else {
		s += "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
	}
	s += "print('pids', os.getpid(), child.pid, flush=True)\n"
	s += "print('partial output before the timeout', flush=True)\n"
	s += "while True: time.sleep(0.05)\n"
	return s
}

func parsePids(t *testing.T, out string) []int {
	t.Helper()
	for _, line := range strings.Split(out, "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "pids" {
			a, _ := strconv.Atoi(f[1])
			b, _ := strconv.Atoi(f[2])
			return []int{a, b}
		}
	}
	t.Fatalf("no pids line in output %q", out)
	return nil
}

func TestTimeoutKillsTree(t *testing.T) {
	t.Parallel()
	for _, useUV := range []bool{false, true} {
		for _, ignoreTerm := range []bool{false, true} {
			name := "system"
			if useUV {
				name = "uv"
			}
			if ignoreTerm {
				name += "/ignores-SIGTERM"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				e := newExecutor(t, useUV, nil)
				timeout := 1500 * time.Millisecond
				if useUV {
					timeout = 4 * time.Second // uv's first environment set-up takes a moment
				}
				start := time.Now()
				res, err := e.Run(context.Background(), &Request{Code: treeScript(ignoreTerm), Timeout: timeout, UseUV: useUV})
				elapsed := time.Since(start)
				require.NoError(t, err)
				require.True(t, res.TimedOut)
				require.Contains(t, res.Stdout, "partial output before the timeout")
				require.Contains(t, res.Stderr, "[TIMEOUT]")
				for _, pid := range parsePids(t, res.Stdout) {
					testenv.RequireGone(t, pid)
				}
				// Correctness bound, not a performance target: a hang would
				// exceed it by minutes (the grandchild sleeps 300 s).
				require.Less(t, elapsed, timeout+e.opts.Grace+30*time.Second)
				if ignoreTerm {
					require.Equal(t, -9, res.ExitCode)
				} else {
					require.Less(t, res.ExitCode, 0)
				}
			})
		}
	}
}

func TestCancelKillsTree(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var seen bytes.Buffer
	started := make(chan struct{})
	var once sync.Once
	w := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		seen.Write(p)
		if strings.Contains(seen.String(), "partial") {
			once.Do(func() { close(started) })
		}
		return len(p), nil
	})
	done := make(chan struct{})
	var res *Result
	var err error
	go func() {
		defer close(done)
		res, err = e.Run(ctx, &Request{Code: treeScript(true), Stdout: w})
	}()
	<-started
	cancel()
	<-done
	require.ErrorIs(t, err, ErrCancelled)
	require.NotNil(t, res)
	require.True(t, res.Cancelled)
	for _, pid := range parsePids(t, res.Stdout) {
		testenv.RequireGone(t, pid)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestHugeOutputBoundedMemory(t *testing.T) {
	// Not parallel: it measures this process's heap.
	e := newExecutor(t, false, func(o *Options) { o.OutputCap = 1 << 20 })
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	var forwarded int64
	var mu sync.Mutex
	res, err := e.Run(context.Background(), &Request{
		Code: "import sys\nchunk = b'x' * 65536\nfor _ in range(1700): sys.stdout.buffer.write(chunk)\nsys.stdout.buffer.write(b'THE-END\\n')\n",
		Stdout: writerFunc(func(p []byte) (int, error) {
			// A writer that fell behind gets an in-band notice of what it
			// missed, in a Write of its own: not script output (counting it
			// made this test fail 1 run in 5).
			if bytes.HasPrefix(p, []byte("\n[pyexec: ")) {
				return len(p), nil
			}
			mu.Lock()
			forwarded += int64(len(p))
			mu.Unlock()
			return len(p), nil
		}),
	})
	require.NoError(t, err)
	runtime.ReadMemStats(&after)
	total := int64(1700*65536 + 8)
	require.Equal(t, 0, res.ExitCode, res.Stderr)
	require.True(t, strings.HasSuffix(res.Stdout, "THE-END\n"), "tail kept")
	require.Contains(t, res.Stdout, "bytes omitted")
	require.Equal(t, total-int64(1<<20), res.StdoutOmitted)
	require.Less(t, len(res.Stdout), (1<<20)+100)
	require.Equal(t, total, forwarded+res.Dropped, "every byte is forwarded or counted as dropped")
	// 106 MiB went through; the heap must not have grown by anything like it.
	require.Less(t, int64(after.HeapInuse)-int64(before.HeapInuse), int64(32<<20))
}

func TestInvalidUTF8(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	res, err := e.Run(context.Background(), &Request{Code: "import sys\nsys.stdout.buffer.write(b'ok \\xff\\xfe bad')\nsys.stderr.buffer.write(b'\\xc3')\n"})
	require.NoError(t, err)
	require.True(t, utf8.ValidString(res.Stdout))
	require.Equal(t, "ok \uFFFD bad", res.Stdout)
	require.Equal(t, "\uFFFD", res.Stderr)
}

func TestSlowWriterDoesNotBlockChild(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	release := make(chan struct{})
	var got int64
	var mu sync.Mutex
	res, err := e.Run(context.Background(), &Request{
		Code: "import sys\nsys.stdout.buffer.write(b'Q' * (20 << 20))\n",
		Stdout: writerFunc(func(p []byte) (int, error) {
			<-release // blocks until the run is over
			mu.Lock()
			got += int64(bytes.Count(p, []byte("Q"))) // not the in-band notice
			mu.Unlock()
			return len(p), nil
		}),
		// The writer is released only once the child has exited: if it
		// could stall the child, the run would time out instead.
		Timeout: 60 * time.Second,
		OnStart: func(si StartInfo) {
			go func() {
				for testenv.Alive(si.PID) {
					time.Sleep(5 * time.Millisecond) // polling a condition
				}
				close(release)
			}()
		},
	})
	require.NoError(t, err)
	require.False(t, res.TimedOut)
	require.Equal(t, int64(20<<20), got+res.Dropped)
}

// TestLosslessWriterGetsEveryByte: with Request.Lossless a writer slower
// than the child gets every byte; the child waits for it instead.
func TestLosslessWriterGetsEveryByte(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	var got, calls int64
	var mu sync.Mutex
	res, err := e.Run(context.Background(), &Request{
		Code:     "import sys\nfor _ in range(40): sys.stdout.buffer.write(b'Q' * (1 << 20))\n",
		Lossless: true,
		Stdout: writerFunc(func(p []byte) (int, error) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			time.Sleep(time.Millisecond) // far slower than the child: its queue fills

			got += int64(bytes.Count(p, []byte("Q")))
			return len(p), nil
		}),
	})
	require.NoError(t, err)
	require.Zero(t, res.Dropped)
	require.Equal(t, int64(40<<20), got)
	require.NotContains(t, res.Stdout, "not delivered")
}
