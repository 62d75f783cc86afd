package session_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/session"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// newManager returns a Manager with a temporary workspace and data directory
// and the test interpreter, closed when the test ends. Fields set in opts
// are kept.
func newManager(t testing.TB, opts *session.Options) *session.Manager {
	t.Helper()
	if opts == nil {
		opts = &session.Options{}
	}
	if opts.Python == "" {
		opts.Python = testenv.Python(t)
	}
	if opts.WorkspaceDir == "" {
		opts.WorkspaceDir = filepath.Join(t.TempDir(), "workspace")
	}
	if opts.DataDir == "" {
		opts.DataDir = t.TempDir()
	}
	m, err := session.NewManager(opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, m.Close()) })
	return m
}

// execute runs code in session id without a timeout, bounded by a minute.
func execute(t testing.TB, m *session.Manager, id, code string) *session.CellResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := m.Execute(ctx, id, code, 0)
	require.NoError(t, err)
	return res
}

// value runs code and returns the value of its trailing expression,
// failing the test if the cell raised.
func value(t testing.TB, m *session.Manager, id, code string) string {
	t.Helper()
	res := execute(t, m, id, code)
	require.Nil(t, res.Error, "%+v", res.Error)
	return res.Value
}

// info returns the List entry of session id.
func info(t testing.TB, m *session.Manager, id string) (session.Info, bool) {
	t.Helper()
	for _, in := range m.List() {
		if in.ID == id {
			return in, true
		}
	}
	return session.Info{}, false
}

// uvCacheArgs shares one uv cache between test runs, so packages from PyPI
// are downloaded once (not t.TempDir: that would download every run).
func uvCacheArgs() []string {
	return []string{"--cache-dir", filepath.Join(os.TempDir(), "pyexec-test-uv-cache")}
}

// buildWheel writes a pure-Python wheel of distribution name (module
// modname, which sets VALUE = value) into dir, for offline installs.
func buildWheel(t testing.TB, dir, name, modname, version, value string) {
	t.Helper()
	_, err := testenv.WriteWheel(dir, testenv.Wheel{Name: name, Version: version,
		Files: map[string]string{modname + "/__init__.py": "VALUE = " + value + "\n"}})
	require.NoError(t, err)
}
