package notebook_test

import (
	"bytes"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pyexec-mcp/pyexec/notebook"
	"github.com/stretchr/testify/require"
)

// TestReadErrors: input that is not an nbformat 4 notebook is an error that
// names what is wrong, where, and what to do.
func TestReadErrors(t *testing.T) {
	t.Parallel()
	const head = `{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": `
	cell := func(s string) string { return head + "[" + s + "]}" }
	for name, tc := range map[string]struct {
		in   string
		is   error
		want string
	}{
		"empty":        {"", notebook.ErrInvalid, "not JSON (it ends before the document does); an .ipynb file is a JSON document"},
		"not JSON":     {"print('hello')", notebook.ErrInvalid, "not JSON (invalid character 'p' looking for beginning of value near byte 1)"},
		"truncated":    {head + `[{"cell_type": "code"`, notebook.ErrInvalid, "not JSON (it ends before the document does)"},
		"trailing":     {head + "[]} {}", notebook.ErrInvalid, "more data after the JSON document"},
		"array":        {"[]", notebook.ErrInvalid, "the JSON document is a list, not an object with cells and nbformat"},
		"no nbformat":  {`{"cells": []}`, notebook.ErrInvalid, "no nbformat field, so not a Jupyter notebook"},
		"nbformat str": {`{"nbformat": "4"}`, notebook.ErrInvalid, "nbformat is a string; want the integer 4"},
		"nbformat 3": {`{"nbformat": 3, "nbformat_minor": 0, "worksheets": []}`, notebook.ErrVersion,
			"nbformat 3; this package reads nbformat 4: convert the notebook with jupyter nbconvert --to notebook --nbformat 4"},
		"nbformat 5":  {`{"nbformat": 5, "nbformat_minor": 0}`, notebook.ErrVersion, "nbformat 5 is newer than this package reads (4.0–4.5)"},
		"minor 6":     {`{"nbformat": 4, "nbformat_minor": 6}`, notebook.ErrVersion, "nbformat 4.6 is newer than this package reads (4.0–4.5); save the notebook as nbformat 4.5"},
		"no minor":    {`{"nbformat": 4, "cells": []}`, notebook.ErrInvalid, "no nbformat_minor field"},
		"minor float": {`{"nbformat": 4, "nbformat_minor": 4.5}`, notebook.ErrInvalid, "nbformat_minor is a number; want an integer from 0 to 5"},
		"cells":       {head + `{}}`, notebook.ErrInvalid, "cells is an object; want a list of cells"},
		"cell":        {cell(`"x = 1"`), notebook.ErrInvalid, "cells[0] is a string; want a cell object"},
		"no type":     {cell(`{"source": "x"}`), notebook.ErrInvalid, `cells[0] has no cell_type; give it "code", "markdown" or "raw"`},
		"heading":     {cell(`{"cell_type": "heading", "source": "x"}`), notebook.ErrInvalid, `cells[0].cell_type is "heading"; want "code", "markdown" or "raw"`},
		"source num":  {cell(`{"cell_type": "code", "source": 1}`), notebook.ErrInvalid, "cells[0].source is a number; want a string or a list of strings"},
		"source list": {cell(`{"cell_type": "markdown", "source": ["a\n", 2]}`), notebook.ErrInvalid, "cells[0].source[1] is a number; want a string or a list of strings"},
		"bad id":      {cell(`{"cell_type": "raw", "id": "a b", "source": ""}`), notebook.ErrInvalid, `cells[0].id is "a b"; a cell id is 1 to 64 letters, digits, - or _`},
		"metadata":    {cell(`{"cell_type": "raw", "metadata": [], "source": ""}`), notebook.ErrInvalid, "cells[0].metadata is a list; want an object"},
		"count":       {cell(`{"cell_type": "code", "execution_count": -1, "source": ""}`), notebook.ErrInvalid, "cells[0].execution_count is -1; want null or an integer of 0 or more"},
		"outputs":     {cell(`{"cell_type": "code", "outputs": {}, "source": ""}`), notebook.ErrInvalid, "cells[0].outputs is an object; want a list of outputs"},
		"output type": {cell(`{"cell_type": "code", "outputs": [{"output_type": "pyout"}], "source": ""}`), notebook.ErrInvalid, `cells[0].outputs[0].output_type is "pyout"; want "stream", "execute_result", "display_data" or "error"`},
		"no output type": {cell(`{"cell_type": "code", "outputs": [{"text": "x"}], "source": ""}`), notebook.ErrInvalid,
			`cells[0].outputs[0] has no output_type`},
		"stream text": {cell(`{"cell_type": "code", "outputs": [{"output_type": "stream", "name": "stdout", "text": {}}], "source": ""}`), notebook.ErrInvalid,
			"cells[0].outputs[0].text is an object; want a string or a list of strings"},
		"mime value": {cell(`{"cell_type": "code", "outputs": [{"output_type": "display_data", "data": {"image/png": 7}}], "source": ""}`), notebook.ErrInvalid,
			`cells[0].outputs[0].data["image/png"] is a number; want a string or a list of strings`},
		"traceback": {cell(`{"cell_type": "code", "outputs": [{"output_type": "error", "ename": "E", "evalue": "", "traceback": "x"}], "source": ""}`), notebook.ErrInvalid,
			"cells[0].outputs[0].traceback is a string; want a list of strings"},
		"attachments": {cell(`{"cell_type": "markdown", "source": "", "attachments": {"a.png": "x"}}`), notebook.ErrInvalid,
			`cells[0].attachments["a.png"] is a string; want an object of MIME type to content`},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := notebook.Read(strings.NewReader(tc.in), 0)
			require.ErrorIs(t, err, tc.is)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestReadTooLarge(t *testing.T) {
	t.Parallel()
	data := readFile(t, filepath.Join("testdata", "v4.5.ipynb"))
	_, err := notebook.Read(bytes.NewReader(data), int64(len(data)))
	require.NoError(t, err, "exactly the limit is allowed")

	// An endless reader stops at the limit: the read is bounded.
	endless := &countingReader{}
	_, err = notebook.Read(endless, 1000)
	require.ErrorIs(t, err, notebook.ErrTooLarge)
	require.ErrorContains(t, err, "over the limit of 1000 bytes; raise the limit, or make the notebook smaller")
	require.LessOrEqual(t, endless.n, int64(1001+512), "read only past the limit, not to the end")

	_, err = notebook.Read(errReader{}, 0)
	require.ErrorContains(t, err, "notebook: read: disk on fire")
}

// countingReader is an endless stream of spaces that counts what it gave.
type countingReader struct{ n int64 }

func (r *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	r.n += int64(len(p))
	return len(p), nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("disk on fire") }

// FuzzParse: any input is a notebook or an error, never a panic; a
// notebook Parse accepts is one Marshal writes, and that file reads back
// to itself (writing is a fixed point after one round).
func FuzzParse(f *testing.F) {
	for _, name := range fixtureNames {
		f.Add(readFile(f, filepath.Join("testdata", name)))
	}
	f.Add([]byte(`{"nbformat": 4, "nbformat_minor": 5, "metadata": {"a": 1e400}, "cells": [{"cell_type": "code", "id": "x", "source": ["a\r", "\nb"], "outputs": [{"output_type": "execute_result", "data": {"application/json": [1], "text/plain": ["x\u2028y"]}}]}]}`))
	f.Add([]byte(`{"nbformat": 3}`))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, data []byte) {
		nb, err := notebook.Parse(data)
		if err != nil {
			if !errors.Is(err, notebook.ErrInvalid) && !errors.Is(err, notebook.ErrVersion) {
				t.Fatalf("error outside the sentinels: %v", err)
			}
			return
		}
		first, err := nb.Marshal()
		if err != nil {
			t.Fatalf("a parsed notebook does not write: %v", err)
		}
		again, err := notebook.Parse(first)
		if err != nil {
			t.Fatalf("a written notebook does not parse: %v\n%s", err, first)
		}
		second, err := again.Marshal()
		if err != nil {
			t.Fatalf("second write: %v", err)
		}
		if !bytes.Equal(first, second) {
			t.Fatalf("not a fixed point:\n%s\n---\n%s", first, second)
		}
	})
}
