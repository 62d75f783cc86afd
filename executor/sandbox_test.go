package executor

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// requireSandbox: a machine that cannot enforce the policy must say so
// clearly, and then the run must be refused, not run bare; the test then
// skips, or fails in CI, whose machines enforce every switch.
func requireSandbox(t *testing.T, e *Executor, p *sandbox.Policy) bool {
	t.Helper()
	if err := sandbox.Check(p); err != nil {
		_, runErr := e.Run(context.Background(), &Request{Code: "print('must not run')", Sandbox: p})
		require.ErrorIs(t, runErr, ErrInvalidRequest)
		var re *RequestError
		require.ErrorAs(t, runErr, &re)
		require.Equal(t, "Sandbox", re.Field)
		testenv.RequireEnforceable(t, err) // the refusal was checked; fails in CI, skips elsewhere
		return false
	}
	return true
}

func TestSandboxThroughExecutor(t *testing.T) {
	t.Parallel()
	t.Run("memory limit", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, true, nil)
		p := &sandbox.Policy{MemoryBytes: 64 << 20}
		if !requireSandbox(t, e, p) {
			return
		}
		res, err := e.Run(context.Background(), &Request{UseUV: true, Sandbox: p, Timeout: time.Minute,
			Code: "chunks = []\nwhile True: chunks.append(bytearray(8 << 20))\n"})
		require.NoError(t, err)
		require.Contains(t, res.LimitExceeded, "memory limit")
		require.Contains(t, res.Stderr, "[LIMIT]")
		require.NotEqual(t, 0, res.ExitCode)
	})
	t.Run("secrets hidden and explicit variables kept", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, false, func(o *Options) {
			o.BaseEnv = append(os.Environ(), "SERVER_API_KEY=s3cret")
		})
		p := &sandbox.Policy{EnvAllowList: sandbox.DefaultEnvAllowList()}
		if !requireSandbox(t, e, p) {
			return
		}
		res, err := e.Run(context.Background(), &Request{Sandbox: p, Env: map[string]string{"MINE": "1"},
			Code: "import os; print(os.environ.get('SERVER_API_KEY'), os.environ.get('MINE'))"})
		require.NoError(t, err)
		require.Equal(t, "None 1\n", res.Stdout, res.Stderr)
	})
	t.Run("no network with resolution outside", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		e := offlineExecutor(t)
		p := &sandbox.Policy{NoNetwork: true}
		if !requireSandbox(t, e, p) {
			return
		}
		port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
		code := "import socket, pyexecdemo\nprint(pyexecdemo.__version__)\ntry:\n    socket.create_connection(('127.0.0.1', " + port + "), timeout=5)\n    print('connected')\nexcept OSError as e:\n    print('refused')\n"
		res, err := e.Run(context.Background(), &Request{UseUV: true, Sandbox: p, Code: code, Dependencies: []string{"pyexecdemo==1.5.0"}})
		require.NoError(t, err)
		require.Equal(t, "1.5.0\nrefused\n", res.Stdout, res.Stderr)
	})
	t.Run("read-only filesystem: only listed directories are writable", func(t *testing.T) {
		t.Parallel()
		e := newExecutor(t, false, nil)
		ws, outside := t.TempDir(), t.TempDir()
		p := &sandbox.Policy{ReadOnlyFS: true, WritableDirs: []string{ws}}
		if !requireSandbox(t, e, p) {
			return
		}
		code := "import sys\nfor path in sys.argv[1:]:\n    try:\n        open(path, 'w').write('ok')\n        print('wrote')\n    except OSError as e:\n        print(e.strerror)\n"
		// A Dir inside the listed workspace is writable.
		res, err := e.Run(context.Background(), &Request{Dir: ws, Sandbox: p, Code: code, Args: []string{"inside.txt", filepath.Join(outside, "x")}})
		require.NoError(t, err)
		require.Equal(t, "wrote\nRead-only file system\n", res.Stdout, res.Stderr)
		b, err := os.ReadFile(filepath.Join(ws, "inside.txt"))
		require.NoError(t, err)
		require.Equal(t, "ok", string(b))
		// A Dir the caller chose outside it is the cwd, read-only (issue
		// 10: read_only_fs stopped at a caller-chosen directory).
		res, err = e.Run(context.Background(), &Request{Dir: outside, Sandbox: p, Code: code, Args: []string{"planted.txt"}})
		require.NoError(t, err)
		require.Equal(t, "Read-only file system\n", res.Stdout, res.Stderr)
		require.NoFileExists(t, filepath.Join(outside, "planted.txt"))
		// Without a Dir the private working directory is the run's own.
		res, err = e.Run(context.Background(), &Request{Sandbox: p, Code: code, Args: []string{"scratch.txt"}})
		require.NoError(t, err)
		require.Equal(t, "wrote\n", res.Stdout, res.Stderr)
	})
}

func TestOutputLimit(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	res, err := e.Run(context.Background(), &Request{MaxOutputBytes: 1 << 20, Timeout: time.Minute,
		Code: "import sys\nwhile True: sys.stdout.write('x' * 65536)\n"})
	require.NoError(t, err)
	require.Contains(t, res.LimitExceeded, "output limit")
	require.False(t, res.TimedOut)
	require.Less(t, res.ExitCode, 0)
	require.True(t, strings.Contains(res.Stderr, "[LIMIT]"))

	_, err = e.Run(context.Background(), &Request{Code: "pass", MaxOutputBytes: -1})
	require.ErrorIs(t, err, ErrInvalidRequest)
}
