package notebook_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/pyexec-mcp/pyexec/notebook"
	"github.com/stretchr/testify/require"
)

// fixtureNames are the notebooks testdata/nbcheck.py made with nbformat:
// one notebook as 4.5 with its texts as lists of lines, the same with
// texts as single strings, and as 4.0 (no ids, no attachments).
var fixtureNames = []string{"v4.5.ipynb", "v4.5-strings.ipynb", "v4.0.ipynb"}

// TestFixturesRoundTrip: a notebook nbformat wrote, read and written
// again, is the same file byte for byte; with texts as strings it is the
// file nbformat writes with texts as lines.
func TestFixturesRoundTrip(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{
		"v4.5.ipynb":         "v4.5.ipynb",
		"v4.5-strings.ipynb": "v4.5.ipynb",
		"v4.0.ipynb":         "v4.0.ipynb",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := readFixture(t, name).Marshal()
			require.NoError(t, err)
			require.Equal(t, string(readFile(t, filepath.Join("testdata", want))), string(got))
		})
	}
}

func TestReadFixture(t *testing.T) {
	t.Parallel()
	nb := readFixture(t, "v4.5.ipynb")
	require.Equal(t, readFixture(t, "v4.5-strings.ipynb"), nb, "lists of lines and strings read the same")
	require.Equal(t, 5, nb.NBFormatMinor)
	var ids []string
	for _, c := range nb.Cells {
		ids = append(ids, c.ID)
	}
	require.Equal(t, []string{"intro", "streams", "figure", "error", "raw", "attached", "unrun"}, ids)

	require.Equal(t, notebook.Markdown, nb.Cells[0].Type)
	require.Equal(t, "# A fixture\n\nWritten by *nbformat* for the Go tests.", nb.Cells[0].Source)

	streams := nb.Cells[1]
	require.Equal(t, "import sys\nprint('to stdout')\nprint('to stderr', file=sys.stderr)\n1 + 1", streams.Source)
	require.Equal(t, 1, *streams.ExecutionCount)
	require.Equal(t, []notebook.Output{
		{Type: notebook.Stream, Name: "stdout", Text: "to stdout\n"},
		{Type: notebook.Stream, Name: "stderr", Text: "to stderr\n"},
		{Type: notebook.ExecuteResult, Data: map[string]any{"text/plain": "2"}, ExecutionCount: streams.ExecutionCount},
	}, streams.Outputs)

	fig := nb.Cells[2].Outputs[0]
	require.Equal(t, notebook.DisplayData, fig.Type)
	require.Equal(t, "<Figure size 640x480 with 1 Axes>", fig.Data["text/plain"])
	require.Equal(t, map[string]any{"ok": true, "points": []any{json.Number("1"), json.Number("2.5"), nil}}, fig.Data["application/json"])
	require.Equal(t, map[string]any{"image/png": map[string]any{"height": json.Number("1"), "width": json.Number("1")}}, fig.Metadata)
	require.Equal(t, []any{"figure"}, nb.Cells[2].Metadata["tags"])

	errOut := nb.Cells[3].Outputs[0]
	require.Equal(t, "ZeroDivisionError", errOut.EName)
	require.Equal(t, "division by zero", errOut.EValue)
	require.Len(t, errOut.Traceback, 4)

	require.Equal(t, notebook.Raw, nb.Cells[4].Type)
	require.Equal(t, map[string]any{"format": "text/x-rst"}, nb.Cells[4].Metadata)
	require.Contains(t, nb.Cells[5].Attachments["dot.png"], "image/png")
	require.Equal(t, "![dot](attachment:dot.png)\r\nA line ended by CRLF; a <b>tag</b> & an ampersand; é ✓", nb.Cells[5].Source)
	require.Nil(t, nb.Cells[6].ExecutionCount)
	require.Empty(t, nb.Cells[6].Outputs)

	// Numbers in metadata keep their text, even beyond float64.
	require.Equal(t, json.Number("12345678901234567890"), nb.Metadata["custom"].(map[string]any)["big"])

	old := readFixture(t, "v4.0.ipynb")
	require.Equal(t, 0, old.NBFormatMinor)
	for _, c := range old.Cells {
		require.Empty(t, c.ID, "4.0 has no ids, and none are made")
	}
}

func TestNew(t *testing.T) {
	t.Parallel()
	nb := notebook.New(notebook.NewMarkdownCell("a"), notebook.Cell{ID: "mine", Type: notebook.Code}, notebook.NewCodeCell("b", 0))
	require.Equal(t, notebook.CurrentMinor, nb.NBFormatMinor)
	require.Equal(t, "python3", nb.Metadata["kernelspec"].(map[string]any)["name"])
	require.Equal(t, "mine", nb.Cells[1].ID)
	idRE := regexp.MustCompile(`^[0-9a-f]{8}$`)
	require.Regexp(t, idRE, nb.Cells[0].ID)
	require.Regexp(t, idRE, nb.Cells[2].ID)
	require.NotEqual(t, nb.Cells[0].ID, nb.Cells[2].ID)
	require.Nil(t, nb.Cells[2].ExecutionCount, "count 0: never run")
}

// TestIDs: Write gives a cell added to a 4.5 notebook an id and keeps it;
// it leaves ids out of an older notebook; it refuses malformed and
// duplicate ids; Parse repairs duplicates as nbformat does.
func TestIDs(t *testing.T) {
	t.Parallel()
	nb := notebook.New(notebook.NewCodeCell("a", 1))
	nb.Cells = append(nb.Cells, notebook.NewCodeCell("b", 2))
	first, err := nb.Marshal()
	require.NoError(t, err)
	require.NotEmpty(t, nb.Cells[1].ID, "the id is stored in the cell")
	second, err := nb.Marshal()
	require.NoError(t, err)
	require.Equal(t, first, second, "and written again the same")

	old := &notebook.Notebook{NBFormatMinor: 4, Cells: []notebook.Cell{{ID: "x", Type: notebook.Raw}}}
	b, err := old.Marshal()
	require.NoError(t, err)
	require.NotContains(t, string(b), `"id"`)

	for id, want := range map[string]string{
		"has space":                           `cells[1].id "has space": use 1 to 64 letters, digits, - or _`,
		string(bytes.Repeat([]byte("a"), 65)): "use 1 to 64",
		"same":                                `cells[1].id "same" is also cells[0]'s`,
	} {
		nb := notebook.New(notebook.Cell{ID: "same", Type: notebook.Code}, notebook.Cell{ID: id, Type: notebook.Code})
		_, err := nb.Marshal()
		require.ErrorIs(t, err, notebook.ErrInvalid)
		require.ErrorContains(t, err, want)
	}

	dup, err := notebook.Parse([]byte(`{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
		{"cell_type": "raw", "id": "a", "metadata": {}, "source": ""},
		{"cell_type": "raw", "id": "a", "metadata": {}, "source": ""},
		{"cell_type": "raw", "metadata": {}, "source": ""}]}`))
	require.NoError(t, err)
	require.Equal(t, "a", dup.Cells[0].ID)
	require.NotEqual(t, "a", dup.Cells[1].ID)
	require.NotEmpty(t, dup.Cells[2].ID)
	require.NotEqual(t, dup.Cells[1].ID, dup.Cells[2].ID)
}

func TestCodeCells(t *testing.T) {
	t.Parallel()
	nb := notebook.New(notebook.NewMarkdownCell("m"), notebook.NewCodeCell("a", 0), notebook.NewRawCell("r"), notebook.NewCodeCell("b", 0))
	var at []int
	for i, c := range nb.CodeCells() {
		at = append(at, i)
		c.Outputs = append(c.Outputs, notebook.NewStream(notebook.Stdout, c.Source))
	}
	require.Equal(t, []int{1, 3}, at)
	require.Equal(t, "b", nb.Cells[3].Outputs[0].Text, "set in place")
	for range nb.CodeCells() {
		break // stopping early is allowed
	}
}

func TestNewError(t *testing.T) {
	t.Parallel()
	o := notebook.NewError("ValueError", "bad", "Traceback (most recent call last):\n  File \"x\", line 1\nValueError: bad\n")
	require.Equal(t, []string{"Traceback (most recent call last):", "  File \"x\", line 1", "ValueError: bad"}, o.Traceback)
	require.Equal(t, []string{}, notebook.NewError("E", "", "").Traceback)
}

func TestNewBundle(t *testing.T) {
	t.Parallel()
	data := notebook.NewBundle(map[string]string{
		"text/plain":               "x",
		"image/svg+xml":            "<svg/>",
		"image/png":                "\x89PNG",
		"application/json":         `{"a": [1]}`,
		"application/vnd.x+json":   "not json",
		"application/octet-stream": "\x00\x01",
	})
	require.Equal(t, map[string]any{
		"text/plain":               "x",
		"image/svg+xml":            "<svg/>",
		"image/png":                "iVBORw==",
		"application/json":         map[string]any{"a": []any{json.Number("1")}},
		"application/vnd.x+json":   "not json",
		"application/octet-stream": "AAE=",
	}, data)
}

// TestWriteLines: texts are written as Python's str.splitlines(True)
// splits them, which is how nbformat writes them.
func TestWriteLines(t *testing.T) {
	t.Parallel()
	for src, want := range map[string][]string{
		"":                       {},
		"a":                      {"a"},
		"a\n":                    {"a\n"},
		"a\nb":                   {"a\n", "b"},
		"a\r\nb\rc\n\n":          {"a\r\n", "b\r", "c\n", "\n"},
		"a\vb\fc\x1cd\x1de\x1ef": {"a\v", "b\f", "c\x1c", "d\x1d", "e\x1e", "f"},
		"a\u0085b\u2028c\u2029d": {"a\u0085", "b\u2028", "c\u2029", "d"},
		"\r":                     {"\r"},
		"é\n✓":                   {"é\n", "✓"},
	} {
		b, err := (&notebook.Notebook{Cells: []notebook.Cell{notebook.NewRawCell(src)}}).Marshal()
		require.NoError(t, err)
		var doc struct {
			Cells []struct{ Source []string } `json:"cells"`
		}
		require.NoError(t, json.Unmarshal(b, &doc))
		require.Equal(t, want, doc.Cells[0].Source, "%q", src)
		back, err := notebook.Parse(b)
		require.NoError(t, err)
		require.Equal(t, src, back.Cells[0].Source)
	}
}

func TestWriteErrors(t *testing.T) {
	t.Parallel()
	one := 1
	for name, tc := range map[string]struct {
		nb   notebook.Notebook
		want string
	}{
		"minor":          {notebook.Notebook{NBFormatMinor: 6}, "nbformat_minor 6; use 0 to 5"},
		"cell type":      {notebook.Notebook{Cells: []notebook.Cell{{Type: "heading"}}}, `cells[0].cell_type "heading": use "code", "markdown" or "raw"`},
		"output type":    {notebook.Notebook{Cells: []notebook.Cell{{Type: notebook.Code, Outputs: []notebook.Output{{Type: "clear_output"}}}}}, `cells[0].outputs[0].output_type "clear_output"`},
		"markdown count": {notebook.Notebook{Cells: []notebook.Cell{{Type: notebook.Markdown, ExecutionCount: &one}}}, "cells[0]: a markdown cell has no outputs or execution count; make it a code cell"},
		"attachments":    {notebook.Notebook{Cells: []notebook.Cell{{Type: notebook.Code, Attachments: map[string]map[string]any{"a.png": {}}}}}, "cells[0]: a code cell has no attachments"},
		"text value":     {notebook.Notebook{Cells: []notebook.Cell{notebook.NewCodeCell("", 1, notebook.NewDisplayData(map[string]any{"image/png": []byte{1}}))}}, `cells[0].outputs[0].data["image/png"] is []uint8; a value of image/png is a string (base64 for binary content: NewBundle encodes it)`},
		"metadata NaN":   {notebook.Notebook{Metadata: map[string]any{"a": math.NaN()}}, `metadata["a"]: NaN is not a JSON number`},
		"cell metadata":  {notebook.Notebook{Cells: []notebook.Cell{{Type: notebook.Raw, Metadata: map[string]any{"x": []any{1, json.Number("abc")}}}}}, `cells[0].metadata["x"][1]: json.Number "abc" is not a number`},
		"go value":       {notebook.Notebook{Metadata: map[string]any{"ch": make(chan int)}}, `metadata["ch"]: json: unsupported type: chan int`},
		"attachment":     {notebook.Notebook{Cells: []notebook.Cell{{Type: notebook.Markdown, Attachments: map[string]map[string]any{"a.png": {"image/png": 1}}}}}, `cells[0].attachments["a.png"]["image/png"] is int`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := tc.nb.Marshal()
			require.ErrorIs(t, err, notebook.ErrInvalid)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestKeepsUnknownMetadata: what other tools keep in metadata survives a
// read and a write, as run_notebook needs.
func TestKeepsUnknownMetadata(t *testing.T) {
	t.Parallel()
	in := `{"nbformat": 4, "nbformat_minor": 5, "metadata": {"jupytext": {"formats": "ipynb,py"}, "orig_nbformat": 3},
		"cells": [{"cell_type": "code", "id": "c", "execution_count": null, "outputs": [], "source": "x",
		           "metadata": {"tags": ["parameters"], "trusted": true, "papermill": {"duration": 1.5e0}}}]}`
	nb, err := notebook.Parse([]byte(in))
	require.NoError(t, err)
	b, err := nb.Marshal()
	require.NoError(t, err)
	require.Contains(t, string(b), `"jupytext": {`)
	require.Contains(t, string(b), `"duration": 1.5e0`, "numbers keep their text")
	require.Contains(t, string(b), `"parameters"`)
	require.NotContains(t, string(b), "orig_nbformat", "transient, as nbformat drops it")
	require.NotContains(t, string(b), "trusted")
}

func readFixture(t *testing.T, name string) *notebook.Notebook {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	require.NoError(t, err)
	defer f.Close()
	nb, err := notebook.Read(f, 0)
	require.NoError(t, err, name)
	return nb
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

// testPNG returns a real PNG of w×h random grey pixels: noise, so that it
// does not compress, like a photograph or a dense plot.
func testPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(uint64(w), uint64(h)))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.Uint32())
	}
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return buf.Bytes()
}
