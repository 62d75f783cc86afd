package session_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/session"
)

// offlineOptions returns options that install only from wheels the test
// builds: pyexec-probe 1.0 (VALUE = 1) and 2.0 (VALUE = 2).
func offlineOptions(t *testing.T) *session.Options {
	t.Helper()
	wheels := t.TempDir()
	buildWheel(t, wheels, "pyexec-probe", "pyexec_probe", "1.0", "1")
	buildWheel(t, wheels, "pyexec-probe", "pyexec_probe", "2.0", "2")
	return &session.Options{
		UV:     testenv.UV(t),
		UVArgs: []string{"--offline", "--no-index", "--find-links", wheels, "--cache-dir", t.TempDir()},
	}
}

func install(t *testing.T, m *session.Manager, id string, reqs ...string) *session.InstallResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	res, err := m.Install(ctx, id, reqs)
	require.NoError(t, err)
	return res
}

func TestInstallThenImportInLiveSession(t *testing.T) {
	t.Parallel()
	m := newManager(t, offlineOptions(t))
	execute(t, m, "", "state = 'kept'")
	res := execute(t, m, "", "import pyexec_probe")
	require.NotNil(t, res.Error)
	require.Equal(t, "ModuleNotFoundError", res.Error.Type)
	before, _ := info(t, m, "default")

	ir := install(t, m, "", "pyexec-probe==1.0")
	require.True(t, ir.VenvCreated)
	require.Equal(t, []session.Package{{Name: "pyexec-probe", Version: "1.0", Requirement: "pyexec-probe==1.0"}}, ir.Requested)
	require.Equal(t, []session.Package{{Name: "pyexec-probe", Version: "1.0"}}, ir.Installed)

	// Same kernel, same state, and the package imports.
	require.Equal(t, "(1, 'kept')", value(t, m, "", "import pyexec_probe\n(pyexec_probe.VALUE, state)"))
	after, _ := info(t, m, "default")
	require.Equal(t, before.KernelPID, after.KernelPID)
	require.Equal(t, []session.Package{{Name: "pyexec-probe", Version: "1.0"}}, after.Packages)
	require.Equal(t, ir.Venv, after.Venv)
	// Subprocesses of cells see the environment too.
	require.Equal(t, "'1'", value(t, m, "", "import subprocess\nsubprocess.run(['python', '-c', 'import pyexec_probe; print(pyexec_probe.VALUE)'], capture_output=True, text=True).stdout.strip()"))

	// An upgrade: the imported module keeps its version until Reset.
	ir = install(t, m, "", "pyexec-probe==2.0")
	require.False(t, ir.VenvCreated)
	require.Equal(t, []session.Package{{Name: "pyexec-probe", Version: "1.0"}}, ir.Removed)
	require.Equal(t, "2.0", ir.Requested[0].Version)
	require.NotEmpty(t, ir.Notes)
	require.NoError(t, m.Reset(context.Background(), ""))
	require.Equal(t, "(2, True)", value(t, m, "", "import pyexec_probe, sys\n(pyexec_probe.VALUE, sys.prefix == "+pyQuote(ir.Venv)+")"))
}

func TestInstallBeforeFirstCell(t *testing.T) {
	t.Parallel()
	m := newManager(t, offlineOptions(t))
	ir := install(t, m, "fresh", "pyexec-probe")
	require.Equal(t, "2.0", ir.Requested[0].Version)
	in, _ := info(t, m, "fresh")
	require.Zero(t, in.KernelPID) // no kernel was started for the install
	require.Equal(t, "2", value(t, m, "fresh", "import pyexec_probe\npyexec_probe.VALUE"))
}

func TestStartupPackages(t *testing.T) {
	t.Parallel()
	opts := offlineOptions(t)
	opts.StartupPackages = []string{"pyexec-probe==1.0"}
	m := newManager(t, opts)
	res := execute(t, m, "", "import pyexec_probe\npyexec_probe.VALUE")
	require.Nil(t, res.Error, "%+v", res.Error)
	require.Equal(t, "1", res.Value)
	require.Contains(t, res.Notes, "installed the startup packages: pyexec-probe==1.0")
	// Later cells do not install again.
	require.Empty(t, execute(t, m, "", "1").Notes)
}

func TestInstallErrors(t *testing.T) {
	t.Parallel()
	m := newManager(t, offlineOptions(t))
	ctx := context.Background()
	tests := []struct {
		name     string
		reqs     []string
		want     error
		contains string
	}{
		{name: "nothing", reqs: nil, want: session.ErrInvalidRequirement},
		{name: "empty", reqs: []string{" "}, want: session.ErrInvalidRequirement},
		{name: "option", reqs: []string{"--index-url=https://evil.example"}, want: session.ErrInvalidRequirement, contains: "looks like a command-line option"},
		{name: "two lines", reqs: []string{"six\nnumpy"}, want: session.ErrInvalidRequirement},
		{name: "unknown package", reqs: []string{"pyexec-no-such-package"}, want: session.ErrInstall, contains: "pyexec-no-such-package"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := m.Install(ctx, "", tc.reqs)
			require.ErrorIs(t, err, tc.want)
			require.Contains(t, err.Error(), tc.contains)
		})
	}
	// The session still works after a failed install.
	require.Equal(t, "2", value(t, m, "", "1 + 1"))
}

// TestMatplotlibPlots installs matplotlib from the real package index (uv's
// cache under the system temp directory keeps later runs fast).
func TestMatplotlibPlots(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{UV: testenv.UV(t), UVArgs: uvCacheArgs(), MaxImages: 2})
	execute(t, m, "", "xs = list(range(10))")
	ir := install(t, m, "", "matplotlib")
	require.Equal(t, "matplotlib", ir.Requested[0].Name)
	require.NotEmpty(t, ir.Requested[0].Version)

	tests := []struct {
		name, code    string
		images        int
		omitted       int
		stderrIsEmpty bool
	}{
		{name: "figure left open", code: "import matplotlib.pyplot as plt\nplt.plot(xs, [x * x for x in xs])\nplt.title('squares');", images: 1, stderrIsEmpty: true},
		{name: "closed after the cell", code: "len(plt.get_fignums())", images: 0},
		{name: "plt.show is harmless", code: "plt.plot(xs)\nplt.show()\nprint(len(plt.get_fignums()))", images: 1, stderrIsEmpty: true},
		{name: "several figures capped", code: "for i in range(3):\n    plt.figure()\n    plt.plot(xs[:i + 2])", images: 2, omitted: 1},
		{name: "backend", code: "import matplotlib\nprint(matplotlib.get_backend().lower())", images: 0},
	}
	for _, tc := range tests { // sequential: one session
		t.Run(tc.name, func(t *testing.T) {
			res := execute(t, m, "", tc.code)
			require.Nil(t, res.Error, "%+v", res.Error)
			require.Len(t, res.Images, tc.images)
			require.Equal(t, tc.omitted, res.ImagesOmitted)
			if tc.stderrIsEmpty {
				require.Empty(t, res.Stderr)
			}
			for _, im := range res.Images {
				require.Equal(t, "image/png", im.MIME)
				img, err := png.Decode(bytes.NewReader(im.Data))
				require.NoError(t, err)
				require.Greater(t, img.Bounds().Dx(), 100)
			}
			switch tc.name {
			case "closed after the cell":
				require.Equal(t, "0", res.Value)
			case "plt.show is harmless":
				require.Equal(t, "0\n", res.Stdout)
			case "backend":
				require.Equal(t, "agg\n", res.Stdout)
			}
		})
	}

	// In the history a figure is display_data, after the streams.
	h, err := m.History("")
	require.NoError(t, err)
	var shown *session.HistoryCell
	for i := range h {
		if strings.Contains(h[i].Code, "plt.show()") {
			shown = &h[i]
		}
	}
	require.NotNil(t, shown)
	require.Len(t, shown.Outputs, 2)
	require.Equal(t, session.Output{Type: "stream", Name: "stdout", Text: "0\n"}, shown.Outputs[0])
	require.Equal(t, "display_data", shown.Outputs[1].Type)
	raw, err := base64.StdEncoding.DecodeString(shown.Outputs[1].Data["image/png"])
	require.NoError(t, err)
	_, err = png.Decode(bytes.NewReader(raw))
	require.NoError(t, err)
}

func pyQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }
