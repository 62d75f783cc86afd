package notebook

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"iter"
	"math/rand/v2"
	"strings"
)

// The versions this package reads and writes, and Read's default limit.
const (
	// Major is the only nbformat major version this package reads and
	// writes.
	Major = 4
	// CurrentMinor is the newest minor version it knows: 4.5, the first
	// with cell ids. New makes notebooks of this version.
	CurrentMinor = 5
	// DefaultMaxBytes is Read's limit when it is given none: a notebook
	// with many images is tens of megabytes.
	DefaultMaxBytes = 100 << 20
)

// CellType is a cell's "cell_type".
type CellType string

// The cell types of nbformat 4.
const (
	Code     CellType = "code"
	Markdown CellType = "markdown"
	Raw      CellType = "raw"
)

// OutputType is an output's "output_type".
type OutputType string

// The output types of nbformat 4.
const (
	Stream        OutputType = "stream"
	ExecuteResult OutputType = "execute_result"
	DisplayData   OutputType = "display_data"
	Error         OutputType = "error"
)

// The stream names Jupyter kernels write; nbformat allows any name.
const (
	Stdout = "stdout"
	Stderr = "stderr"
)

// Notebook is an nbformat 4 notebook. Its zero value is an empty notebook
// of version 4.0, whose cells have no ids; New makes a current (4.5) one.
// A Notebook is not safe for concurrent use: Write may give cells ids.
type Notebook struct {
	Cells []Cell
	// Metadata is the notebook's metadata: kernelspec, language_info and
	// whatever the tools that wrote it keep there. Values are what
	// encoding/json decodes into an any, numbers as json.Number so that
	// they are written back as they were read. nil is written as {}.
	Metadata map[string]any
	// NBFormatMinor is the minor version: 4.NBFormatMinor, from 0 to
	// CurrentMinor. Read keeps the file's (so does Jupyter), and Write
	// writes it: cell ids are written from 4.5 on, as the schema of each
	// version requires.
	NBFormatMinor int
}

// Cell is a code, markdown or raw cell.
type Cell struct {
	// ID is the cell's id: 1 to 64 letters, digits, "-" or "_", unique in
	// the notebook. A notebook of 4.5 or newer needs one on every cell:
	// New and Write give one to a cell without; an older notebook has none
	// and Write leaves them out.
	ID   string
	Type CellType
	// Source is the cell's text, whole. nbformat files hold it as a list
	// of lines or as one string: Read joins a list, Write writes lines.
	Source string
	// Metadata is the cell's metadata (as Notebook.Metadata); nil is
	// written as {}.
	Metadata map[string]any
	// Attachments are the files a markdown or raw cell embeds, by file
	// name, each a MIME bundle as Output.Data. Code cells have none.
	Attachments map[string]map[string]any
	// ExecutionCount is a code cell's prompt number, nil when it never ran.
	ExecutionCount *int
	// Outputs are a code cell's outputs, in order.
	Outputs []Output
}

// Output is one output of a code cell. Which fields count depends on Type:
// Name and Text for a stream; Data and Metadata for a display_data, and
// ExecutionCount too for an execute_result; EName, EValue and Traceback for
// an error.
type Output struct {
	Type OutputType
	// Name is a stream's name: Stdout or Stderr.
	Name string
	// Text is a stream's text, whole (written as a list of lines).
	Text string
	// Data is a MIME bundle: MIME type to content. Text types (text/*,
	// image/svg+xml, application/javascript) are strings, written as
	// lines as Jupyter does; binary types (image/png, image/jpeg, …) are
	// base64 strings; JSON types (application/json, application/*+json)
	// are any JSON value, as encoding/json decodes it into an any. NewBundle
	// builds one from raw content.
	Data map[string]any
	// Metadata is the output's metadata (e.g. an image's width); nil is
	// written as {}.
	Metadata map[string]any
	// ExecutionCount is an execute_result's prompt number; nil is null.
	ExecutionCount *int
	// EName and EValue are an error's exception type and message.
	EName, EValue string
	// Traceback is an error's traceback, one entry a line (Jupyter's
	// entries may hold ANSI colour codes and several lines).
	Traceback []string
}

// New returns a notebook of version 4.CurrentMinor with a Python 3
// kernelspec and language_info, holding cells; cells without an id get
// one.
func New(cells ...Cell) *Notebook {
	nb := &Notebook{
		Cells: cells,
		// What ipykernel records, less the Python version, which only the
		// kernel knows: Jupyter picks the kernel and the highlighting by
		// these.
		Metadata: map[string]any{
			"kernelspec": map[string]any{
				"display_name": "Python 3 (ipykernel)",
				"language":     "python",
				"name":         "python3",
			},
			"language_info": map[string]any{
				"codemirror_mode":    map[string]any{"name": "ipython", "version": json.Number("3")},
				"file_extension":     ".py",
				"mimetype":           "text/x-python",
				"name":               "python",
				"nbconvert_exporter": "python",
				"pygments_lexer":     "ipython3",
			},
		},
		NBFormatMinor: CurrentMinor,
	}
	nb.fillIDs()
	return nb
}

// CodeCells iterates over the notebook's code cells in order, yielding each
// one's index in Cells and a pointer to it, so that a caller running them
// can set its outputs in place.
func (nb *Notebook) CodeCells() iter.Seq2[int, *Cell] {
	return func(yield func(int, *Cell) bool) {
		for i := range nb.Cells {
			if nb.Cells[i].Type == Code && !yield(i, &nb.Cells[i]) {
				return
			}
		}
	}
}

// NewCodeCell returns a code cell with source and outputs; count is its
// execution count, and 0 or less means it never ran (null). Its ID is
// empty: New and Write give it one.
func NewCodeCell(source string, count int, outputs ...Output) Cell {
	return Cell{Type: Code, Source: source, ExecutionCount: countOf(count), Outputs: outputs}
}

// NewMarkdownCell returns a markdown cell with source.
func NewMarkdownCell(source string) Cell {
	return Cell{Type: Markdown, Source: source}
}

// NewRawCell returns a raw cell with source.
func NewRawCell(source string) Cell {
	return Cell{Type: Raw, Source: source}
}

// NewStream returns a stream output: name is Stdout or Stderr.
func NewStream(name, text string) Output {
	return Output{Type: Stream, Name: name, Text: text}
}

// NewExecuteResult returns a cell's value as an execute_result output:
// data is a MIME bundle (NewBundle) and count the cell's execution count,
// 0 or less for null.
func NewExecuteResult(count int, data map[string]any) Output {
	return Output{Type: ExecuteResult, Data: data, ExecutionCount: countOf(count)}
}

// NewDisplayData returns a display_data output (a figure, an HTML table)
// of a MIME bundle (NewBundle).
func NewDisplayData(data map[string]any) Output {
	return Output{Type: DisplayData, Data: data}
}

// NewError returns an error output: ename is the exception's type,
// evalue its message and traceback the traceback's text, which is split
// into the list of lines Jupyter keeps (a final newline ends the last line,
// it does not start another).
func NewError(ename, evalue, traceback string) Output {
	lines := []string{}
	if traceback != "" {
		lines = strings.Split(strings.TrimSuffix(traceback, "\n"), "\n")
	}
	return Output{Type: Error, EName: ename, EValue: evalue, Traceback: lines}
}

// NewBundle returns the MIME bundle (Output.Data) of raw content by MIME
// type: text types are kept as they are; JSON types (application/json,
// application/*+json) are parsed, and kept as a string if they are not
// JSON; every other type is binary and encoded in base64, as nbformat
// stores images. A Go string holds any bytes: string(pngBytes) is fine.
func NewBundle(parts map[string]string) map[string]any {
	data := make(map[string]any, len(parts))
	for mime, content := range parts {
		switch {
		case isJSONMIME(mime):
			data[mime] = content
			dec := json.NewDecoder(strings.NewReader(content))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) == nil && !dec.More() {
				data[mime] = v
			}
		case isTextMIME(mime):
			data[mime] = content
		default:
			data[mime] = base64.StdEncoding.EncodeToString([]byte(content))
		}
	}
	return data
}

func countOf(n int) *int {
	if n <= 0 {
		return nil
	}
	return &n
}

// isJSONMIME reports whether mime's value is any JSON value rather than a
// string (nbformat's _is_json_mime and the schema's mimebundle pattern).
func isJSONMIME(mime string) bool {
	return mime == "application/json" || strings.HasPrefix(mime, "application/") && strings.HasSuffix(mime, "+json")
}

// isTextMIME reports whether mime's string value is text, which nbformat
// writes as a list of lines (its split_lines), rather than base64.
func isTextMIME(mime string) bool {
	return strings.HasPrefix(mime, "text/") || mime == "image/svg+xml" || mime == "application/javascript"
}

// validID reports whether id is a valid nbformat 4.5 cell id.
func validID(id string) bool {
	if len(id) == 0 || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// fillIDs gives every cell without an id a new one, unique in the
// notebook: eight random hex digits, as nbformat's random_cell_id. Random
// rather than counted so that cells keep distinct ids when cells of two
// notebooks are merged.
func (nb *Notebook) fillIDs() {
	seen := make(map[string]bool, len(nb.Cells))
	for _, c := range nb.Cells {
		seen[c.ID] = true
	}
	for i := range nb.Cells {
		c := &nb.Cells[i]
		for c.ID == "" {
			id := fmt.Sprintf("%08x", rand.Uint32())
			if !seen[id] {
				c.ID = id
			}
		}
		seen[c.ID] = true
	}
}
