package testenv

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Venv returns the interpreter of a virtual environment with the given
// pinned PyPI requirements (e.g. "nbformat==5.11.1"), on an interpreter of
// at least Python least, made once with uv in the user's cache directory
// (keyed by the requirements and the base interpreter) so that reruns start
// at once. Tests drive real Python clients and checkers through it (the
// official MCP client, Jupyter's nbformat). A failed install fails the test
// in CI and skips it elsewhere (Missing).
func Venv(t testing.TB, least string, requirements ...string) string {
	t.Helper()
	base := PythonAtLeast(t, least)
	uv := UV(t)
	cache, err := os.UserCacheDir()
	require.NoError(t, err)
	key := sha256.Sum256([]byte(base + "\x00" + strings.Join(requirements, "\x00")))
	parent := filepath.Join(cache, "pyexec", "venvs")
	dir := filepath.Join(parent, hex.EncodeToString(key[:8]))
	const marker = ".pyexec-complete" // written last: a directory without it is not a finished install
	python := filepath.Join(dir, "bin", "python")
	if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
		return python
	}
	require.NoError(t, os.MkdirAll(parent, 0o755))
	// Built beside its final place and renamed there, so that concurrent
	// tests never see half an environment. A venv may move: its
	// interpreter finds it from its own path.
	tmp, err := os.MkdirTemp(parent, "tmp-")
	require.NoError(t, err)
	defer os.RemoveAll(tmp)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for _, args := range [][]string{
		{"venv", "--quiet", "--allow-existing", "--python", base, tmp},
		append([]string{"pip", "install", "--quiet", "--python", filepath.Join(tmp, "bin", "python")}, requirements...),
	} {
		if out, err := exec.CommandContext(ctx, uv, args...).CombinedOutput(); err != nil {
			Missing(t, fmt.Sprintf("%s (uv %s: %v)\n%s", strings.Join(requirements, " "), strings.Join(args[:2], " "), err, out))
		}
	}
	require.NoError(t, os.WriteFile(filepath.Join(tmp, marker), nil, 0o644))
	if err := os.Rename(tmp, dir); err != nil {
		if _, serr := os.Stat(filepath.Join(dir, marker)); serr != nil { // not another test's finished install
			require.NoError(t, os.RemoveAll(dir))
			require.NoError(t, os.Rename(tmp, dir))
		}
	}
	return python
}
