package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// readmePath is the repository's README, whose commands and client
// configurations the tests run as written.
const readmePath = "../../README.md"

// readmeSection returns the lines of the README section whose heading is
// heading ("## Quick start"), up to the next heading of the same level.
func readmeSection(t *testing.T, path, heading string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	level := heading[:strings.IndexByte(heading, ' ')+1]
	var out []string
	in := false
	for _, line := range strings.Split(string(b), "\n") {
		switch {
		case line == heading:
			in = true
			continue
		case in && strings.HasPrefix(line, level):
			return out
		}
		if in {
			out = append(out, line)
		}
	}
	require.True(t, in, "%s has no section %q", path, heading)
	return out
}

// readmeRunCommand returns the arguments of the Quick start's run command
// (`go run ./examples/python-executor-mcp …`, continuation lines joined),
// split as sh would split them: words, 'single-quoted' strings.
func readmeRunCommand(t *testing.T) []string {
	t.Helper()
	const prefix = "go run ./examples/python-executor-mcp "
	lines := readmeSection(t, readmePath, "## Quick start")
	for i, line := range lines {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		cmd := line
		for strings.HasSuffix(cmd, "\\") && i+1 < len(lines) {
			i++
			cmd = strings.TrimSuffix(cmd, "\\") + lines[i]
		}
		return shellWords(t, strings.TrimPrefix(cmd, prefix))
	}
	t.Fatalf("the README's Quick start has no line starting %q", prefix)
	return nil
}

// shellWords splits s into words as sh does for the README's commands:
// blanks separate words, single quotes keep everything literally. Anything
// else that sh would interpret fails the test, so that the README cannot
// grow a command this reading gets wrong.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	var words []string
	var w strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			require.GreaterOrEqual(t, j, 0, "unterminated quote in %q", s)
			w.WriteString(s[i+1 : i+1+j])
			i += 1 + j
			inWord = true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, w.String())
				w.Reset()
				inWord = false
			}
		case strings.IndexByte("\"$`\\;&|<>()*?#~", c) >= 0:
			t.Fatalf("the README's command %q uses %q, which this test does not interpret", s, c)
		default:
			w.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, w.String())
	}
	return words
}

// bareMachine returns the environment of a machine with Go and Python 3
// but no uv: PATH holds python3 (the real interpreter, as a pyenv shim
// needs the real home) and the test's PATH minus every directory with a
// uv, HOME is a new directory (so ~/.local/bin and ~/.cargo/bin are empty),
// and nothing names uv. pip's cache stays the user's, only to save
// downloading uv's wheel again; what pip and uv need to reach the index
// (PIP_*, proxies, certificates) is kept.
func bareMachine(t *testing.T) (env []string, home string) {
	t.Helper()
	python := testenv.Python(t)
	bin := t.TempDir()
	require.NoError(t, os.Symlink(python, filepath.Join(bin, "python3")))
	path := []string{bin}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := pyfind.LookPath("uv", dir); err != nil && dir != "" {
			path = append(path, dir)
		}
	}
	pipCache, err := exec.Command(python, "-m", "pip", "cache", "dir").Output()
	home = t.TempDir()
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "PATH", "HOME", "PYEXEC_UV", "PYEXEC_INSTALL_UV", "PYTHONUSERBASE", "XDG_CACHE_HOME", "PYEXEC_DATA_DIR", "UV_CACHE_DIR":
		default:
			env = append(env, kv)
		}
	}
	env = append(env, "PATH="+strings.Join(path, string(filepath.ListSeparator)), "HOME="+home)
	if err == nil && os.Getenv("PIP_CACHE_DIR") == "" {
		env = append(env, "PIP_CACHE_DIR="+strings.TrimSpace(string(pipCache)))
	}
	_, err = pyfind.LookPath("uv", strings.Join(path, string(filepath.ListSeparator)))
	require.Error(t, err, "uv must not be on the bare machine's PATH")
	return env, home
}

// TestReadmeRunCommandInstallsUV runs the README's first command, as
// written (the built binary for `go run ./examples/python-executor-mcp`), on
// a machine without uv: without --install-uv it fails naming the flag; with
// it, it installs uv into ~/.local/bin with pip, says so in one line, and
// the call succeeds; run again, it finds that uv and installs nothing.
func TestReadmeRunCommandInstallsUV(t *testing.T) {
	t.Parallel()
	args := readmeRunCommand(t)
	require.Contains(t, args, "--install-uv", "the README's first command must set up a bare machine")
	env, home := bareMachine(t)
	runIt := func(args []string) (code int, stdout, stderr string) { return runBinary(t, env, args...) }

	var without []string
	for _, a := range args {
		if a != "--install-uv" {
			without = append(without, a)
		}
	}
	code, stdout, stderr := runIt(without)
	require.Equal(t, 1, code, stdout+stderr)
	require.Contains(t, stdout, "uv not found")
	require.Contains(t, stderr, "--install-uv")
	require.NoFileExists(t, filepath.Join(home, ".local", "bin", "uv"), "nothing is installed unasked")

	code, stdout, stderr = runIt(args)
	installed := filepath.Join(home, ".local", "bin", "uv")
	require.Equal(t, 0, code, stdout+stderr)
	require.FileExists(t, installed)
	require.Regexp(t, `(?m)^python-executor-mcp: installed uv [0-9.]+ .*at `+regexp.QuoteMeta(installed)+` \(.* -m pip install --user uv\)$`, stderr)
	require.Equal(t, 1, strings.Count(stderr, "\n"), "one line says what was installed where:\n%s", stderr)
	require.Contains(t, stdout, "## ✅ Exit code 0")
	require.Contains(t, stdout, "six==")

	code, stdout, stderr = runIt(args)
	require.Equal(t, 0, code, stdout+stderr)
	require.NotContains(t, stderr, "installed uv")
}

// TestInstallUVErrors: each way the install cannot happen says what to do.
func TestInstallUVErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, out, want string }{
		{"no pip", "/usr/bin/python3: No module named pip", "ensurepip"},
		{"PEP 668", "error: externally-managed-environment\n× This environment is externally managed", "pipx install uv"},
		{"other", "ERROR: Could not find a version that satisfies the requirement uv", "Could not find a version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := pipError("/usr/bin/python3", tc.out, &exec.ExitError{})
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "https://docs.astral.sh/uv/")
		})
	}
	missing := filepath.Join(t.TempDir(), "uv")
	cfg := &config{uv: missing, installUV: true}
	err := setupUV(t.Context(), cfg, &bytes.Buffer{})
	require.ErrorContains(t, err, "-uv (PYEXEC_UV)")
	require.ErrorContains(t, err, missing)
}
