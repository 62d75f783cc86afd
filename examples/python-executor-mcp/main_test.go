package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// serverBinary is the server built once by TestMain for the stdio tests.
var serverBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "python-executor-mcp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	serverBinary = filepath.Join(dir, "python-executor-mcp")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if out, err := exec.Command(gobin, "build", "-o", serverBinary, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building the server: %v\n%s", err, out)
		os.Exit(1)
	}
	code := testenv.RunTests(m)
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// serverEnv is the environment of a server under test: its own data
// directory and workspace, the test machine's interpreter and uv.
func serverEnv(t testing.TB) []string {
	t.Helper()
	env := append(os.Environ(),
		"PYEXEC_DATA_DIR="+t.TempDir(),
		"PYEXEC_PYTHON="+testenv.Python(t),
		"PYEXEC_UV="+testenv.UV(t),
		"PYEXEC_LOG_LEVEL=warn",
	)
	return env
}

// notes collects a client's notifications.
type notes struct {
	mu       sync.Mutex
	progress []*mcp.ProgressNotificationParams
}

func (n *notes) snapshot() []*mcp.ProgressNotificationParams {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]*mcp.ProgressNotificationParams(nil), n.progress...)
}

// stdioClient starts the built server over stdio (the SDK's CommandTransport).
func stdioClient(t testing.TB, extraEnv ...string) (*mcp.ClientSession, *notes) {
	t.Helper()
	cs, n, _ := stdioServer(t, extraEnv...)
	return cs, n
}

// stdioServer is stdioClient that also returns the server's command.
func stdioServer(t testing.TB, extraEnv ...string) (*mcp.ClientSession, *notes, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(serverBinary)
	cmd.Env = append(serverEnv(t), extraEnv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	n := &notes{}
	client := mcp.NewClient(&mcp.Implementation{Name: "stdio-test", Version: "v0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			n.mu.Lock()
			n.progress = append(n.progress, req.Params)
			n.mu.Unlock()
		},
	})
	cs, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = cs.Close()
		if t.Failed() {
			t.Logf("server stderr:\n%s", stderr.String())
		}
	})
	return cs, n, cmd
}

func callTool(t testing.TB, cs *mcp.ClientSession, name string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	require.NoError(t, err)
	return res
}

func textOf(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func structured(t testing.TB, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	m, ok := res.StructuredContent.(map[string]any)
	require.True(t, ok, "structured content %T", res.StructuredContent)
	return m
}

// TestStdio drives the built binary over stdio: the tool list, then every
// tool's happy and failure paths (tour).
func TestStdio(t *testing.T) {
	t.Parallel()
	cs, _ := stdioClient(t)
	var names []string
	for tool, err := range cs.Tools(context.Background(), nil) {
		require.NoError(t, err)
		names = append(names, tool.Name)
	}
	require.Len(t, names, 21)
	tour(t, cs)
	_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "no_such_tool"})
	require.ErrorContains(t, err, "no_such_tool")
}

// TestStdioProgressAndCancel: progress notifications arrive over stdio, and
// notifications/cancelled kills the running script's process tree.
func TestStdioProgressAndCancel(t *testing.T) {
	t.Parallel()
	cs, n := stdioClient(t)
	pidFile := filepath.Join(t.TempDir(), "pids")
	script := `import os, subprocess, sys, time
def progress(c, t, m):
    open(os.environ["PYEXEC_PROGRESS_FILE"], "a").write('{"current": %d, "total": %d, "message": "%s"}\n' % (c, t, m))
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(sys.argv[1] + ".tmp", "w").write(f"{os.getpid()} {child.pid}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
progress(1, 4, "warming up")
time.sleep(300)
`
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "run_script_in_dir", Meta: mcp.Meta{"progressToken": "p"},
			Arguments: map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": script, "args": []string{pidFile}}})
		errc <- err
	}()
	testenv.PollUntil(t, "a progress notification", func() bool {
		for _, p := range n.snapshot() {
			if p.Message == "warming up" && p.Progress == 1 && p.Total == 4 {
				return true
			}
		}
		return false
	})
	b, err := os.ReadFile(pidFile)
	require.NoError(t, err)
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		p, err := strconv.Atoi(f)
		require.NoError(t, err)
		pids = append(pids, p)
	}
	require.Len(t, pids, 2)
	cancel()
	require.True(t, errors.Is(<-errc, context.Canceled))
	for _, pid := range pids {
		testenv.PollUntil(t, fmt.Sprintf("process %d to be killed", pid), func() bool { return !testenv.Alive(pid) })
	}
}

// TestCallCommand runs the `call` subcommand in-process: the README's quick
// trial prints markdown.
func TestCallCommand(t *testing.T) {
	t.Setenv("PYEXEC_DATA_DIR", t.TempDir())
	t.Setenv("PYEXEC_PYTHON", testenv.Python(t))
	t.Setenv("PYEXEC_UV", testenv.UV(t))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"call", "run_script_with_dependencies", `{"script_content": "print(6*7)"}`}, nil, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String())
	require.Contains(t, stdout.String(), "## ✅ Exit code 0")
	require.Contains(t, stdout.String(), "42")

	stdout.Reset()
	code = run(context.Background(), []string{"call", "run_script_in_dir", `{"directory": "../outside", "script_content": "print(1)"}`}, nil, &stdout, &stderr)
	require.Equal(t, 1, code)
	require.Contains(t, stdout.String(), "directory")

	code = run(context.Background(), []string{"call", "run_script_in_dir", `not json`}, nil, &stdout, &stderr)
	require.Equal(t, 2, code)

	stdout.Reset()
	require.Equal(t, 0, run(context.Background(), []string{"tools"}, nil, &stdout, &stderr))
	require.Equal(t, 21, strings.Count(stdout.String(), "\n"))
}

// TestCallCommandRealIndex is the README's quick-trial command itself, with
// a dependency from the real package index.
func TestCallCommandRealIndex(t *testing.T) {
	if !testenv.InCI() && os.Getenv("PYEXEC_NETWORK_TESTS") == "" {
		t.Skip("uses the real package index; runs in CI or with PYEXEC_NETWORK_TESTS=1")
	}
	t.Setenv("PYEXEC_DATA_DIR", t.TempDir())
	t.Setenv("PYEXEC_PYTHON", testenv.Python(t))
	t.Setenv("PYEXEC_UV", testenv.UV(t))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"call", "run_script_with_dependencies",
		`{"script_content": "import six; print(six.__version__)", "dependencies": ["six"]}`}, nil, &stdout, &stderr)
	require.Equal(t, 0, code, stderr.String()+stdout.String())
	require.Contains(t, stdout.String(), "six==")
}

// TestRestartRecoveryAndLogs: a server killed with SIGKILL leaves a running
// job; the next server on the same data directory fails it, kills its
// process tree and logs it. Lifecycle events reach the log file, not stdout.
func TestRestartRecoveryAndLogs(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	logA, logB := filepath.Join(t.TempDir(), "a.log"), filepath.Join(t.TempDir(), "b.log")
	csA, _, cmdA := stdioServer(t, "PYEXEC_DATA_DIR="+dataDir, "PYEXEC_LOG_FILE="+logA, "PYEXEC_LOG_LEVEL=info")
	jobID, pids := startTreeJob(t, csA, false)
	require.NoError(t, cmdA.Process.Kill()) // SIGKILL: no cleanup at all
	_, _ = cmdA.Process.Wait()
	for _, pid := range pids {
		require.True(t, testenv.Alive(pid), "the job outlives its dead server until recovery")
	}

	csB, _, _ := stdioServer(t, "PYEXEC_DATA_DIR="+dataDir, "PYEXEC_LOG_FILE="+logB, "PYEXEC_LOG_LEVEL=info")
	for _, pid := range pids {
		testenv.PollUntil(t, fmt.Sprintf("process %d to be killed by recovery", pid), func() bool { return !testenv.Alive(pid) })
	}
	st := structured(t, callTool(t, csB, "py_job_status", map[string]any{"job_id": jobID}))["job"].(map[string]any)
	require.Equal(t, "failed", st["status"])
	require.Contains(t, st["error"], "server stopped while the job was running")

	a, err := os.ReadFile(logA)
	require.NoError(t, err)
	require.Contains(t, string(a), "server started")
	require.Contains(t, string(a), "job started")
	b, err := os.ReadFile(logB)
	require.NoError(t, err)
	require.Contains(t, string(b), "failed job of a dead server")
}

// TestSignalShutdown: SIGTERM cancels running work (the job's tree is
// killed, the job recorded as cancelled) before the server exits.
func TestSignalShutdown(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	cs, _, cmd := stdioServer(t, "PYEXEC_DATA_DIR="+dataDir)
	pidFile := filepath.Join(t.TempDir(), "pids")
	script := `import os, sys, time
open(sys.argv[1] + ".tmp", "w").write(f"{os.getpid()}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
`
	res := callTool(t, cs, "run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": script, "args": []string{pidFile}})
	jobID := structured(t, res)["job_id"].(string)
	var pid int
	testenv.PollUntil(t, "the job's pid", func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return false
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil
	})
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	testenv.PollUntil(t, "the job's process to be killed", func() bool { return !testenv.Alive(pid) })
	testenv.PollUntil(t, "the server to exit", func() bool { return !testenv.Alive(cmd.Process.Pid) })

	other, _, _ := stdioServer(t, "PYEXEC_DATA_DIR="+dataDir)
	st := structured(t, callTool(t, other, "py_job_status", map[string]any{"job_id": jobID}))["job"].(map[string]any)
	require.Equal(t, "cancelled", st["status"])
	require.Contains(t, st["error"], "shutting down")
}

// startTreeJob starts a background job on cs whose script has a child,
// in a new session with setsid, and returns the job's id and the pids of
// the script and the child once both run. Survivors of a failed test are
// killed at its end.
func startTreeJob(t *testing.T, cs *mcp.ClientSession, setsid bool) (string, []int) {
	t.Helper()
	pidFile := filepath.Join(t.TempDir(), "pids")
	script := `import os, subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"], start_new_session=` + map[bool]string{false: "False", true: "True"}[setsid] + `)
open(sys.argv[1] + ".tmp", "w").write(f"{os.getpid()} {child.pid}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
`
	res := callTool(t, cs, "run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": script, "args": []string{pidFile}})
	require.False(t, res.IsError, textOf(res))
	return structured(t, res)["job_id"].(string), waitPids(t, pidFile)
}

// waitPids waits for a script to write its pid and its child's to pidFile
// (as startTreeJob's does), returns them, and kills survivors of a failed
// test at its end.
func waitPids(t *testing.T, pidFile string) []int {
	t.Helper()
	var pids []int
	testenv.PollUntil(t, "the job's pids", func() bool {
		b, err := os.ReadFile(pidFile)
		if err != nil {
			return false
		}
		pids = pids[:0]
		for _, f := range strings.Fields(string(b)) {
			p, _ := strconv.Atoi(f)
			pids = append(pids, p)
		}
		return len(pids) == 2
	})
	t.Cleanup(func() {
		for _, pid := range pids {
			if testenv.Alive(pid) { // a survivor of a failed test
				_ = proc.Kill(pid)
			}
		}
	})
	return pids
}
