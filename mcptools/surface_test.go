package mcptools_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/mcptools"
)

// maxToolsListBytes bounds tools/list of the full server, as compact JSON:
// a model reads it in every conversation (issue 16: it was 49 KB).
const maxToolsListBytes = 16_000

func listTools(t *testing.T, h *harness) []*mcp.Tool {
	t.Helper()
	var tools []*mcp.Tool
	for tool, err := range h.cs.Tools(context.Background(), nil) {
		require.NoError(t, err)
		tools = append(tools, tool)
	}
	return tools
}

// TestToolsListSize: tools/list of the full server, the one the golden file
// pins, stays within maxToolsListBytes.
func TestToolsListSize(t *testing.T) {
	t.Parallel()
	h, _ := sessionHarness(t, true)
	tools := listTools(t, h)
	b, err := json.Marshal(tools)
	require.NoError(t, err)
	t.Logf("tools/list: %d tools, %d bytes of compact JSON (≈%d tokens)", len(tools), len(b), len(b)/4)
	require.LessOrEqual(t, len(b), maxToolsListBytes, "tools/list grew past its budget; say things once (the server's instructions) rather than in every schema")
}

// TestToolDefaults: every optional parameter of every tool states its
// default in the schema, members of object parameters (limits) too; a
// required one has none, nor has one that an anyOf makes required (the SDK
// fills defaults in before it checks "required").
func TestToolDefaults(t *testing.T) {
	t.Parallel()
	h, _ := sessionHarness(t, true)
	for _, tool := range listTools(t, h) {
		b, err := json.Marshal(tool.InputSchema)
		require.NoError(t, err)
		var s schemaNode
		require.NoError(t, json.Unmarshal(b, &s))
		checkDefaults(t, tool.Name, &s)
	}
}

type schemaNode struct {
	Type       any                    `json:"type"`
	Properties map[string]*schemaNode `json:"properties"`
	Required   []string               `json:"required"`
	AnyOf      []struct {
		Required []string `json:"required"`
	} `json:"anyOf"`
	Default json.RawMessage `json:"default"`
}

func checkDefaults(t *testing.T, where string, s *schemaNode) {
	t.Helper()
	var conditional []string
	for _, a := range s.AnyOf {
		conditional = append(conditional, a.Required...)
	}
	for name, p := range s.Properties {
		path := where + "." + name
		switch {
		case slices.Contains(s.Required, name):
			require.Nil(t, p.Default, "%s is required and has a default", path)
		case slices.Contains(conditional, name):
			require.Nil(t, p.Default, "%s is required by an anyOf and has a default, which would always satisfy it", path)
		default:
			require.NotNil(t, p.Default, "%s is optional and states no default", path)
		}
		if p.Properties != nil {
			checkDefaults(t, path, p)
		}
	}
}

// TestInstructions: the server's instructions name each tool family that
// is registered, and every tool of it, and no tool that is not.
func TestInstructions(t *testing.T) {
	t.Parallel()
	families := map[string][]string{
		"Runs":      {"run_script_in_dir", "run_script_with_dependencies", "benchmark_script", "_async"},
		"Jobs":      {"py_job_status", "get_job_output", "py_cancel_job", "kill_job", "py_list_jobs", "list_jobs", "py_prune_jobs", "job-stream://"},
		"Scripts":   {"py_list_scripts", "py_view_script"},
		"Sessions":  {"execute_python", "install_package"},
		"Workspace": {"read_file", "write_file", "list_files"},
	}
	t.Run("every group", func(t *testing.T) {
		t.Parallel()
		h, _ := sessionHarness(t, true)
		got := h.cs.InitializeResult().Instructions
		t.Logf("instructions: %d bytes", len(got))
		for family, names := range families {
			require.Contains(t, got, family)
			for _, n := range names {
				require.Contains(t, got, n, family)
			}
		}
		for _, name := range h.ts.Names() {
			require.Contains(t, got, name)
		}
		require.Equal(t, h.ts.Instructions(), got)
		require.Contains(t, got, "omitted: the workspace") // the directory of run_script_in_dir
	})
	t.Run("sessions and workspace only", func(t *testing.T) {
		t.Parallel()
		h, _ := sessionHarness(t, false)
		got := h.cs.InitializeResult().Instructions
		for _, name := range h.ts.Names() {
			require.Contains(t, got, name)
		}
		require.Contains(t, got, "Jobs", "the session group brings the job tools: a long cell is a job")
		for _, absent := range []string{"Runs", "Scripts", "run_script", "dependencies"} {
			require.NotContains(t, got, absent)
		}
	})
	t.Run("the server's own instructions win", func(t *testing.T) {
		t.Parallel()
		ts, err := mcptools.New(context.Background(), &mcptools.Options{DataDir: t.TempDir()})
		require.NoError(t, err)
		defer ts.Close()
		require.Equal(t, "mine", ts.ServerOptions(&mcp.ServerOptions{Instructions: "mine"}).Instructions)
		require.Equal(t, ts.Instructions(), ts.ServerOptions(nil).Instructions)
		require.Contains(t, ts.Instructions(), "omitted: a private temporary directory")
	})
}

// cwdScript prints the script's working directory.
const cwdScript = "import os\nprint(os.getcwd())"

// TestRunDirectory: run_script_in_dir's directory, omitted, relative or
// absolute, with and without a workspace. Never the server's own cwd.
func TestRunDirectory(t *testing.T) {
	t.Parallel()
	serverCwd, err := os.Getwd()
	require.NoError(t, err)
	cwd := func(t *testing.T, h *harness, args map[string]any) string {
		t.Helper()
		args["script_content"], args["use_uv"] = cwdScript, false
		var r mcptools.RunResult
		h.callOK("run_script_in_dir", args, &r)
		return strings.TrimSpace(r.Stdout)
	}
	t.Run("with a workspace", func(t *testing.T) {
		t.Parallel()
		h, ws := sessionHarness(t, true)
		ws, err := filepath.EvalSymlinks(ws)
		require.NoError(t, err)
		require.NoError(t, os.MkdirAll(filepath.Join(ws, "sub", "deeper"), 0o755))
		abs := t.TempDir()
		require.Equal(t, ws, cwd(t, h, map[string]any{}), "omitted: the workspace")
		require.Equal(t, ws, cwd(t, h, map[string]any{"directory": ""}), "empty: the workspace")
		require.Equal(t, filepath.Join(ws, "sub", "deeper"), cwd(t, h, map[string]any{"directory": "sub/deeper"}), "relative: in the workspace")
		require.Equal(t, ws, cwd(t, h, map[string]any{"directory": "."}))
		require.Equal(t, evalDir(t, abs), cwd(t, h, map[string]any{"directory": abs}), "absolute: as given")
		msg := h.callErr("run_script_in_dir", map[string]any{"directory": "../outside", "script_content": "pass"})
		require.Contains(t, msg, "directory")
		require.Contains(t, msg, "leads out of the workspace")
		msg = h.callErr("run_script_in_dir", map[string]any{"directory": "missing", "script_content": "pass"})
		require.Contains(t, msg, "directory")
		require.Contains(t, msg, filepath.Join(ws, "missing"))
		// A relative script_path is found in the workspace too.
		require.NoError(t, os.WriteFile(filepath.Join(ws, "sub", "hello.py"), []byte("print('hello')"), 0o644))
		var r mcptools.RunResult
		h.callOK("run_script_in_dir", map[string]any{"script_path": "sub/hello.py", "use_uv": false}, &r)
		require.Equal(t, "hello\n", r.Stdout)
		// The async form resolves it the same way.
		var s mcptools.AsyncStarted
		h.callOK("run_script_in_dir_async", map[string]any{"directory": "sub", "use_uv": false, "script_content": cwdScript}, &s)
		require.Equal(t, "completed", h.waitJob(s.JobID).Status)
		var out mcptools.JobOutput
		h.callOK("get_job_output", map[string]any{"job_id": s.JobID}, &out)
		require.Equal(t, filepath.Join(ws, "sub")+"\n", out.Stdout)
	})
	t.Run("without a workspace", func(t *testing.T) {
		t.Parallel()
		h := newHarness(t, nil)
		got := cwd(t, h, map[string]any{})
		require.NotEqual(t, serverCwd, got, "never the server's cwd")
		require.NoDirExists(t, got, "the private directory is removed after the run")
		abs := t.TempDir()
		require.Equal(t, evalDir(t, abs), cwd(t, h, map[string]any{"directory": abs}))
		msg := h.callErr("run_script_in_dir", map[string]any{"directory": "sub", "script_content": "pass"})
		require.Contains(t, msg, "directory")
		require.Contains(t, msg, "no workspace")
		require.Contains(t, msg, "absolute path")
		msg = h.callErr("run_script_in_dir_async", map[string]any{"directory": ".", "script_content": "pass"})
		require.Contains(t, msg, "directory")
	})
}

func evalDir(t *testing.T, dir string) string {
	t.Helper()
	d, err := filepath.EvalSymlinks(dir)
	require.NoError(t, err)
	return d
}
