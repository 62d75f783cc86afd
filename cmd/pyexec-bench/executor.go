package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/pyexec-mcp/pyexec/bench"
	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

func (b *suite) executor(dir string, uvArgs []string) (*executor.Executor, error) {
	return b.executorWithCache(dir, uvArgs, filepath.Join(b.tmp, "uv-cache"))
}

func (b *suite) executorWithCache(dir string, uvArgs []string, cache string) (*executor.Executor, error) {
	return executor.New(&executor.Options{Python: b.python, UV: b.uv, DataDir: filepath.Join(b.tmp, dir),
		TempDir: b.tmp, UVArgs: uvArgs, UVCacheDir: cache})
}

func runOK(ctx context.Context, e *executor.Executor, req *executor.Request, want string) error {
	res, err := e.Run(ctx, req)
	if err != nil {
		return err
	}
	if res.ExitCode != 0 || res.Stdout != want {
		return fmt.Errorf("exit %d, stdout %q, stderr %q", res.ExitCode, res.Stdout, res.Stderr)
	}
	return nil
}

// executorRows: executor.Run with use_uv (warm cached environment) and with
// the system interpreter, each against a bare start of the interpreter.
func (b *suite) executorRows(ctx context.Context) error {
	e, err := b.executor("exec", nil)
	if err != nil {
		return err
	}
	for _, useUV := range []bool{true, false} {
		req := &executor.Request{Code: "pass", UseUV: useUV}
		res, err := e.Run(ctx, req) // builds the cached environment
		if err != nil {
			return err
		}
		if useUV {
			// The physical limit of what runs: the environment's own
			// interpreter (no site-packages), started bare.
			envPython := pyfind.VenvPython(res.Environment.Path)
			base, cand, err := b.pair(b.bare(envPython, "pass"), func() error { return runOK(ctx, e, req, "") })
			if err != nil {
				return err
			}
			b.addRatio("executor.Run, use_uv, no dependencies (warm)", cand, base, "env's python -c pass", "≤ 1.3×")
		}
		base, cand, err := b.pair(b.bare(b.python, "pass"), func() error { return runOK(ctx, e, req, "") })
		if err != nil {
			return err
		}
		if useUV {
			b.addRatio("executor.Run, use_uv, no dependencies (warm)", cand, base, "base python -c pass", "≤ 1.3×")
		} else {
			b.addRatio("executor.Run, system python", cand, base, "python -c pass", "≤ 1.1×")
		}
	}
	return nil
}

// depsRows: a warm run with a dependency range against the prepared
// environment's interpreter running the same script; and a cold run against
// plain `uv run --with`, both with a new uv cache.
func (b *suite) depsRows(ctx context.Context) error {
	wheels := filepath.Join(b.tmp, "wheels")
	if err := os.MkdirAll(wheels, 0o700); err != nil {
		return err
	}
	for _, v := range []string{"1.0.0", "1.5.0"} {
		if _, err := testenv.WriteWheel(wheels, testenv.Wheel{Name: "pyexecdemo", Version: v}); err != nil {
			return err
		}
	}
	uvArgs := []string{"--offline", "--no-index", "--find-links", wheels}
	e, err := b.executor("deps", uvArgs)
	if err != nil {
		return err
	}
	code := "import pyexecdemo; print(pyexecdemo.__version__)"
	req := &executor.Request{Code: code, UseUV: true, Dependencies: []string{"pyexecdemo>=1,<2"}}
	res, err := e.Run(ctx, req)
	if err != nil {
		return err
	}
	venvPython := pyfind.VenvPython(res.Environment.Path)
	script := filepath.Join(b.tmp, "deps.py")
	if err := os.WriteFile(script, []byte(code), 0o600); err != nil {
		return err
	}
	base, cand, err := b.pair(func() error { return exec.Command(venvPython, script).Run() },
		func() error { return runOK(ctx, e, req, "1.5.0\n") })
	if err != nil {
		return err
	}
	b.addRatio("executor.Run with a dependency range (warm)", cand, base, "prepared venv's python", "≤ 1.3×")

	// Cold: a requirement set neither side has seen (a new distribution
	// for each run of each side), with a shared, warm uv cache (as on a
	// machine in use): resolve, create, install, run.
	cache := filepath.Join(b.tmp, "cold-uv-cache")
	cold, err := b.executorWithCache("deps-cold", uvArgs, cache)
	if err != nil {
		return err
	}
	i := 0
	fresh := func(side string) (string, error) {
		name := fmt.Sprintf("pyexeccold%s%d", side, i)
		_, err := testenv.WriteWheel(wheels, testenv.Wheel{Name: name, Version: "1.0.0"})
		return name, err
	}
	base, cand, err = b.pair(func() error {
		i++
		name, err := fresh("a")
		if err != nil {
			return err
		}
		args := append([]string{"run", "--no-project", "--isolated", "--no-config", "--python", b.python}, uvArgs...)
		cmd := exec.Command(b.uv, append(args, "--with", name+">=1", "--", "python", "-c", "import "+name)...)
		cmd.Env = append(os.Environ(), "UV_CACHE_DIR="+cache, "UV_PYTHON_DOWNLOADS=never")
		return cmd.Run()
	}, func() error {
		name, err := fresh("b")
		if err != nil {
			return err
		}
		res, err := cold.Run(ctx, &executor.Request{Code: "import " + name, UseUV: true, Dependencies: []string{name + ">=1"}})
		if err != nil {
			return err
		}
		if res.ExitCode != 0 || res.Environment.Cached {
			return fmt.Errorf("cold run: exit %d, cached %v: %s", res.ExitCode, res.Environment.Cached, res.Stderr)
		}
		return nil
	})
	if err != nil {
		return err
	}
	b.addRatio("executor.Run with a new requirement set (cold, warm uv cache)", cand, base, "uv run --with (same)", "≤ 1.0×")
	return nil
}

// captureRows: 512 MiB through Run's output capture.
func (b *suite) captureRows(ctx context.Context) error {
	e, err := b.executor("capture", nil)
	if err != nil {
		return err
	}
	const size = 512 << 20
	code := "import sys\nc = b'z' * (1 << 20)\nw = sys.stdout.buffer.write\nfor _ in range(512): w(c)\n"
	before, _ := bench.SelfPeakRSS()
	var best time.Duration
	for i := range max(3, b.n/10) {
		t0 := time.Now()
		res, err := e.Run(ctx, &executor.Request{Code: code})
		if err != nil {
			return err
		}
		if res.StdoutOmitted != size-executor.DefaultOutputCap {
			return fmt.Errorf("captured %d bytes omitted, want %d", res.StdoutOmitted, size-executor.DefaultOutputCap)
		}
		if d := time.Since(t0); i == 0 || d < best {
			best = d
		}
	}
	after, _ := bench.SelfPeakRSS()
	b.rows = append(b.rows,
		row{name: "output capture, 512 MiB stream", value: fmt.Sprintf("%.0f MB/s", float64(size)/best.Seconds()/1e6),
			baseline: "—", ratio: "—", goal: "≥ 500 MB/s"},
		row{name: "server RSS growth during capture", value: fmt.Sprintf("%.1f MiB", float64(after-before)/(1<<20)),
			baseline: "—", ratio: "—", goal: "< 32 MiB"})
	return nil
}
