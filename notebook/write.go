package notebook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
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
// that is not JSON.
//
// One difference from Python's json.dumps remains: U+2028 and U+2029 are
// written escaped (encoding/json always escapes them); the JSON is the same.
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
	doc := fileNotebook{
		Cells:         make([]any, len(nb.Cells)),
		Metadata:      stripTransient(nb.Metadata, "orig_nbformat", "orig_nbformat_minor", "signature"),
		NBFormat:      Major,
		NBFormatMinor: nb.NBFormatMinor,
	}
	for i := range nb.Cells {
		c, err := fileCellOf(&nb.Cells[i], withIDs)
		if err != nil {
			return nil, fmt.Errorf("%w: cells[%d]%s", ErrInvalid, i, err)
		}
		doc.Cells[i] = c
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // Python's json.dumps does not escape <, > and &
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil { // Encode ends the document with "\n", as nbformat.write does
		return nil, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return buf.Bytes(), nil
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

// The file's shapes. Their fields are in the order of their keys, so that
// encoding/json writes the keys sorted as nbformat does; maps it sorts
// itself.
type (
	fileNotebook struct {
		Cells         []any          `json:"cells"`
		Metadata      map[string]any `json:"metadata"`
		NBFormat      int            `json:"nbformat"`
		NBFormatMinor int            `json:"nbformat_minor"`
	}
	fileCode struct {
		CellType       CellType       `json:"cell_type"`
		ExecutionCount *int           `json:"execution_count"`
		ID             string         `json:"id,omitempty"`
		Metadata       map[string]any `json:"metadata"`
		Outputs        []any          `json:"outputs"`
		Source         []string       `json:"source"`
	}
	fileText struct { // markdown and raw
		Attachments map[string]map[string]any `json:"attachments,omitempty"`
		CellType    CellType                  `json:"cell_type"`
		ID          string                    `json:"id,omitempty"`
		Metadata    map[string]any            `json:"metadata"`
		Source      []string                  `json:"source"`
	}
	fileStream struct {
		Name       string     `json:"name"`
		OutputType OutputType `json:"output_type"`
		Text       []string   `json:"text"`
	}
	fileExecuteResult struct {
		Data           map[string]any `json:"data"`
		ExecutionCount *int           `json:"execution_count"`
		Metadata       map[string]any `json:"metadata"`
		OutputType     OutputType     `json:"output_type"`
	}
	fileDisplayData struct {
		Data       map[string]any `json:"data"`
		Metadata   map[string]any `json:"metadata"`
		OutputType OutputType     `json:"output_type"`
	}
	fileError struct {
		EName      string     `json:"ename"`
		EValue     string     `json:"evalue"`
		OutputType OutputType `json:"output_type"`
		Traceback  []string   `json:"traceback"`
	}
)

// fileCellOf returns c's file shape, or an error that starts with the
// path of the bad field below the cell.
func fileCellOf(c *Cell, withID bool) (any, error) {
	id := ""
	if withID {
		id = c.ID
	}
	meta := stripTransient(c.Metadata, "trusted")
	switch c.Type {
	case Code:
		if len(c.Attachments) > 0 {
			return nil, fmt.Errorf(": a code cell has no attachments; put them on a markdown cell")
		}
		if c.ExecutionCount != nil && *c.ExecutionCount < 0 {
			return nil, fmt.Errorf(".execution_count %d: use nil (never run) or a count of 0 or more", *c.ExecutionCount)
		}
		outs := make([]any, len(c.Outputs))
		for i := range c.Outputs {
			o, err := fileOutputOf(&c.Outputs[i])
			if err != nil {
				return nil, fmt.Errorf(".outputs[%d]%s", i, err)
			}
			outs[i] = o
		}
		return fileCode{CellType: Code, ExecutionCount: c.ExecutionCount, ID: id, Metadata: meta, Outputs: outs, Source: splitLines(c.Source)}, nil
	case Markdown, Raw:
		if len(c.Outputs) > 0 || c.ExecutionCount != nil {
			return nil, fmt.Errorf(": a %s cell has no outputs or execution count; make it a code cell", c.Type)
		}
		var att map[string]map[string]any
		if len(c.Attachments) > 0 {
			att = make(map[string]map[string]any, len(c.Attachments))
			for name, bundle := range c.Attachments {
				b, err := fileBundle(bundle)
				if err != nil {
					return nil, fmt.Errorf(".attachments[%q]%s", name, err)
				}
				att[name] = b
			}
		}
		return fileText{Attachments: att, CellType: c.Type, ID: id, Metadata: meta, Source: splitLines(c.Source)}, nil
	}
	return nil, fmt.Errorf(".cell_type %q: use %q, %q or %q", c.Type, Code, Markdown, Raw)
}

func fileOutputOf(o *Output) (any, error) {
	switch o.Type {
	case Stream:
		return fileStream{Name: o.Name, OutputType: Stream, Text: splitLines(o.Text)}, nil
	case ExecuteResult, DisplayData:
		data, err := fileBundle(o.Data)
		if err != nil {
			return nil, fmt.Errorf(".data%s", err)
		}
		if o.Type == DisplayData {
			return fileDisplayData{Data: data, Metadata: orEmpty(o.Metadata), OutputType: DisplayData}, nil
		}
		if o.ExecutionCount != nil && *o.ExecutionCount < 0 {
			return nil, fmt.Errorf(".execution_count %d: use nil or a count of 0 or more", *o.ExecutionCount)
		}
		return fileExecuteResult{Data: data, ExecutionCount: o.ExecutionCount, Metadata: orEmpty(o.Metadata), OutputType: ExecuteResult}, nil
	case Error:
		tb := o.Traceback
		if tb == nil {
			tb = []string{}
		}
		return fileError{EName: o.EName, EValue: o.EValue, OutputType: Error, Traceback: tb}, nil
	}
	return nil, fmt.Errorf(".output_type %q: use %q, %q, %q or %q", o.Type, Stream, ExecuteResult, DisplayData, Error)
}

// fileBundle returns a MIME bundle as written: text values as lines, JSON
// values as they are, other values as the strings they must be.
func fileBundle(data map[string]any) (map[string]any, error) {
	out := make(map[string]any, len(data))
	for mime, v := range data {
		if isJSONMIME(mime) {
			out[mime] = v
			continue
		}
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("[%q] is %T; a value of %s is a string (base64 for binary content: NewBundle encodes it)", mime, v, mime)
		}
		if isTextMIME(mime) {
			out[mime] = splitLines(s)
		} else {
			out[mime] = s
		}
	}
	return out, nil
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
