package mcptools_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/workspace"
)

// attackerPolicy is every switch of the attack in issue 10.
func attackerPolicy() *sandbox.Policy {
	return &sandbox.Policy{MemoryBytes: 1 << 30, MaxProcesses: 256, NoNetwork: true, ReadOnlyFS: true,
		PIDNamespace: true, EnvAllowList: sandbox.DefaultEnvAllowList()}
}

// TestContainmentThroughTheTools replays the attacks of issue 10 through
// the tools a client calls, with every sandbox switch on.
func TestContainmentThroughTheTools(t *testing.T) {
	t.Parallel()
	if err := sandbox.Check(attackerPolicy()); err != nil {
		_, err := mcptools.New(t.Context(), &mcptools.Options{DataDir: t.TempDir(), Sandbox: attackerPolicy()})
		require.ErrorIs(t, err, mcptools.ErrInvalidOptions)
		testenv.RequireEnforceable(t, err) // fails in CI, skips elsewhere
	}
	wsDir := t.TempDir()
	ws, err := workspace.Open(wsDir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = ws.Close() })
	h := newHarness(t, &harnessOptions{uv: true, wheels: t.TempDir(), options: func(o *mcptools.Options) {
		o.Sandbox = attackerPolicy()
		o.Workspace = ws
	}})
	marker := filepath.Join(t.TempDir(), "MARKER")

	t.Run("a planted build backend is refused", func(t *testing.T) {
		h.callOK("write_file", map[string]any{"path": "evil/pyproject.toml", "content": "[project]\nname = \"evil\"\nversion = \"1.0\"\n[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n"}, nil)
		h.callOK("write_file", map[string]any{"path": "evil/backend.py", "content": "open(" + pyQuote(marker) + ", 'w').write('escaped')\n"}, nil)
		req := "evil @ file://" + filepath.Join(wsDir, "evil")
		msg := h.callErr("run_script_with_dependencies", map[string]any{"script_content": "import evil", "dependencies": []string{req}})
		require.Contains(t, msg, "dependencies")
		require.Contains(t, msg, req)
		require.Contains(t, msg, "direct reference")
		require.Contains(t, msg, "--allow-direct-references")
		require.NoFileExists(t, marker)
	})
	t.Run("the writable area is the server's", func(t *testing.T) {
		outside := t.TempDir()
		code := "import sys\nfor p in sys.argv[1:]:\n    try:\n        open(p, 'w').write('x')\n        print('wrote')\n    except OSError as e:\n        print(e.strerror)\n"
		targets := []string{"planted.txt", filepath.Join(h.dataDir, "planted.txt"), filepath.Join(h.dataDir, "jobs", "planted.json")}
		var r mcptools.RunResult
		h.callOK("run_script_in_dir", map[string]any{"directory": outside, "use_uv": false, "script_content": code, "args": targets, "markdown_output": false}, &r)
		want := strings.Repeat("Read-only file system\n", 3)
		if os.Getenv(jobStoreEnv) == "postgres" {
			want = strings.Repeat("Read-only file system\n", 2) + "No such file or directory\n" // no jobs/ directory to plant into
		}
		require.Equal(t, want, r.Stdout, r.Stderr)
		require.NoFileExists(t, filepath.Join(outside, "planted.txt"))
		require.NoFileExists(t, filepath.Join(h.dataDir, "planted.txt"))
		// The workspace (and below it) stays writable, and so does the
		// progress file.
		require.NoError(t, os.MkdirAll(filepath.Join(wsDir, "sub"), 0o755))
		progress := "import json, os\nopen(os.environ['PYEXEC_PROGRESS_FILE'], 'a').write(json.dumps({'current': 1}) + '\\n')\nopen('out.txt', 'w').write('ok')\nprint('done')\n"
		h.callOK("run_script_in_dir", map[string]any{"directory": filepath.Join(wsDir, "sub"), "use_uv": false, "script_content": progress}, &r)
		require.Equal(t, "done\n", r.Stdout, r.Stderr)
		require.FileExists(t, filepath.Join(wsDir, "sub", "out.txt"))
	})
	t.Run("a call's UV_ variables never reach uv", func(t *testing.T) {
		planted := filepath.Join(wsDir, "wheels")
		require.NoError(t, os.MkdirAll(planted, 0o755))
		writeWheel(t, planted, "six", "1.17.0")
		msg := h.callErr("run_script_with_dependencies", map[string]any{"script_content": "import six",
			"dependencies": []string{"six==1.17.0"}, "env_vars": map[string]string{"UV_FIND_LINKS": planted, "UV_NO_INDEX": "1"}})
		require.Contains(t, msg, "six")
	})
}

// TestDataDirNeverWritable: a writable directory around the data directory
// is refused at New.
func TestDataDirNeverWritable(t *testing.T) {
	t.Parallel()
	home := t.TempDir()
	p := &sandbox.Policy{ReadOnlyFS: true, WritableDirs: []string{home}}
	testenv.RequireEnforceable(t, sandbox.Check(p))
	_, err := mcptools.New(t.Context(), &mcptools.Options{DataDir: filepath.Join(home, ".python_mcp"), Sandbox: p})
	require.ErrorIs(t, err, mcptools.ErrInvalidOptions)
	require.Contains(t, err.Error(), "contains the data directory")
}
