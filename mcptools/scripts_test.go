package mcptools_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/mcptools"
)

// TestAutosave: inline scripts are saved with a sidecar of the call's
// parameters in which env_vars values are redacted.
func TestAutosave(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	var r mcptools.RunResult
	h.callOK("run_script_in_dir", map[string]any{
		"directory": t.TempDir(), "use_uv": false, "script_content": "import os; print(len(os.environ['API_KEY']))",
		"env_vars": map[string]string{"API_KEY": "sk-secret-value"}, "args": []string{"x"}, "job_label": "lbl",
	}, &r)
	require.Equal(t, "15\n", r.Stdout)
	require.NotEmpty(t, r.AutosavedScript)

	var list mcptools.ListScriptsResult
	h.callOK("py_list_scripts", map[string]any{"include_autosaved": true}, &list)
	require.Len(t, list.Scripts, 1)
	require.Equal(t, r.AutosavedScript, list.Scripts[0].Name)
	require.True(t, list.Scripts[0].Autosaved)
	h.callOK("py_list_scripts", nil, &list)
	require.Empty(t, list.Scripts, "autosaved scripts are listed only on request")

	var v mcptools.ViewScriptResult
	res := h.callOK("py_view_script", map[string]any{"script_name": r.AutosavedScript, "autosaved": true}, &v)
	require.Equal(t, "import os; print(len(os.environ['API_KEY']))", v.Content)
	require.Contains(t, text(res), "```python")
	params := v.Params.(map[string]any)
	require.Equal(t, "run_script_in_dir", params["tool"])
	call := params["params"].(map[string]any)
	require.Equal(t, map[string]any{"API_KEY": mcptools.RedactedValue}, call["env_vars"])
	require.Equal(t, "lbl", call["job_label"])
	require.NotContains(t, call, "script_content")

	// The secret is nowhere in the data directory.
	require.NoError(t, filepath.WalkDir(h.dataDir, func(p string, d os.DirEntry, err error) error {
		require.NoError(t, err)
		if d.Type().IsRegular() {
			b, err := os.ReadFile(p)
			require.NoError(t, err)
			require.NotContains(t, string(b), "sk-secret-value", p)
		}
		return nil
	}))
}

// TestAutosaveRetention: only the newest AutosaveKeep scripts are kept.
func TestAutosaveRetention(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) { o.AutosaveKeep = 3 }})
	var names []string
	for i := range 5 {
		var r mcptools.RunResult
		h.callOK("run_script_in_dir", map[string]any{"directory": t.TempDir(), "use_uv": false, "script_content": "print(" + string(rune('0'+i)) + ")"}, &r)
		names = append(names, r.AutosavedScript)
	}
	var list mcptools.ListScriptsResult
	h.callOK("py_list_scripts", map[string]any{"include_autosaved": true}, &list)
	var got []string
	for _, s := range list.Scripts {
		got = append(got, s.Name)
	}
	require.Equal(t, []string{names[4], names[3], names[2]}, got)
	ents, err := os.ReadDir(filepath.Join(h.dataDir, "autosaved"))
	require.NoError(t, err)
	require.Len(t, ents, 6, "three scripts and their sidecars")
}

// TestSavedScripts: py_list_scripts and py_view_script cover the saved
// scripts directory and refuse names that leave it.
func TestSavedScripts(t *testing.T) {
	t.Parallel()
	scriptsDir := t.TempDir()
	outside := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(scriptsDir, "analysis.py"), []byte("print('analysis')\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.py"), []byte("SECRET\n"), 0o600))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.py"), filepath.Join(scriptsDir, "link.py")))
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) { o.ScriptsDir = scriptsDir }})

	var list mcptools.ListScriptsResult
	h.callOK("py_list_scripts", nil, &list)
	require.Equal(t, scriptsDir, list.ScriptsDir)
	var v mcptools.ViewScriptResult
	h.callOK("py_view_script", map[string]any{"script_name": "analysis.py"}, &v)
	require.Equal(t, "print('analysis')\n", v.Content)
	h.callOK("py_view_script", map[string]any{"script_name": "analysis"}, &v)
	require.Equal(t, "analysis.py", v.Name, "the .py suffix is optional")

	for _, name := range []string{"../" + filepath.Base(outside) + "/secret.py", "/etc/passwd", "..", ".hidden.py", "a/b.py", "link.py", "nope.py", "x\x00y", `..\x.py`} {
		t.Run(strings.ReplaceAll(name, "/", "_"), func(t *testing.T) {
			msg := h.callErr("py_view_script", map[string]any{"script_name": name})
			require.Contains(t, msg, "script_name")
			require.NotContains(t, msg, "SECRET")
		})
	}
}
