package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// floodBytes is the output of the flood steps of testdata/pyclient.py: 64
// MiB of numbered 10-byte lines.
const floodBytes = 64 << 20 / 10 * 10

// pyClientVersion is the official Python MCP client (PyPI "mcp") that
// TestPyClient drives the server with. Pinned: a new release is a decision
// to test against, not a surprise in CI.
const pyClientVersion = "2.3.0"

// pyClientStep is one JSON line of testdata/pyclient.py.
type pyClientStep struct {
	Transport       string         `json:"transport"`
	Mode            string         `json:"mode"`
	Step            string         `json:"step"`
	ProtocolVersion string         `json:"protocol_version"`
	Server          string         `json:"server"`
	TasksExtension  bool           `json:"tasks_extension"`
	Names           []string       `json:"names"`
	IsError         bool           `json:"is_error"`
	Text            string         `json:"text"`
	Structured      map[string]any `json:"structured"`
	JobID           string         `json:"job_id"`
	Seen            []struct {
		ResultType string `json:"resultType"`
		Status     string `json:"status"`
		TaskID     string `json:"taskId"`
	} `json:"seen"`
	Error     string `json:"error"`
	Traceback string `json:"traceback"`
}

// TestPyClient drives the built server with the official Python client over
// stdio and over streamable HTTP: the client's default negotiation reaches
// the same protocol version on both (the issue was 2026-07-28 over stdio and
// 2025-11-25 over HTTP), and tools, the job-stream resource, argument errors
// and a task work on both. Its forced initialize handshake reaches
// 2025-11-25 on both.
func TestPyClient(t *testing.T) {
	t.Parallel()
	python := pyClientPython(t)
	// The flood steps are synchronous runs whatever the machine's load:
	// a budget the runs never outlive.
	env := append(serverEnv(t), smartasync.BudgetEnv+"=600")
	url := httpBinary(t, env)
	workdir, err := filepath.EvalSymlinks(t.TempDir()) // as the script's os.getcwd() sees it
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "pyclient.py"),
		"--stdio", serverBinary, "--http", url, "--dir", workdir, "--flood", fmt.Sprint(floodBytes))
	cmd.Env = env // the stdio server's, which it inherits
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	steps := map[string]pyClientStep{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var s pyClientStep
		require.NoError(t, json.Unmarshal(sc.Bytes(), &s), sc.Text())
		require.NotEqual(t, "error", s.Step, "%s %s: %s\n%s", s.Transport, s.Mode, s.Error, s.Traceback)
		steps[s.Transport+" "+s.Mode+" "+s.Step] = s
	}
	require.NoError(t, err, "driver stderr:\n%s", stderr.String())

	for _, transport := range []string{"stdio", "http"} {
		t.Run(transport, func(t *testing.T) {
			step := func(mode, name string) pyClientStep {
				t.Helper()
				s, ok := steps[transport+" "+mode+" "+name]
				require.True(t, ok, "no %s step in mode %s; output:\n%s", name, mode, out)
				return s
			}
			for mode, want := range map[string]string{"auto": "2026-07-28", "legacy": "2025-11-25"} {
				c := step(mode, "connected")
				t.Logf("%s, mode %s: negotiated %s", transport, mode, c.ProtocolVersion)
				require.Equal(t, want, c.ProtocolVersion, "mode %s", mode)
				require.Equal(t, "python-executor-mcp", c.Server)
				require.True(t, c.TasksExtension, "the server announces the Tasks extension")
				require.Len(t, step(mode, "tools").Names, 21)
				require.Contains(t, step(mode, "tools").Names, "run_script_in_dir")

				run := step(mode, "run")
				require.False(t, run.IsError, run.Text)
				require.Equal(t, "42 "+workdir+"\n", run.Structured["stdout"])
				require.EqualValues(t, 0, run.Structured["exit_code"])
				require.Contains(t, run.Text, "## ✅ Exit code 0")
			}

			stream := step("auto", "stream")
			require.False(t, stream.IsError)
			require.NotEmpty(t, stream.JobID)
			require.Equal(t, "---STDOUT---\nto stdout\n---STDERR---\nto stderr\n", stream.Text)

			bad := step("auto", "bad_argument")
			require.True(t, bad.IsError, "a missing directory is a tool error, not a result")
			require.Contains(t, bad.Text, "directory")
			require.Contains(t, bad.Text, filepath.Join(workdir, "no-such-dir"))
			require.Contains(t, bad.Text, "give an existing directory")

			// A 64 MiB flood at the default budget and at the largest: the
			// client's limits (its HTTP transport fails on an SSE event over
			// 1 MiB) are never hit, and the omitted middle is readable.
			for _, name := range []string{"flood", "flood_max"} {
				f := step("auto", name)
				require.False(t, f.IsError, f.Text)
				require.NotEmpty(t, f.JobID, "the job that keeps the output")
				from, ok := f.Structured["stdout_omitted_from"].(float64)
				require.True(t, ok && from > 0, "%v", f.Structured["stdout_omitted_from"])
				require.True(t, strings.HasSuffix(f.Structured["stdout"].(string), fmt.Sprintf("%09d\n", floodBytes/10-1)))
				t.Logf("%s over %s: response text %d bytes, stdout shown %d bytes", name, transport, len(f.Text), len(f.Structured["stdout"].(string)))
			}
			page := step("auto", "flood_page")
			require.False(t, page.IsError, page.Text)
			from := int64(step("auto", "flood").Structured["stdout_omitted_from"].(float64))
			got := page.Structured["stdout"].(string)
			require.NotEmpty(t, got)
			first := from / 10
			require.True(t, strings.HasPrefix(got, fmt.Sprintf("%09d\n%09d\n", first, first+1)), "the omitted middle, from its first byte: %.40q", got)

			task := step("auto", "task")
			require.False(t, task.IsError, task.Text)
			require.GreaterOrEqual(t, len(task.Seen), 2, "a task handle, then tasks/get")
			require.Equal(t, "task", task.Seen[0].ResultType, "async_mode answers a task")
			last := task.Seen[len(task.Seen)-1]
			require.Equal(t, "completed", last.Status)
			require.Equal(t, task.Seen[0].TaskID, task.Structured["job_id"], "a task id is a job id")
			require.Equal(t, "task done\n", task.Structured["stdout"])
		})
	}
	require.Equal(t, steps["stdio auto connected"].ProtocolVersion, steps["http auto connected"].ProtocolVersion,
		"one server, one protocol version on both transports")
}

// pyClientPython returns the interpreter of a virtual environment with the
// pinned Python MCP client, made once with uv in the user's cache directory
// (keyed by the client's version and the base interpreter) so that reruns
// start at once. A failed install skips the test outside CI and fails it in
// CI.
func pyClientPython(t *testing.T) string {
	t.Helper()
	return testenv.Venv(t, "3.10", "mcp=="+pyClientVersion)
}

// serverAddrRE finds the bound address in the server's "server started" log line.
var serverAddrRE = regexp.MustCompile(`msg="server started" transport=http addr=(\S+)`)

// httpBinary starts the built server with --http on a free loopback port and
// returns its MCP endpoint. The server is stopped (SIGTERM) when the test
// ends.
func httpBinary(t *testing.T, env []string) string {
	t.Helper()
	logFile := filepath.Join(t.TempDir(), "server.log")
	cmd := exec.Command(serverBinary, "--http", "127.0.0.1:0")
	cmd.Env = append(env, "PYEXEC_LOG_FILE="+logFile, "PYEXEC_LOG_LEVEL=info")
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil && !errors.As(err, new(*exec.ExitError)) {
			t.Errorf("http server: %v", err)
		}
		if t.Failed() {
			b, _ := os.ReadFile(logFile)
			t.Logf("http server log:\n%s", b)
		}
	})
	var addr string
	testenv.PollUntil(t, "the HTTP server's address in its log", func() bool {
		select {
		case err := <-exited:
			exited <- err // for the cleanup
			b, _ := os.ReadFile(logFile)
			t.Fatalf("the HTTP server exited: %v\n%s", err, b)
		default:
		}
		b, _ := os.ReadFile(logFile)
		if m := serverAddrRE.FindSubmatch(b); m != nil {
			addr = string(m[1])
			return true
		}
		return false
	})
	return "http://" + addr + "/mcp"
}
