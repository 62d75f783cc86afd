package mcptools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// SmartArgs are the arguments every smart-async tool takes. Embed it in a
// custom tool's argument struct: AddSmartTool reads it from the input.
type SmartArgs struct {
	AsyncMode bool   `json:"async_mode,omitempty" jsonschema:"true: start a background job and return its job_id at once. Without it, a call still running after the server's budget (20 s by default) continues as a background job and returns its job_id."`
	JobLabel  string `json:"job_label,omitempty" jsonschema:"A label for the job, if the call becomes one (shown by py_list_jobs)."`
}

func (a SmartArgs) smartArgs() SmartArgs { return a }

// SmartResult is the structured result of a tool added with AddSmartTool:
// the value when the work ended within the budget, else the background job
// that continues it. py_job_status shows the same value as the job's result
// once it completes.
type SmartResult[Out any] struct {
	Status  string `json:"status" jsonschema:"completed: result holds the value; running or pending: it continues as background job job_id; cancelled."`
	JobID   string `json:"job_id,omitempty" jsonschema:"The background job that continues the call (py_job_status, py_cancel_job)."`
	Message string `json:"message,omitempty"`
	Result  *Out   `json:"result,omitempty"`
}

// SmartTool is a custom tool for AddSmartTool. Tool and Work are required.
type SmartTool[In, Out any] struct {
	// Tool is the tool's name, description and annotations. Its input
	// schema is inferred from In (embed SmartArgs for async_mode and
	// job_label) and its output schema from SmartResult[Out], as
	// mcp.AddTool does.
	Tool *mcp.Tool
	// Check, if set, validates an input before any job exists: its error
	// is the call's tool error at once, in async mode too. Name the
	// argument and the fix.
	Check func(in In) error
	// Work is the tool's own logic. job.Input is the call's input,
	// job.Progress reaches the waiting client (as MCP progress
	// notifications, when it sent a progress token) and the job record.
	Work smartasync.Func[In, Out]
	// Text renders a finished value as the result's text content. Nil: the
	// JSON of the structured result. It sees the value alone, as the
	// stored result of a background job holds it: a task's result (Tasks
	// extension) is rendered from the job's record, in whichever server
	// process the client asks, also after a restart. A value the text
	// needs belongs in Out.
	Text func(out Out) string
}

// AddSmartTool registers t on s as a smart-async tool of ts: a call that
// finishes within the budget returns the value, a longer one continues as
// a background job of ts's job store, which the job tools (py_job_status,
// py_list_jobs, py_cancel_job) follow like any script run. Progress goes
// to the client while it waits and to the job; a client that cancels the
// call within the budget cancels the work (it must not live on as a job
// nobody knows about). A name clash with another tool panics, as AddTool.
func AddSmartTool[In, Out any](ts *Toolset, s *mcp.Server, t SmartTool[In, Out]) {
	if t.Tool == nil || t.Work == nil {
		panic("mcptools: AddSmartTool needs SmartTool.Tool and SmartTool.Work")
	}
	sa := smartasync.New(ts.runner, t.Tool.Name, t.Work)
	text := func(res *SmartResult[Out]) *mcp.CallToolResult {
		if t.Text != nil {
			return textResult(t.Text(*res.Result))
		}
		return render(false, res, func() string { return res.Message })
	}
	ts.setRenderer(t.Tool.Name, func(j *jobstore.Job) (*mcp.CallToolResult, error) {
		var out Out
		if err := json.Unmarshal(j.Result, &out); err != nil {
			return nil, err
		}
		res := &SmartResult[Out]{Status: string(jobstore.StateCompleted), JobID: j.ID, Result: &out}
		r := text(res)
		r.StructuredContent = res
		return r, nil
	})
	ts.installTasks(s)
	AddTool(s, t.Tool, func(ctx context.Context, req *mcp.CallToolRequest, in In) (*mcp.CallToolResult, *SmartResult[Out], error) {
		if t.Check != nil {
			if err := t.Check(in); err != nil {
				return nil, nil, err
			}
		}
		var sargs SmartArgs
		if a, ok := any(in).(interface{ smartArgs() SmartArgs }); ok {
			sargs = a.smartArgs()
		}
		out, err := smartCall(ctx, ts, req, sa, in, smartasync.Call{Label: sargs.JobLabel, Async: sargs.AsyncMode})
		res := &SmartResult[Out]{Status: string(out.Status), JobID: out.JobID, Message: out.Message}
		var perr *smartasync.PanicError
		switch {
		case errors.Is(err, smartasync.ErrCancelled) || errors.Is(err, smartasync.ErrClosed):
			res.Message = "cancelled: " + cancelReason(err)
			return nil, res, nil
		case errors.As(err, &perr):
			return nil, nil, fmt.Errorf("internal error: %s panicked and was recorded as failed job %s (py_job_status shows the stack): %v", t.Tool.Name, perr.JobID, perr.Value)
		case err != nil:
			return nil, nil, err // the work's own error, within the budget
		case out.Done:
			res.Result = &out.Value
			if t.Text != nil {
				return text(res), res, nil
			}
			return nil, res, nil
		}
		res.Message += "; " + followHint
		return textResult(res.Message), res, nil
	})
}

// smartCall runs in through sa as one tool call: progress notifications go
// to a client that asked for them while the call waits; a client that gives
// up within the budget cancels the work (it must not run on unseen); a call
// that continues as a job answers a client of the Tasks extension with the
// task. The outcome is the value (Done) or the job; the error is the work's
// own within the budget, the client's cancel, or smartasync's.
func smartCall[In, Out any](ctx context.Context, t *Toolset, req *mcp.CallToolRequest, sa *smartasync.SmartAsync[In, Out], in In, c smartasync.Call) (smartasync.Outcome[Out], error) {
	if !c.Async {
		cp := StartCallProgress(ctx, req, t.cfg.progressEvery)
		defer cp.Stop()
		if cp.active() {
			c.Progress = cp.Report
		}
	}
	out, err := sa.Call(ctx, in, c)
	if err != nil || out.Done {
		return out, err
	}
	if ctx.Err() != nil && !c.Async {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cancelWait)
		defer cancel()
		_, cerr := t.runner.Cancel(cctx, out.JobID)
		t.log.Info("mcptools: job cancelled by its client", "job_id", out.JobID, "label", c.Label, "err", cerr)
		return out, context.Cause(ctx)
	}
	becameTask(ctx, out.JobID)
	return out, nil
}
