package mcptools_test

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/notebook"
)

// nbSummary is what testdata/nbcheck.py prints of a notebook that
// Jupyter's nbformat read and validated.
type nbSummary struct {
	NBFormat int `json:"nbformat"`
	Minor    int `json:"minor"`
	Cells    []struct {
		Type    string `json:"type"`
		Count   *int   `json:"count"`
		Source  string `json:"source"`
		Outputs []struct {
			Type  string   `json:"type"`
			Mimes []string `json:"mimes"`
			Name  string   `json:"name"`
			Text  string   `json:"text"`
			EName string   `json:"ename"`
		} `json:"outputs"`
	} `json:"cells"`
}

// nbcheck validates a notebook file with the real nbformat.
func nbcheck(t *testing.T, path string) nbSummary {
	t.Helper()
	python := testenv.Venv(t, "3.10", "nbformat==5.11.1")
	out, err := exec.Command(python, filepath.Join("testdata", "nbcheck.py"), path).CombinedOutput()
	require.NoError(t, err, "nbformat refused %s:\n%s", path, out)
	var s nbSummary
	require.NoError(t, json.Unmarshal(out, &s), string(out))
	return s
}

// pyDataHarness is a harness whose sessions install from the package index
// (pandas, matplotlib), through the uv cache the session tests share.
func pyDataHarness(t *testing.T) (*harness, string) {
	t.Helper()
	return sessionsHarness(t, []string{"--cache-dir", filepath.Join(os.TempDir(), "pyexec-test-uv-cache")}, false)
}

// TestNotebooks: a session with stdout, a DataFrame, a plot and an error
// is saved as a notebook that nbformat validates and that reads back; the
// DataFrame reaches the model as a bounded markdown table within the
// budget; run_notebook runs a notebook with a failing cell, stopping there
// or not, and writes outputs nbformat accepts.
func TestNotebooks(t *testing.T) {
	t.Parallel()
	h, wsDir := pyDataHarness(t)
	var inst mcptools.InstallOutput
	h.callOK("install_package", map[string]any{"packages": []string{"pandas", "matplotlib"}, "session_id": "nb"}, &inst)

	cell := func(code string) (*mcptools.CellOutput, string) {
		t.Helper()
		var out mcptools.CellOutput
		res := h.callOK("execute_python", map[string]any{"code": code, "session_id": "nb"}, &out)
		return &out, text(res)
	}
	cell("print('hello')")
	df, md := cell("import pandas as pd\ndf = pd.DataFrame({'c%d' % j: range(j, j + 1000) for j in range(30)})\ndf")
	require.Contains(t, df.ValueMarkdown, "1000 rows × 30 columns")
	require.Contains(t, md, "| --- |", "the model reads the table")
	require.LessOrEqual(t, len(md), mcptools.DefaultResponseTokens*mcptools.BytesPerToken, "within the budget")
	plot, _ := cell("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3], [1, 4, 9]);")
	require.Equal(t, 1, plot.Images)
	failed, _ := cell("1 / 0")
	require.Equal(t, "ZeroDivisionError", failed.Error.Type)

	var saved mcptools.NotebookResult
	h.callOK("save_notebook", map[string]any{"session_id": "nb", "path": "out/analysis.ipynb"}, &saved)
	require.Equal(t, 4, saved.Cells, "installs are no cells")
	s := nbcheck(t, filepath.Join(wsDir, "out", "analysis.ipynb"))
	require.Equal(t, 4, s.NBFormat)
	var codes []string
	for _, c := range s.Cells {
		codes = append(codes, c.Source)
	}
	require.Len(t, s.Cells, 4, "%q", codes)
	require.Equal(t, "stream", s.Cells[0].Outputs[0].Type)
	require.Equal(t, "hello\n", s.Cells[0].Outputs[0].Text)
	require.Equal(t, "execute_result", s.Cells[1].Outputs[0].Type)
	require.Subset(t, s.Cells[1].Outputs[0].Mimes, []string{"text/html", "text/markdown", "text/plain"})
	require.Equal(t, "display_data", s.Cells[2].Outputs[len(s.Cells[2].Outputs)-1].Type)
	require.Equal(t, []string{"image/png"}, s.Cells[2].Outputs[len(s.Cells[2].Outputs)-1].Mimes)
	require.Equal(t, "error", s.Cells[3].Outputs[0].Type)
	require.Equal(t, "ZeroDivisionError", s.Cells[3].Outputs[0].EName)
	b, err := os.ReadFile(filepath.Join(wsDir, "out", "analysis.ipynb"))
	require.NoError(t, err)
	back, err := notebook.Parse(b)
	require.NoError(t, err)
	require.Len(t, back.Cells, 4)
	require.Equal(t, "1 / 0", back.Cells[3].Source)

	// run_notebook on a notebook with a failing cell.
	nb := notebook.New(
		notebook.NewMarkdownCell("# A run"),
		notebook.NewCodeCell("x = 20", 0),
		notebook.NewCodeCell("print(x + 1)", 0),
		notebook.NewCodeCell("raise ValueError('bad input')", 0),
		notebook.NewCodeCell("print('after')", 7, notebook.NewStream(notebook.Stdout, "stale\n")),
	)
	var buf bytes.Buffer
	require.NoError(t, nb.Write(&buf))
	require.NoError(t, os.WriteFile(filepath.Join(wsDir, "run.ipynb"), buf.Bytes(), 0o600))
	var run mcptools.NotebookResult
	h.callOK("run_notebook", map[string]any{"path": "run.ipynb"}, &run)
	require.Equal(t, 4, run.Cells)
	require.Equal(t, 3, run.Executed)
	require.NotNil(t, run.Failed)
	require.Equal(t, 3, run.Failed.Cell, "the index among all cells")
	require.Equal(t, "ValueError", run.Failed.Type)
	require.True(t, strings.HasPrefix(run.SessionID, "notebook-"), "a new session")
	s = nbcheck(t, filepath.Join(wsDir, "run.ipynb"))
	require.Equal(t, "markdown", s.Cells[0].Type, "the markdown cell is kept")
	require.Equal(t, "21\n", s.Cells[2].Outputs[0].Text)
	require.Equal(t, "ValueError", s.Cells[3].Outputs[0].EName)
	require.Empty(t, s.Cells[4].Outputs, "a cell after the stop has no stale output")
	require.Nil(t, s.Cells[4].Count)

	h.callOK("run_notebook", map[string]any{"path": "run.ipynb", "stop_on_error": false, "session_id": run.SessionID}, &run)
	require.Equal(t, 4, run.Executed)
	s = nbcheck(t, filepath.Join(wsDir, "run.ipynb"))
	require.Equal(t, "after\n", s.Cells[4].Outputs[0].Text)
	require.NotNil(t, s.Cells[4].Count)

	// Bad input: named, with the fix.
	require.Contains(t, h.callErr("run_notebook", map[string]any{"path": "missing.ipynb"}), "path")
	require.NoError(t, os.WriteFile(filepath.Join(wsDir, "bad.ipynb"), []byte("{not json"), 0o600))
	require.Contains(t, h.callErr("run_notebook", map[string]any{"path": "bad.ipynb"}), "bad.ipynb")
	require.Contains(t, h.callErr("save_notebook", map[string]any{"path": "x.txt"}), ".ipynb")
}
