package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

// BenchmarkToolCallTransport measures the per-call overhead of tools/call
// on the three ways a client reaches the server, in one run and on one
// server: stdio (mcptools.StdioTransport over in-process pipes), HTTP with
// a session (a 2025-11-25 client) and stateless HTTP (a 2026-07-28 client).
// The tool is py_list_jobs, which spawns nothing: the figure is the
// protocol path (encoding, transport, SDK, middleware), not Python.
//
// BenchmarkTasksGet measures tasks/get of a finished task on each.
func BenchmarkToolCallTransport(b *testing.B) {
	for _, tr := range benchTransports(b) {
		b.Run(tr.name, func(b *testing.B) {
			args := map[string]any{"limit": 1}
			for b.Loop() {
				res := callTool(b, tr.cs, "py_list_jobs", args)
				if res.IsError {
					b.Fatal(textOf(res))
				}
			}
		})
	}
}

// taskParams and taskResult are the client's view of tasks/get.
type taskParams struct {
	mcp.ParamsBase
	TaskID string `json:"taskId"`
}

type taskResult struct {
	mcp.ResultBase
	TaskID string `json:"taskId"`
	Status string `json:"status"`
}

func BenchmarkTasksGet(b *testing.B) {
	for _, tr := range benchTransports(b) {
		b.Run(tr.name, func(b *testing.B) {
			// Task ids are job ids: any finished job is a finished task.
			res := callTool(b, tr.cs, "run_script_in_dir_async", map[string]any{"directory": b.TempDir(), "use_uv": false, "script_content": "print(1)"})
			id := structured(b, res)["job_id"].(string)
			testenv.PollUntil(b, "the job to finish", func() bool {
				return getTask(b, tr.cs, id).Status == "completed"
			})
			for b.Loop() {
				if st := getTask(b, tr.cs, id).Status; st != "completed" {
					b.Fatal(st)
				}
			}
		})
	}
}

func getTask(b *testing.B, cs *mcp.ClientSession, id string) *taskResult {
	r, err := mcp.CallCustomMethod[*taskParams, *taskResult](context.Background(), cs, "tasks/get", &taskParams{TaskID: id})
	require.NoError(b, err)
	return r
}

type benchTransport struct {
	name string
	cs   *mcp.ClientSession
}

// benchTransports starts one in-process server and connects a client to
// it over each transport. The clients declare the Tasks extension.
func benchTransports(b *testing.B) []benchTransport {
	b.Helper()
	cfg := &config{dataDir: b.TempDir(), python: testenv.Python(b), uv: testenv.UV(b)}
	log := slog.New(slog.DiscardHandler)
	s, err := newServer(context.Background(), cfg, log)
	require.NoError(b, err)
	srv := httptest.NewServer(httpHandler(cfg, s, "127.0.0.1", log))
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(func() {
		cancel()
		require.NoError(b, s.Close())
		srv.CloseClientConnections()
		srv.Close()
	})
	client := func() *mcp.Client {
		c := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "v0"}, &mcp.ClientOptions{
			Capabilities: &mcp.ClientCapabilities{Extensions: map[string]any{mcptools.TasksExtension: map[string]any{}}},
		})
		require.NoError(b, mcp.AddSendingCustomMethod[*taskParams, *taskResult](c, "tasks/get"))
		return c
	}
	connect := func(t mcp.Transport, version string) *mcp.ClientSession {
		cs, err := client().Connect(ctx, t, &mcp.ClientSessionOptions{ProtocolVersion: version})
		require.NoError(b, err)
		b.Cleanup(func() { _ = cs.Close() })
		require.Equal(b, version, cs.InitializeResult().ProtocolVersion)
		return cs
	}
	// stdio: the server's transport on one pipe pair, the client's on the other.
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	ss, err := s.mcp.Connect(ctx, mcptools.StdioTransport(sr, sw, log), nil)
	require.NoError(b, err)
	b.Cleanup(func() { _ = ss.Close() })
	return []benchTransport{
		{"stdio", connect(&mcp.IOTransport{Reader: cr, Writer: cw}, "2026-07-28")},
		{"http-session-2025-11-25", connect(&mcp.StreamableClientTransport{Endpoint: srv.URL, MaxRetries: -1}, "2025-11-25")},
		{"http-stateless-2026-07-28", connect(&mcp.StreamableClientTransport{Endpoint: srv.URL, MaxRetries: -1}, "2026-07-28")},
	}
}
