package session

import (
	"io"
	"time"
)

// CellOptions are the settings of one cell (Manager.Run). The zero value,
// like a nil *CellOptions, runs the cell without a timeout and without live
// writers.
type CellOptions struct {
	// Timeout bounds the cell's run (not the wait for the session's turn,
	// nor a kernel start): then the cell is interrupted and the session
	// keeps its state, unless it does not stop within Options.Grace. 0 (or
	// less) means none but the context.
	Timeout time.Duration
	// Stdout and Stderr, if set, receive every byte the cell writes to
	// that stream as it arrives, in order, and nothing else: no end marker
	// of the kernel's protocol, no byte of another cell. They are not
	// capped (CellResult keeps the head and tail, as always). Output that a
	// background thread wrote after the previous cell ended belongs to this
	// cell and comes first, as far as the Options.OutputCap buffer kept it.
	//
	// Each writer is called on a goroutine of its own, behind a queue of
	// DefaultLiveBuffer bytes, never from the kernel's pipe readers: those
	// serve the kernel for its whole life and carry the end markers, so a
	// writer that could hold them would hold the kernel, the session's turn
	// and Close. A writer that falls behind by more than the queue loses
	// what does not fit (counted in CellResult.Dropped; it is told in-band
	// once it catches up). Run returns once the writers have been handed
	// everything; they are not called after that. A writer's error stops
	// delivery to it, not the cell.
	Stdout, Stderr io.Writer
}

// CellResult is what one cell (Run, Execute) produced. Failures of the
// user's code (an exception, a timeout, a dead kernel) are described here,
// not returned as errors.
type CellResult struct {
	// Stdout and Stderr hold what the cell wrote, including writes to fds 1
	// and 2 by C extensions and subprocesses; each keeps Options.OutputCap
	// bytes as head and tail around a "… N bytes omitted (bytes A–B) …" marker.
	Stdout        string `json:"stdout"`
	Stderr        string `json:"stderr"`
	StdoutOmitted int64  `json:"stdout_omitted,omitempty"`
	StderrOmitted int64  `json:"stderr_omitted,omitempty"`
	// Value is the repr of the cell's trailing expression, as the
	// interactive interpreter shows it; "" if there is none or it is None.
	Value string `json:"value,omitempty"`
	// Data is the value's MIME bundle, as Jupyter's execute_result: MIME
	// type → content, text types as text, binary types (image/png,
	// image/jpeg) as base64. text/plain (Value) is always there when the
	// cell has a value; the others come from the value's
	// _repr_mimebundle_, _repr_markdown_, _repr_html_, _repr_svg_,
	// _repr_latex_, _repr_json_, _repr_png_ and _repr_jpeg_, and for a
	// pandas DataFrame or Series text/markdown is a table of at most 20
	// rows and 20 columns with its shape ("1000 rows × 30 columns") next
	// to pandas's own text/html. A method that raises or returns an
	// unusable type is skipped with a note; one that returns None offers
	// nothing. Text entries keep Options.OutputCap bytes (text/plain and
	// text/markdown as head and tail; an HTML, SVG, LaTeX or JSON entry
	// over it is left out with a note, a cut would break it); binary ones
	// over Options.MaxImageBytes are left out. nil when there is no value.
	Data map[string]string `json:"data,omitempty"`
	// Error is the exception the cell raised (KeyboardInterrupt after a
	// timeout), nil if none.
	Error *CellError `json:"error,omitempty"`
	// Images are the value's own image first (its _repr_png_, else its
	// _repr_jpeg_; also in Data), then the matplotlib figures the cell
	// left open or showed, as PNG; ImagesOmitted counts those over the
	// limits.
	Images        []Image `json:"images,omitempty"`
	ImagesOmitted int     `json:"images_omitted,omitempty"`
	// TimedOut is set when the cell ran past its timeout; Interrupted when
	// it was interrupted for that reason or because the caller's context
	// ended.
	TimedOut    bool `json:"timed_out,omitempty"`
	Interrupted bool `json:"interrupted,omitempty"`
	// StateLost is set when the session's variables are gone: the kernel
	// was killed (it ignored the interrupt) or died during this cell, or it
	// had died since the previous call and this cell ran in a new one.
	StateLost bool `json:"state_lost,omitempty"`
	// KernelDied is set when the kernel exited while running this cell
	// (os._exit, a crash, a signal from outside). The next call gets a new
	// kernel.
	KernelDied bool `json:"kernel_died,omitempty"`
	// KernelExit says how the lost kernel ended, e.g. "exited with status
	// 3", "was killed by signal 11 (segmentation fault)".
	KernelExit string `json:"kernel_exit,omitempty"`
	// LimitExceeded says which limits of Options.Sandbox the session's
	// processes hit during this cell (or, for a kernel that died while
	// idle, since the previous one), e.g. "memory limit (256 MiB)
	// exceeded: the kernel's OOM killer ended 1 process of the run"; ""
	// if none. With KernelDied it is what killed the kernel.
	LimitExceeded string `json:"limit_exceeded,omitempty"`
	// Notes are remarks for the reader: images omitted, a figure that
	// failed to render, a kernel that was replaced.
	Notes []string `json:"notes,omitempty"`
	// ExecutionCount numbers the cells of the current kernel from 1; 0 if
	// the kernel did not answer.
	ExecutionCount int           `json:"execution_count"`
	Elapsed        time.Duration `json:"elapsed"`
	// Outputs are the cell's outputs in notebook order, as History records
	// them: what a notebook's code cell shows after running it.
	Outputs []Output `json:"outputs,omitempty"`
	// Dropped counts the bytes CellOptions.Stdout and Stderr did not get
	// because they fell too far behind.
	Dropped int64 `json:"dropped_bytes,omitempty"`
}

// CellError is an exception raised by a cell.
type CellError struct {
	Type      string `json:"type"`      // e.g. "ValueError", "json.decoder.JSONDecodeError"
	Message   string `json:"message"`   // str(exception)
	Traceback string `json:"traceback"` // starts at the cell's frame; no kernel frames
}

// Image is image content produced by a cell.
type Image struct {
	MIME string `json:"mime"` // "image/png" or "image/jpeg"
	Data []byte `json:"data"`
}

// Package is an installed distribution with its exact version.
type Package struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	// Requirement is what was asked for, when this Package answers a
	// requested requirement.
	Requirement string `json:"requirement,omitempty"`
}

// InstallResult reports what Install did.
type InstallResult struct {
	// Requested lists each requirement with the name and exact version now
	// installed in the session's environment (Version "" if uv's freeze
	// does not list it, e.g. a requirement given as a bare URL).
	Requested []Package `json:"requested"`
	// Installed and Removed are uv's changes, dependencies included; an
	// upgrade shows in both.
	Installed []Package `json:"installed,omitempty"`
	Removed   []Package `json:"removed,omitempty"`
	// Venv is the session's virtual environment; VenvCreated is set when
	// this call created it.
	Venv        string `json:"venv"`
	VenvCreated bool   `json:"venv_created,omitempty"`
	// Output is uv's log, capped.
	Output  string        `json:"output,omitempty"`
	Elapsed time.Duration `json:"elapsed"`
	// Notes are remarks for the reader, e.g. that a package was already
	// imported in the live session in another version.
	Notes []string `json:"notes,omitempty"`
}

// Info describes a live session.
type Info struct {
	ID       string    `json:"id"`
	Created  time.Time `json:"created"`
	LastUsed time.Time `json:"last_used"`
	Busy     bool      `json:"busy"` // a call is running in it
	// KernelPID is the kernel's process id, 0 when no kernel runs (none
	// started yet, or the last one died).
	KernelPID int `json:"kernel_pid,omitempty"`
	// Python is the kernel interpreter's version, e.g. "3.12.1".
	Python         string    `json:"python,omitempty"`
	ExecutionCount int       `json:"execution_count"`
	Venv           string    `json:"venv,omitempty"`
	Packages       []Package `json:"packages,omitempty"` // installed by Install and StartupPackages
}
