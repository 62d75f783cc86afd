package notebook

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
)

// Read reads a notebook from r, at most maxBytes of it (0 or less means
// DefaultMaxBytes): more is ErrTooLarge, before any of it is parsed. See
// Parse.
func Read(r io.Reader, maxBytes int64) (*Notebook, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBytes
	}
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("notebook: read: %w", err)
	}
	if int64(len(data)) > maxBytes {
		return nil, fmt.Errorf("%w: over the limit of %d bytes; raise the limit, or make the notebook smaller (jupyter nbconvert --clear-output --inplace drops its outputs)", ErrTooLarge, maxBytes)
	}
	return Parse(data)
}

// Parse parses an nbformat 4.0–4.5 notebook, as nbformat.read does:
// sources, stream texts and text MIME values given as lists of strings are
// joined; transient metadata is dropped; a cell of a 4.5 notebook without an
// id, or with the id of an earlier cell, gets a new one (nbformat repairs
// both the same way). Keys the schema does not define outside metadata are
// dropped: the schema forbids them, so Jupyter would not keep them either.
// Missing fields that Write always writes (a cell's metadata, a code
// cell's outputs and execution_count) are taken as empty.
//
// Input that is not such a notebook is ErrInvalid, naming the field and
// what is wrong with it; nbformat 3 or older, or newer than 4.5, is
// ErrVersion.
func Parse(data []byte) (*Notebook, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber() // numbers in metadata are written back as they were read
	var doc any
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: not JSON (%s); an .ipynb file is a JSON document", ErrInvalid, jsonError(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: more data after the JSON document at byte %d; an .ipynb file is one JSON document", ErrInvalid, dec.InputOffset())
	}
	top, ok := doc.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the JSON document is %s, not an object with cells and nbformat", ErrInvalid, kind(doc))
	}
	minor, err := version(top)
	if err != nil {
		return nil, err
	}
	nb := &Notebook{NBFormatMinor: minor}
	if nb.Metadata, err = metadata(top, "metadata", ""); err != nil {
		return nil, err
	}
	nb.Metadata = dropTransient(nb.Metadata, "orig_nbformat", "orig_nbformat_minor", "signature")
	cells, ok := top["cells"].([]any)
	if !ok && top["cells"] != nil {
		return nil, fmt.Errorf("%w: cells is %s; want a list of cells", ErrInvalid, kind(top["cells"]))
	}
	nb.Cells = make([]Cell, len(cells))
	for i, v := range cells {
		if err := parseCell(&nb.Cells[i], v, fmt.Sprintf("cells[%d]", i), minor >= 5); err != nil {
			return nil, err
		}
	}
	if minor >= 5 {
		seen := make(map[string]bool, len(nb.Cells))
		for i := range nb.Cells {
			if seen[nb.Cells[i].ID] {
				nb.Cells[i].ID = "" // a duplicate: the later cell gets a new id
			}
			seen[nb.Cells[i].ID] = true
		}
		nb.fillIDs()
	}
	return nb, nil
}

// version returns the notebook's minor version, or why it is not one this
// package reads.
func version(top map[string]any) (int, error) {
	v, ok := top["nbformat"]
	if !ok {
		return 0, fmt.Errorf("%w: no nbformat field, so not a Jupyter notebook", ErrInvalid)
	}
	major, ok := integer(v)
	if !ok {
		return 0, fmt.Errorf("%w: nbformat is %s; want the integer 4", ErrInvalid, kind(v))
	}
	switch {
	case major < Major:
		return 0, fmt.Errorf("%w: nbformat %d; this package reads nbformat 4: convert the notebook with jupyter nbconvert --to notebook --nbformat 4 (or open and save it in Jupyter)", ErrVersion, major)
	case major > Major:
		return 0, fmt.Errorf("%w: nbformat %d is newer than this package reads (4.0–4.%d); save the notebook as nbformat 4", ErrVersion, major, CurrentMinor)
	}
	v, ok = top["nbformat_minor"]
	if !ok {
		return 0, fmt.Errorf("%w: no nbformat_minor field; nbformat 4 needs one (0 to %d)", ErrInvalid, CurrentMinor)
	}
	minor, ok := integer(v)
	if !ok || minor < 0 {
		return 0, fmt.Errorf("%w: nbformat_minor is %s; want an integer from 0 to %d", ErrInvalid, kind(v), CurrentMinor)
	}
	if minor > CurrentMinor {
		return 0, fmt.Errorf("%w: nbformat 4.%d is newer than this package reads (4.0–4.%d); save the notebook as nbformat 4.%d", ErrVersion, minor, CurrentMinor, CurrentMinor)
	}
	return minor, nil
}

func parseCell(c *Cell, v any, path string, withID bool) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: %s is %s; want a cell object", ErrInvalid, path, kind(v))
	}
	t, ok := obj["cell_type"]
	if !ok {
		return fmt.Errorf("%w: %s has no cell_type; give it %q, %q or %q", ErrInvalid, path, Code, Markdown, Raw)
	}
	ts, _ := t.(string)
	c.Type = CellType(ts)
	if c.Type != Code && c.Type != Markdown && c.Type != Raw {
		return fmt.Errorf("%w: %s.cell_type is %s; want %q, %q or %q", ErrInvalid, path, describe(t), Code, Markdown, Raw)
	}
	if withID {
		if id, ok := obj["id"]; ok {
			s, ok := id.(string)
			if !ok || !validID(s) {
				return fmt.Errorf("%w: %s.id is %s; a cell id is 1 to 64 letters, digits, - or _", ErrInvalid, path, describe(id))
			}
			c.ID = s
		}
	}
	var err error
	if c.Source, err = multiline(obj["source"], path+".source"); err != nil {
		return err
	}
	if c.Metadata, err = metadata(obj, "metadata", path+"."); err != nil {
		return err
	}
	c.Metadata = dropTransient(c.Metadata, "trusted")
	if c.Type != Code {
		return parseAttachments(c, obj["attachments"], path+".attachments")
	}
	if c.ExecutionCount, err = count(obj["execution_count"], path+".execution_count"); err != nil {
		return err
	}
	outs, ok := obj["outputs"].([]any)
	if !ok && obj["outputs"] != nil {
		return fmt.Errorf("%w: %s.outputs is %s; want a list of outputs", ErrInvalid, path, kind(obj["outputs"]))
	}
	if len(outs) > 0 {
		c.Outputs = make([]Output, len(outs))
	}
	for i, o := range outs {
		if err := parseOutput(&c.Outputs[i], o, fmt.Sprintf("%s.outputs[%d]", path, i)); err != nil {
			return err
		}
	}
	return nil
}

func parseAttachments(c *Cell, v any, path string) error {
	if v == nil {
		return nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: %s is %s; want an object of MIME bundles by file name", ErrInvalid, path, kind(v))
	}
	c.Attachments = make(map[string]map[string]any, len(obj))
	for name, b := range obj {
		bundle, err := mimeBundle(b, fmt.Sprintf("%s[%q]", path, name))
		if err != nil {
			return err
		}
		c.Attachments[name] = bundle
	}
	return nil
}

func parseOutput(o *Output, v any, path string) error {
	obj, ok := v.(map[string]any)
	if !ok {
		return fmt.Errorf("%w: %s is %s; want an output object", ErrInvalid, path, kind(v))
	}
	t, _ := obj["output_type"].(string)
	o.Type = OutputType(t)
	var err error
	switch o.Type {
	case Stream:
		if o.Name, err = str(obj["name"], path+".name"); err != nil {
			return err
		}
		o.Text, err = multiline(obj["text"], path+".text")
		return err
	case ExecuteResult, DisplayData:
		if o.Data, err = mimeBundle(obj["data"], path+".data"); err != nil {
			return err
		}
		if o.Metadata, err = metadata(obj, "metadata", path+"."); err != nil {
			return err
		}
		if o.Type == ExecuteResult {
			o.ExecutionCount, err = count(obj["execution_count"], path+".execution_count")
		}
		return err
	case Error:
		if o.EName, err = str(obj["ename"], path+".ename"); err != nil {
			return err
		}
		if o.EValue, err = str(obj["evalue"], path+".evalue"); err != nil {
			return err
		}
		o.Traceback, err = strs(obj["traceback"], path+".traceback")
		return err
	}
	if _, ok := obj["output_type"]; !ok {
		return fmt.Errorf("%w: %s has no output_type; give it %q, %q, %q or %q", ErrInvalid, path, Stream, ExecuteResult, DisplayData, Error)
	}
	return fmt.Errorf("%w: %s.output_type is %s; want %q, %q, %q or %q", ErrInvalid, path, describe(obj["output_type"]), Stream, ExecuteResult, DisplayData, Error)
}

// mimeBundle returns a MIME bundle with its text values joined; JSON values
// are kept as they are.
func mimeBundle(v any, path string) (map[string]any, error) {
	if v == nil {
		return map[string]any{}, nil
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: %s is %s; want an object of MIME type to content", ErrInvalid, path, kind(v))
	}
	for mime, val := range obj {
		if isJSONMIME(mime) {
			continue
		}
		s, err := multiline(val, fmt.Sprintf("%s[%q]", path, mime))
		if err != nil {
			return nil, err
		}
		obj[mime] = s
	}
	return obj, nil
}

// multiline returns a string given as a string or a list of strings, as
// nbformat allows for every multiline text; a missing one is "".
func multiline(v any, path string) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	case []any:
		n := 0
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return "", fmt.Errorf("%w: %s[%d] is %s; want a string or a list of strings", ErrInvalid, path, i, kind(e))
			}
			n += len(s)
		}
		b := make([]byte, 0, n)
		for _, e := range v {
			b = append(b, e.(string)...)
		}
		return string(b), nil
	}
	return "", fmt.Errorf("%w: %s is %s; want a string or a list of strings", ErrInvalid, path, kind(v))
}

func str(v any, path string) (string, error) {
	s, ok := v.(string)
	if !ok && v != nil {
		return "", fmt.Errorf("%w: %s is %s; want a string", ErrInvalid, path, kind(v))
	}
	return s, nil
}

func strs(v any, path string) ([]string, error) {
	list, ok := v.([]any)
	if !ok && v != nil {
		return nil, fmt.Errorf("%w: %s is %s; want a list of strings", ErrInvalid, path, kind(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		if out[i], ok = e.(string); !ok {
			return nil, fmt.Errorf("%w: %s[%d] is %s; want a string", ErrInvalid, path, i, kind(e))
		}
	}
	return out, nil
}

// metadata returns obj[key], an object; a missing or empty one is nil, as
// the constructors make it, so that a notebook read back equals the one
// written.
func metadata(obj map[string]any, key, path string) (map[string]any, error) {
	switch m := obj[key].(type) {
	case nil:
		return nil, nil
	case map[string]any:
		if len(m) == 0 {
			return nil, nil
		}
		return m, nil
	}
	return nil, fmt.Errorf("%w: %s%s is %s; want an object", ErrInvalid, path, key, kind(obj[key]))
}

// dropTransient deletes the keys nbformat drops on every read (its
// strip_transient) from m, and returns nil if that leaves m empty.
func dropTransient(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		delete(m, k)
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

// count returns an execution count: null or an integer of 0 or more.
func count(v any, path string) (*int, error) {
	if v == nil {
		return nil, nil
	}
	n, ok := integer(v)
	if !ok || n < 0 {
		return nil, fmt.Errorf("%w: %s is %s; want null or an integer of 0 or more", ErrInvalid, path, describe(v))
	}
	return &n, nil
}

// integer returns v as an int if it is an integral JSON number in int's
// range.
func integer(v any) (int, bool) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	if i, err := num.Int64(); err == nil && i >= math.MinInt && i <= math.MaxInt {
		return int(i), true
	}
	return 0, false
}

// kind names a decoded JSON value's type for an error message.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// describe is kind, with the value for a short string or a number.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		if len(v) <= 40 {
			return fmt.Sprintf("%q", v)
		}
	case json.Number:
		return string(v)
	}
	return kind(v)
}

// jsonError says where a decoding error is.
func jsonError(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%v near byte %d", err, syn.Offset)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends before the document does"
	}
	return err.Error()
}
