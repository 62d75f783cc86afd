package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
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
