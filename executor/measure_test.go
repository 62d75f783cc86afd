package executor

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/bench"
)

// holdScript holds 200 MiB (touched) for 10 ms, then exits.
const holdScript = "import time\nb = bytearray(200 * 1024 * 1024)\ntime.sleep(0.01)\ndel b\n"

func TestMeasurePeakRSS(t *testing.T) {
	// Not parallel: it inflates this process's own RSS to prove the floor
	// (the server's peak, copied at exec) does not leak into the figure.
	ballast := make([]byte, 300<<20)
	for i := range ballast {
		ballast[i] = 1
	}
	defer func() { _ = ballast[len(ballast)-1] }()
	for _, useUV := range []bool{false, true} {
		name := "system"
		if useUV {
			name = "uv"
		}
		t.Run(name, func(t *testing.T) {
			e := newExecutor(t, useUV, nil)
			res, err := e.Run(context.Background(), &Request{Code: holdScript, UseUV: useUV, Measure: true})
			require.NoError(t, err)
			require.Equal(t, 0, res.ExitCode, res.Stderr)
			const want = 200 << 20
			// The interpreter itself adds ~10 MiB; 10 % of 200 MiB covers it.
			require.Equal(t, bench.SourceReaper, res.Usage.PeakRSSSource)
			require.GreaterOrEqual(t, res.Usage.PeakRSS, int64(want))
			require.LessOrEqual(t, res.Usage.PeakRSS, int64(want*11/10), "peak %d MiB", res.Usage.PeakRSS>>20)
			require.Positive(t, res.Usage.CPUTime())
			require.Positive(t, res.Usage.WallTime)
		})
	}
}

func TestUsageWithoutMeasure(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	res, err := e.Run(context.Background(), &Request{Code: "sum(range(3_000_000))"})
	require.NoError(t, err)
	require.Positive(t, res.Usage.CPUTime())
	require.Positive(t, res.Usage.WallTime)
}

func TestMeasureKeepsExitStatus(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	res, err := e.Run(context.Background(), &Request{Code: "import sys; print('x'); sys.exit(5)", Measure: true})
	require.NoError(t, err)
	require.Equal(t, 5, res.ExitCode)
	require.Equal(t, "x\n", res.Stdout)
	res, err = e.Run(context.Background(), &Request{Code: "import os, signal; os.kill(os.getpid(), signal.SIGKILL)", Measure: true})
	require.NoError(t, err)
	require.Equal(t, -9, res.ExitCode)
}
