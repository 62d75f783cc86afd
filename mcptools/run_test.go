package mcptools_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

func TestRunScriptInDir(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hello.py"), []byte("import sys, os\nprint('hi', sys.argv[1:], os.getcwd())\n"), 0o600))
	envFile := filepath.Join(t.TempDir(), "vars.env")
	require.NoError(t, os.WriteFile(envFile, []byte("FROM_FILE=file\nBOTH=file\n"), 0o600))

	cases := []struct {
		name   string
		args   map[string]any
		stdout string
		stderr string
		exit   int
		check  func(t *testing.T, r *mcptools.RunResult)
	}{
		{name: "inline code", args: map[string]any{"script_content": "print(6*7)"}, stdout: "42\n"},
		{name: "relative script_path with args", args: map[string]any{"script_path": "hello.py", "args": []string{"a b", "--x"}},
			stdout: "hi ['a b', '--x'] " + dir + "\n"},
		{name: "absolute script_path", args: map[string]any{"script_path": filepath.Join(dir, "hello.py")}, stdout: "hi [] " + dir + "\n"},
		{name: "non-zero exit is a result", args: map[string]any{"script_content": "import sys; print('out'); sys.exit(3)"}, stdout: "out\n", exit: 3},
		{name: "exception is a result", args: map[string]any{"script_content": "raise ValueError('boom')"}, exit: 1,
			check: func(t *testing.T, r *mcptools.RunResult) { require.Contains(t, r.Stderr, "ValueError: boom") }},
		{name: "env_vars over env_file", args: map[string]any{
			"script_content": "import os; print(os.environ['FROM_FILE'], os.environ['BOTH'])",
			"env_file":       envFile, "env_vars": map[string]string{"BOTH": "map"}}, stdout: "file map\n"},
		{name: "timeout stops the run", args: map[string]any{"script_content": "import time; print('start', flush=True); time.sleep(60)", "timeout_seconds": 2},
			check: func(t *testing.T, r *mcptools.RunResult) {
				require.True(t, r.TimedOut)
				require.Equal(t, "start\n", r.Stdout)
				require.NotZero(t, *r.ExitCode)
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := map[string]any{"directory": dir, "use_uv": false}
			for k, v := range tc.args {
				args[k] = v
			}
			var r mcptools.RunResult
			res := h.callOK("run_script_in_dir", args, &r)
			require.Equal(t, string(jobstore.StateCompleted), r.Status)
			require.Equal(t, "system-python", r.ExecutionStrategy)
			require.NotEmpty(t, r.PythonVersionUsed)
			if tc.check != nil {
				tc.check(t, &r)
			} else {
				require.Equal(t, tc.stdout, r.Stdout, r.Stderr)
				require.Equal(t, tc.exit, *r.ExitCode, r.Stderr)
			}
			md := text(res)
			require.True(t, strings.HasPrefix(md, "## "), md)
			if r.Stdout != "" {
				require.Contains(t, md, "### stdout")
			}
		})
	}
}

func TestMarkdownOutputFalseIsJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	res := h.callOK("run_script_in_dir", map[string]any{
		"directory": t.TempDir(), "use_uv": false, "script_content": "print('```')", "markdown_output": false,
	}, nil)
	var fromText, structured mcptools.RunResult
	require.NoError(t, json.Unmarshal([]byte(text(res)), &fromText), text(res))
	decode(t, res, &structured)
	require.Equal(t, structured, fromText)
	require.Equal(t, "```\n", structured.Stdout)
}

func TestMarkdownFenceSurvivesBackticks(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	res := h.callOK("run_script_in_dir", map[string]any{
		"directory": t.TempDir(), "use_uv": false, "script_content": "print('````x')",
	}, nil)
	require.Contains(t, text(res), "`````text\n````x\n`````")
}

// TestArgumentErrors: each bad argument is a tool error that names the
// argument and the fix, and the server keeps serving.
func TestArgumentErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	dir := t.TempDir()
	cases := []struct {
		name string
		tool string
		args map[string]any
		want []string
	}{
		{"relative directory without a workspace", "run_script_in_dir", map[string]any{"directory": "sub", "script_content": "pass"}, []string{"directory", "absolute", "omit"}},
		{"directory does not exist", "run_script_in_dir", map[string]any{"directory": filepath.Join(dir, "nope"), "script_content": "pass"}, []string{"directory", "does not exist"}},
		{"directory is a file", "run_script_in_dir", map[string]any{"directory": "/etc/hostname", "script_content": "pass"}, []string{"directory", "not a directory"}},
		{"neither script", "run_script_in_dir", map[string]any{"directory": dir}, []string{"script_path", "exactly one"}},
		{"both scripts", "run_script_in_dir", map[string]any{"directory": dir, "script_path": "a.py", "script_content": "pass"}, []string{"exactly one"}},
		{"script_path missing", "run_script_in_dir", map[string]any{"directory": dir, "script_path": "missing.py"}, []string{"script_path", "does not exist"}},
		{"relative script_path without directory", "run_script_with_dependencies", map[string]any{"script_path": "x.py"}, []string{"script_path", "absolute"}},
		{"python_version format", "run_script_in_dir", map[string]any{"directory": dir, "script_content": "pass", "python_version": "python3"}, []string{"python_version", "3.12"}},
		{"python_version not installed", "run_script_in_dir", map[string]any{"directory": dir, "script_content": "pass", "python_version": "3.99", "use_uv": false}, []string{"python_version", "3.99"}},
		{"env_vars key", "run_script_in_dir", map[string]any{"directory": dir, "script_content": "pass", "env_vars": map[string]string{"A=B": "x"}}, []string{"env_vars", "A=B"}},
		{"env_file missing", "run_script_in_dir", map[string]any{"directory": dir, "script_content": "pass", "env_file": filepath.Join(dir, "none.env")}, []string{"env_file"}},
		{"option as dependency", "run_script_with_dependencies", map[string]any{"script_content": "pass", "dependencies": []string{"--index-url=http://evil"}}, []string{"dependencies", "PEP 508"}},
		{"negative timeout", "run_script_in_dir", map[string]any{"directory": dir, "script_content": "pass", "timeout_seconds": -1}, []string{"timeout_seconds"}},
		{"unknown argument", "run_script_in_dir", map[string]any{"directory": dir, "script_content": "pass", "scriptcontent": "x"}, []string{"scriptcontent"}},
		{"wrong type", "run_script_in_dir", map[string]any{"directory": dir, "script_content": 42}, []string{"script_content", "inputSchema"}},
		{"negative sample_interval", "benchmark_script", map[string]any{"script_content": "pass", "sample_interval": -1}, []string{"sample_interval"}},
		{"bad job id", "get_job_output", map[string]any{"job_id": "../../etc/passwd"}, []string{"job_id", "list_jobs"}},
		{"unknown job id", "py_job_status", map[string]any{"job_id": "0123456789abcdef"}, []string{"job_id", "not found"}},
		{"bad status filter", "py_list_jobs", map[string]any{"status_filter": "done"}, []string{"status_filter", "completed"}},
		{"script name traversal", "py_view_script", map[string]any{"script_name": "../../etc/passwd"}, []string{"script_name"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := h.callErr(tc.tool, tc.args)
			for _, w := range tc.want {
				require.Contains(t, msg, w)
			}
			// The server keeps serving.
			var r mcptools.RunResult
			h.callOK("run_script_in_dir", map[string]any{"directory": dir, "use_uv": false, "script_content": "print(1)"}, &r)
			require.Equal(t, "1\n", r.Stdout)
		})
	}
}

func TestRunWithDependencies(t *testing.T) {
	t.Parallel()
	wheels := t.TempDir()
	writeWheel(t, wheels, "pyexecdemo", "1.0.0")
	writeWheel(t, wheels, "pyexecdemo", "1.5.0")
	h := newHarness(t, &harnessOptions{uv: true, wheels: wheels})
	code := "import pyexecdemo; print(pyexecdemo.__version__)"

	t.Run("resolved versions reported", func(t *testing.T) {
		var r mcptools.DepsResult
		res := h.callOK("run_script_with_dependencies", map[string]any{"script_content": code, "dependencies": []string{"pyexecdemo>=1,<1.2"}}, &r)
		require.Equal(t, "1.0.0\n", r.Stdout, r.Stderr)
		require.Equal(t, []string{"pyexecdemo==1.0.0"}, r.ResolvedDependencies)
		require.Equal(t, "uv-run", r.ExecutionStrategy)
		require.Contains(t, text(res), "pyexecdemo==1.0.0")
	})
	t.Run("PEP 723 block", func(t *testing.T) {
		var r mcptools.DepsResult
		src := "# /// script\n# dependencies = [\"pyexecdemo\"]\n# ///\n" + code
		h.callOK("run_script_with_dependencies", map[string]any{"script_content": src}, &r)
		require.Equal(t, "1.5.0\n", r.Stdout, r.Stderr)
	})
	t.Run("async returns the versions with the job id", func(t *testing.T) {
		var r mcptools.AsyncDepsStarted
		h.callOK("run_script_with_dependencies_async", map[string]any{"script_content": code, "dependencies": []string{"pyexecdemo>=1,<1.2"}}, &r)
		require.NotEmpty(t, r.JobID)
		require.Equal(t, []string{"pyexecdemo==1.0.0"}, r.ResolvedDependencies)
		require.NotEmpty(t, r.PythonVersionUsed)
		h.waitJob(r.JobID)
	})
	t.Run("async refuses a bad requirement at once", func(t *testing.T) {
		msg := h.callErr("run_script_with_dependencies_async", map[string]any{"script_content": code, "dependencies": []string{"--index-url=http://evil"}})
		require.Contains(t, msg, "dependencies")
		require.Contains(t, msg, "--index-url=http://evil")
	})
	t.Run("unsatisfiable is a tool error about dependencies", func(t *testing.T) {
		msg := h.callErr("run_script_with_dependencies", map[string]any{"script_content": code, "dependencies": []string{"pyexecdemo>=9"}})
		require.Contains(t, msg, "invalid argument dependencies")
		require.Contains(t, msg, "pyexecdemo>=9")
		require.Contains(t, msg, "fix or drop the requirement")
	})
	t.Run("a package the index does not have is the argument's fault", func(t *testing.T) {
		msg := h.callErr("run_script_with_dependencies", map[string]any{"script_content": code, "dependencies": []string{"pyexecnosuch"}})
		require.Contains(t, msg, "invalid argument dependencies")
		require.Contains(t, msg, "pyexecnosuch")
	})
	t.Run("benchmark", func(t *testing.T) {
		var r mcptools.BenchmarkResult
		res := h.callOK("benchmark_script", map[string]any{"script_content": "x = bytearray(50 << 20); print(len(x))"}, &r)
		require.Equal(t, "52428800\n", r.Stdout, r.Stderr)
		require.Positive(t, r.WallTimeSeconds)
		require.Contains(t, text(res), "peak RSS")
	})
}

// TestRunDependenciesIndexUnreachable: when the server's package index
// cannot be reached, the error says so, names the index and the server's
// settings, and does not blame the dependencies argument.
func TestRunDependenciesIndexUnreachable(t *testing.T) {
	t.Parallel()
	const index = "http://127.0.0.1:1/simple" // a closed loopback port
	h := newHarness(t, &harnessOptions{uv: true, options: func(o *mcptools.Options) {
		ex, err := executor.New(&executor.Options{Python: testenv.Python(t), UV: testenv.UV(t), UVCacheDir: t.TempDir(),
			TempDir: t.TempDir(), DataDir: t.TempDir(), UVArgs: []string{"--index-url", index},
			BaseEnv: append(os.Environ(), "UV_HTTP_RETRIES=0")}) // refused at once, not after retries
		require.NoError(t, err)
		o.Executor = ex
	}})
	args := map[string]any{"script_content": "import six", "dependencies": []string{"six>=1"}}
	t.Run("a call", func(t *testing.T) {
		msg := h.callErr("run_script_with_dependencies", args)
		require.NotContains(t, msg, "invalid argument")
		require.Contains(t, msg, "could not reach the package index "+index)
		require.Contains(t, msg, "Connection refused")
		require.Contains(t, msg, "not the dependencies argument")
		require.Contains(t, msg, "UV_INDEX_URL")
		require.NotContains(t, msg, "executor: ")
	})
	t.Run("a job", func(t *testing.T) {
		var r mcptools.AsyncDepsStarted
		h.callOK("run_script_with_dependencies_async", args, &r)
		job := h.waitJob(r.JobID)
		require.Equal(t, "failed", job.Status)
		require.Contains(t, job.Error, "could not reach the package index "+index)
		require.NotContains(t, job.Error, "dependencies could not be resolved")
	})
}

// floodScript prints lines "000000000\n", "000000001\n", … to stdout: n
// bytes in all (n a multiple of 10), so byte k of the output is known.
const floodScript = `import sys
n = int(sys.argv[1]) // 10
w = sys.stdout.write
for start in range(0, n, 100000):
    w("".join(f"{i:09d}\n" for i in range(start, min(n, start + 100000))))
print("the end", file=sys.stderr)
`

// floodAt is byte offset k onwards of floodScript's output, for m bytes.
func floodAt(k, m int64) string {
	var b strings.Builder
	for line := k / 10; int64(b.Len()) < (k%10)+m; line++ {
		fmt.Fprintf(&b, "%09d\n", line)
	}
	return b.String()[k%10 : k%10+m]
}

// TestFloodWithinBudget: a 64 MiB flood from a synchronous run comes back
// within the response budget, cut on line boundaries, and nothing is lost:
// the response names the job, the omitted range and a resource link, and
// get_job_output pages from there give every byte of it (issue 16).
func TestFloodWithinBudget(t *testing.T) {
	t.Parallel()
	// A synchronous run whatever the machine's load: the budget does not
	// make it a job.
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) { o.Budget = time.Hour }})
	const size = 64 << 20 / 10 * 10
	var r mcptools.RunResult
	res := h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false,
		"script_content": floodScript, "args": []string{fmt.Sprint(size)}}, &r)
	require.Equal(t, "completed", r.Status)
	require.Equal(t, 0, *r.ExitCode)

	// Within the budget: the text a model reads and the whole response.
	budget := mcptools.DefaultResponseTokens * mcptools.BytesPerToken
	require.LessOrEqual(t, len(text(res)), budget, "the text is within the default budget")
	whole, err := json.Marshal(res)
	require.NoError(t, err)
	require.Less(t, len(whole), 3*budget, "text and structured content together")
	t.Logf("64 MiB flood: response %d bytes (text %d)", len(whole), len(text(res)))

	// Cut on line boundaries, head and tail exact.
	require.True(t, strings.HasPrefix(r.Stdout, "000000000\n000000001\n"))
	require.True(t, strings.HasSuffix(r.Stdout, fmt.Sprintf("%09d\n", size/10-1)))
	head, _, ok := strings.Cut(r.Stdout, "\n… ")
	require.True(t, ok, "a marker where the middle was cut")
	require.True(t, floodAt(0, int64(len(head))) == head && strings.HasSuffix(head, "\n"), "the head is the output's start and ends with a whole line")
	require.Equal(t, int64(len(head)), r.StdoutOmittedFrom)
	require.Greater(t, r.StdoutOmittedBytes, int64(size-budget))
	require.Contains(t, r.Stderr, "the end")

	// Nothing lost: the job, the offsets and the link reach every byte.
	require.NotEmpty(t, r.JobID, "a cut response names the job that keeps the output")
	require.Contains(t, r.Message, fmt.Sprintf("stdout_offset=%d", r.StdoutOmittedFrom))
	var link *mcp.ResourceLink
	for _, c := range res.Content {
		if l, ok := c.(*mcp.ResourceLink); ok {
			link = l
		}
	}
	require.NotNil(t, link, "a resource_link to the job's stream")
	require.Equal(t, mcptools.JobStreamURI(r.JobID), link.URI)
	for _, k := range []int64{r.StdoutOmittedFrom, size / 2, size - 25} {
		var o mcptools.JobOutput
		out := h.callOK("get_job_output", map[string]any{"job_id": r.JobID, "stdout_offset": k}, &o)
		require.NotEmpty(t, o.Stdout)
		require.True(t, floodAt(k, int64(len(o.Stdout))) == o.Stdout, "byte %d on", k)
		require.Equal(t, k+int64(len(o.Stdout)), o.NextStdoutOffset)
		require.LessOrEqual(t, len(text(out)), budget, "a page is within the budget")
		require.Equal(t, o.NextStdoutOffset < size, o.More)
	}

	// The largest budget still makes a response far below 1 MiB.
	res = h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false,
		"script_content": floodScript, "args": []string{"10000000"}, "max_response_tokens": mcptools.MaxResponseTokens}, &r)
	whole, err = json.Marshal(res)
	require.NoError(t, err)
	require.Less(t, len(whole), 300<<10)
	require.Greater(t, len(r.Stdout), 100_000, "the larger budget is used")
	msg := h.callErr("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false,
		"script_content": "pass", "max_response_tokens": mcptools.MaxResponseTokens + 1})
	require.Contains(t, msg, "max_response_tokens")
}

// TestSmallOutputIsNotKept: a run whose whole output fits leaves no job
// behind.
func TestSmallOutputIsNotKept(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	var r mcptools.RunResult
	h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": "print('hi')"}, &r)
	require.Empty(t, r.JobID)
	require.Equal(t, "hi\n", r.Stdout)
	require.Zero(t, r.StdoutOmittedBytes)
}

// TestBufferedJobKeepsAll: a job with stream=false writes its whole output
// to the logs when it ends, not only what a response would show.
func TestBufferedJobKeepsAll(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	var a mcptools.AsyncStarted
	h.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false, "stream": false,
		"script_content": floodScript, "args": []string{"3000000"}}, &a)
	h.waitJob(a.JobID)
	var got strings.Builder
	off := int64(0)
	for {
		var o mcptools.JobOutput
		h.callOK("get_job_output", map[string]any{"job_id": a.JobID, "stdout_offset": off}, &o)
		got.WriteString(o.Stdout)
		off = o.NextStdoutOffset
		if !o.More {
			break
		}
	}
	require.Equal(t, 3_000_000, got.Len())
	require.True(t, floodAt(0, 3_000_000) == got.String(), "every byte, in order")
}
