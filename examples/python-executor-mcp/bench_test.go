package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
	"golang.org/x/sync/errgroup"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

// The three benchmarks compare one print(1) run: a tools/call through the
// built server over stdio, the executor called directly, and the bare
// interpreter spawned directly. Goal (issue 4): the MCP round trip within
// 1.3× the bare spawn.

func printScript(b *testing.B) string {
	p := filepath.Join(b.TempDir(), "print1.py")
	require.NoError(b, os.WriteFile(p, []byte("print(1)\n"), 0o600))
	return p
}

func BenchmarkToolCallStdio(b *testing.B) {
	cs, _ := stdioClient(b)
	dir := b.TempDir()
	for _, bc := range []struct {
		name string
		args map[string]any
	}{
		{"script_path", map[string]any{"directory": dir, "script_path": printScript(b), "use_uv": false}},
		{"script_content", map[string]any{"directory": dir, "script_content": "print(1)", "use_uv": false}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				res := callTool(b, cs, "run_script_in_dir", bc.args)
				if res.IsError || structured(b, res)["stdout"] != "1\n" {
					b.Fatal(textOf(res))
				}
			}
		})
	}
}

func BenchmarkExecutorDirect(b *testing.B) {
	ex, err := executor.New(&executor.Options{Python: testenv.Python(b), DataDir: b.TempDir()})
	require.NoError(b, err)
	req := &executor.Request{ScriptPath: printScript(b), Dir: b.TempDir()}
	ctx := context.Background()
	for b.Loop() {
		res, err := ex.Run(ctx, req)
		if err != nil || res.Stdout != "1\n" {
			b.Fatal(err, res)
		}
	}
}

func BenchmarkSpawnInterpreter(b *testing.B) {
	py := testenv.Python(b)
	script := printScript(b)
	for b.Loop() {
		out, err := exec.Command(py, script).Output()
		if err != nil || string(out) != "1\n" {
			b.Fatal(err, string(out))
		}
	}
}

// BenchmarkConcurrentSleeps measures the wall time of n concurrent
// run_script_in_dir calls of time.sleep(1) through the built server over
// stdio, with its default limit of scripts at once (issue 16: ten took
// 2.1 s under a limit of 8, the old Python server 1.13 s). Goal: ten take
// about as long as one; each op is one batch, so ns/op is its wall time.
func BenchmarkConcurrentSleeps(b *testing.B) {
	cs, _ := stdioClient(b)
	dir := b.TempDir()
	args := map[string]any{"directory": dir, "script_content": "import time\ntime.sleep(1)", "use_uv": false}
	callTool(b, cs, "run_script_in_dir", map[string]any{"directory": dir, "script_content": "pass", "use_uv": false}) // warm
	for _, n := range []int{1, 10} {
		b.Run(fmt.Sprintf("calls=%d", n), func(b *testing.B) {
			for b.Loop() {
				var g errgroup.Group
				for range n {
					g.Go(func() error {
						res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "run_script_in_dir", Arguments: args})
						if err != nil {
							return err
						}
						if m, _ := res.StructuredContent.(map[string]any); res.IsError || m["status"] != "completed" {
							return fmt.Errorf("%s", textOf(res))
						}
						return nil
					})
				}
				if err := g.Wait(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkFloodResponse measures what a synchronous run that prints a 64
// MiB flood costs its client, through the built server over stdio: the
// bytes of the whole JSON-RPC result (text and structured content) and of
// the text a model reads (issue 16: the old caps sent up to 1 MiB of each
// stream, twice). Each op is one run; wall time includes the flood.
func BenchmarkFloodResponse(b *testing.B) {
	cs, _ := stdioClient(b)
	flood := "import sys\nw = sys.stdout.write\nfor s in range(0, 6710886, 100000):\n    w(''.join(f'{i:09d}\\n' for i in range(s, min(6710886, s + 100000))))\n"
	for _, tokens := range []int{0, mcptools.MaxResponseTokens} {
		b.Run(fmt.Sprintf("max_response_tokens=%d", tokens), func(b *testing.B) {
			args := map[string]any{"directory": b.TempDir(), "use_uv": false, "script_content": flood, "max_response_tokens": tokens}
			var whole, text int
			for b.Loop() {
				res := callTool(b, cs, "run_script_in_dir", args)
				if res.IsError {
					b.Fatal(textOf(res))
				}
				j, err := json.Marshal(res)
				if err != nil {
					b.Fatal(err)
				}
				whole, text = len(j), len(textOf(res))
			}
			b.ReportMetric(float64(whole), "response-bytes")
			b.ReportMetric(float64(text), "text-bytes")
		})
	}
}
