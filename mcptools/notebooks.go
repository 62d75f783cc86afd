package mcptools

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/notebook"
	"github.com/pyexec-mcp/pyexec/session"
	"github.com/pyexec-mcp/pyexec/smartasync"
	"github.com/pyexec-mcp/pyexec/workspace"
)

// Notebooks in and out (package notebook): save_notebook writes a
// session's history as an nbformat 4 notebook in the workspace;
// run_notebook runs a notebook's code cells in a session and writes the
// outputs back, as `jupyter nbconvert --execute --inplace` does. Both need
// the session and the workspace groups.

const (
	toolSaveNotebook = "save_notebook"
	toolRunNotebook  = "run_notebook"
)

// SaveNotebookArgs are the arguments of save_notebook.
type SaveNotebookArgs struct {
	Path      string `json:"path" jsonschema:"A .ipynb path in the workspace."`
	SessionID string `json:"session_id,omitempty" default:"default"`
}

// RunNotebookArgs are the arguments of run_notebook.
type RunNotebookArgs struct {
	Path           string  `json:"path" jsonschema:"A .ipynb path in the workspace; its outputs are rewritten."`
	SessionID      string  `json:"session_id,omitempty" default:"" jsonschema:"Empty: a new session."`
	StopOnError    bool    `json:"stop_on_error,omitempty" default:"true"`
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty" default:"300" jsonschema:"Per cell; 0: none."`
	AsyncMode      bool    `json:"async_mode,omitempty" default:"false"`
}

// NotebookResult is the result of save_notebook and run_notebook.
type NotebookResult struct {
	Path      string `json:"path"`
	SessionID string `json:"session_id"`
	Status    string `json:"status" jsonschema:"completed, or running/pending: run_notebook continues as job job_id."`
	JobID     string `json:"job_id,omitempty"`
	Cells     int    `json:"cells" jsonschema:"Code cells in the notebook."`
	Executed  int    `json:"executed,omitempty" jsonschema:"run_notebook: code cells run."`
	// Failed is the first cell (index among all cells) that raised, if any.
	Failed *NotebookError `json:"failed,omitempty"`
	Size   int64          `json:"size,omitempty"`
	Notes  []string       `json:"notes,omitempty"`
}

// NotebookError is the first failing cell of run_notebook.
type NotebookError struct {
	Cell    int    `json:"cell"`
	Type    string `json:"type"`
	Message string `json:"message"`
}

// maxNotebookBytes bounds a notebook run_notebook reads.
const maxNotebookBytes = 64 << 20

func (t *Toolset) notebookDefs() []toolDef {
	if t.extra.sessions == nil || t.extra.workspace == nil {
		return nil
	}
	t.setRenderer(toolRunNotebook, func(j *jobstore.Job) (*mcp.CallToolResult, error) {
		var r NotebookResult
		if err := json.Unmarshal(j.Result, &r); err != nil {
			return nil, err
		}
		r.JobID = j.ID
		return notebookText(!parseKind(j.Kind).json, &r), nil
	})
	return []toolDef{
		def(GroupSession, &mcp.Tool{
			Name:        toolSaveNotebook,
			Title:       "Save a session as a notebook",
			Description: "Write a session's cells and outputs as a Jupyter notebook (.ipynb) in the workspace.",
		}, func(ctx context.Context, req *mcp.CallToolRequest, in SaveNotebookArgs) (*mcp.CallToolResult, *NotebookResult, error) {
			if err := notebookPath(in.Path); err != nil {
				return nil, nil, err
			}
			if err := t.claimSession(ctx, in.SessionID); err != nil {
				return nil, nil, err
			}
			hist, err := t.extra.sessions.History(in.SessionID)
			if err != nil {
				return nil, nil, sessionError(err)
			}
			nb := notebookOf(hist)
			var buf bytes.Buffer
			if err := nb.Write(&buf); err != nil {
				return nil, nil, fmt.Errorf("writing the notebook: %w", err)
			}
			info, err := t.extra.workspace.Write(in.Path, buf.Bytes(), nil)
			if err != nil {
				return nil, nil, workspaceError(err)
			}
			out := &NotebookResult{Path: info.Path, SessionID: sessionName(in.SessionID), Status: string(jobstore.StateCompleted), Cells: len(hist), Size: info.Size}
			if len(hist) > 0 && hist[0].Seq > 1 {
				out.Notes = append(out.Notes, fmt.Sprintf("the session's first %d cells are no longer in its history (it keeps the latest)", hist[0].Seq-1))
			}
			return notebookText(true, out), out, nil
		}),
		t.runNotebookDef(),
	}
}

// notebookPath checks a notebook's path argument before any work.
func notebookPath(p string) error {
	if !strings.HasSuffix(p, ".ipynb") {
		return argError("path", "%q is not a notebook path; give a path relative to the workspace ending in .ipynb", p)
	}
	if err := workspace.CheckPath(p); err != nil {
		return workspaceError(err)
	}
	return nil
}

// notebookOf is a session's history as a notebook: a code cell for each
// cell, with its outputs; a markdown note where a kernel restarted.
func notebookOf(hist []session.HistoryCell) *notebook.Notebook {
	var cells []notebook.Cell
	for i, h := range hist {
		if h.NewKernel && i > 0 {
			cells = append(cells, notebook.NewMarkdownCell("*The session's Python process was restarted here: the state of the cells above was lost.*"))
		}
		cells = append(cells, notebook.NewCodeCell(h.Code, h.ExecutionCount, notebookOutputs(h.Outputs, h.ExecutionCount)...))
	}
	return notebook.New(cells...)
}

// notebookOutputs converts a cell's outputs: session bundles hold binary
// types in base64 already, which is what a notebook stores.
func notebookOutputs(outs []session.Output, count int) []notebook.Output {
	var nb []notebook.Output
	for _, o := range outs {
		switch o.Type {
		case session.OutputStream:
			nb = append(nb, notebook.NewStream(o.Name, o.Text))
		case session.OutputExecuteResult:
			nb = append(nb, notebook.NewExecuteResult(count, bundleOf(o.Data)))
		case session.OutputDisplayData:
			nb = append(nb, notebook.NewDisplayData(bundleOf(o.Data)))
		case session.OutputError:
			if o.Error != nil {
				nb = append(nb, notebook.NewError(o.Error.Type, o.Error.Message, o.Error.Traceback))
			}
		}
	}
	return nb
}

// bundleOf is a notebook MIME bundle of a session bundle: JSON types as
// JSON values, everything else as the string it is (text, or base64).
func bundleOf(data map[string]string) map[string]any {
	b := make(map[string]any, len(data))
	for mime, v := range data {
		var j any
		if (mime == "application/json" || strings.HasSuffix(mime, "+json")) && json.Unmarshal([]byte(v), &j) == nil {
			b[mime] = j
			continue
		}
		b[mime] = v
	}
	return b
}

// notebookSpec is one run_notebook call: the input of its job.
type notebookSpec struct {
	path, session string
	stopOnError   bool
	timeout       time.Duration
}

func (t *Toolset) runNotebookDef() toolDef {
	return def(GroupSession, &mcp.Tool{
		Name:        toolRunNotebook,
		Title:       "Run a notebook",
		Description: "Run a workspace notebook's code cells in order in a session and write the outputs back into it; a long run continues as a job.",
	}, func(ctx context.Context, req *mcp.CallToolRequest, in RunNotebookArgs) (*mcp.CallToolResult, *NotebookResult, error) {
		if err := notebookPath(in.Path); err != nil {
			return nil, nil, err
		}
		if in.TimeoutSeconds < 0 {
			return nil, nil, argError("timeout_seconds", "must not be negative; use 0 for no timeout")
		}
		// Read now: a missing or broken notebook is an error of this call,
		// not of a job later.
		if _, err := t.readNotebook(in.Path); err != nil {
			return nil, nil, err
		}
		id := in.SessionID
		if id == "" {
			id = "notebook-" + time.Now().UTC().Format("20060102-150405.000")
			id = strings.ReplaceAll(id, ".", "-")
		}
		if err := t.claimSession(ctx, id); err != nil {
			return nil, nil, err
		}
		spec := notebookSpec{path: in.Path, session: id, stopOnError: in.StopOnError, timeout: secondsDuration(in.TimeoutSeconds)}
		out, err := smartCall(ctx, t, req, t.notebooks(), spec, smartasync.Call{Label: "notebook " + in.Path, Async: in.AsyncMode})
		var perr *smartasync.PanicError
		switch {
		case errors.Is(err, smartasync.ErrCancelled) || errors.Is(err, smartasync.ErrClosed):
			return nil, nil, fmt.Errorf("the notebook run was cancelled: %s", cancelReason(err))
		case errors.As(err, &perr):
			return nil, nil, fmt.Errorf("internal error: the notebook run panicked and was recorded as failed job %s: %v", perr.JobID, perr.Value)
		case err != nil:
			return nil, nil, err
		case out.Done:
			return notebookText(true, out.Value), out.Value, nil
		}
		res := &NotebookResult{Path: in.Path, SessionID: id, Status: string(out.Status), JobID: out.JobID,
			Notes: []string{out.Message + "; " + followHint}}
		return notebookText(true, res), res, nil
	})
}

// notebooks returns the SmartAsync of run_notebook, made once.
func (t *Toolset) notebooks() *smartasync.SmartAsync[notebookSpec, *NotebookResult] {
	if sa, ok := t.kinds.Load(toolRunNotebook); ok {
		return sa.(*smartasync.SmartAsync[notebookSpec, *NotebookResult])
	}
	sa, _ := t.kinds.LoadOrStore(toolRunNotebook, smartasync.New(t.runner, toolRunNotebook, t.notebookWork))
	return sa.(*smartasync.SmartAsync[notebookSpec, *NotebookResult])
}

// readNotebook reads a workspace notebook, with errors about the path.
func (t *Toolset) readNotebook(path string) (*notebook.Notebook, error) {
	data, info, err := t.extra.workspace.ReadAt(path, 0, maxNotebookBytes+1)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, argError("path", "%q does not exist in the workspace; list_files shows what does", path)
	}
	if err != nil {
		return nil, workspaceError(err)
	}
	if info.Size > maxNotebookBytes {
		return nil, argError("path", "%q has %d bytes; run_notebook reads notebooks of up to %d bytes", path, info.Size, maxNotebookBytes)
	}
	nb, err := notebook.Parse(data)
	if err != nil {
		return nil, argError("path", "%q is not a notebook run_notebook can read: %v", path, err)
	}
	return nb, nil
}

// notebookWork runs a notebook's code cells in order, replacing each one's
// outputs and execution count, and writes the notebook back: after every
// cell, so that a long run shows its progress in the file and a cancelled
// one keeps what ran. Cells after a stop are cleared of stale outputs.
// Progress is cells run of the code cells; output goes to the job's logs.
func (t *Toolset) notebookWork(ctx context.Context, job *smartasync.Job[notebookSpec]) (*NotebookResult, error) {
	in := job.Input
	nb, err := t.readNotebook(in.path)
	if err != nil {
		return nil, err
	}
	var code []*notebook.Cell
	var index []int
	for i, c := range nb.CodeCells() {
		code, index = append(code, c), append(index, i)
	}
	res := &NotebookResult{Path: in.path, SessionID: in.session, Status: string(jobstore.StateCompleted), Cells: len(code)}
	logs := t.openLogs(context.WithoutCancel(ctx), job.ID, false)
	defer logs.close()
	write := func() error {
		var buf bytes.Buffer
		if err := nb.Write(&buf); err != nil {
			return fmt.Errorf("writing the notebook: %w", err)
		}
		info, err := t.extra.workspace.Write(in.path, buf.Bytes(), &workspace.WriteOptions{})
		if err != nil {
			return workspaceError(err)
		}
		res.Size = info.Size
		return nil
	}
	stopped := false
	for k, c := range code {
		if stopped {
			c.Outputs, c.ExecutionCount = nil, nil
			continue
		}
		job.Progress(float64(k), float64(len(code)), fmt.Sprintf("cell %d of %d", k+1, len(code)))
		cr, err := t.extra.sessions.Run(ctx, in.session, c.Source, &session.CellOptions{Timeout: in.timeout, Stdout: logs.out[0], Stderr: logs.out[1]})
		if err != nil && !(errors.Is(err, session.ErrCancelled) && cr != nil) {
			return nil, sessionError(err)
		}
		c.Outputs = notebookOutputs(cr.Outputs, cr.ExecutionCount)
		c.ExecutionCount = nil
		if cr.ExecutionCount > 0 {
			n := cr.ExecutionCount
			c.ExecutionCount = &n
		}
		res.Executed++
		if err != nil { // cancelled: keep what ran, then end as cancelled
			_ = write()
			return res, context.Cause(ctx)
		}
		if cr.Error != nil && res.Failed == nil {
			res.Failed = &NotebookError{Cell: index[k], Type: cr.Error.Type, Message: firstLine(cr.Error.Message)}
			stopped = in.stopOnError
		}
		if cr.StateLost {
			res.Notes = append(res.Notes, fmt.Sprintf("the session's state was lost at cell %d (%s)", index[k], cr.KernelExit))
		}
		if err := write(); err != nil {
			return nil, err
		}
	}
	job.Progress(float64(res.Executed), float64(len(code)), "done")
	if stopped {
		res.Notes = append(res.Notes, fmt.Sprintf("stopped at the failing cell; %d later code cell(s) were not run (stop_on_error=false runs them all)", len(code)-res.Executed))
		if err := write(); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// notebookText renders save_notebook's and run_notebook's results.
func notebookText(md bool, r *NotebookResult) *mcp.CallToolResult {
	res := render(md, r, func() string {
		var b strings.Builder
		switch {
		case r.JobID != "" && r.Status != string(jobstore.StateCompleted):
			fmt.Fprintf(&b, "## ⏳ The notebook runs in the background as job `%s` (session %s)\n", r.JobID, code(r.SessionID))
		case r.Executed > 0 || r.Failed != nil:
			fmt.Fprintf(&b, "## %s %s: ran %d of %d code cells in session %s\n", map[bool]string{true: "❌", false: "✅"}[r.Failed != nil], code(r.Path), r.Executed, r.Cells, code(r.SessionID))
		default:
			fmt.Fprintf(&b, "## ✅ Saved session %s as %s: %d cells, %d bytes\n", code(r.SessionID), code(r.Path), r.Cells, r.Size)
		}
		if r.Failed != nil {
			fmt.Fprintf(&b, "\nCell %d raised %s: %s\n", r.Failed.Cell, r.Failed.Type, r.Failed.Message)
		}
		writeNotes(&b, r.Notes)
		return b.String()
	})
	if r.Status == string(jobstore.StateCompleted) {
		size := r.Size
		res.Content = append(res.Content, &mcp.ResourceLink{URI: WorkspaceURI(r.Path), Name: r.Path, MIMEType: "application/x-ipynb+json", Size: &size})
	}
	return res
}
