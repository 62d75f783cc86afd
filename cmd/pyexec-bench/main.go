// Command pyexec-bench measures pyexec against its physical baselines in one
// run and prints a table of ratios: each figure is taken interleaved with its
// baseline, so both see the same load on a shared, noisy machine.
//
//	go run ./cmd/pyexec-bench            # all rows
//	go run ./cmd/pyexec-bench -n 50      # more iterations per row
//
// Rows: the MCP tool call over stdio, executor's uv and system-python paths
// and a warm run with dependencies against bare interpreter starts; a
// stateful-session round trip; output-capture throughput; job-store
// operations on 10,000 records; each sandbox switch against an unrestricted
// run. It needs Python 3 and uv (the README's test
// command installs uv) and builds the example server with `go build`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// row is one line of the result table.
type row struct {
	name     string
	value    string // the measured figure (median)
	baseline string // what it is compared with, measured in the same run
	ratio    string
	goal     string
}

type suite struct {
	n      int
	python string
	uv     string
	tmp    string
	rows   []row
}

func main() {
	n := flag.Int("n", 30, "iterations per row (medians are reported)")
	jobs := flag.Int("jobs", 10000, "job records for the job-store rows")
	only := flag.String("only", "", "comma-separated row groups to run: mcp, executor, deps, session, capture, jobs, sandbox (default all)")
	flag.Parse()
	b, err := setup(*n)
	if err != nil {
		fmt.Fprintln(os.Stderr, "pyexec-bench:", err)
		os.Exit(1)
	}
	defer os.RemoveAll(b.tmp)
	groups := map[string]func(context.Context) error{
		"mcp":      b.mcpRows,
		"executor": b.executorRows,
		"deps":     b.depsRows,
		"session":  b.sessionRows,
		"capture":  b.captureRows,
		"jobs":     func(ctx context.Context) error { return b.jobRows(ctx, *jobs) },
		"sandbox":  b.sandboxRows,
	}
	order := []string{"mcp", "executor", "deps", "session", "capture", "jobs", "sandbox"}
	if *only != "" {
		order = strings.Split(*only, ",")
	}
	ctx := context.Background()
	failed := false
	for _, g := range order {
		f, ok := groups[g]
		if !ok {
			fmt.Fprintf(os.Stderr, "pyexec-bench: unknown group %q; use mcp, executor, deps, session, capture, jobs or sandbox\n", g)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stderr, "measuring %s…\n", g)
		if err := f(ctx); err != nil {
			fmt.Fprintf(os.Stderr, "pyexec-bench: %s: %v\n", g, err)
			failed = true
		}
	}
	b.print()
	if failed {
		os.Exit(1)
	}
}

func setup(n int) (*suite, error) {
	py, err := realPython()
	if err != nil {
		return nil, err
	}
	uv, err := exec.LookPath("uv")
	if err != nil {
		home, _ := os.UserHomeDir()
		uv = filepath.Join(home, ".local", "bin", "uv")
		if _, err := os.Stat(uv); err != nil {
			return nil, fmt.Errorf("uv not found; install it with `python3 -m pip install --user uv`")
		}
	}
	tmp, err := os.MkdirTemp("", "pyexec-bench-")
	if err != nil {
		return nil, err
	}
	return &suite{n: n, python: py, uv: uv, tmp: tmp}, nil
}

// realPython resolves python3 (possibly a pyenv shim) to the interpreter's
// own path once: a shim costs ~55 ms a start and would dwarf what we measure.
func realPython() (string, error) {
	if p := os.Getenv("PYEXEC_PYTHON"); p != "" {
		return p, nil
	}
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	if err != nil {
		return "", fmt.Errorf("python3 not found: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// pair runs base and cand alternately n times and returns their medians.
func (b *suite) pair(base, cand func() error) (time.Duration, time.Duration, error) {
	var bs, cs []time.Duration
	for range b.n {
		t0 := time.Now()
		if err := base(); err != nil {
			return 0, 0, fmt.Errorf("baseline: %w", err)
		}
		t1 := time.Now()
		if err := cand(); err != nil {
			return 0, 0, err
		}
		bs, cs = append(bs, t1.Sub(t0)), append(cs, time.Since(t1))
	}
	return median(bs), median(cs), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func (b *suite) addRatio(name string, cand, base time.Duration, baseName, goal string) {
	b.rows = append(b.rows, row{name: name, value: ms(cand), baseline: baseName + " " + ms(base),
		ratio: fmt.Sprintf("%.2f×", float64(cand)/float64(base)), goal: goal})
}

// bare spawns the interpreter with code, the baseline of every run row.
func (b *suite) bare(python, code string) func() error {
	return func() error { return exec.Command(python, "-c", code).Run() }
}

func (b *suite) print() {
	host, _ := os.Hostname()
	cpu := "unknown CPU"
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(l, "model name") {
				cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	out, _ := exec.Command(b.python, "-c", "import platform; print(platform.python_version())").Output()
	fmt.Printf("pyexec-bench — %s, %d CPUs, %s, Python %s, %d iterations a row, %s\n\n",
		cpu, numCPU(), host, strings.TrimSpace(string(out)), b.n, time.Now().UTC().Format("2006-01-02"))
	fmt.Println("| measurement | value | baseline (same run) | ratio | goal |")
	fmt.Println("|---|---|---|---|---|")
	for _, r := range b.rows {
		fmt.Printf("| %s | %s | %s | %s | %s |\n", r.name, r.value, r.baseline, r.ratio, r.goal)
	}
}

func numCPU() int {
	data, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return 0
	}
	return strings.Count(string(data), "processor\t:")
}
