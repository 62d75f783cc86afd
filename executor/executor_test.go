package executor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

func TestMain(m *testing.M) {
	if os.Getenv("PYEXEC_ENV_HELPER") == "1" {
		if err := envCacheHelper(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m)
}

// newExecutor returns an Executor using the test machine's real
// interpreter, and uv when needUV.
func newExecutor(t *testing.T, needUV bool, mod func(*Options)) *Executor {
	t.Helper()
	o := &Options{Python: testenv.Python(t), Grace: 500 * time.Millisecond, TempDir: t.TempDir(), DataDir: t.TempDir()}
	if needUV {
		o.UV = testenv.UV(t)
	}
	if mod != nil {
		mod(o)
	}
	e, err := New(o)
	require.NoError(t, err)
	return e
}

func TestRunBasics(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.py"), []byte("import sys, os\nprint('hi', os.getcwd())\nsys.exit(3)\n"), 0o644))
	cases := []struct {
		name string
		req  Request
		out  string
		code int
	}{
		{"inline", Request{Code: "print(6*7)"}, "42\n", 0},
		{"script relative to dir", Request{Dir: dir, ScriptPath: "hello.py"}, "hi " + dir + "\n", 3},
		{"script absolute", Request{Dir: dir, ScriptPath: filepath.Join(dir, "hello.py")}, "hi " + dir + "\n", 3},
		{"exception", Request{Code: "raise ValueError('boom')"}, "", 1},
		{"signal death", Request{Code: "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"}, "", -9},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Run(context.Background(), &tc.req)
			require.NoError(t, err)
			require.Equal(t, tc.out, res.Stdout)
			require.Equal(t, tc.code, res.ExitCode, res.Stderr)
			require.Equal(t, StrategySystem, res.Strategy)
			require.False(t, res.TimedOut)
			require.NotEmpty(t, res.PythonVersion)
		})
	}
}

func TestInlineCodeLeavesNoFile(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	dir := t.TempDir()
	res, err := e.Run(context.Background(), &Request{Dir: dir, Code: "import sys; print(sys.argv[0])"})
	require.NoError(t, err)
	script := strings.TrimSpace(res.Stdout)
	require.False(t, strings.HasPrefix(script, dir), "inline code was written into the user's directory: %s", script)
	_, err = os.Stat(script)
	require.True(t, os.IsNotExist(err), "temporary script %s still exists", script)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries)
}

func TestNoDirMeansFreshTempCwd(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	res, err := e.Run(context.Background(), &Request{Code: "import os; print(os.getcwd())"})
	require.NoError(t, err)
	cwd, _ := os.Getwd()
	got := strings.TrimSpace(res.Stdout)
	require.NotEqual(t, cwd, got)
	require.Contains(t, got, "pyexec-run-")
}

func TestArgsVerbatim(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	args := []string{"with space", `"double"`, "'single'", "$HOME", "`whoami`", "a;b|c", "", "ünïcode"}
	res, err := e.Run(context.Background(), &Request{Code: "import sys, json; print(json.dumps(sys.argv[1:]))", Args: args})
	require.NoError(t, err)
	want, err := json.Marshal(args)
	require.NoError(t, err)
	require.JSONEq(t, string(want), res.Stdout)
}

func TestEnvPrecedence(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	envFile := filepath.Join(dir, ".env")
	require.NoError(t, os.WriteFile(envFile, []byte("A=file\nB=file\n# comment\nC=\"multi\nline\"\n"), 0o600))
	e := newExecutor(t, false, func(o *Options) { o.BaseEnv = []string{"A=base", "B=base", "D=base", "PATH=" + os.Getenv("PATH")} })
	res, err := e.Run(context.Background(), &Request{
		Code:    "import os, json; print(json.dumps({k: os.environ.get(k) for k in 'ABCD'}))",
		EnvFile: envFile,
		Env:     map[string]string{"B": "map"},
	})
	require.NoError(t, err)
	require.JSONEq(t, `{"A":"file","B":"map","C":"multi\nline","D":"base"}`, res.Stdout)

	_, err = e.Run(context.Background(), &Request{Code: "pass", EnvFile: filepath.Join(dir, "missing.env")})
	require.ErrorIs(t, err, ErrInvalidRequest)
	require.Contains(t, err.Error(), "missing.env")
}

func TestInvalidRequests(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	file := filepath.Join(t.TempDir(), "f.py")
	require.NoError(t, os.WriteFile(file, []byte("pass"), 0o644))
	cases := []struct {
		name  string
		req   Request
		want  string
		field string
	}{
		{"neither", Request{}, "exactly one", "ScriptPath"},
		{"both", Request{Code: "pass", ScriptPath: file}, "exactly one", "ScriptPath"},
		{"missing dir", Request{Code: "pass", Dir: "/no/such/dir"}, `"/no/such/dir" does not exist`, "Dir"},
		{"dir is file", Request{Code: "pass", Dir: file}, "is not a directory", "Dir"},
		{"missing script", Request{ScriptPath: "/no/such.py"}, "does not exist", "ScriptPath"},
		{"relative without dir", Request{ScriptPath: "x.py"}, "relative", "ScriptPath"},
		{"negative timeout", Request{Code: "pass", Timeout: -time.Second}, "negative", "Timeout"},
		{"nul arg", Request{Code: "pass", Args: []string{"a\x00b"}}, "NUL", "Args"},
		{"deps without uv", Request{Code: "pass", Dependencies: []string{"six"}}, "Dependencies need UseUV", "Dependencies"},
		{"malformed version", Request{Code: "pass", PythonVersion: "3.12.1"}, `"3.12.1" is not an exact minor`, "PythonVersion"},
		{"garbage version", Request{Code: "pass", PythonVersion: "latest"}, `"latest"`, "PythonVersion"},
		{"unknown version", Request{Code: "pass", PythonVersion: "3.99"}, "installed:", ""},
		{"bad env key", Request{Code: "pass", Env: map[string]string{"A=B": "x"}}, "A=B", "Env"},
		{"missing env file", Request{Code: "pass", EnvFile: "/no/such/.env"}, "/no/such/.env", "EnvFile"},
		{"unclosed metadata", Request{Code: "# /// script\n# dependencies = []\n"}, "not closed", "Code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Run(context.Background(), &tc.req)
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.True(t, errors.Is(err, ErrInvalidRequest) || errors.Is(err, ErrPythonNotFound), err)
			require.Equal(t, err, e.Validate(context.Background(), &tc.req), "Validate finds what Run finds")
			var re *RequestError
			if errors.As(err, &re) {
				require.Equal(t, tc.field, re.Field)
			}
		})
	}
}

func TestMalformedDependencies(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"", "  ", "--index-url=https://evil.example/simple", "-e .", "foo bar", "a\nb", "(x)", "pkg; ;$(rm -rf)"} {
		t.Run(fmt.Sprintf("%q", d), func(t *testing.T) {
			err := validateRequirement(d)
			require.ErrorIs(t, err, ErrInvalidRequest)
			require.Contains(t, err.Error(), fmt.Sprintf("%q", d))
		})
	}
	for _, d := range []string{"six", "requests>=2.31", "numpy==1.26.*", "pkg[extra1,extra2]>=1; python_version >= '3.8'", "demo @ file:///tmp/demo-1.0-py3-none-any.whl", "a.b_c-d~=1.0"} {
		require.NoError(t, validateRequirement(d), d)
	}
}

func TestPythonVersionSelection(t *testing.T) {
	t.Parallel()
	installed := testenv.PythonVersions()
	if len(installed) < 2 {
		if testenv.InCI() {
			t.Fatalf("need two pyenv interpreters for this test, found %v", installed)
		}
		t.Skip("fewer than two pyenv interpreters")
	}
	e := newExecutor(t, false, nil)
	for minor := range installed {
		t.Run(minor, func(t *testing.T) {
			res, err := e.Run(context.Background(), &Request{PythonVersion: minor, Code: "import sys; print('%d.%d' % sys.version_info[:2])"})
			require.NoError(t, err)
			require.Equal(t, minor+"\n", res.Stdout)
			require.True(t, strings.HasPrefix(res.PythonVersion, minor+"."), res.PythonVersion)
			require.NotContains(t, res.Python, "/shims/")
		})
	}
}

func TestRequiresPythonFromMetadata(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	code := "# /// script\n# requires-python = \">=3.12,<3.13\"\n# ///\nimport sys; print('%d.%d' % sys.version_info[:2])\n"
	res, err := e.Run(context.Background(), &Request{Code: code})
	if errors.Is(err, ErrPythonNotFound) && !testenv.InCI() {
		t.Skip("no 3.12 installed")
	}
	require.NoError(t, err)
	require.Equal(t, "3.12\n", res.Stdout)
}

func TestTwentyConcurrentRuns(t *testing.T) {
	t.Parallel()
	e := newExecutor(t, false, nil)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := e.Run(context.Background(), &Request{
				Code: "import sys, os, time\ntime.sleep(0.05)\nprint(sys.argv[1], os.environ['N'])\nsys.stderr.write('e' + sys.argv[1])\nsys.exit(int(sys.argv[1]) % 7)",
				Args: []string{strconv.Itoa(i)}, Env: map[string]string{"N": strconv.Itoa(i * 10)},
			})
			if err != nil {
				errs <- err
				return
			}
			if res.Stdout != fmt.Sprintf("%d %d\n", i, i*10) || res.Stderr != fmt.Sprintf("e%d", i) || res.ExitCode != i%7 {
				errs <- fmt.Errorf("run %d: got stdout %q stderr %q exit %d", i, res.Stdout, res.Stderr, res.ExitCode)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}
