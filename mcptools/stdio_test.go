package mcptools_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

// rawStdio is a client that speaks newline-delimited JSON-RPC by hand, to
// send what no SDK client would.
type rawStdio struct {
	t   *testing.T
	in  io.Writer
	out *bufio.Scanner
}

func (c *rawStdio) send(line string) {
	c.t.Helper()
	_, err := io.WriteString(c.in, line+"\n")
	require.NoError(c.t, err)
}

// next reads the next message the server sends, skipping notifications.
func (c *rawStdio) next() map[string]any {
	c.t.Helper()
	for c.out.Scan() {
		var m map[string]any
		require.NoError(c.t, json.Unmarshal(c.out.Bytes(), &m), c.out.Text())
		if _, ok := m["method"]; ok && m["id"] == nil {
			continue // a notification
		}
		return m
	}
	c.t.Fatalf("the server closed stdout: %v", c.out.Err())
	return nil
}

func (c *rawStdio) call(id int, method string, params any) map[string]any {
	c.t.Helper()
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": id, "method": method, "params": params})
	require.NoError(c.t, err)
	c.send(string(b))
	m := c.next()
	require.EqualValues(c.t, id, m["id"], "%v", m)
	require.Nil(c.t, m["error"], "%v", m)
	return m["result"].(map[string]any)
}

// TestStdioSurvivesBadFrames: after initialize, every class of bad line
// that used to end the stdio session gets its JSON-RPC error with id null,
// and the session goes on: a job started before keeps running and the next
// call works (issue 12).
func TestStdioSurvivesBadFrames(t *testing.T) {
	t.Parallel()
	ex, err := executor.New(&executor.Options{Python: testenv.Python(t), TempDir: t.TempDir(), DataDir: t.TempDir()})
	require.NoError(t, err)
	ts, err := mcptools.New(t.Context(), &mcptools.Options{Executor: ex, DataDir: t.TempDir()})
	require.NoError(t, err)
	server := mcp.NewServer(&mcp.Implementation{Name: "t", Version: "v0"}, ts.ServerOptions(nil))
	ts.Register(server)
	stdinR, stdinW := io.Pipe()
	stdoutR, stdoutW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- server.Run(ctx, mcptools.StdioTransport(stdinR, stdoutW, nil)) }()
	t.Cleanup(func() {
		require.NoError(t, ts.Close())
		cancel()
		stdinW.Close()
		<-done
		stdoutR.Close()
	})
	sc := bufio.NewScanner(stdoutR)
	sc.Buffer(nil, 32<<20)
	c := &rawStdio{t: t, in: stdinW, out: sc}
	c.call(1, "initialize", map[string]any{"protocolVersion": "2025-06-18", "capabilities": map[string]any{},
		"clientInfo": map[string]any{"name": "raw", "version": "v0"}})
	c.send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	job := c.call(2, "tools/call", map[string]any{"name": "run_script_in_dir_async", "arguments": map[string]any{
		"directory": t.TempDir(), "use_uv": false, "script_content": "import time; time.sleep(60)"}})
	jobID := job["structuredContent"].(map[string]any)["job_id"].(string)

	bad := []struct {
		name, line string
		code       float64
	}{
		{"not JSON", `not json`, -32700},
		{"truncated JSON", `{"jsonrpc":"2.0","id":3,"method":`, -32700},
		{"no jsonrpc member", `{"id":4,"method":"tools/list"}`, -32600},
		{"wrong jsonrpc version", `{"jsonrpc":"1.0","id":4,"method":"tools/list"}`, -32600},
		{"a batch", `[{"jsonrpc":"2.0","id":5,"method":"tools/list"}]`, -32600},
		{"an object as id", `{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}`, -32600},
		{"1e400 as id", `{"jsonrpc":"2.0","id":1e400,"method":"tools/list"}`, -32600},
		{"a fraction as id", `{"jsonrpc":"2.0","id":1.5,"method":"tools/list"}`, -32600},
		{"null as id", `{"jsonrpc":"2.0","id":null,"method":"tools/list"}`, -32600},
		{"a string", `"hello"`, -32600},
		{"method not a string", `{"jsonrpc":"2.0","id":6,"method":7}`, -32600},
		{"nesting deeper than 1000", `{"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"x":` + strings.Repeat("[", 1200) + strings.Repeat("]", 1200) + `}}`, -32600},
		{"over 16 MiB", `{"jsonrpc":"2.0","id":8,"method":"tools/list","params":{"x":"` + strings.Repeat("x", mcptools.MaxFrameBytes) + `"}}`, -32600},
	}
	for _, b := range bad {
		c.send(b.line)
		m := c.next()
		require.Nil(t, m["id"], "%s: %v", b.name, m)
		e, ok := m["error"].(map[string]any)
		require.True(t, ok, "%s: %v", b.name, m)
		require.Equal(t, b.code, e["code"], "%s: %v", b.name, e)
		require.NotEmpty(t, e["message"], b.name)
	}
	c.send("") // a blank line is nothing, not an error
	list := c.call(9, "tools/list", map[string]any{})
	require.NotEmpty(t, list["tools"])
	st := c.call(10, "tools/call", map[string]any{"name": "py_job_status", "arguments": map[string]any{"job_id": jobID}})
	require.Equal(t, "running", st["structuredContent"].(map[string]any)["job"].(map[string]any)["status"], "the job survived")
	select {
	case err := <-done:
		t.Fatalf("the session ended: %v", err)
	case <-time.After(10 * time.Millisecond): // still serving; not a measurement
	}
}
