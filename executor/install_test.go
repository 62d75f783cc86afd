package executor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// plantBackend writes the attack of issue 10 into dir/evil: a project whose
// in-tree build backend writes marker (a path outside every writable
// directory) and records in the wheel it builds what it could see: whether
// the write worked, how many processes it saw, whether the server's secret
// was in its environment. testenv.WriteSourceProject also writes it as
// dir/links/evil-1.0.tar.gz, a source distribution on a local index. It
// returns the project's directory.
func plantBackend(t *testing.T, dir, marker string) string {
	t.Helper()
	files := map[string]string{
		"pyproject.toml": "[project]\nname = \"evil\"\nversion = \"1.0\"\n\n[build-system]\nrequires = []\nbuild-backend = \"backend\"\nbackend-path = [\".\"]\n",
		"backend.py": `import os, zipfile
MARKER = ` + quote(marker) + `
def _probe():
    try:
        with open(MARKER, "w") as f:
            f.write(str(os.getuid()))
        wrote = True
    except OSError:
        wrote = False
    pids = len([p for p in os.listdir("/proc") if p.isdigit()])
    return "WROTE = %r\nPIDS = %d\nSECRET = %r\n" % (wrote, pids, os.environ.get("PYEXEC_TEST_SECRET"))
META = "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n"
def get_requires_for_build_wheel(config_settings=None):
    return []
def prepare_metadata_for_build_wheel(d, config_settings=None):
    _probe()
    os.makedirs(os.path.join(d, "evil-1.0.dist-info"), exist_ok=True)
    with open(os.path.join(d, "evil-1.0.dist-info", "METADATA"), "w") as f:
        f.write(META)
    return "evil-1.0.dist-info"
def build_wheel(d, config_settings=None, metadata_directory=None):
    name = "evil-1.0-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(d, name), "w") as z:
        z.writestr("evil.py", _probe())
        z.writestr("evil-1.0.dist-info/METADATA", META)
        z.writestr("evil-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nGenerator: t\nRoot-Is-Purelib: true\nTag: py3-none-any\n")
        z.writestr("evil-1.0.dist-info/RECORD", "")
    return name
`,
	}
	links := filepath.Join(dir, "links")
	require.NoError(t, os.MkdirAll(links, 0o755))
	proj, err := testenv.WriteSourceProject(dir, links, "evil", "1.0", files)
	require.NoError(t, err)
	return proj
}

func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

// confinedPolicy is every switch of the attacker's test in issue 10.
func confinedPolicy() *sandbox.Policy {
	return &sandbox.Policy{MemoryBytes: 1 << 30, MaxProcesses: 256, NoNetwork: true, ReadOnlyFS: true,
		PIDNamespace: true, EnvAllowList: sandbox.DefaultEnvAllowList()}
}

func TestConfinedInstallsRunNoForeignCodeOutside(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	marker := filepath.Join(t.TempDir(), "MARKER")
	proj := plantBackend(t, dir, marker)
	links := filepath.Join(dir, "links")
	executor := func(t *testing.T, allowDirect, allowBuilds bool) *Executor {
		return newExecutor(t, true, func(o *Options) {
			o.UVArgs = []string{"--offline", "--no-index", "--find-links", links}
			o.UVCacheDir = t.TempDir()
			o.BaseEnv = append(os.Environ(), "PYEXEC_TEST_SECRET=hunter2")
			o.AllowDirectReferences, o.AllowSourceBuilds = allowDirect, allowBuilds
		})
	}
	probe := "import evil; print(evil.WROTE, evil.PIDS < 10, evil.SECRET)"

	t.Run("a direct reference is refused", func(t *testing.T) {
		t.Parallel()
		e := executor(t, false, false)
		if !requireSandbox(t, e, confinedPolicy()) {
			return
		}
		_, err := e.Run(context.Background(), &Request{UseUV: true, Sandbox: confinedPolicy(), Code: probe,
			Dependencies: []string{"evil @ file://" + proj}})
		var re *RequestError
		require.ErrorAs(t, err, &re)
		require.Equal(t, "Dependencies", re.Field)
		var refused *RefusedError
		require.ErrorAs(t, err, &refused)
		require.Equal(t, "direct-reference", refused.Rule)
		require.Equal(t, "AllowDirectReferences", refused.Option)
		require.Contains(t, err.Error(), "evil @ file://"+proj)
		// Also in the script's own metadata block, and as a bare archive
		// name that uv would read as a local file.
		_, err = e.Run(context.Background(), &Request{UseUV: true, Sandbox: confinedPolicy(),
			Code: "# /// script\n# dependencies = [\"evil @ file://" + proj + "\"]\n# ///\n" + probe})
		require.ErrorAs(t, err, &refused)
		_, err = e.Run(context.Background(), &Request{UseUV: true, Sandbox: confinedPolicy(), Code: probe,
			Dependencies: []string{"evil-1.0-py3-none-any.whl"}})
		require.ErrorAs(t, err, &refused)
		require.NoFileExists(t, marker)
	})
	t.Run("a source build is refused", func(t *testing.T) {
		t.Parallel()
		e := executor(t, false, false)
		if !requireSandbox(t, e, confinedPolicy()) {
			return
		}
		for _, deps := range [][]string{{"evil==1.0"}, {"evil>=1"}} { // pinned (no resolution) and a range
			_, err := e.Run(context.Background(), &Request{UseUV: true, Sandbox: confinedPolicy(), Code: probe, Dependencies: deps})
			var refused *RefusedError
			require.ErrorAs(t, err, &refused, "%v", deps)
			require.Equal(t, "source-build", refused.Rule)
			require.Equal(t, "evil", refused.Requirement)
			require.Contains(t, err.Error(), "AllowSourceBuilds")
		}
		require.NoFileExists(t, marker)
	})
	t.Run("an allowed build runs inside the sandbox", func(t *testing.T) {
		t.Parallel()
		e := executor(t, true, true)
		if !requireSandbox(t, e, confinedPolicy()) {
			return
		}
		for _, dep := range []string{"evil==1.0", "evil @ file://" + proj} {
			res, err := e.Run(context.Background(), &Request{UseUV: true, Sandbox: confinedPolicy(), Code: probe, Dependencies: []string{dep}})
			require.NoError(t, err, dep)
			// The backend could not write outside, saw only the sandbox's
			// processes, and never saw the server's secret.
			require.Equal(t, "False True None\n", res.Stdout, res.Stderr)
		}
		require.NoFileExists(t, marker)
	})
	t.Run("unconfined runs build as before", func(t *testing.T) {
		t.Parallel()
		own := filepath.Join(t.TempDir(), "MARKER")
		e := newExecutor(t, true, func(o *Options) { o.UVCacheDir = t.TempDir() })
		unconfined := plantBackend(t, t.TempDir(), own)
		res, err := e.Run(context.Background(), &Request{UseUV: true, Code: "import evil; print(evil.WROTE)",
			Dependencies: []string{"evil @ file://" + unconfined}})
		require.NoError(t, err)
		require.Equal(t, "True\n", res.Stdout, res.Stderr)
		require.FileExists(t, own)
	})
}

// TestCallEnvironmentNeverReachesUV is finding 2 of issue 10: a call's
// UV_FIND_LINKS and UV_NO_INDEX installed a planted wheel into the shared
// environment cache, which a later call asking for the same pin imported.
func TestCallEnvironmentNeverReachesUV(t *testing.T) {
	t.Parallel()
	e := offlineExecutor(t)
	planted := t.TempDir()
	_, err := testenv.WriteWheel(planted, testenv.Wheel{Name: "pyexecdemo", Version: "1.5.0",
		Files: map[string]string{"pyexecdemo/__init__.py": "__version__ = 'trojan'\n"}})
	require.NoError(t, err)
	_, err = testenv.WriteWheel(planted, testenv.Wheel{Name: "pyexecdemo", Version: "1.7.0",
		Files: map[string]string{"pyexecdemo/__init__.py": "__version__ = 'trojan'\n"}})
	require.NoError(t, err)
	attack := map[string]string{"UV_FIND_LINKS": planted, "UV_NO_INDEX": "1", "UV_INDEX_URL": "http://127.0.0.1:9/simple",
		"UV_OFFLINE": "0", "PIP_FIND_LINKS": planted}
	code := "import pyexecdemo; print(pyexecdemo.__version__)"
	for _, deps := range [][]string{{"pyexecdemo==1.5.0"}, {"pyexecdemo>=1.5,<1.6"}} {
		res, err := e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: deps, Env: attack})
		require.NoError(t, err)
		require.Equal(t, "1.5.0\n", res.Stdout, "%v: the call's env_vars chose the wheel", deps)
		// The script itself still sees its variables.
		res, err = e.Run(context.Background(), &Request{UseUV: true, Dependencies: deps, Env: attack,
			Code: "import os; print(os.environ['UV_NO_INDEX'])"})
		require.NoError(t, err)
		require.Equal(t, "1\n", res.Stdout)
		// A later call without them gets the real wheel from the cache.
		res, err = e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: deps})
		require.NoError(t, err)
		require.Equal(t, "1.5.0\n", res.Stdout)
	}
	// A version only the planted directory has is not found.
	_, err = e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdemo==1.7.0"}, Env: attack})
	require.ErrorIs(t, err, ErrResolution)
	// The same goes for an env file.
	envFile := filepath.Join(t.TempDir(), ".env")
	require.NoError(t, os.WriteFile(envFile, []byte("UV_FIND_LINKS="+planted+"\nUV_NO_INDEX=1\n"), 0o600))
	_, err = e.Run(context.Background(), &Request{UseUV: true, Code: code, Dependencies: []string{"pyexecdemo>=1.7,<2"}, EnvFile: envFile})
	require.ErrorIs(t, err, ErrResolution)
}
