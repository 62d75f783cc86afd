package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// TestSandboxFlags: python-executor-mcp's sandbox flags confine this
// server's session kernels too.
func TestSandboxFlags(t *testing.T) {
	p := &sandbox.Policy{MemoryBytes: 512 << 20, NoNetwork: true, ReadOnlyFS: true, PIDNamespace: true}
	testenv.RequireEnforceable(t, sandbox.Check(p))
	cs, cfg := connect(t, "-memory-limit-mb", "512", "-no-network", "-read-only-fs", "-pid-namespace")
	require.Equal(t, *p, cfg.sandbox.Policy)
	outside := filepath.Join(t.TempDir(), "x")
	code := "import os, socket\nr = []\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=5)\nexcept OSError as e:\n    r.append(e.strerror)\n" +
		"try:\n    open('" + strings.ReplaceAll(outside, "'", `\'`) + "', 'w')\nexcept OSError as e:\n    r.append(e.strerror)\nopen('inside.txt', 'w').write('ok')\nr.append(os.getpid())\nr"
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "execute_python", Arguments: map[string]any{"code": code}})
	require.NoError(t, err)
	require.False(t, res.IsError)
	require.Equal(t, "['Network is unreachable', 'Read-only file system', 2]", res.StructuredContent.(map[string]any)["value"])

	_, err = parseFlags([]string{"-max-processes", "many"}, io.Discard)
	require.ErrorContains(t, err, `-max-processes "many": give an integer`)
}
