package sandboxflag

import (
	"flag"
	"io"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/sandbox"
)

func parse(t *testing.T, args ...string) (Settings, error) {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	f := Register(fs, "runs")
	require.NoError(t, fs.Parse(args))
	return f.Settings()
}

func TestSettings(t *testing.T) {
	s, err := parse(t)
	require.NoError(t, err)
	require.False(t, s.Policy.Enabled())

	s, err = parse(t, "-memory-limit-mb", "256", "-cpu-limit-seconds", "60", "-max-processes", "64", "-max-file-mb", "10",
		"-no-network", "-read-only-fs", "-writable-dirs", "/a, /b", "-pid-namespace", "-env-allow-list", "default",
		"-allow-direct-references", "-allow-source-builds")
	require.NoError(t, err)
	require.Equal(t, Settings{Policy: sandbox.Policy{MemoryBytes: 256 << 20, CPUSeconds: 60, MaxProcesses: 64, MaxFileBytes: 10 << 20,
		NoNetwork: true, ReadOnlyFS: true, WritableDirs: []string{"/a", "/b"}, PIDNamespace: true,
		EnvAllowList: sandbox.DefaultEnvAllowList()}, AllowDirectReferences: true, AllowSourceBuilds: true}, s)

	s, err = parse(t, "-env-allow-list", "PATH,LC_*")
	require.NoError(t, err)
	require.Equal(t, []string{"PATH", "LC_*"}, s.Policy.EnvAllowList)

	_, err = parse(t, "-memory-limit-mb", "lots", "-max-processes", "x")
	require.ErrorContains(t, err, `-memory-limit-mb "lots": give an integer`)
	require.ErrorContains(t, err, `-max-processes "x": give an integer`)
}

func TestEnvironmentDefaults(t *testing.T) {
	t.Setenv("PYEXEC_NO_NETWORK", "1")
	t.Setenv("PYEXEC_MEMORY_LIMIT_MB", "128")
	t.Setenv("PYEXEC_ALLOW_SOURCE_BUILDS", "1")
	s, err := parse(t)
	require.NoError(t, err)
	require.True(t, s.Policy.NoNetwork)
	require.Equal(t, int64(128<<20), s.Policy.MemoryBytes)
	require.True(t, s.AllowSourceBuilds)
	require.False(t, s.AllowDirectReferences)
}
