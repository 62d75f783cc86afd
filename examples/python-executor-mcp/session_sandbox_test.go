package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// TestSessionsFollowTheServersSandbox: the server's sandbox flags confine
// execute_python and install_package, not only the run tools.
func TestSessionsFollowTheServersSandbox(t *testing.T) {
	t.Parallel()
	p := &sandbox.Policy{MemoryBytes: 512 << 20, NoNetwork: true, ReadOnlyFS: true, PIDNamespace: true, EnvAllowList: sandbox.DefaultEnvAllowList()}
	testenv.RequireEnforceable(t, sandbox.Check(p))
	outside := t.TempDir()
	cs, _ := stdioClient(t, "PYEXEC_MEMORY_LIMIT_MB=512", "PYEXEC_NO_NETWORK=1", "PYEXEC_READ_ONLY_FS=1",
		"PYEXEC_PID_NAMESPACE=1", "PYEXEC_ENV_ALLOW_LIST=default")

	res := callTool(t, cs, "execute_python", map[string]any{"code": "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=5)\n    r = 'connected'\nexcept OSError as e:\n    r = e.strerror\nr"})
	require.False(t, res.IsError, textOf(res))
	require.Equal(t, "'Network is unreachable'", structured(t, res)["value"])

	code := "try:\n    open(" + quote(filepath.Join(outside, "x")) + ", 'w')\n    r = 'written'\nexcept OSError as e:\n    r = e.strerror\nopen('inside.txt', 'w').write('ok')\nr"
	res = callTool(t, cs, "execute_python", map[string]any{"code": code})
	require.False(t, res.IsError, textOf(res))
	require.Equal(t, "'Read-only file system'", structured(t, res)["value"])

	marker := filepath.Join(t.TempDir(), "MARKER")
	project := filepath.Join(t.TempDir(), "evil")
	require.NoError(t, os.Mkdir(project, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(project, "pyproject.toml"), []byte("[project]\nname = \"evil\"\nversion = \"1.0\"\n[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(project, "backend.py"), []byte("open("+quote(marker)+", 'w').write('escaped')\n"), 0o644))
	res = callTool(t, cs, "install_package", map[string]any{"package": "evil @ file://" + project})
	require.True(t, res.IsError)
	require.Contains(t, textOf(res), "packages")
	require.Contains(t, textOf(res), "--allow-direct-references")
	require.NoFileExists(t, marker)
}

// quote is s as a Python string literal.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
