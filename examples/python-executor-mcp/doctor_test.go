package main

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// runBinary runs the built server with args in env and returns its exit
// code and output.
func runBinary(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(serverBinary, args...)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	require.NoError(t, err)
	return 0, out.String(), errb.String()
}

// doctorJSON runs `doctor --json` and decodes its report.
func doctorJSON(t *testing.T, env []string, args ...string) (int, *report) {
	t.Helper()
	code, stdout, stderr := runBinary(t, env, append([]string{"doctor", "--json"}, args...)...)
	var r report
	require.NoError(t, json.Unmarshal([]byte(stdout), &r), "stdout: %s\nstderr: %s", stdout, stderr)
	return code, &r
}

// TestDoctor: on this machine the doctor finds the test's uv and Python,
// the data directory, every sandbox switch with the reason a refused call
// would give, and the flags' settings; it exits 0.
func TestDoctor(t *testing.T) {
	t.Parallel()
	env := serverEnv(t)
	dataDir := t.TempDir()
	env = append(env, "PYEXEC_DATA_DIR="+dataDir)
	flags := []string{"--max-concurrent", "4", "--budget", "5", "--response-tokens", "2000", "--http", "127.0.0.1:8765", "--env-allow-list", "default"}

	code, r := doctorJSON(t, env, flags...)
	require.Equal(t, 0, code)
	require.True(t, r.OK)
	require.Empty(t, r.Problems)
	require.Equal(t, testenv.UV(t), r.UV.Path)
	require.True(t, strings.HasPrefix(r.UV.Version, "uv "), r.UV.Version)
	require.NotNil(t, r.Python.Default)
	require.Equal(t, testenv.Python(t), r.Python.Default.Path)
	require.NotEmpty(t, r.Python.Installed)
	require.Equal(t, dirReport{Path: dataDir, Exists: true, Writable: true, FreeBytes: r.DataDir.FreeBytes}, r.DataDir)
	require.Positive(t, r.DataDir.FreeBytes)
	require.Len(t, r.Sandbox, len(switchProbes))
	for i, s := range r.Sandbox {
		p := switchProbes[i].policy
		require.Equal(t, p.Switches()[0], s.Switch)
		require.Equal(t, s.Switch == "env_allow_list", s.Configured, s.Switch)
		if err := sandbox.Check(&p); err != nil {
			require.False(t, s.Enforceable)
			require.Equal(t, err.Error(), s.Reason, "the reason a refused call gives")
			continue
		}
		require.True(t, s.Enforceable, s.Switch)
		require.Empty(t, s.Reason)
	}
	require.Equal(t, serverReport{Transport: "http", HTTPAddr: "127.0.0.1:8765", BudgetSeconds: 5, ResponseTokens: 2000, MaxConcurrent: 4,
		Groups: []string{"run", "jobs", "scripts", "session", "workspace"}, Sandbox: []string{"env_allow_list"}}, r.Server)

	code, stdout, stderr := runBinary(t, env, append([]string{"doctor"}, flags...)...)
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{"uv:        uv ", testenv.UV(t), testenv.Python(t) + "), the default", "data dir:  " + dataDir + " (writable",
		"sandbox:   enforceable here:", "server:    http 127.0.0.1:8765 · budget 5s · responses 2000 tokens · 4 scripts at once", "ok: the server can run"} {
		require.Contains(t, stdout, want)
	}
	require.LessOrEqual(t, strings.Count(stdout, "\n"), 20, "a few readable lines:\n%s", stdout)

	code, r = doctorJSON(t, append(env, "PYEXEC_PYTHON=/nonexistent/python3"))
	require.Equal(t, 1, code)
	require.Nil(t, r.Python.Default)
	require.Len(t, r.Problems, 1)
	require.Equal(t, "python", r.Problems[0].What)
	require.Contains(t, r.Problems[0].Problem, "/nonexistent/python3")
	require.Contains(t, r.Problems[0].Fix, "-python (PYEXEC_PYTHON)")

	code, _, stderr = runBinary(t, env, "doctor", "extra")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "doctor takes flags only")
}

// TestDoctorWithoutUV: on a machine without uv the doctor says so, names
// the fix (--install-uv) and exits 1: uv is required, since every run tool
// uses it by default. A configuration the server would refuse is a
// required problem too.
func TestDoctorWithoutUV(t *testing.T) {
	t.Parallel()
	env, _ := bareMachine(t)
	code, stdout, _ := runBinary(t, env, "doctor")
	require.Equal(t, 1, code, stdout)
	require.Contains(t, stdout, "uv:        not found")
	require.Contains(t, stdout, "PROBLEM (uv): uv not found")
	require.Contains(t, stdout, "--install-uv")
	require.Contains(t, stdout, "not ok: fix the problems above")

	code, r := doctorJSON(t, env, "--http", "0.0.0.0:8765")
	require.Equal(t, 1, code)
	require.False(t, r.OK)
	require.Empty(t, r.UV.Path)
	require.NotNil(t, r.Python.Default, "Python is still found")
	var what []string
	for _, p := range r.Problems {
		require.True(t, p.Required, p.What)
		require.NotEmpty(t, p.Fix, p.What)
		what = append(what, p.What)
	}
	require.Equal(t, []string{"uv", "http"}, what)
	require.Contains(t, r.Problems[0].Fix, "--install-uv")
	require.Contains(t, r.Problems[1].Fix, "PYEXEC_HTTP_TOKEN")
}
