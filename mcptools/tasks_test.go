package mcptools_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// serveHTTP serves h's server through mcptools.HTTPHandler on loopback and
// returns its URL.
func (h *harness) serveHTTP(opts *mcptools.HTTPOptions) string {
	srv := httptest.NewServer(mcptools.HTTPHandler(h.server, opts))
	h.t.Cleanup(srv.Close)
	return srv.URL
}

// rpcClient speaks raw JSON-RPC to an HTTP endpoint as a 2026-07-28
// client: every request carries the version, the client's capabilities
// (the Tasks extension with tasks) and the routing headers. The SDK's client
// has no tasks: a CreateTaskResult must be read as it is on the wire.
type rpcClient struct {
	t     *testing.T
	url   string
	tasks bool // declare the Tasks extension
	id    atomic.Int64
}

type rpcError struct {
	Code    int64           `json:"code"`
	Message string          `json:"message"`
	Data    json.RawMessage `json:"data"`
}

type rpcResponse struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *rpcError       `json:"error"`
}

// call sends one request and returns its response (the last JSON-RPC
// response of an SSE stream). Under 2026-07-28 some errors come with an
// HTTP status (invalid params: 400); a result comes with 200.
func (c *rpcClient) call(method string, params map[string]any) rpcResponse {
	c.t.Helper()
	status, resp := c.post(method, params, nil)
	if resp.Error == nil {
		require.Equal(c.t, http.StatusOK, status, "%s: %+v", method, resp)
	}
	return resp
}

func (c *rpcClient) post(method string, params map[string]any, header http.Header) (int, rpcResponse) {
	c.t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	caps := map[string]any{}
	if c.tasks {
		caps["extensions"] = map[string]any{mcptools.TasksExtension: map[string]any{}}
	}
	params["_meta"] = map[string]any{
		"io.modelcontextprotocol/protocolVersion":    "2026-07-28",
		"io.modelcontextprotocol/clientInfo":         map[string]any{"name": "raw-test-client", "version": "v0"},
		"io.modelcontextprotocol/clientCapabilities": caps,
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": c.id.Add(1), "method": method, "params": params})
	require.NoError(c.t, err)
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("MCP-Protocol-Version", "2026-07-28")
	req.Header.Set("Mcp-Method", method)
	switch {
	case method == "tools/call":
		req.Header.Set("Mcp-Name", params["name"].(string))
	case strings.HasPrefix(method, "tasks/"):
		req.Header.Set("Mcp-Name", params["taskId"].(string))
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer res.Body.Close()
	return res.StatusCode, readResponse(c.t, res)
}

// readResponse reads a JSON body or the last response of an SSE stream.
func readResponse(t *testing.T, res *http.Response) rpcResponse {
	t.Helper()
	var out rpcResponse
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		if json.Unmarshal(b, &out) != nil {
			out.Error = &rpcError{Message: "not JSON-RPC: " + string(b)}
		}
		return out
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(nil, 16<<20)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var r rpcResponse
		if json.Unmarshal([]byte(data), &r) == nil && len(r.ID) > 0 {
			out = r
		}
	}
	return out
}

// task is the Tasks extension's task as a client reads it.
type task struct {
	ResultType    string          `json:"resultType"`
	TaskID        string          `json:"taskId"`
	Status        string          `json:"status"`
	StatusMessage string          `json:"statusMessage"`
	CreatedAt     string          `json:"createdAt"`
	LastUpdatedAt string          `json:"lastUpdatedAt"`
	TTLMs         *int64          `json:"ttlMs"`
	PollInterval  int64           `json:"pollIntervalMs"`
	Result        json.RawMessage `json:"result"`
	Error         *rpcError       `json:"error"`
}

func (c *rpcClient) task(resp rpcResponse) task {
	c.t.Helper()
	require.Nil(c.t, resp.Error, "JSON-RPC error")
	var tk task
	require.NoError(c.t, json.Unmarshal(resp.Result, &tk))
	return tk
}

// pollTask polls tasks/get until the task is no longer working.
func (c *rpcClient) pollTask(id string, seen func(task)) task {
	c.t.Helper()
	var tk task
	testenv.PollUntil(c.t, "task "+id+" to finish", func() bool {
		tk = c.task(c.call("tasks/get", map[string]any{"taskId": id}))
		require.Equal(c.t, "complete", tk.ResultType)
		if seen != nil {
			seen(tk)
		}
		return tk.Status != "working"
	})
	return tk
}

const countScript = `import sys, time
for i in range(%d):
    print("line", i, flush=True)
    time.sleep(0.1)
print("done", flush=True)
`

func TestTaskOutlivesBudget(t *testing.T) {
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) { o.Budget = 300 * time.Millisecond }})
	c := &rpcClient{t: t, url: h.serveHTTP(nil), tasks: true}
	resp := c.call("tools/call", map[string]any{"name": "run_script_in_dir", "arguments": map[string]any{
		"directory": t.TempDir(), "use_uv": false, "script_content": fmt.Sprintf(countScript, 15), "markdown_output": false,
	}})
	created := c.task(resp)
	require.Equal(t, "task", created.ResultType)
	require.Equal(t, "working", created.Status)
	require.NotEmpty(t, created.TaskID)
	require.Nil(t, created.TTLMs, "jobs are kept until pruned: ttlMs null")
	require.Positive(t, created.PollInterval)

	var messages []string
	done := c.pollTask(created.TaskID, func(tk task) { messages = append(messages, tk.StatusMessage) })
	require.Equal(t, "completed", done.Status, done.StatusMessage)
	require.Contains(t, strings.Join(messages, "\n"), "last output: line", "a working task reports its last output line")

	var res mcp.CallToolResult
	require.NoError(t, json.Unmarshal(done.Result, &res))
	require.False(t, res.IsError)
	var run mcptools.RunResult
	b, _ := json.Marshal(res.StructuredContent)
	require.NoError(t, json.Unmarshal(b, &run))
	require.Equal(t, "completed", run.Status)
	require.Equal(t, created.TaskID, run.JobID)
	require.NotNil(t, run.ExitCode)
	require.Equal(t, 0, *run.ExitCode)
	require.Contains(t, run.Stdout, "line 14\ndone")
	require.Contains(t, text(&res), `"status": "completed"`, "markdown_output=false: the text is the JSON, as within the budget")

	// The task is the job: the job tools see it.
	info := h.jobStatus(created.TaskID)
	require.Equal(t, "completed", info.Status)
}

func TestTaskAsyncModeAndCancel(t *testing.T) {
	h := newHarness(t, nil)
	c := &rpcClient{t: t, url: h.serveHTTP(nil), tasks: true}
	pidFile := filepath.Join(t.TempDir(), "pids")
	created := c.task(c.call("tools/call", map[string]any{"name": "run_script_in_dir", "arguments": map[string]any{
		"directory": t.TempDir(), "use_uv": false, "script_content": treeScript, "args": []string{pidFile}, "async_mode": true,
	}}))
	require.Equal(t, "task", created.ResultType, "async_mode: a task at once")
	pids := readPIDs(t, pidFile, 2)

	ack := c.call("tasks/cancel", map[string]any{"taskId": created.TaskID})
	require.Nil(t, ack.Error)
	require.JSONEq(t, `{"resultType":"complete"}`, stripMeta(t, ack.Result))
	testenv.RequireGone(t, pids...)
	tk := c.pollTask(created.TaskID, nil)
	require.Equal(t, "cancelled", tk.Status)

	// Idempotent on a terminal task.
	require.Nil(t, c.call("tasks/cancel", map[string]any{"taskId": created.TaskID}).Error)
	require.Equal(t, "cancelled", c.task(c.call("tasks/get", map[string]any{"taskId": created.TaskID})).Status)
	require.Nil(t, c.call("tasks/update", map[string]any{"taskId": created.TaskID, "inputResponses": map[string]any{"x": map[string]any{}}}).Error,
		"responses to keys that are not outstanding are ignored")
}

func stripMeta(t *testing.T, raw json.RawMessage) string {
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	delete(m, "_meta")
	b, _ := json.Marshal(m)
	return string(b)
}

func TestTaskErrors(t *testing.T) {
	h := newHarness(t, nil)
	url := h.serveHTTP(nil)
	c := &rpcClient{t: t, url: url, tasks: true}

	r := c.call("tasks/get", map[string]any{"taskId": "0000000000000fffff"})
	require.NotNil(t, r.Error)
	require.EqualValues(t, -32602, r.Error.Code)
	require.Contains(t, r.Error.Message, `"0000000000000fffff" not found`)

	// A client that did not declare the extension: no tasks, and a
	// capability error for the tasks methods.
	plain := &rpcClient{t: t, url: url}
	r = plain.call("tasks/get", map[string]any{"taskId": "x"})
	require.NotNil(t, r.Error)
	require.EqualValues(t, mcp.CodeMissingRequiredClientCapabilities, r.Error.Code)
	require.Contains(t, string(r.Error.Data), mcptools.TasksExtension)
	res := plain.call("tools/call", map[string]any{"name": "run_script_in_dir", "arguments": map[string]any{
		"directory": t.TempDir(), "use_uv": false, "script_content": "print('hi')", "async_mode": true,
	}})
	require.Nil(t, res.Error)
	require.NotContains(t, string(res.Result), `"resultType":"task"`)
	require.Contains(t, string(res.Result), `"job_id"`, "without the extension: today's job result")

	// Mcp-Name must name the task.
	status, r := c.post("tasks/get", map[string]any{"taskId": "abc"}, http.Header{"Mcp-Name": {"other"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.NotNil(t, r.Error)
	require.EqualValues(t, mcp.CodeHeaderMismatch, r.Error.Code)
	require.Contains(t, r.Error.Message, "Mcp-Name")
	require.Equal(t, fmt.Sprint(c.id.Load()), string(r.ID), "the error answers the request: its id")

	// A tool error is the tool's result, never a task.
	r = c.call("tools/call", map[string]any{"name": "run_script_in_dir", "arguments": map[string]any{
		"directory": "/nonexistent-dir", "use_uv": false, "script_content": "print(1)", "async_mode": true,
	}})
	require.Nil(t, r.Error)
	require.Contains(t, string(r.Result), `"isError":true`)
}

func TestHTTPOversizedBodyIsJSONRPC(t *testing.T) {
	h := newHarness(t, nil)
	url := h.serveHTTP(&mcptools.HTTPOptions{MaxRequestBytes: 1 << 10})
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"`+strings.Repeat("a", 2<<10)+`"}}`))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	r := readResponse(t, res)
	require.NotNil(t, r.Error)
	require.EqualValues(t, -32600, r.Error.Code)
	require.Contains(t, r.Error.Message, "1024 bytes")
	require.Equal(t, "null", string(r.ID))
}

// TestHTTPBothEras serves a 2026-07-28 client (stateless) and a 2025-11-25
// client (a session) on one endpoint: both call tools and follow a job's
// stream, the first through subscriptions/listen, the second through
// resources/subscribe.
func TestHTTPBothEras(t *testing.T) {
	h := newHarness(t, nil)
	url := h.serveHTTP(nil)
	type client struct {
		cs      *mcp.ClientSession
		mu      sync.Mutex
		updated []string
	}
	connect := func(version string) *client {
		c := &client{}
		cl := mcp.NewClient(&mcp.Implementation{Name: "era-" + version, Version: "v0"}, &mcp.ClientOptions{
			ResourceUpdatedHandler: func(_ context.Context, req *mcp.ResourceUpdatedNotificationRequest) {
				c.mu.Lock()
				c.updated = append(c.updated, req.Params.URI)
				c.mu.Unlock()
			},
		})
		var err error
		c.cs, err = cl.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url}, &mcp.ClientSessionOptions{ProtocolVersion: version})
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.cs.Close() })
		require.Equal(t, version, c.cs.InitializeResult().ProtocolVersion)
		return c
	}
	modern, legacy := connect("2026-07-28"), connect("2025-11-25")
	require.Contains(t, modern.cs.InitializeResult().Capabilities.Extensions, mcptools.TasksExtension, "server/discover announces the Tasks extension")
	require.Contains(t, legacy.cs.InitializeResult().Capabilities.Extensions, mcptools.TasksExtension)
	tools, err := modern.cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	require.Equal(t, 300_000, tools.TTLMs, "the tool list is fixed for the process: cacheable")
	require.Equal(t, "public", tools.CacheScope)

	for _, c := range []*client{modern, legacy} {
		res, err := c.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "run_script_in_dir", Arguments: map[string]any{
			"directory": t.TempDir(), "use_uv": false, "script_content": "print('hello from', 6*7)",
		}})
		require.NoError(t, err)
		require.False(t, res.IsError, text(res))
		require.Contains(t, text(res), "hello from 42")
	}

	// One job, followed by both clients.
	release := filepath.Join(t.TempDir(), "release")
	res, err := legacy.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "run_script_in_dir_async", Arguments: map[string]any{
		"directory": t.TempDir(), "use_uv": false, "args": []string{release},
		"script_content": "import os, sys, time\nprint('waiting', flush=True)\nwhile not os.path.exists(sys.argv[1]): time.sleep(0.02)\nprint('released')\n",
	}})
	require.NoError(t, err)
	var started mcptools.AsyncStarted
	decode(t, res, &started)
	uri := mcptools.JobStreamURI(started.JobID)
	for _, c := range []*client{modern, legacy} {
		require.NoError(t, c.cs.Subscribe(context.Background(), &mcp.SubscribeParams{URI: uri}))
	}
	require.NoError(t, writeFile(release))
	for name, c := range map[string]*client{"2026-07-28 (subscriptions/listen)": modern, "2025-11-25 (resources/subscribe)": legacy} {
		testenv.PollUntil(t, "a job-stream update for the "+name+" client", func() bool {
			c.mu.Lock()
			defer c.mu.Unlock()
			return len(c.updated) > 0 && c.updated[len(c.updated)-1] == uri
		})
	}
	h.waitJob(started.JobID)
	rr, err := modern.cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
	require.NoError(t, err)
	require.Contains(t, rr.Contents[0].Text, "released")
	require.Equal(t, 0, rr.TTLMs, "a job stream changes: never cached")
	require.Equal(t, "private", rr.CacheScope)
}

func writeFile(path string) error { return os.WriteFile(path, nil, 0o600) }

// TestTaskOutcomesOfSmartTool: a task of a custom smart tool ends as SEP-2663
// says — the work's own error is a completed task whose result is the tool
// error, a panic is a failed task with a JSON-RPC error and no result.
func TestTaskOutcomesOfSmartTool(t *testing.T) {
	h := newHarness(t, nil)
	type args struct {
		Outcome string `json:"outcome"`
		mcptools.SmartArgs
	}
	mcptools.AddSmartTool(h.ts, h.server, mcptools.SmartTool[args, string]{
		Tool: &mcp.Tool{Name: "outcome"},
		Work: func(_ context.Context, job *smartasync.Job[args]) (string, error) {
			switch job.Input.Outcome {
			case "error":
				return "", errors.New("the input was wrong")
			case "panic":
				panic("a bug")
			}
			return "fine", nil
		},
	})
	c := &rpcClient{t: t, url: h.serveHTTP(nil), tasks: true}
	start := func(outcome string) task {
		created := c.task(c.call("tools/call", map[string]any{"name": "outcome", "arguments": map[string]any{"outcome": outcome, "async_mode": true}}))
		require.Equal(t, "task", created.ResultType)
		return c.pollTask(created.TaskID, nil)
	}

	tk := start("error")
	require.Equal(t, "completed", tk.Status, "a tool error is a completed task")
	require.Nil(t, tk.Error)
	var res mcp.CallToolResult
	require.NoError(t, json.Unmarshal(tk.Result, &res))
	require.True(t, res.IsError)
	require.Equal(t, "the input was wrong", text(&res))
	require.Contains(t, tk.StatusMessage, "the input was wrong")
	require.Equal(t, "failed", h.jobStatus(tk.TaskID).Status, "the job tools still say failed")

	tk = start("panic")
	require.Equal(t, "failed", tk.Status, "a panic is a protocol-level failure")
	require.Nil(t, tk.Result)
	require.NotNil(t, tk.Error)
	require.EqualValues(t, -32603, tk.Error.Code)
	require.Contains(t, tk.Error.Message, "panic: a bug")

	tk = start("ok")
	require.Equal(t, "completed", tk.Status)
	require.NoError(t, json.Unmarshal(tk.Result, &res))
	require.False(t, res.IsError)
}

// TestTaskOfCell: a cell that continues as a job is a task for a client of
// the extension; the completed task carries the cell's result.
func TestTaskOfCell(t *testing.T) {
	t.Parallel()
	h, _ := sessionHarness(t, false)
	c := &rpcClient{t: t, url: h.serveHTTP(nil), tasks: true}
	created := c.task(c.call("tools/call", map[string]any{"name": "execute_python", "arguments": map[string]any{"code": "print('hi')\n6 * 7", "async_mode": true}}))
	require.Equal(t, "task", created.ResultType)
	done := c.pollTask(created.TaskID, nil)
	require.Equal(t, "completed", done.Status, done.StatusMessage)
	var res mcp.CallToolResult
	require.NoError(t, json.Unmarshal(done.Result, &res))
	require.False(t, res.IsError)
	require.Contains(t, text(&res), "42")
	require.Contains(t, text(&res), "hi")
}
