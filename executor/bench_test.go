package executor

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pyexec-mcp/pyexec/bench"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// BenchmarkRunOverhead interleaves a bare interpreter spawn (`python -c
// pass`, the baseline) with executor.Run of the same empty program, so both
// see the same machine load, and reports Run's time as a multiple of the
// baseline ("x-bare"; goal for system-python: ≤ 1.1).
func BenchmarkRunOverhead(b *testing.B) {
	for _, useUV := range []bool{false, true} {
		name := "system-python"
		if useUV {
			name = "uv-run"
		}
		b.Run(name, func(b *testing.B) {
			py := testenv.Python(b)
			o := &Options{Python: py, TempDir: b.TempDir(), DataDir: b.TempDir()}
			if useUV {
				o.UV = testenv.UV(b)
			}
			e, err := New(o)
			if err != nil {
				b.Fatal(err)
			}
			req := &Request{Code: "pass", UseUV: useUV}
			if _, err := e.Run(context.Background(), req); err != nil { // warm caches
				b.Fatal(err)
			}
			var bare, run time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				if err := exec.Command(py, "-c", "pass").Run(); err != nil {
					b.Fatal(err)
				}
				t1 := time.Now()
				res, err := e.Run(context.Background(), req)
				if err != nil || res.ExitCode != 0 {
					b.Fatal(err, res)
				}
				run += time.Since(t1)
				bare += t1.Sub(t0)
			}
			b.ReportMetric(float64(bare.Microseconds())/float64(b.N)/1000, "bare-ms")
			b.ReportMetric(float64(run.Microseconds())/float64(b.N)/1000, "run-ms")
			b.ReportMetric(float64(run)/float64(bare), "x-bare")
		})
	}
}

// BenchmarkCapture512MiB streams 512 MiB of stdout through Run's capture
// and reports throughput (MB/s, goal ≥ 500) and the growth of this
// process's peak RSS while doing it ("rss-growth-MiB", goal < 32).
func BenchmarkCapture512MiB(b *testing.B) {
	e, err := New(&Options{Python: testenv.Python(b), TempDir: b.TempDir(), DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	const size = 512 << 20
	code := "import sys\nc = b'z' * (1 << 20)\nw = sys.stdout.buffer.write\nfor _ in range(512): w(c)\n"
	b.SetBytes(size)
	before, _ := bench.SelfPeakRSS()
	for b.Loop() {
		res, err := e.Run(context.Background(), &Request{Code: code})
		if err != nil || res.ExitCode != 0 || res.StdoutOmitted != size-DefaultOutputCap {
			b.Fatal(err, res.Stderr)
		}
	}
	after, _ := bench.SelfPeakRSS()
	b.ReportMetric(float64(after-before)/(1<<20), "rss-growth-MiB")
}

// benchWheels writes the offline index the dependency benchmarks use.
func benchWheels(b *testing.B) (*Executor, []string) {
	wheels := b.TempDir()
	writeWheel(b, wheels, "pyexecdemo", "1.0.0")
	writeWheel(b, wheels, "pyexecdemo", "1.5.0")
	uvArgs := []string{"--offline", "--no-index", "--find-links", wheels}
	e, err := New(&Options{Python: testenv.Python(b), UV: testenv.UV(b), TempDir: b.TempDir(), DataDir: b.TempDir(),
		UVArgs: uvArgs, UVCacheDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	return e, uvArgs
}

// BenchmarkWarmDependencies compares a warm run with a dependency range
// (resolution cached, environment cached) against running the same script
// with the prepared environment's interpreter directly ("x-venv"; goal ≤ 1.3).
func BenchmarkWarmDependencies(b *testing.B) {
	e, _ := benchWheels(b)
	req := &Request{UseUV: true, Code: demoCode, Dependencies: []string{"pyexecdemo>=1,<2"}}
	res, err := e.Run(context.Background(), req)
	if err != nil || res.ExitCode != 0 {
		b.Fatal(err, res)
	}
	script := filepath.Join(b.TempDir(), "s.py")
	if err := os.WriteFile(script, []byte(demoCode), 0o600); err != nil {
		b.Fatal(err)
	}
	venvPython := filepath.Join(res.Environment.Path, "bin", "python")
	var bare, run time.Duration
	for b.Loop() {
		t0 := time.Now()
		if out, err := exec.Command(venvPython, script).Output(); err != nil || string(out) != "1.5.0\n" {
			b.Fatal(err, string(out))
		}
		t1 := time.Now()
		res, err := e.Run(context.Background(), req)
		if err != nil || res.Stdout != "1.5.0\n" || !res.Environment.Cached {
			b.Fatal(err, res)
		}
		run += time.Since(t1)
		bare += t1.Sub(t0)
	}
	b.ReportMetric(float64(bare.Microseconds())/float64(b.N)/1000, "venv-ms")
	b.ReportMetric(float64(run.Microseconds())/float64(b.N)/1000, "run-ms")
	b.ReportMetric(float64(run)/float64(bare), "x-venv")
}

// BenchmarkColdDependencies compares a cold run — a requirement set neither
// side has seen (a new distribution each time), with a shared warm uv cache
// as on a machine in use — against plain `uv run --with` of the same kind of
// set ("x-uvrun"; goal ≤ 1.0).
func BenchmarkColdDependencies(b *testing.B) {
	e, uvArgs := benchWheels(b)
	wheels := uvArgs[len(uvArgs)-1]
	uv := testenv.UV(b)
	i := 0
	fresh := func(side string) string {
		name := fmt.Sprintf("pyexeccold%s%d", side, i)
		writeWheel(b, wheels, name, "1.0.0")
		return name
	}
	var plain, run time.Duration
	for b.Loop() {
		i++
		a, c := fresh("a"), fresh("b")
		args := append([]string{"run", "--no-project", "--isolated", "--no-config", "--python", e.opts.Python}, uvArgs...)
		cmd := exec.Command(uv, append(args, "--with", a+">=1", "--", "python", "-c", "import "+a)...)
		cmd.Env = append(os.Environ(), "UV_CACHE_DIR="+e.opts.UVCacheDir, "UV_PYTHON_DOWNLOADS=never")
		t0 := time.Now()
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatal(err, string(out))
		}
		t1 := time.Now()
		res, err := e.Run(context.Background(), &Request{UseUV: true, Code: "import " + c, Dependencies: []string{c + ">=1"}})
		if err != nil || res.ExitCode != 0 || res.Environment.Cached {
			b.Fatal(err, res)
		}
		run += time.Since(t1)
		plain += t1.Sub(t0)
	}
	b.ReportMetric(float64(plain.Microseconds())/float64(b.N)/1000, "uvrun-ms")
	b.ReportMetric(float64(run.Microseconds())/float64(b.N)/1000, "cold-ms")
	b.ReportMetric(float64(run)/float64(plain), "x-uvrun")
}
