package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

// rawStdio drives the built server over stdio with raw JSON-RPC lines: the
// SDK's client has no tasks, so a task result is read as it is on the wire.
type rawStdio struct {
	t      *testing.T
	cmd    *exec.Cmd
	in     io.WriteCloser
	out    *bufio.Scanner
	id     int
	modern bool // send the 2026-07-28 _meta with every request
}

func startRawStdio(t *testing.T, modern bool, extraEnv ...string) *rawStdio {
	t.Helper()
	cmd := exec.Command(serverBinary)
	cmd.Env = append(serverEnv(t), extraEnv...)
	in, err := cmd.StdinPipe()
	require.NoError(t, err)
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 32<<20)
	c := &rawStdio{t: t, cmd: cmd, in: in, out: sc, modern: modern}
	t.Cleanup(func() {
		_ = in.Close()
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("server stderr:\n%s", stderr.String())
		}
	})
	return c
}

type rawResponse struct {
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// call sends a request and returns its response, skipping notifications.
func (c *rawStdio) call(method string, params map[string]any) rawResponse {
	c.t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	if c.modern {
		params["_meta"] = map[string]any{
			"io.modelcontextprotocol/protocolVersion": "2026-07-28",
			"io.modelcontextprotocol/clientCapabilities": map[string]any{
				"extensions": map[string]any{mcptools.TasksExtension: map[string]any{}},
			},
		}
	}
	c.id++
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": c.id, "method": method, "params": params})
	require.NoError(c.t, err)
	_, err = c.in.Write(append(b, '\n'))
	require.NoError(c.t, err)
	for c.out.Scan() {
		var msg struct {
			ID json.RawMessage `json:"id"`
			rawResponse
		}
		require.NoError(c.t, json.Unmarshal(c.out.Bytes(), &msg), c.out.Text())
		if string(msg.ID) == strconv.Itoa(c.id) {
			return msg.rawResponse
		}
	}
	c.t.Fatalf("the server closed stdout before answering %s: %v", method, c.out.Err())
	return rawResponse{}
}

func (c *rawStdio) notify(method string) {
	b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "method": method})
	_, err := c.in.Write(append(b, '\n'))
	require.NoError(c.t, err)
}

type stdioTask struct {
	ResultType, TaskID, Status, StatusMessage string
	Result                                    json.RawMessage
	Error                                     *struct {
		Code    int64
		Message string
	}
}

func (c *rawStdio) task(r rawResponse) stdioTask {
	c.t.Helper()
	require.Nil(c.t, r.Error)
	var tk stdioTask
	require.NoError(c.t, json.Unmarshal(r.Result, &tk), string(r.Result))
	return tk
}

// TestTaskAcrossRestart: a task created over stdio by a 2026-07-28 client
// (no initialize, capabilities in each request), its server killed, a new
// server on the same data directory; a 2025-11-25 client that declared the
// extension in its initialize then reads the task as failed, exactly as the
// job is, and no process of it survives.
func TestTaskAcrossRestart(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	a := startRawStdio(t, true, "PYEXEC_DATA_DIR="+dataDir)
	disc := a.call("server/discover", nil)
	require.Nil(t, disc.Error)
	require.Contains(t, string(disc.Result), mcptools.TasksExtension, "server/discover announces the extension")

	pidFile := filepath.Join(t.TempDir(), "pids")
	script := `import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(sys.argv[1] + ".tmp", "w").write(f"{os.getpid()} {child.pid}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
`
	created := a.task(a.call("tools/call", map[string]any{"name": "run_script_in_dir", "arguments": map[string]any{
		"directory": t.TempDir(), "use_uv": false, "script_content": script, "args": []string{pidFile}, "async_mode": true,
	}}))
	require.Equal(t, "task", created.ResultType)
	require.Equal(t, "working", created.Status)
	pids := waitPids(t, pidFile)
	waitProcessInDir(t, dataDir, created.TaskID) // see waitProcessRecorded
	got := a.task(a.call("tasks/get", map[string]any{"taskId": created.TaskID}))
	require.Equal(t, "working", got.Status)

	require.NoError(t, a.cmd.Process.Kill()) // SIGKILL: no cleanup at all
	_, _ = a.cmd.Process.Wait()

	b := startRawStdio(t, false, "PYEXEC_DATA_DIR="+dataDir)
	init := b.call("initialize", map[string]any{
		"protocolVersion": "2025-11-25",
		"clientInfo":      map[string]any{"name": "legacy", "version": "v0"},
		"capabilities":    map[string]any{"extensions": map[string]any{mcptools.TasksExtension: map[string]any{}}},
	})
	require.Nil(t, init.Error)
	require.Contains(t, string(init.Result), `"protocolVersion":"2025-11-25"`)
	b.notify("notifications/initialized")
	testenv.RequireGone(t, pids...)
	failed := b.task(b.call("tasks/get", map[string]any{"taskId": created.TaskID}))
	require.Equal(t, "failed", failed.Status, fmt.Sprintf("%+v", failed))
	require.NotNil(t, failed.Error)
	require.Contains(t, failed.Error.Message, "server stopped while the job was running")
	require.Contains(t, failed.StatusMessage, "server stopped while the job was running")
}

// syncBuffer is a bytes.Buffer that a process's output goroutine and the
// test may use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// waitProcessInDir waits until job id's record in the data directory holds
// its process: a server killed before that leaves its script unrecorded,
// and no recovery can find it.
func waitProcessInDir(t *testing.T, dataDir, id string) {
	t.Helper()
	st, err := jobstore.Open(t.Context(), &jobstore.Options{Dir: dataDir, ReadOnly: true})
	require.NoError(t, err)
	defer st.Close()
	testenv.PollUntil(t, "the job's process in its record", func() bool {
		j, err := st.Get(t.Context(), id)
		require.NoError(t, err)
		return j.Process != nil
	})
}
