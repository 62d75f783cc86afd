package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// tour calls every tool of the full server through cs, once on its happy
// path and once on a failure path, in an order that lets later calls use the
// jobs and scripts of earlier ones. After each failure the server must keep
// serving, which the next call checks.
func tour(t *testing.T, cs *mcp.ClientSession) {
	ctx := context.Background()
	dir := t.TempDir()
	wheels := t.TempDir()
	wheel, err := testenv.WriteWheel(wheels, testenv.Wheel{Name: "pyexecdemo", Version: "1.2.3"})
	require.NoError(t, err)

	call := func(tool string, args map[string]any) *mcp.CallToolResult {
		t.Helper()
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
		require.NoError(t, err, tool)
		return res
	}
	ok := func(tool string, args map[string]any, want string) map[string]any {
		t.Helper()
		res := call(tool, args)
		require.False(t, res.IsError, "%s: %s", tool, textOf(res))
		require.Contains(t, textOf(res), want, tool)
		return structured(t, res)
	}
	fails := func(tool string, args map[string]any, want string) {
		t.Helper()
		res := call(tool, args)
		require.True(t, res.IsError, "%s should fail: %s", tool, textOf(res))
		require.Contains(t, textOf(res), want, tool)
	}
	sleeper := "import time\nprint('sleeping', flush=True)\ntime.sleep(300)"

	r := ok("run_script_in_dir", map[string]any{"directory": dir, "script_content": "print('in dir')", "use_uv": false}, "in dir")
	autosaved := r["autosaved_script"].(string)
	fails("run_script_in_dir", map[string]any{"directory": filepath.Join(dir, "no"), "script_content": "pass"}, "directory")

	ok("run_script_with_dependencies", map[string]any{"script_content": "print('deps')"}, "deps")
	fails("run_script_with_dependencies", map[string]any{"script_content": "pass", "dependencies": []string{"not a requirement!!"}}, "not a requirement")

	ok("benchmark_script", map[string]any{"script_content": "print(sum(range(10**6)))"}, "peak RSS")
	fails("benchmark_script", map[string]any{"script_content": "pass", "script_path": "/x.py"}, "exactly one")

	jobA := ok("run_script_in_dir_async", map[string]any{"directory": dir, "script_content": sleeper, "use_uv": false, "job_label": "sleeper"}, "Started job")["job_id"].(string)
	fails("run_script_in_dir_async", map[string]any{"directory": "../outside", "script_content": "print(1)"}, "directory")

	jobB := ok("run_script_with_dependencies_async", map[string]any{"script_content": "print('from B')"}, "Started job")["job_id"].(string)
	fails("run_script_with_dependencies_async", map[string]any{"script_content": "x", "timeout_seconds": -5}, "timeout_seconds")

	ok("list_jobs", nil, jobA)
	fails("list_jobs", map[string]any{"all": true}, "all")

	testenv.PollUntil(t, "job B to finish", func() bool {
		return ok("get_job_output", map[string]any{"job_id": jobB}, jobB)["status"] == "finished"
	})
	require.Equal(t, "from B\n", ok("get_job_output", map[string]any{"job_id": jobB, "markdown_output": false}, "from B")["stdout"])
	fails("get_job_output", map[string]any{"job_id": "../../etc/passwd"}, "job_id")

	require.Equal(t, "completed", ok("py_job_status", map[string]any{"job_id": jobB}, jobB)["job"].(map[string]any)["status"])
	fails("py_job_status", map[string]any{"job_id": "0123456789abcdef"}, "not found")

	ok("py_list_jobs", map[string]any{"status_filter": "running"}, "sleeper")
	fails("py_list_jobs", map[string]any{"status_filter": "nope"}, "status_filter")

	require.Equal(t, "killed", ok("kill_job", map[string]any{"job_id": jobA}, "killed")["status"])
	fails("kill_job", map[string]any{"job_id": "zz"}, "job_id")

	jobC := ok("run_script_in_dir_async", map[string]any{"directory": dir, "script_content": sleeper, "use_uv": false}, "Started job")["job_id"].(string)
	require.Equal(t, "cancelled", ok("py_cancel_job", map[string]any{"job_id": jobC}, "cancelled")["status"])
	fails("py_cancel_job", map[string]any{"job_id": "0123456789abcdef"}, "not found")

	require.GreaterOrEqual(t, ok("py_prune_jobs", map[string]any{"max_age_hours": 0}, "Removed")["removed"].(float64), 3.0)
	fails("py_prune_jobs", map[string]any{"max_age_hours": -1}, "max_age_hours")

	ok("py_list_scripts", map[string]any{"include_autosaved": true}, autosaved)
	fails("py_list_scripts", map[string]any{"include": true}, "include")

	ok("py_view_script", map[string]any{"script_name": autosaved, "autosaved": true}, "print('in dir')")
	fails("py_view_script", map[string]any{"script_name": "../../etc/passwd"}, "script_name")

	require.Equal(t, "42", ok("execute_python", map[string]any{"code": "y = 6\ny * 7"}, "42")["value"])
	fails("execute_python", map[string]any{"code": "  "}, "code")

	ok("install_package", map[string]any{"package": "pyexecdemo @ file://" + wheel}, "pyexecdemo==1.2.3")
	fails("install_package", map[string]any{"packages": []string{"--index-url=http://evil"}}, "packages")
	require.Equal(t, "'1.2.3'", ok("execute_python", map[string]any{"code": "import pyexecdemo; pyexecdemo.__version__"}, "1.2.3")["value"])

	ok("write_file", map[string]any{"path": "tour/note.txt", "content": "hello tour"}, "Wrote")
	fails("write_file", map[string]any{"path": "../escape.txt", "content": "x"}, "path")

	require.Equal(t, "hello tour", ok("read_file", map[string]any{"path": "tour/note.txt"}, "hello tour")["content"])
	fails("read_file", map[string]any{"path": "/etc/passwd"}, "path")

	ok("list_files", map[string]any{"path": "tour"}, "tour/note.txt")
	fails("list_files", map[string]any{"path": "../.."}, "path")

	// The job-stream resource of a finished job.
	rr, err := cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "job-stream://" + jobB})
	if err == nil { // pruned above: then it is gone, which must be an error
		require.Contains(t, rr.Contents[0].Text, "---STDOUT---")
	}
	_, err = cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "job-stream://0123456789abcdef"})
	require.Error(t, err)
	require.NoFileExists(t, filepath.Join(os.TempDir(), "escape.txt"))
	require.False(t, strings.Contains(textOf(call("list_jobs", nil)), jobB), "pruned jobs are gone")
}
