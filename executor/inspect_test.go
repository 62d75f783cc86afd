package executor

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// TestInspect: what a health check reads is what a run uses, and a missing
// interpreter or uv is the error a run gets.
func TestInspect(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	python := testenv.Python(t)
	ex, err := New(&Options{Python: python, UV: testenv.UV(t), DataDir: t.TempDir()})
	require.NoError(t, err)
	def, err := ex.DefaultInterpreter(ctx)
	require.NoError(t, err)
	require.Equal(t, python, def.Path)
	require.Regexp(t, `^3\.\d+\.\d+`, def.Version)
	uv, err := ex.UV()
	require.NoError(t, err)
	require.Equal(t, testenv.UV(t), uv)
	for _, in := range ex.Interpreters(ctx) {
		require.True(t, filepath.IsAbs(in.Path), in.Path)
	}

	missing := filepath.Join(t.TempDir(), "nothing")
	ex, err = New(&Options{Python: missing, UV: missing, DataDir: t.TempDir()})
	require.NoError(t, err)
	_, err = ex.DefaultInterpreter(ctx)
	require.True(t, errors.Is(err, ErrPythonNotFound), "%v", err)
	_, err = ex.UV()
	require.True(t, errors.Is(err, ErrUVNotFound), "%v", err)
}
