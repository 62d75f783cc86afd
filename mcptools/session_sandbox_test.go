package mcptools_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/session"
	"github.com/pyexec-mcp/pyexec/workspace"
)

// confinedSessions returns a session manager under p, or skips (fails in
// CI) where the machine cannot enforce it.
func confinedSessions(t *testing.T, p *sandbox.Policy, mod func(*session.Options)) *session.Manager {
	t.Helper()
	testenv.RequireEnforceable(t, sandbox.Check(p))
	wheels := t.TempDir()
	writeWheel(t, wheels, "pyexecdemo", "1.5.0")
	o := &session.Options{
		Python: testenv.Python(t), UV: testenv.UV(t), WorkspaceDir: t.TempDir(), DataDir: t.TempDir(), Grace: time.Second,
		UVArgs: []string{"--offline", "--no-index", "--find-links", wheels, "--cache-dir", t.TempDir()}, Sandbox: p,
	}
	if mod != nil {
		mod(o)
	}
	m, err := session.NewManager(o)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}

// plantedProject writes a project whose in-tree build backend writes
// marker when it runs.
func plantedProject(t *testing.T, marker string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "evil")
	require.NoError(t, os.Mkdir(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "pyproject.toml"), []byte("[project]\nname = \"evil\"\nversion = \"1.0\"\n[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "backend.py"), []byte("open("+pyQuote(marker)+", 'w').write('escaped')\n"), 0o644))
	return dir
}

func TestSessionToolsUnderTheServersSandbox(t *testing.T) {
	t.Parallel()
	m := confinedSessions(t, attackerPolicy(), nil)
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) {
		o.Sandbox, o.Sessions = attackerPolicy(), m
		o.Groups = []mcptools.Group{mcptools.GroupRun, mcptools.GroupSession}
	}})
	marker := filepath.Join(t.TempDir(), "MARKER")
	req := "evil @ file://" + plantedProject(t, marker)

	t.Run("a direct reference is refused, naming the flag", func(t *testing.T) {
		msg := h.callErr("install_package", map[string]any{"package": req})
		require.Contains(t, msg, "packages")
		require.Contains(t, msg, req)
		require.Contains(t, msg, "direct reference")
		require.Contains(t, msg, "is a direct reference")
		require.Contains(t, msg, "--allow-direct-references")
		require.NoFileExists(t, marker)
	})
	t.Run("wheels install", func(t *testing.T) {
		var out mcptools.InstallOutput
		h.callOK("install_package", map[string]any{"package": "pyexecdemo"}, &out)
		require.Equal(t, "1.5.0", out.Requested[0].Version)
	})
	t.Run("the kernel is confined", func(t *testing.T) {
		var out mcptools.CellOutput
		h.callOK("execute_python", map[string]any{"code": "import socket\ntry:\n    socket.create_connection(('192.0.2.1', 80), timeout=5)\n    r = 'connected'\nexcept OSError as e:\n    r = e.strerror\nr"}, &out)
		require.Equal(t, "'Network is unreachable'", out.Value)
	})
	t.Run("a kernel killed by a limit says which", func(t *testing.T) {
		var out mcptools.CellOutput
		res := h.callOK("execute_python", map[string]any{"code": "b = bytearray(2 << 30)"}, &out)
		require.True(t, out.KernelDied)
		require.Equal(t, "memory limit (1 GiB) exceeded: the kernel's OOM killer ended 1 process of the run", out.LimitExceeded)
		require.Contains(t, text(res), "died: memory limit (1 GiB) exceeded")
		require.Contains(t, text(res), "its state is lost")
	})
}

func TestSessionSourceBuildRefusedNamingTheFlag(t *testing.T) {
	t.Parallel()
	m := confinedSessions(t, attackerPolicy(), func(o *session.Options) { o.AllowDirectReferences = true })
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) {
		o.Sandbox, o.Sessions = attackerPolicy(), m
		o.Groups = []mcptools.Group{mcptools.GroupSession}
	}})
	marker := filepath.Join(t.TempDir(), "MARKER")
	req := "evil @ file://" + plantedProject(t, marker)
	msg := h.callErr("install_package", map[string]any{"packages": []string{req}})
	require.Contains(t, msg, "packages")
	require.Contains(t, msg, "evil needs building from source")
	require.Contains(t, msg, "--allow-source-builds")
	require.NoFileExists(t, marker)
}

func TestNewRefusesSessionsLooserThanRuns(t *testing.T) {
	t.Parallel()
	full := attackerPolicy()
	for _, tc := range []struct {
		name     string
		runs     *sandbox.Policy
		sessions *sandbox.Policy // nil: unconfined
		want     string          // "" = accepted
	}{
		{"unconfined sessions", &sandbox.Policy{NoNetwork: true}, nil, "Sandbox turns on no_network, but the session manager's policy"},
		{"a switch missing", &sandbox.Policy{NoNetwork: true, PIDNamespace: true}, &sandbox.Policy{NoNetwork: true}, "turns on pid_namespace"},
		{"a looser limit", &sandbox.Policy{MaxProcesses: 64}, &sandbox.Policy{MaxProcesses: 128}, "limits max_processes to 64, but the session manager's policy (session.Options.Sandbox) allows 128"},
		{"no limit", &sandbox.Policy{MemoryBytes: 256 << 20}, &sandbox.Policy{NoNetwork: true}, "has no memory_bytes"},
		{"a wider allow-list", &sandbox.Policy{EnvAllowList: []string{"PATH"}}, &sandbox.Policy{EnvAllowList: []string{"PATH", "AWS_*"}}, `also allows "AWS_*"`},
		{"the same policy", full, full, ""},
		{"tighter sessions", &sandbox.Policy{MaxProcesses: 128, EnvAllowList: []string{"PATH", "LC_*"}}, &sandbox.Policy{MaxProcesses: 64, NoNetwork: true, EnvAllowList: []string{"LC_ALL"}}, ""},
		{"unconfined runs", nil, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for _, p := range []*sandbox.Policy{tc.runs, tc.sessions} {
				testenv.RequireEnforceable(t, sandbox.Check(p))
			}
			m, err := session.NewManager(&session.Options{Python: testenv.Python(t), WorkspaceDir: t.TempDir(), DataDir: t.TempDir(), Sandbox: tc.sessions})
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, m.Close()) })
			ws, err := workspace.Open(m.WorkspaceDir(), nil)
			require.NoError(t, err)
			t.Cleanup(func() { require.NoError(t, ws.Close()) })
			ts, err := mcptools.New(t.Context(), &mcptools.Options{DataDir: t.TempDir(), Sandbox: tc.runs, Sessions: m, Workspace: ws})
			if tc.want == "" {
				require.NoError(t, err)
				require.NoError(t, ts.Close())
				return
			}
			require.ErrorIs(t, err, mcptools.ErrInvalidOptions)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "safety promises are absolute: a switch that is on holds on every path")
		})
	}
}
