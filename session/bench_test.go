package session_test

import (
	"context"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/session"
)

// reportMedian adds the median of ds as a metric (the goals in the issue
// are medians; ns/op is the mean).
func reportMedian(b *testing.B, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	b.ReportMetric(float64(ds[len(ds)/2].Microseconds())/1000, "median-ms")
}

// BenchmarkExecuteWarm measures a round trip of "x + 1" in a warm session
// (goal: median ≤ 2 ms).
func BenchmarkExecuteWarm(b *testing.B) {
	m := newManager(b, nil)
	ctx := context.Background()
	if v := value(b, m, "", "x = 1\nx"); v != "1" {
		b.Fatalf("warm-up: %q", v)
	}
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		res, err := m.Execute(ctx, "", "x + 1", 0)
		ds = append(ds, time.Since(t0))
		if err != nil || res.Value != "2" {
			b.Fatalf("%v %+v", err, res)
		}
	}
	reportMedian(b, ds)
}

// BenchmarkKernelStart measures the first cell ("pass") of a new session
// without packages: kernel process start, hello, one round trip (goal:
// median ≤ 100 ms). Removing the session is not timed.
func BenchmarkKernelStart(b *testing.B) {
	m := newManager(b, nil)
	ctx := context.Background()
	ds := make([]time.Duration, 0, b.N)
	i := 0
	b.ResetTimer()
	for b.Loop() {
		id := fmt.Sprint("s", i)
		i++
		t0 := time.Now()
		if _, err := m.Execute(ctx, id, "pass", 0); err != nil {
			b.Fatal(err)
		}
		ds = append(ds, time.Since(t0))
		b.StopTimer()
		if err := m.Remove(ctx, id); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	reportMedian(b, ds)
}

// BenchmarkPlotCell measures a cell that draws a line plot and returns it
// as a PNG, in a session where pyplot is already imported. matplotlib comes
// from the package index through the shared test uv cache.
func BenchmarkPlotCell(b *testing.B) {
	m := newManager(b, &session.Options{UV: testenv.UV(b), UVArgs: uvCacheArgs()})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := m.Install(ctx, "", []string{"matplotlib"}); err != nil {
		b.Fatal(err)
	}
	res := execute(b, m, "", "import matplotlib.pyplot as plt\nxs = list(range(100))\nplt.plot(xs)")
	if len(res.Images) != 1 {
		b.Fatalf("warm-up: %+v", res)
	}
	ds := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for b.Loop() {
		t0 := time.Now()
		res, err := m.Execute(ctx, "", "plt.plot(xs, [x * x for x in xs])\nplt.title('squares');", 0)
		ds = append(ds, time.Since(t0))
		if err != nil || len(res.Images) != 1 {
			b.Fatalf("%v %+v", err, res)
		}
	}
	reportMedian(b, ds)
}

// benchPolicy is every sandbox switch, as the "all switches" rows of
// cmd/pyexec-bench.
func benchPolicy() *sandbox.Policy {
	return &sandbox.Policy{EnvAllowList: sandbox.DefaultEnvAllowList(), CPUSeconds: 600, MaxFileBytes: 1 << 30,
		MemoryBytes: 512 << 20, MaxProcesses: 128, NoNetwork: true, ReadOnlyFS: true, PIDNamespace: true}
}

// pairedManagers returns an unconfined and a confined Manager, or skips
// where the sandbox is not enforceable.
func pairedManagers(b *testing.B) (plain, confined *session.Manager) {
	p := benchPolicy()
	if err := sandbox.Check(p); err != nil {
		b.Skipf("sandbox not enforceable here: %v", err)
	}
	return newManager(b, nil), newManager(b, &session.Options{Sandbox: p})
}

// BenchmarkExecuteWarmSandbox measures the "x + 1" round trip in a warm
// unconfined and a warm confined session (every switch), alternating
// within each iteration so both see the same load; it reports both
// medians. A confined round trip also reads the kernel's cgroup counters.
func BenchmarkExecuteWarmSandbox(b *testing.B) {
	plain, confined := pairedManagers(b)
	ctx := context.Background()
	for _, m := range []*session.Manager{plain, confined} {
		if v := value(b, m, "", "x = 1\nx"); v != "1" {
			b.Fatalf("warm-up: %q", v)
		}
	}
	var ps, cs []time.Duration
	for b.Loop() {
		for i, m := range []*session.Manager{plain, confined} {
			t0 := time.Now()
			res, err := m.Execute(ctx, "", "x + 1", 0)
			d := time.Since(t0)
			if err != nil || res.Value != "2" {
				b.Fatalf("%v %+v", err, res)
			}
			if i == 0 {
				ps = append(ps, d)
			} else {
				cs = append(cs, d)
			}
		}
	}
	reportMedians(b, ps, cs)
}

// BenchmarkKernelStartSandbox measures kernel start + first cell ("pass")
// of a new session, unconfined and confined (every switch: the wrapper,
// cgroups, namespaces, mounts), alternating; removing the sessions (and
// the confined kernel's cgroups) is not timed.
func BenchmarkKernelStartSandbox(b *testing.B) {
	plain, confined := pairedManagers(b)
	ctx := context.Background()
	var ps, cs []time.Duration
	n := 0
	for b.Loop() {
		for i, m := range []*session.Manager{plain, confined} {
			id := fmt.Sprint("s", n)
			n++
			t0 := time.Now()
			if _, err := m.Execute(ctx, id, "pass", 0); err != nil {
				b.Fatal(err)
			}
			d := time.Since(t0)
			b.StopTimer()
			if err := m.Remove(ctx, id); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if i == 0 {
				ps = append(ps, d)
			} else {
				cs = append(cs, d)
			}
		}
	}
	reportMedians(b, ps, cs)
}

func reportMedians(b *testing.B, plain, confined []time.Duration) {
	med := func(ds []time.Duration) float64 {
		slices.Sort(ds)
		return float64(ds[len(ds)/2].Microseconds()) / 1000
	}
	if len(plain) == 0 || len(confined) == 0 {
		return
	}
	p, c := med(plain), med(confined)
	b.ReportMetric(p, "unconfined-median-ms")
	b.ReportMetric(c, "confined-median-ms")
	b.ReportMetric(c/p, "confined/unconfined")
}

// BenchmarkRunWarm measures the "x + 1" round trip through Run, as
// BenchmarkExecuteWarm does through Execute, and with live writers (each
// cell starts and stops their two forwarding goroutines).
func BenchmarkRunWarm(b *testing.B) {
	for _, bc := range []struct {
		name string
		opts *session.CellOptions
	}{
		{name: "plain", opts: nil},
		{name: "live writers", opts: &session.CellOptions{Stdout: io.Discard, Stderr: io.Discard}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			m := newManager(b, nil)
			ctx := context.Background()
			if v := value(b, m, "", "x = 1\nx"); v != "1" {
				b.Fatalf("warm-up: %q", v)
			}
			ds := make([]time.Duration, 0, b.N)
			for b.Loop() {
				t0 := time.Now()
				res, err := m.Run(ctx, "", "x + 1", bc.opts)
				ds = append(ds, time.Since(t0))
				if err != nil || res.Value != "2" {
					b.Fatalf("%v %+v", err, res)
				}
			}
			reportMedian(b, ds)
		})
	}
}
