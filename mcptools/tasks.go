package mcptools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// TasksExtension is the identifier of the MCP Tasks extension
// (SEP-2663): a tool call may be answered with a task handle
// (resultType "task") that the client polls with tasks/get.
//
// pyexec's tasks are its jobs: a task id is a job id, so the job tools and
// the job-stream resource see every task, and a task is as durable as a job
// (it survives a server restart, is visible to every server process sharing
// the data directory, and is reported failed when its server died under
// it). See docs/design.md §6.
const TasksExtension = "io.modelcontextprotocol/tasks"

// Task statuses of the extension.
const (
	taskWorking   = "working"
	taskCompleted = "completed"
	taskFailed    = "failed"
	taskCancelled = "cancelled"
)

// taskPollInterval is the polling interval a task suggests to its client.
const taskPollInterval = time.Second

// Task is the state of one task as the extension's tasks/get returns it.
// Result is set when Status is "completed", Error when it is "failed".
type Task struct {
	TaskID        string              `json:"taskId"`
	Status        string              `json:"status"`
	StatusMessage string              `json:"statusMessage,omitempty"`
	CreatedAt     string              `json:"createdAt"`
	LastUpdatedAt string              `json:"lastUpdatedAt"`
	TTLMs         *int64              `json:"ttlMs"` // null: kept until pruned (jobstore.Options.MaxJobs, py_prune_jobs)
	PollInterval  int64               `json:"pollIntervalMs,omitempty"`
	Result        *mcp.CallToolResult `json:"result,omitempty"`
	Error         *jsonrpc.Error      `json:"error,omitempty"`
}

// taskResult is a Task as a JSON-RPC result: resultType "task" answers a
// tools/call (CreateTaskResult), "complete" a tasks/get.
type taskResult struct {
	mcp.ResultBase
	ResultType string `json:"resultType"`
	Task
}

// ackResult is the empty acknowledgement of tasks/update and tasks/cancel.
type ackResult struct {
	mcp.ResultBase
	ResultType string `json:"resultType"`
}

// taskParams are the parameters of tasks/get, tasks/update and tasks/cancel.
type taskParams struct {
	mcp.ParamsBase
	TaskID string `json:"taskId"`
	// InputResponses answers a task's inputRequests (tasks/update). pyexec's
	// tasks never ask for input, so there is never an outstanding key: the
	// extension says such responses are ignored.
	InputResponses map[string]json.RawMessage `json:"inputResponses,omitempty"`
}

// taskSlot travels in the context of a tools/call from a client that
// declared the extension: a tool whose call continues as a job records the
// job here, and the tasks middleware answers with the task instead.
type taskSlot struct {
	mu    sync.Mutex
	jobID string
}

type taskSlotKey struct{}

// becameTask tells the tasks layer that the call of ctx continues as job
// id. It reports whether the client takes a task (it declared the
// extension), in which case the tool's own result is replaced.
func becameTask(ctx context.Context, id string) bool {
	s, _ := ctx.Value(taskSlotKey{}).(*taskSlot)
	if s == nil || id == "" {
		return false
	}
	s.mu.Lock()
	s.jobID = id
	s.mu.Unlock()
	return true
}

// taskRenderer rebuilds the tool result of a completed job from its record
// alone, so that any server process, also after a restart, can answer
// tasks/get with the result the tool would have returned.
type taskRenderer func(j *jobstore.Job) (*mcp.CallToolResult, error)

// setRenderer registers the renderer of a job kind's results.
func (t *Toolset) setRenderer(tool string, r taskRenderer) { t.renderers.Store(tool, r) }

// installTasks adds the tasks layer to s, once per server and Toolset: the
// tools/call middleware and the three methods. Tools take part through
// becameTask; a client that did not declare the extension never sees a
// task.
func (t *Toolset) installTasks(s *mcp.Server) {
	if _, loaded := t.tasked.LoadOrStore(s, true); loaded {
		return
	}
	s.AddReceivingMiddleware(t.tasksMiddleware)
	get := func(ctx context.Context, ss *mcp.ServerSession, p *taskParams) (*taskResult, error) {
		j, err := t.taskJob(ctx, ss, p, "retrieve")
		if err != nil {
			return nil, err
		}
		return &taskResult{ResultType: "complete", Task: t.taskOf(ctx, j)}, nil
	}
	update := func(ctx context.Context, ss *mcp.ServerSession, p *taskParams) (*ackResult, error) {
		if _, err := t.taskJob(ctx, ss, p, "update"); err != nil {
			return nil, err
		}
		return &ackResult{ResultType: "complete"}, nil
	}
	cancel := func(ctx context.Context, ss *mcp.ServerSession, p *taskParams) (*ackResult, error) {
		if _, err := t.taskJob(ctx, ss, p, "cancel"); err != nil {
			return nil, err
		}
		// Idempotent: a finished task stays as it is.
		if _, err := t.stopJob(ctx, p.TaskID); err != nil {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("Failed to cancel task %s: %v", p.TaskID, err)}
		}
		return &ackResult{ResultType: "complete"}, nil
	}
	for method, err := range map[string]error{
		"tasks/get":    mcp.AddReceivingCustomMethod(s, "tasks/get", get),
		"tasks/update": mcp.AddReceivingCustomMethod(s, "tasks/update", update),
		"tasks/cancel": mcp.AddReceivingCustomMethod(s, "tasks/cancel", cancel),
	} {
		if err != nil {
			panic(fmt.Sprintf("mcptools: registering %s: %v", method, err)) // only a standard method name fails
		}
	}
}

// tasksMiddleware gives a tools/call of a declaring client a task slot and
// answers with the task when the tool recorded one.
func (t *Toolset) tasksMiddleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method != "tools/call" || !declaresTasks(req) {
			return next(ctx, method, req)
		}
		slot := &taskSlot{}
		res, err := next(context.WithValue(ctx, taskSlotKey{}, slot), method, req)
		slot.mu.Lock()
		id := slot.jobID
		slot.mu.Unlock()
		if err != nil || id == "" {
			return res, err
		}
		if r, ok := res.(*mcp.CallToolResult); ok && r.IsError {
			return res, err
		}
		// The job's record is durable from its creation (jobstore), so a
		// tasks/get for this id resolves before the client has the handle.
		j, gerr := t.store.Get(context.WithoutCancel(ctx), id)
		if gerr != nil {
			t.log.Warn("mcptools: reading the job of a new task; answering with the tool's result", "job_id", id, "err", gerr)
			return res, err
		}
		return &taskResult{ResultType: "task", Task: t.taskOf(ctx, j)}, nil
	}
}

// declaresTasks reports whether the client of req declared the extension:
// in the request's own capabilities (_meta, protocol 2026-07-28) or in
// those of its session's initialize (earlier protocols).
func declaresTasks(req mcp.Request) bool {
	if p := req.GetParams(); p != nil {
		if caps, ok := p.GetMeta()[metaClientCapabilities].(map[string]any); ok {
			ext, _ := caps["extensions"].(map[string]any)
			_, ok := ext[TasksExtension]
			return ok
		}
	}
	ss, ok := req.GetSession().(*mcp.ServerSession)
	if !ok || ss == nil {
		return false
	}
	ip := ss.InitializeParams()
	if ip == nil || ip.Capabilities == nil {
		return false
	}
	_, ok = ip.Capabilities.Extensions[TasksExtension]
	return ok
}

// metaClientCapabilities is the _meta key of a request's client
// capabilities (protocol 2026-07-28).
const metaClientCapabilities = "io.modelcontextprotocol/clientCapabilities"

// declaresTasksParams is declaresTasks for the tasks methods, whose
// handlers see the params and session rather than the request.
func declaresTasksParams(ss *mcp.ServerSession, p *taskParams) bool {
	return declaresTasks(&mcp.ServerRequest[*taskParams]{Session: ss, Params: p})
}

// taskJob checks a tasks method's request and returns its job; errors are
// the JSON-RPC errors the extension prescribes.
func (t *Toolset) taskJob(ctx context.Context, ss *mcp.ServerSession, p *taskParams, verb string) (*jobstore.Job, error) {
	if !declaresTasksParams(ss, p) {
		return nil, missingTasksCapability()
	}
	if p.TaskID == "" {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("Failed to %s task: params.taskId is missing; give the taskId of the tool call's task result", verb)}
	}
	j, err := t.store.Get(ctx, p.TaskID)
	if errors.Is(err, jobstore.ErrNotFound) || errors.Is(err, jobstore.ErrInvalidID) {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("Failed to %s task: task %q not found (task ids are job ids; py_list_jobs lists them, and finished jobs are pruned past the store's cap)", verb, p.TaskID)}
	}
	if err != nil {
		return nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("Failed to %s task %s: %v", verb, p.TaskID, err)}
	}
	return j, nil
}

// missingTasksCapability is the error for a client that uses the tasks
// methods without declaring the extension.
func missingTasksCapability() *jsonrpc.Error {
	return &jsonrpc.Error{
		Code:    mcp.CodeMissingRequiredClientCapabilities,
		Message: "Missing required client capability: declare the " + TasksExtension + " extension in the request's clientCapabilities (or the session's initialize capabilities) to use tasks",
		Data:    json.RawMessage(`{"requiredCapabilities":{"extensions":{"` + TasksExtension + `":{}}}}`),
	}
}

// taskOf is the task view of job j.
func (t *Toolset) taskOf(ctx context.Context, j *jobstore.Job) Task {
	last := j.CreatedAt
	for _, at := range []time.Time{j.StartedAt, j.CompletedAt} {
		if at.After(last) {
			last = at
		}
	}
	task := Task{
		TaskID:        j.ID,
		CreatedAt:     j.CreatedAt.UTC().Format(time.RFC3339Nano),
		LastUpdatedAt: last.UTC().Format(time.RFC3339Nano),
		PollInterval:  taskPollInterval.Milliseconds(),
	}
	switch j.State {
	case jobstore.StateCompleted:
		task.Status = taskCompleted
		res, err := t.renderTask(j)
		if err != nil {
			// The record cannot be read back as the tool's result: a
			// fault of the server, reported as the protocol error it is.
			task.Status = taskFailed
			task.Error = &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: fmt.Sprintf("the result of job %s cannot be read back: %v; py_job_status shows the stored record", j.ID, err)}
			task.StatusMessage = task.Error.Message
			break
		}
		task.Result = res
		task.StatusMessage = "completed"
		if c := j.ExitCode; c != nil {
			task.StatusMessage = fmt.Sprintf("completed: exit code %d", *c)
		}
	case jobstore.StateFailed:
		if !serverFault(j) {
			// The work's own error: within the budget the call would
			// have returned it as the tool's error, so the task is
			// completed with that error as its result (SEP-2663 keeps
			// "failed" for protocol-level errors).
			task.Status = taskCompleted
			task.Result = &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: j.Error}}}
			task.StatusMessage = "completed with a tool error: " + clipLine(j.Error)
			break
		}
		// A fault of the server (it died under the job, or the work
		// panicked): no tool result exists.
		task.Status = taskFailed
		task.Error = &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: j.Error}
		task.StatusMessage = "failed: " + clipLine(j.Error)
	case jobstore.StateCancelled:
		task.Status = taskCancelled
		task.StatusMessage = "cancelled"
		if j.Error != "" {
			task.StatusMessage += ": " + j.Error
		}
	default:
		task.Status = taskWorking
		task.StatusMessage = t.workingMessage(ctx, j)
	}
	return task
}

// serverFault reports whether failed job j ended by a fault of its server
// (the server died under it, the work panicked or its value could not be
// stored) rather than by the error its work returned.
func serverFault(j *jobstore.Job) bool {
	return strings.HasPrefix(j.Error, jobstore.OwnerDiedMessage) || smartasync.Fault(j.Error)
}

// workingMessage describes a live job: its state, the script's progress
// and its last output line.
func (t *Toolset) workingMessage(ctx context.Context, j *jobstore.Job) string {
	var parts []string
	if j.State == jobstore.StatePending {
		parts = append(parts, "waiting to start")
	} else {
		parts = append(parts, "running for "+seconds(elapsed(j).Seconds()))
	}
	p := j.Progress
	switch {
	case p.Total > 0:
		parts = append(parts, fmt.Sprintf("progress %g/%g (%.0f%%)", p.Current, p.Total, 100*p.Current/p.Total))
	case p.Current > 0:
		parts = append(parts, fmt.Sprintf("progress %g", p.Current))
	}
	if p.Message != "" {
		parts = append(parts, clipLine(p.Message))
	}
	if line := t.lastLine(ctx, j.ID); line != "" {
		parts = append(parts, "last output: "+line)
	}
	return strings.Join(parts, "; ")
}

// lastLine is the last non-empty line of a job's stdout (else stderr).
func (t *Toolset) lastLine(ctx context.Context, id string) string {
	for _, st := range []jobstore.Stream{jobstore.Stdout, jobstore.Stderr} {
		tail, err := t.logTail(ctx, id, st, 4096)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimRight(tail, "\r\n \t"), "\n")
		if l := strings.TrimSpace(lines[len(lines)-1]); l != "" && !strings.HasPrefix(l, "… ") {
			return clipLine(l)
		}
	}
	return ""
}

// clipLine keeps a status line short: a statusMessage is a summary.
func clipLine(s string) string {
	const max = 200
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// renderTask is the tool result of completed job j: its kind's renderer,
// else the stored result as structured content and its JSON as text.
func (t *Toolset) renderTask(j *jobstore.Job) (*mcp.CallToolResult, error) {
	k := parseKind(j.Kind)
	if r, ok := t.renderers.Load(k.tool); ok {
		return r.(taskRenderer)(j)
	}
	var v any
	if err := json.Unmarshal(j.Result, &v); err != nil {
		return nil, err
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: string(b)}}, StructuredContent: v}, nil
}
