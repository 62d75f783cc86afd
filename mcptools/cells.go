package mcptools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/session"
	"github.com/pyexec-mcp/pyexec/smartasync"
	"github.com/pyexec-mcp/pyexec/workspace"
)

// Cells are jobs: execute_python runs a cell through smart async, as the
// run tools run scripts. A cell that outlives the budget (or any cell under
// async_mode) continues as a job whose logs get the cell's output, which
// the job tools follow, and which a client of the Tasks extension gets as a
// task; cancelling the job interrupts the cell and keeps the session's
// state. A call to a busy session waits for its turn (the session runs one
// cell at a time), within the budget like any call: past it, it is a job
// that starts when the running cell ends. Waiting rather than refusing
// keeps a model's sequence of cells intact without a retry loop; the job
// tools show which cell runs.

const toolExecutePython = "execute_python"

// cellSpec is one execute_python call: the input of its job.
type cellSpec struct {
	session, code string
	timeout       time.Duration
	show          int // output bytes the response shows
}

// cellRun is the value of a cell's job: the result the call returns and,
// for a job's record, the images (bounded by maxStoredImageBytes).
type cellRun struct {
	Output *CellOutput     `json:"output"`
	Images []session.Image `json:"images,omitempty"`
}

// maxStoredImageBytes bounds the images a cell's job keeps in its record,
// for its task result: beyond it they are counted and named in a note.
const maxStoredImageBytes = 2 << 20

func (t *Toolset) executePythonDef() toolDef {
	t.setRenderer(toolExecutePython, func(j *jobstore.Job) (*mcp.CallToolResult, error) {
		var r cellRun
		if err := json.Unmarshal(j.Result, &r); err != nil {
			return nil, err
		}
		if r.Output == nil {
			return nil, fmt.Errorf("job %s has no cell output", j.ID)
		}
		r.Output.JobID = j.ID
		return cellResult(!parseKind(j.Kind).json, r.Output, r.Images), nil
	})
	return def(GroupSession, &mcp.Tool{
		Name:  toolExecutePython,
		Title: "Execute Python in a persistent session",
		Description: "Run code in a persistent Python session, like a notebook cell: state survives between calls. " +
			"Returns output, the last value, a traceback, figures as PNG, files written.",
		// No annotations: the defaults (destructive, open world) hold.
	}, func(ctx context.Context, req *mcp.CallToolRequest, in ExecutePythonArgs) (*mcp.CallToolResult, *CellOutput, error) {
		if strings.TrimSpace(in.Code) == "" {
			return nil, nil, argError("code", "is empty; give Python code to run")
		}
		if in.TimeoutSeconds < 0 {
			return nil, nil, argError("timeout_seconds", "must not be negative; use 0 for no timeout")
		}
		show, err := t.showBytes(in.MaxResponseTokens)
		if err != nil {
			return nil, nil, err
		}
		if err := t.claimSession(ctx, in.SessionID); err != nil {
			return nil, nil, err
		}
		spec := cellSpec{session: sessionName(in.SessionID), code: in.Code, timeout: secondsDuration(in.TimeoutSeconds), show: show}
		out, err := smartCall(ctx, t, req, t.cellsOf(!in.Markdown), spec, smartasync.Call{Label: "cell of session " + spec.session, Async: in.AsyncMode})
		var perr *smartasync.PanicError
		switch {
		case errors.Is(err, smartasync.ErrCancelled) || errors.Is(err, smartasync.ErrClosed):
			if out.Value != nil {
				out.Value.Output.Notes = append(out.Value.Output.Notes, "cancelled: "+cancelReason(err))
				return cellResult(in.Markdown, out.Value.Output, out.Value.Images), out.Value.Output, nil
			}
			return nil, nil, fmt.Errorf("the cell was cancelled: %s", cancelReason(err))
		case errors.As(err, &perr):
			return nil, nil, fmt.Errorf("internal error: the cell panicked and was recorded as failed job %s (py_job_status shows the stack): %v", perr.JobID, perr.Value)
		case err != nil:
			return nil, nil, err // the session's own error (a bad session_id, …), or the client's cancel
		case out.Done:
			return cellResult(in.Markdown, out.Value.Output, out.Value.Images), out.Value.Output, nil
		}
		res := &CellOutput{SessionID: spec.session, JobID: out.JobID, Status: string(out.Status),
			Notes: []string{out.Message + "; " + followHint + " (cancelling interrupts the cell and keeps the session's state)"}}
		return cellResult(in.Markdown, res, nil), res, nil
	})
}

// cellsOf returns the SmartAsync of cells whose results are rendered as
// JSON (markdown_output=false) or not: the flag is part of the job's kind,
// for its task result.
func (t *Toolset) cellsOf(json bool) *smartasync.SmartAsync[cellSpec, *cellRun] {
	k := kind{tool: toolExecutePython, json: json}.String()
	if sa, ok := t.kinds.Load(k); ok {
		return sa.(*smartasync.SmartAsync[cellSpec, *cellRun])
	}
	sa, _ := t.kinds.LoadOrStore(k, smartasync.New(t.runner, k, t.cellWork))
	return sa.(*smartasync.SmartAsync[cellSpec, *cellRun])
}

// cellWork is the job function of a cell: it runs the cell in its session
// (waiting for the session's turn), writes the cell's output to the job's
// logs and returns the result. The job's context ending (py_cancel_job,
// tasks/cancel, shutdown) interrupts the cell; the session keeps its state.
func (t *Toolset) cellWork(ctx context.Context, job *smartasync.Job[cellSpec]) (*cellRun, error) {
	in := job.Input
	ctx, untrack := t.owned.track(ctx, job.ID) // a cancel through another server process
	defer untrack()
	// The cell's output goes to the job's logs as it arrives (store writes
	// outlive a cancel: the logs must say what happened), and its lines to
	// the job's progress and a waiting client's progress notifications.
	logs := t.openLogs(context.WithoutCancel(ctx), job.ID, false)
	defer logs.close()
	live := newLiveRun(job.Progress)
	stdout, stderr := logs.tee(live.writer("stdout"), live.writer("stderr"))
	before := t.snapshot()
	res, err := t.extra.sessions.Run(ctx, in.session, in.code, &session.CellOptions{Timeout: in.timeout, Stdout: stdout, Stderr: stderr})
	if err != nil && !(errors.Is(err, session.ErrCancelled) && res != nil) {
		return nil, sessionError(err)
	}
	files, truncated := t.changedSince(before)
	out := cellOutput(in.session, res)
	if res.Dropped > 0 {
		out.Notes = append(out.Notes, fmt.Sprintf("%d bytes of output did not reach the job's log in time (it fell behind the cell)", res.Dropped))
	}
	out.Files = files
	if truncated {
		out.Notes = append(out.Notes, fmt.Sprintf("the workspace has over %d entries: files the cell wrote beyond them are not listed", workspace.DefaultSnapshotEntries))
	}
	shown := len(out.Stdout) + len(out.Stderr)
	out.fit(in.show)
	if cut := res.StdoutOmitted+res.StderrOmitted > 0 || len(out.Stdout)+len(out.Stderr) < shown; cut && res.Dropped == 0 {
		// As for runs: the response shows part of the output, the job's
		// log keeps all of it.
		job.Keep()
		out.JobID = job.ID
		out.Notes = append(out.Notes, fmt.Sprintf("output was cut to the response budget; job %s keeps all of it: get_job_output (job_id=%s) or the resource %s", job.ID, job.ID, JobStreamURI(job.ID)))
	}
	run := &cellRun{Output: out, Images: res.Images}
	if err != nil { // cancelled: smartasync records the job by its context
		return run, context.Cause(ctx)
	}
	return run, nil
}

// MarshalJSON stores a cell's result with at most maxStoredImageBytes of
// images.
func (r *cellRun) MarshalJSON() ([]byte, error) {
	type plain cellRun
	c := plain{Output: r.Output}
	total, dropped := 0, 0
	for _, img := range r.Images {
		if total+len(img.Data) > maxStoredImageBytes {
			dropped++
			continue
		}
		total += len(img.Data)
		c.Images = append(c.Images, img)
	}
	if dropped > 0 && r.Output != nil {
		o := *r.Output
		o.Notes = append(append([]string(nil), o.Notes...), fmt.Sprintf("%d image(s) were not kept in the job's record (over %d bytes together)", dropped, maxStoredImageBytes))
		c.Output = &o
	}
	return json.Marshal(c)
}

// cellResult renders a cell's result: the text, its images as image
// content and links to the workspace files it wrote.
func cellResult(md bool, out *CellOutput, images []session.Image) *mcp.CallToolResult {
	r := render(md, out, func() string { return markdownCell(out) })
	for _, img := range images {
		r.Content = append(r.Content, &mcp.ImageContent{MIMEType: img.MIME, Data: img.Data})
	}
	r.Content = append(r.Content, fileLinks(out.Files)...)
	return r
}

// snapshot records the workspace's files before a cell, if the Toolset has
// the workspace (the sessions' working directory); nil otherwise.
func (t *Toolset) snapshot() *workspace.Snapshot {
	if t.extra.workspace == nil {
		return nil
	}
	s, err := t.extra.workspace.Snapshot(0)
	if err != nil {
		t.log.Warn("mcptools: recording the workspace's files before a cell", "err", err)
		return nil
	}
	return s
}

// changedSince lists the workspace files created or changed since before
// (at most maxFileLinks), and whether the walk was cut short.
func (t *Toolset) changedSince(before *workspace.Snapshot) ([]workspace.Change, bool) {
	if before == nil {
		return nil, false
	}
	after := t.snapshot()
	if after == nil {
		return nil, false
	}
	ch := before.Changes(after)
	return ch[:min(len(ch), maxFileLinks)], before.Truncated || after.Truncated
}
