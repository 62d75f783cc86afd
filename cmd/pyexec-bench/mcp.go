package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/pyfind"
)

// mcpRows: a whole tools/call round trip over stdio to the example server
// (client → JSON-RPC → server → executor → Python → back) against calling
// executor directly and against a bare interpreter start.
func (b *suite) mcpRows(ctx context.Context) error {
	bin := filepath.Join(b.tmp, "python-executor-mcp")
	build := exec.Command("go", "build", "-o", bin, "github.com/pyexec-mcp/pyexec/examples/python-executor-mcp")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build the example server: %w", err)
	}
	server := exec.Command(bin, "serve", "--data-dir", filepath.Join(b.tmp, "mcp-data"), "--python", b.python, "--uv", b.uv, "--log-level", "error")
	client := mcp.NewClient(&mcp.Implementation{Name: "pyexec-bench", Version: "1"}, nil)
	cs, err := client.Connect(ctx, &mcp.CommandTransport{Command: server}, nil)
	if err != nil {
		return fmt.Errorf("connect to the example server: %w", err)
	}
	defer cs.Close()
	call := func() error {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "run_script_in_dir", Arguments: map[string]any{
			"directory": b.tmp, "script_content": "print(1)", "markdown_output": false,
		}})
		if err != nil {
			return err
		}
		if res.IsError {
			return fmt.Errorf("tool error: %+v", res.Content)
		}
		if sc, ok := res.StructuredContent.(map[string]any); !ok || sc["stdout"] != "1\n" {
			return fmt.Errorf("unexpected result %+v", res.StructuredContent)
		}
		return nil
	}
	if err := call(); err != nil { // builds the server's cached environment
		return err
	}
	base, cand, err := b.pair(b.bare(b.python, "print(1)"), call)
	if err != nil {
		return err
	}
	b.addRatio("MCP tools/call over stdio, `print(1)`, use_uv (warm)", cand, base, "base python -c 'print(1)'", "≤ 1.3×")

	e, err := b.executor("mcp-direct", nil)
	if err != nil {
		return err
	}
	req := &executor.Request{Code: "print(1)", UseUV: true, Dir: b.tmp}
	res, err := e.Run(ctx, req)
	if err != nil {
		return err
	}
	// The physical limit: the environment's own interpreter, started bare.
	envPython := pyfind.VenvPython(res.Environment.Path)
	base, cand, err = b.pair(b.bare(envPython, "print(1)"), call)
	if err != nil {
		return err
	}
	b.addRatio("MCP tools/call over stdio, `print(1)`, use_uv (warm)", cand, base, "env's python -c 'print(1)'", "≤ 1.3×")

	base, cand, err = b.pair(func() error { return runOK(ctx, e, req, "1\n") }, call)
	if err != nil {
		return err
	}
	b.addRatio("MCP tools/call over stdio vs executor.Run directly", cand, base, "executor.Run", "—")
	return nil
}
