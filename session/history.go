package session

import (
	"encoding/base64"
	"maps"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/kernel"
)

// Output types, as nbformat 4 names them.
const (
	OutputStream        = "stream"
	OutputExecuteResult = "execute_result"
	OutputDisplayData   = "display_data"
	OutputError         = "error"
)

// Output is one output of a cell in nbformat 4 terms.
type Output struct {
	// Type is OutputStream, OutputExecuteResult, OutputDisplayData or
	// OutputError.
	Type string `json:"type"`
	// Name is the stream's, "stdout" or "stderr"; Text what it got (head
	// and tail, as CellResult keeps it).
	Name string `json:"name,omitempty"`
	Text string `json:"text,omitempty"`
	// Data is an execute_result's bundle (CellResult.Data) or a
	// display_data's image: MIME type → content, binary types base64.
	Data map[string]string `json:"data,omitempty"`
	// ExecutionCount is an execute_result's, the cell's.
	ExecutionCount int `json:"execution_count,omitempty"`
	// Error is an error output's exception.
	Error *CellError `json:"error,omitempty"`
}

// HistoryCell is one cell a session ran, for export as a notebook cell.
type HistoryCell struct {
	// Seq numbers the session's cells from 1, across kernels and never
	// reset but by Reset: a first Seq above 1 says that older cells were
	// forgotten (Options.MaxHistory, MaxHistoryBytes).
	Seq  int    `json:"seq"`
	Code string `json:"code"`
	// ExecutionCount is the kernel's count for the cell; 0 if it did not
	// answer (it died or was killed during the cell).
	ExecutionCount int `json:"execution_count"`
	// Outputs are, in this order: the stdout stream, the stderr stream
	// (each only if not empty), the execute_result (the value's bundle),
	// a display_data for each image that is not the value's (matplotlib
	// figures), the error.
	Outputs []Output      `json:"outputs"`
	Started time.Time     `json:"started"`
	Elapsed time.Duration `json:"elapsed"`
	// NewKernel is set when the cell ran in a kernel the session's earlier
	// cells did not: the state they built was gone (the previous kernel
	// died or was killed). A notebook shows a restart before this cell.
	NewKernel bool `json:"new_kernel,omitempty"`
	// KernelLost is set when the kernel died or was killed during this
	// cell, so its state, this cell's included, is gone.
	KernelLost bool `json:"kernel_lost,omitempty"`
	// TimedOut and Interrupted are CellResult's.
	TimedOut    bool `json:"timed_out,omitempty"`
	Interrupted bool `json:"interrupted,omitempty"`
	// Notes are CellResult's: images omitted, representations skipped, a
	// replaced kernel.
	Notes []string `json:"notes,omitempty"`
}

// history is a session's record of the cells it ran, bounded by count and
// bytes. Guarded by m.mu: History reads it while a cell runs.
type history struct {
	cells []HistoryCell
	sizes []int // the bytes each cell holds, for the byte bound
	bytes int
	seq   int
	// started is set once a kernel ran a cell of this history, restarted
	// when a later kernel starts: the next cell recorded is NewKernel.
	started, restarted bool
}

// kernelStarted notes that a new kernel starts for the session.
func (h *history) kernelStarted() {
	h.restarted = h.started
	h.started = true
}

// add records a cell, dropping the oldest ones past the bounds.
func (h *history) add(c HistoryCell, maxCells, maxBytes int) {
	h.seq++
	c.Seq = h.seq
	c.NewKernel, h.restarted = h.restarted, false
	if maxCells < 0 {
		return
	}
	n := cellSize(&c)
	h.cells = append(h.cells, c)
	h.sizes = append(h.sizes, n)
	h.bytes += n
	drop := 0
	for len(h.cells)-drop > 1 && (len(h.cells)-drop > maxCells || h.bytes > maxBytes) {
		h.bytes -= h.sizes[drop]
		drop++
	}
	if drop > 0 {
		// Copy rather than reslice, so the forgotten cells' outputs are
		// freed.
		h.cells = append([]HistoryCell(nil), h.cells[drop:]...)
		h.sizes = append([]int(nil), h.sizes[drop:]...)
	}
}

func (h *history) snapshot() []HistoryCell {
	out := make([]HistoryCell, len(h.cells))
	for i, c := range h.cells {
		c.Outputs = append([]Output(nil), c.Outputs...)
		c.Notes = append([]string(nil), c.Notes...)
		for j := range c.Outputs {
			c.Outputs[j].Data = maps.Clone(c.Outputs[j].Data)
			if e := c.Outputs[j].Error; e != nil {
				ec := *e
				c.Outputs[j].Error = &ec
			}
		}
		out[i] = c
	}
	return out
}

func cellSize(c *HistoryCell) int {
	n := len(c.Code)
	for _, o := range c.Outputs {
		n += len(o.Text)
		for k, v := range o.Data {
			n += len(k) + len(v)
		}
		if o.Error != nil {
			n += len(o.Error.Type) + len(o.Error.Message) + len(o.Error.Traceback)
		}
	}
	for _, s := range c.Notes {
		n += len(s)
	}
	return n
}

// historyCell is the record of a cell that produced res (kr: the kernel's
// result, nil if the kernel never answered).
func historyCell(code string, started time.Time, res *CellResult, kr *kernel.Result) HistoryCell {
	c := HistoryCell{Code: code, ExecutionCount: res.ExecutionCount, Started: started, Elapsed: res.Elapsed,
		KernelLost: res.KernelDied || (kr != nil && kr.Killed), TimedOut: res.TimedOut, Interrupted: res.Interrupted,
		Notes: append([]string(nil), res.Notes...), Outputs: []Output{}}
	if res.Stdout != "" {
		c.Outputs = append(c.Outputs, Output{Type: OutputStream, Name: "stdout", Text: res.Stdout})
	}
	if res.Stderr != "" {
		c.Outputs = append(c.Outputs, Output{Type: OutputStream, Name: "stderr", Text: res.Stderr})
	}
	if res.Data != nil {
		c.Outputs = append(c.Outputs, Output{Type: OutputExecuteResult, Data: maps.Clone(res.Data), ExecutionCount: res.ExecutionCount})
	}
	if kr != nil {
		for _, im := range kr.Images {
			if !im.OfValue { // the value's image is in its bundle
				c.Outputs = append(c.Outputs, Output{Type: OutputDisplayData,
					Data: map[string]string{im.MIME: base64.StdEncoding.EncodeToString(im.Data)}})
			}
		}
	}
	if res.Error != nil {
		e := *res.Error
		c.Outputs = append(c.Outputs, Output{Type: OutputError, Error: &e})
	}
	return c
}
