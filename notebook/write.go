package notebook

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
)

// Write writes the notebook to w as Marshal does.
func (nb *Notebook) Write(w io.Writer) error {
	b, err := nb.Marshal()
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// Marshal returns the notebook as nbformat writes it (nbformat.write):
// JSON indented by one space, keys sorted, sources, stream texts and text
// MIME values as lists of lines, a final newline, and no transient
// metadata (orig_nbformat, signature, a cell's trusted). So a notebook
// Jupyter wrote and Read read is written back byte for byte, and a diff
// shows only what changed.
//
// In a notebook of 4.5 or newer, a cell without an ID gets one, stored in
// the cell so that the next write keeps it. A Notebook that nbformat would
// not validate is ErrInvalid, naming the field: a minor version out of
// 0–CurrentMinor, an unknown cell or output type, a malformed or duplicate
// id, outputs or an execution count on a cell that is not code,
// attachments on one that is, a MIME value other than a string for a type
// that is not JSON, a metadata value that is not JSON (NaN).
func (nb *Notebook) Marshal() ([]byte, error) {
	if nb.NBFormatMinor < 0 || nb.NBFormatMinor > CurrentMinor {
		return nil, fmt.Errorf("%w: nbformat_minor %d; use 0 to %d", ErrInvalid, nb.NBFormatMinor, CurrentMinor)
	}
	withIDs := nb.NBFormatMinor >= 5
	if withIDs {
		if err := nb.checkIDs(); err != nil {
			return nil, err
		}
		nb.fillIDs()
	}
	w := &jsonWriter{}
	// Keys in sorted order here and below, as nbformat writes them.
	o := w.object(0)
	o.key("cells")
	if err := w.array(1, len(nb.Cells), func(i int) error {
		if err := w.cell(2, &nb.Cells[i], withIDs); err != nil {
			return fmt.Errorf("%w: cells[%d]%s", ErrInvalid, i, err)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	o.key("metadata")
	if err := w.value(1, stripTransient(nb.Metadata, "orig_nbformat", "orig_nbformat_minor", "signature")); err != nil {
		return nil, fmt.Errorf("%w: metadata%s", ErrInvalid, err)
	}
	o.key("nbformat")
	w.buf = strconv.AppendInt(w.buf, Major, 10)
	o.key("nbformat_minor")
	w.buf = strconv.AppendInt(w.buf, int64(nb.NBFormatMinor), 10)
	o.end()
	w.buf = append(w.buf, '\n') // nbformat.write ends the file with a newline
	return w.buf, nil
}

// checkIDs reports a cell id that is malformed or a duplicate.
func (nb *Notebook) checkIDs() error {
	first := make(map[string]int, len(nb.Cells))
	for i, c := range nb.Cells {
		if c.ID == "" {
			continue
		}
		if !validID(c.ID) {
			return fmt.Errorf("%w: cells[%d].id %q: use 1 to 64 letters, digits, - or _ (or none, and one is made)", ErrInvalid, i, c.ID)
		}
		if j, dup := first[c.ID]; dup {
			return fmt.Errorf("%w: cells[%d].id %q is also cells[%d]'s; ids are unique in a notebook (clear it, and one is made)", ErrInvalid, i, c.ID, j)
		}
		first[c.ID] = i
	}
	return nil
}

// cell writes c, or returns an error that starts with the path of the bad
// field below the cell.
func (w *jsonWriter) cell(depth int, c *Cell, withID bool) error {
	switch c.Type {
	case Code:
		if len(c.Attachments) > 0 {
			return fmt.Errorf(": a code cell has no attachments; put them on a markdown cell")
		}
		if c.ExecutionCount != nil && *c.ExecutionCount < 0 {
			return fmt.Errorf(".execution_count %d: use nil (never run) or a count of 0 or more", *c.ExecutionCount)
		}
	case Markdown, Raw:
		if len(c.Outputs) > 0 || c.ExecutionCount != nil {
			return fmt.Errorf(": a %s cell has no outputs or execution count; make it a code cell", c.Type)
		}
	default:
		return fmt.Errorf(".cell_type %q: use %q, %q or %q", c.Type, Code, Markdown, Raw)
	}
	o := w.object(depth)
	if len(c.Attachments) > 0 {
		o.key("attachments")
		a := w.object(depth + 1)
		for _, name := range slices.Sorted(maps.Keys(c.Attachments)) {
			a.key(name)
			if err := w.bundle(depth+2, c.Attachments[name]); err != nil {
				return fmt.Errorf(".attachments[%q]%s", name, err)
			}
		}
		a.end()
	}
	o.key("cell_type")
	w.string(string(c.Type))
	if c.Type == Code {
		o.key("execution_count")
		w.count(c.ExecutionCount)
	}
	if withID {
		o.key("id")
		w.string(c.ID)
	}
	o.key("metadata")
	if err := w.value(depth+1, stripTransient(c.Metadata, "trusted")); err != nil {
		return fmt.Errorf(".metadata%s", err)
	}
	if c.Type == Code {
		o.key("outputs")
		if err := w.array(depth+1, len(c.Outputs), func(i int) error {
			if err := w.output(depth+2, &c.Outputs[i]); err != nil {
				return fmt.Errorf(".outputs[%d]%s", i, err)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	o.key("source")
	w.strings(depth+1, splitLines(c.Source))
	o.end()
	return nil
}

func (w *jsonWriter) output(depth int, out *Output) error {
	o := w.object(depth)
	switch out.Type {
	case Stream:
		o.key("name")
		w.string(out.Name)
		o.key("output_type")
		w.string(string(Stream))
		o.key("text")
		w.strings(depth+1, splitLines(out.Text))
	case ExecuteResult, DisplayData:
		o.key("data")
		if err := w.bundle(depth+1, out.Data); err != nil {
			return fmt.Errorf(".data%s", err)
		}
		if out.Type == ExecuteResult {
			if out.ExecutionCount != nil && *out.ExecutionCount < 0 {
				return fmt.Errorf(".execution_count %d: use nil or a count of 0 or more", *out.ExecutionCount)
			}
			o.key("execution_count")
			w.count(out.ExecutionCount)
		}
		o.key("metadata")
		if err := w.value(depth+1, orEmpty(out.Metadata)); err != nil {
			return fmt.Errorf(".metadata%s", err)
		}
		o.key("output_type")
		w.string(string(out.Type))
	case Error:
		o.key("ename")
		w.string(out.EName)
		o.key("evalue")
		w.string(out.EValue)
		o.key("output_type")
		w.string(string(Error))
		o.key("traceback")
		w.strings(depth+1, out.Traceback)
	default:
		return fmt.Errorf(".output_type %q: use %q, %q, %q or %q", out.Type, Stream, ExecuteResult, DisplayData, Error)
	}
	o.end()
	return nil
}

// bundle writes a MIME bundle: text values as lines, JSON values as they
// are, other values as the strings they must be.
func (w *jsonWriter) bundle(depth int, data map[string]any) error {
	o := w.object(depth)
	for _, mime := range slices.Sorted(maps.Keys(data)) {
		v := data[mime]
		o.key(mime)
		if isJSONMIME(mime) {
			if err := w.value(depth+1, v); err != nil {
				return fmt.Errorf("[%q]%s", mime, err)
			}
			continue
		}
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("[%q] is %T; a value of %s is a string (base64 for binary content: NewBundle encodes it)", mime, v, mime)
		}
		if isTextMIME(mime) {
			w.strings(depth+1, splitLines(s))
		} else {
			w.string(s)
		}
	}
	o.end()
	return nil
}

func (w *jsonWriter) count(n *int) {
	if n == nil {
		w.buf = append(w.buf, "null"...)
		return
	}
	w.buf = strconv.AppendInt(w.buf, int64(*n), 10)
}

// stripTransient returns m without keys, and {} for nil: nbformat drops
// these keys on every read and write (its strip_transient), and requires
// metadata objects.
func stripTransient(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			m = maps.Clone(m)
			for _, k := range keys {
				delete(m, k)
			}
			break
		}
	}
	return orEmpty(m)
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// splitLines splits s after each line boundary, as Python's
// str.splitlines(True), which nbformat writes text with: "\n", "\r\n",
// "\r", "\v", "\f", "\x1c"–"\x1e", U+0085, U+2028 and U+2029. Its list
// joined is s; "" is no lines.
func splitLines(s string) []string {
	lines := []string{}
	start := 0
	for i := 0; i < len(s); {
		end := 0 // the end of a boundary at i, 0 if none
		switch c := s[i]; {
		case c == '\r' && i+1 < len(s) && s[i+1] == '\n':
			end = i + 2
		case c == '\n' || c == '\r' || c == '\v' || c == '\f' || c == 0x1c || c == 0x1d || c == 0x1e:
			end = i + 1
		case c == 0xc2 && i+1 < len(s) && s[i+1] == 0x85: // U+0085
			end = i + 2
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && (s[i+2] == 0xa8 || s[i+2] == 0xa9): // U+2028, U+2029
			end = i + 3
		}
		if end == 0 {
			i++
			continue
		}
		lines = append(lines, s[start:end])
		start, i = end, end
	}
	if start < len(s) {
		lines = append(lines, s[start:])
	}
	return lines
}
