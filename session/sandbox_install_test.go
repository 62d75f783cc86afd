package session_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/session"
)

// evilBackend is an in-tree PEP 517 build backend, the code a source build
// runs: it tries to write marker (outside every writable directory), to
// see the test's process and to reach the test's listener on the host's
// loopback, and builds a wheel whose evil.RESULT says what it managed.
const evilBackend = `import base64, hashlib, os, socket, zipfile

MARKER, HOST_PID, PORT = %q, %d, %d


def _probe():
    r = {}
    try:
        with open(MARKER, "w") as f:
            f.write("the build backend ran here")
        r["marker"] = "written"
    except OSError as e:
        r["marker"] = e.strerror
    r["sees_host_pid"] = os.path.exists("/proc/%%d/cmdline" %% HOST_PID)
    try:
        socket.create_connection(("127.0.0.1", PORT), timeout=5).close()
        r["net"] = "connected"
    except OSError as e:
        r["net"] = type(e).__name__
    return r


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    files = {
        "evil/__init__.py": "RESULT = %%r\n" %% (_probe(),),
        "evil-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: evil\nVersion: 1.0\n",
        "evil-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: evil\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    name = "evil-1.0-py3-none-any.whl"
    record = ""
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w") as z:
        for path, body in files.items():
            z.writestr(path, body)
            digest = base64.urlsafe_b64encode(hashlib.sha256(body.encode()).digest()).rstrip(b"=").decode()
            record += "%%s,sha256=%%s,%%d\n" %% (path, digest, len(body))
        record += "evil-1.0.dist-info/RECORD,,\n"
        z.writestr("evil-1.0.dist-info/RECORD", record)
    return name
`

const evilPyproject = `[build-system]
requires = []
build-backend = "evilbackend"
backend-path = ["."]

[project]
name = "evil"
version = "1.0"
`

// plantedBackend writes the project of distribution evil 1.0 with its
// planted backend into a new directory and, as evil-1.0.tar.gz, into
// links; marker is the file the backend tries to write, port a listener
// on the host's loopback.
func plantedBackend(t *testing.T, links, marker string, port int) (project string) {
	t.Helper()
	project, err := testenv.WriteSourceProject(t.TempDir(), links, "evil", "1.0", map[string]string{
		"pyproject.toml": evilPyproject,
		"evilbackend.py": fmt.Sprintf(evilBackend, marker, os.Getpid(), port),
	})
	require.NoError(t, err)
	return project
}

func TestConfinedInstallRefusals(t *testing.T) {
	t.Parallel()
	links, outside := t.TempDir(), t.TempDir()
	marker := filepath.Join(outside, "marker")
	project := plantedBackend(t, links, marker, hostPort(t))
	opts := offlineOptions(t)
	opts.UVArgs = append(opts.UVArgs, "--find-links", links)
	m := confinedManager(t, nil, opts)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()

	// A direct reference: refused before uv runs.
	_, err := m.Install(ctx, "", []string{"evil @ file://" + project})
	re := isRefusal(t, err, "direct-reference")
	require.Equal(t, "evil @ file://"+project, re.Requirement)
	require.Equal(t, "AllowDirectReferences", re.Option)
	// By name, from a source distribution: uv refuses to build it.
	_, err = m.Install(ctx, "", []string{"evil"})
	re = isRefusal(t, err, "source-build")
	require.Equal(t, "evil", re.Requirement)
	require.Equal(t, "AllowSourceBuilds", re.Option)
	// Wheels still install, and the backend never ran.
	install(t, m, "", "pyexec-probe==1.0")
	require.NoFileExists(t, marker)

	// StartupPackages are held to the same rules when the manager starts.
	bad := offlineOptions(t)
	bad.Python, bad.Sandbox, bad.WorkspaceDir = testenv.Python(t), allSwitches(), t.TempDir()
	bad.StartupPackages = []string{"evil @ file://" + project}
	_, err = session.NewManager(bad)
	require.ErrorIs(t, err, session.ErrInvalidOptions)
	require.ErrorContains(t, err, "direct reference")
	require.NoFileExists(t, marker)
}

func TestConfinedInstallBuildsInsideTheSandbox(t *testing.T) {
	t.Parallel()
	links, outside, shared := t.TempDir(), t.TempDir(), t.TempDir()
	marker := filepath.Join(outside, "marker")
	project := plantedBackend(t, links, marker, hostPort(t))
	opts := offlineOptions(t)
	opts.UVArgs = []string{"--offline", "--no-index", "--find-links", links, "--cache-dir", shared}
	opts.AllowSourceBuilds, opts.AllowDirectReferences = true, true
	m := confinedManager(t, nil, opts)
	for _, req := range []string{"evil", "evil @ file://" + project} {
		t.Run(req, func(t *testing.T) {
			id := strings.Fields(req)[len(strings.Fields(req))-1]
			ir := install(t, m, id, req)
			require.Equal(t, "1.0", ir.Installed[0].Version)
			got := value(t, m, id, "import evil\nevil.RESULT")
			require.Equal(t, "{'marker': 'Read-only file system', 'sees_host_pid': False, 'net': 'ConnectionRefusedError'}", got)
			require.NoFileExists(t, marker)
		})
	}
	// The build used a private uv cache: nothing of it in the shared one.
	var built []string
	require.NoError(t, filepath.WalkDir(shared, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), "evil") {
			built = append(built, path)
		}
		return nil
	}))
	require.Empty(t, built)
}

func TestUnconfinedInstallRunsTheBackendOutside(t *testing.T) {
	t.Parallel()
	// The contrast that makes the tests above mean something: without a
	// sandbox, the same build writes its marker and sees the host.
	links, outside := t.TempDir(), t.TempDir()
	marker := filepath.Join(outside, "marker")
	plantedBackend(t, links, marker, hostPort(t))
	opts := offlineOptions(t)
	opts.UVArgs = append(opts.UVArgs, "--find-links", links)
	m := newManager(t, opts)
	install(t, m, "", "evil")
	require.Equal(t, "{'marker': 'written', 'sees_host_pid': True, 'net': 'connected'}", value(t, m, "", "import evil\nevil.RESULT"))
	require.FileExists(t, marker)
}

// hostPort is the port of a service on the host's loopback.
func hostPort(t *testing.T) int {
	port, _ := testenv.LoopbackListener(t)
	return port
}
