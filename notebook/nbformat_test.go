package notebook_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/notebook"
	"github.com/stretchr/testify/require"
)

// nbformatVersion is Jupyter's nbformat (PyPI "nbformat") that the tests
// check written notebooks with and that made testdata/*.ipynb. Pinned: a
// new release is a decision to test against, not a surprise in CI.
const nbformatVersion = "5.11.1"

// TestNBFormatValidates writes a notebook with every kind of output and
// has Jupyter's nbformat read it (as_version=4) and validate it: nbformat
// finds nothing to warn about, writes the file back byte for byte, and
// holds the same content as Go does.
func TestNBFormatValidates(t *testing.T) {
	t.Parallel()
	python := nbformatPython(t)
	png := testPNG(t, 8, 8)
	nb := fullNotebook(png)
	written, err := nb.Marshal()
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "go.ipynb")
	require.NoError(t, os.WriteFile(path, written, 0o644))

	res := nbcheck(t, python, path)[0]
	require.Empty(t, res.Error, res.Traceback)
	require.Equal(t, string(written), res.Rewritten, "nbformat writes the file back as it is")

	// nbformat's notebook in memory (texts joined) is a notebook too: read
	// by Go it equals what Go reads back from its own file.
	fromPython, err := notebook.Parse(res.Notebook)
	require.NoError(t, err)
	back, err := notebook.Parse(written)
	require.NoError(t, err)
	require.Equal(t, back, fromPython)

	// And what Go reads back is what was built.
	require.Len(t, back.Cells, len(nb.Cells))
	for i := range nb.Cells {
		require.Equal(t, nb.Cells[i].ID, back.Cells[i].ID)
		require.Equal(t, nb.Cells[i].Source, back.Cells[i].Source)
		require.Equal(t, nb.Cells[i].Outputs, back.Cells[i].Outputs, "cells[%d]", i)
	}
	got, err := base64.StdEncoding.DecodeString(back.Cells[2].Outputs[0].Data["image/png"].(string))
	require.NoError(t, err)
	require.Equal(t, png, got, "the PNG survives")
}

// TestNBFormatValidatesUpdated edits notebooks that nbformat wrote, as
// run_notebook does (outputs written into code cells, a cell added), and
// has nbformat validate the result: a 4.0 notebook stays 4.0 without ids,
// a 4.5 one keeps its ids and gives the new cell one.
func TestNBFormatValidatesUpdated(t *testing.T) {
	t.Parallel()
	python := nbformatPython(t)
	dir := t.TempDir()
	var paths []string
	for _, name := range []string{"v4.0.ipynb", "v4.5-strings.ipynb"} {
		nb := readFixture(t, name)
		for _, c := range nb.CodeCells() {
			c.Outputs = []notebook.Output{notebook.NewStream(notebook.Stdout, "ran again\n")}
		}
		nb.Cells = append(nb.Cells, notebook.NewCodeCell("x = 1", 9, notebook.NewExecuteResult(9, notebook.NewBundle(map[string]string{"text/plain": "1"}))))
		path := filepath.Join(dir, name)
		f, err := os.Create(path)
		require.NoError(t, err)
		require.NoError(t, nb.Write(f))
		require.NoError(t, f.Close())
		paths = append(paths, path)
	}
	for i, res := range nbcheck(t, python, paths...) {
		require.Empty(t, res.Error, "%s: %s", paths[i], res.Traceback)
		written, err := os.ReadFile(paths[i])
		require.NoError(t, err)
		require.Equal(t, string(written), res.Rewritten)
	}
	old, err := os.ReadFile(paths[0])
	require.NoError(t, err)
	require.NotContains(t, string(old), `"id"`, "4.0 has no cell ids")
	require.Contains(t, string(old), `"nbformat_minor": 0`)
}

// TestNBFormatMadeTheFixtures regenerates testdata/*.ipynb with the pinned
// nbformat: the committed files are what it writes (the tests that read
// them need no Python).
func TestNBFormatMadeTheFixtures(t *testing.T) {
	t.Parallel()
	python := nbformatPython(t)
	dir := t.TempDir()
	out, err := exec.CommandContext(t.Context(), python, filepath.Join("testdata", "nbcheck.py"), "fixtures", dir).CombinedOutput()
	require.NoError(t, err, string(out))
	for _, name := range fixtureNames {
		want, err := os.ReadFile(filepath.Join(dir, name))
		require.NoError(t, err)
		require.Equal(t, string(want), string(readFile(t, filepath.Join("testdata", name))), "%s: regenerate with testdata/nbcheck.py fixtures testdata", name)
	}
}

// fullNotebook has a markdown cell and every kind of output: streams on
// stdout and stderr, an execute_result with plain text, markdown and HTML,
// a display_data with a PNG and an SVG, and an error with a traceback.
func fullNotebook(png []byte) *notebook.Notebook {
	svg := `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">` + "\n" +
		`<circle cx="5" cy="5" r="4" fill="red"/>` + "\n</svg>\n"
	nb := notebook.New(
		// Characters JSON writers treat differently: HTML, non-ASCII, a
		// tab and a bell, a line separator that Python writes as it is.
		notebook.NewMarkdownCell("# Analysis\n\nSome *markdown*, <b>HTML</b> & unicode: é ✓\t\a \u2028 \\ \"q\"\n"),
		notebook.NewCodeCell("import sys\nprint('out')\nprint('err', file=sys.stderr)\ndf", 1,
			notebook.NewStream(notebook.Stdout, "out\n"),
			notebook.NewStream(notebook.Stderr, "err\n"),
			notebook.NewExecuteResult(1, notebook.NewBundle(map[string]string{
				"text/plain":    "   a  b\n0  1  2",
				"text/markdown": "| a | b |\n|---|---|\n| 1 | 2 |\n",
				"text/html":     "<table>\n<tr><td>1</td><td>2</td></tr>\n</table>",
			})),
		),
		notebook.NewCodeCell("plt.plot([1, 2])", 2,
			notebook.NewDisplayData(notebook.NewBundle(map[string]string{
				"image/png":     string(png),
				"image/svg+xml": svg,
				"text/plain":    "<Figure size 640x480 with 1 Axes>",
			})),
		),
		notebook.NewCodeCell("1 / 0", 3,
			notebook.NewError("ZeroDivisionError", "division by zero",
				"\x1b[0;31mTraceback (most recent call last):\x1b[0m\n  File \"<cell>\", line 1, in <module>\nZeroDivisionError: division by zero\n"),
		),
		notebook.NewCodeCell("", 0),
	)
	nb.Cells[2].Outputs[0].Metadata = map[string]any{"image/png": map[string]any{"width": json.Number("8")}}
	// Metadata of Go values: written as JSON, keys sorted.
	nb.Cells[1].Metadata = map[string]any{"pyexec": struct {
		Start string  `json:"shell.execute_reply.started"`
		Took  float64 `json:"took"`
	}{"2026-01-02T03:04:05Z", 0.25}, "tags": []string{"b", "a"}}
	return nb
}

// nbcheckResult is one JSON line of testdata/nbcheck.py validate.
type nbcheckResult struct {
	File      string          `json:"file"`
	Error     string          `json:"error"`
	Traceback string          `json:"traceback"`
	Rewritten string          `json:"rewritten"`
	Notebook  json.RawMessage `json:"notebook"`
}

// nbcheck runs testdata/nbcheck.py validate on paths, one result a path.
func nbcheck(t *testing.T, python string, paths ...string) []nbcheckResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, python, append([]string{filepath.Join("testdata", "nbcheck.py"), "validate"}, paths...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, _ := cmd.Output() // a failed check is a line with its error; a crash shows below
	var results []nbcheckResult
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r nbcheckResult
		require.NoError(t, json.Unmarshal(sc.Bytes(), &r), sc.Text())
		results = append(results, r)
	}
	require.Len(t, results, len(paths), "nbcheck.py stderr:\n%s", stderr.String())
	return results
}

// nbformatPython returns the interpreter of a virtual environment with the
// pinned nbformat, made once with uv in the user's cache directory (keyed
// by nbformat's version and the base interpreter) so that reruns start at
// once, as pyClientPython in examples/python-executor-mcp does for the MCP
// client. A failed install skips the test outside CI and fails it in CI.
func nbformatPython(t *testing.T) string {
	t.Helper()
	return testenv.Venv(t, "3.10", "nbformat=="+nbformatVersion)
}
