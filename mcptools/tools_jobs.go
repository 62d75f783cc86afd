package mcptools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/internal/headtail"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// listJobsMax bounds the rows of list_jobs (which has no limit parameter in
// the contract); total still counts every job.
const listJobsMax = 200

// exitCodeWait bounds how long kill_job waits for another server process to
// record the exit code of a job it killed.
const exitCodeWait = 3 * time.Second

func (t *Toolset) jobDefs() []toolDef {
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: ptr(false)}
	stopper := &mcp.ToolAnnotations{IdempotentHint: true, OpenWorldHint: ptr(false)} // destructive: the default
	return []toolDef{
		def(GroupJobs, &mcp.Tool{
			Name:        "list_jobs",
			Title:       "List background jobs",
			Description: fmt.Sprintf("Alias of py_list_jobs (kept for older clients): every job, newest first, at most %d, with pid and exit code.", listJobsMax),
			Annotations: readOnly,
		}, func(ctx context.Context, req *mcp.CallToolRequest, _ ListJobsArgs) (*mcp.CallToolResult, *ListJobsResult, error) {
			jobs, total, err := t.store.List(ctx, &jobstore.ListOptions{Limit: listJobsMax})
			if err != nil {
				return nil, nil, err
			}
			out := &ListJobsResult{Jobs: []JobRow{}, Total: total}
			for _, j := range jobs {
				out.Jobs = append(out.Jobs, jobRow(j))
			}
			return textResult(markdownJobs(out)), out, nil
		}),
		def(GroupJobs, &mcp.Tool{
			Name:        "get_job_output",
			Title:       "Read a job's output",
			Description: "Page a job's stdout and stderr by byte offsets, while it runs or after; the result's next offsets continue (more=true: more is ready).",
			Annotations: readOnly,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in GetJobOutputArgs) (*mcp.CallToolResult, *JobOutput, error) {
			out, err := t.jobOutput(ctx, in)
			if err != nil {
				return nil, nil, err
			}
			return render(in.Markdown, out, func() string { return markdownJobOutput(out) }), out, nil
		}),
		def(GroupJobs, &mcp.Tool{
			Name:        "kill_job",
			Title:       "Kill a job",
			Description: "Alias of py_cancel_job (kept for older clients); answers status \"killed\" and the exit code.",
			Annotations: stopper,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in JobIDArgs) (*mcp.CallToolResult, *KillResult, error) {
			c, err := t.stopJob(ctx, in.JobID)
			if err != nil {
				return nil, nil, err
			}
			out := &KillResult{JobID: in.JobID, Status: c.state, ExitCode: c.exitCode, Message: c.message}
			if c.stopped {
				// The seed's status; the message says the same, and
				// that the job's state is cancelled (py_job_status).
				out.Status = "killed"
				out.Message = killedMessage(in.JobID, c.exitCode)
			}
			return textResult(out.Message), out, nil
		}),
		def(GroupJobs, &mcp.Tool{
			Name:        "py_job_status",
			Title:       "Job status",
			Description: "A job's state, progress and result or error; incremental=true also returns the output written since the last such poll.",
			Annotations: readOnly,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in JobStatusArgs) (*mcp.CallToolResult, *JobStatusResult, error) {
			out, err := t.jobStatus(ctx, in)
			if err != nil {
				return nil, nil, err
			}
			return textResult(markdownJobStatus(out)), out, nil
		}),
		def(GroupJobs, &mcp.Tool{
			Name:        "py_list_jobs",
			Title:       "List jobs with status",
			Description: "List jobs, newest first, with state and progress.",
			Annotations: readOnly,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in PyListJobsArgs) (*mcp.CallToolResult, *PyListJobsResult, error) {
			opts := &jobstore.ListOptions{Limit: in.Limit}
			if in.StatusFilter != "" {
				st := jobstore.State(in.StatusFilter)
				if !st.Valid() {
					return nil, nil, argError("status_filter", "%q is not a job state; use pending, running, completed, failed or cancelled (or leave it empty)", in.StatusFilter)
				}
				opts.States = []jobstore.State{st}
			}
			if in.Limit < 1 {
				return nil, nil, argError("limit", "must be at least 1")
			}
			jobs, total, err := t.store.List(ctx, opts)
			if err != nil {
				return nil, nil, err
			}
			out := &PyListJobsResult{Jobs: []JobInfo{}, Total: total}
			for _, j := range jobs {
				info := jobInfo(j)
				info.Result = nil // py_job_status shows it; keep the list small
				out.Jobs = append(out.Jobs, info)
			}
			return textResult(markdownPyJobs(out)), out, nil
		}),
		def(GroupJobs, &mcp.Tool{
			Name:        "py_cancel_job",
			Title:       "Cancel a job",
			Description: "Cancel a pending or running job, killing its process tree; a finished job is left as it is.",
			Annotations: stopper,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in JobIDArgs) (*mcp.CallToolResult, *CancelResult, error) {
			c, err := t.stopJob(ctx, in.JobID)
			if err != nil {
				return nil, nil, err
			}
			out := &CancelResult{JobID: in.JobID, Status: c.state, Message: c.message}
			return textResult(c.message), out, nil
		}),
		def(GroupJobs, &mcp.Tool{
			Name:        "py_prune_jobs",
			Title:       "Prune finished jobs",
			Description: "Remove finished jobs and their logs older than max_age_hours; keep_completed keeps completed ones.",
			Annotations: &mcp.ToolAnnotations{OpenWorldHint: ptr(false)}, // destructive: the default
		}, func(ctx context.Context, req *mcp.CallToolRequest, in PruneJobsArgs) (*mcp.CallToolResult, *PruneResult, error) {
			if in.MaxAgeHours < 0 {
				return nil, nil, argError("max_age_hours", "must not be negative; use 0 to prune finished jobs of any age")
			}
			removed, remaining, err := t.store.Prune(ctx, &jobstore.PruneOptions{
				MaxAge:        secondsDuration(in.MaxAgeHours * 3600),
				KeepCompleted: in.KeepCompleted,
			})
			if err != nil {
				return nil, nil, err
			}
			out := &PruneResult{Removed: removed, Remaining: remaining}
			return textResult(markdownPrune(out)), out, nil
		}),
	}
}

// getJob reads a job, turning store errors about the id into tool errors.
func (t *Toolset) getJob(ctx context.Context, id string) (*jobstore.Job, error) {
	j, err := t.store.Get(ctx, id)
	if errors.Is(err, jobstore.ErrNotFound) || errors.Is(err, jobstore.ErrInvalidID) {
		return nil, &ArgumentError{Argument: "job_id", Message: strings.TrimPrefix(err.Error(), "jobstore: ")}
	}
	return j, err
}

func jobRow(j *jobstore.Job) JobRow {
	r := JobRow{
		JobID: j.ID, Label: j.Label, Kind: parseKind(j.Kind).tool, State: string(j.State),
		Running: j.State == jobstore.StateRunning, ExitCode: jobExitCode(j), ElapsedSeconds: elapsed(j).Seconds(),
		Stream: !parseKind(j.Kind).buffered, CreatedAt: j.CreatedAt,
	}
	if j.Process != nil {
		r.PID = j.Process.PID
	}
	return r
}

func jobInfo(j *jobstore.Job) JobInfo {
	info := JobInfo{
		ID: j.ID, Label: j.Label, Kind: parseKind(j.Kind).tool, Status: string(j.State),
		Progress:  Progress{Current: j.Progress.Current, Total: j.Progress.Total, Message: j.Progress.Message},
		CreatedAt: j.CreatedAt, Error: j.Error, ExitCode: jobExitCode(j),
	}
	if !j.StartedAt.IsZero() {
		info.StartedAt = ptr(j.StartedAt)
	}
	if !j.CompletedAt.IsZero() {
		info.CompletedAt = ptr(j.CompletedAt)
	}
	if len(j.Result) > 0 {
		info.Result = json.RawMessage(j.Result)
		if parseKind(j.Kind).tool == toolExecutePython {
			info.Result = withoutImages(j.Result)
		}
	}
	return info
}

// withoutImages is a cell job's result without its images' bytes, which
// its task result carries as image content: a status is text.
func withoutImages(result json.RawMessage) any {
	var r map[string]json.RawMessage
	if json.Unmarshal(result, &r) != nil {
		return result
	}
	delete(r, "images")
	return r
}

// jobExitCode is the job's exit code: recorded on the job, or else in the
// result of a completed script run.
func jobExitCode(j *jobstore.Job) *int {
	if j.ExitCode != nil || len(j.Result) == 0 {
		return j.ExitCode
	}
	var r struct {
		ExitCode *int `json:"exit_code"`
	}
	if json.Unmarshal(j.Result, &r) != nil {
		return nil
	}
	return r.ExitCode
}

// elapsed is the run time of a job so far, or in total once it ended.
func elapsed(j *jobstore.Job) time.Duration {
	start := j.StartedAt
	if start.IsZero() {
		start = j.CreatedAt
	}
	end := j.CompletedAt
	if end.IsZero() {
		if j.State.Final() {
			return 0
		}
		end = time.Now()
	}
	return max(0, end.Sub(start))
}

func processID() int { return os.Getpid() }

func secondsDuration(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

func (t *Toolset) jobOutput(ctx context.Context, in GetJobOutputArgs) (*JobOutput, error) {
	if in.StdoutOffset < 0 || in.StderrOffset < 0 || in.MaxBytes < 0 {
		return nil, argError("stdout_offset", "offsets and max_bytes must not be negative; start at 0")
	}
	j, err := t.getJob(ctx, in.JobID)
	if err != nil {
		return nil, err
	}
	limit := pageBytes(t.cfg.responseTokens, in.MaxBytes)
	out := &JobOutput{JobID: j.ID, State: string(j.State), Status: "running", ExitCode: jobExitCode(j),
		ElapsedSeconds: elapsed(j).Seconds(), Error: firstLine(j.Error)}
	if j.State.Final() {
		out.Status = "finished"
	}
	p, err := t.readPage(ctx, j.ID, in.StdoutOffset, in.StderrOffset, limit)
	if err != nil {
		return nil, err
	}
	out.Stdout, out.Stderr, out.NextStdoutOffset, out.NextStderrOffset, out.More = p.out, p.errs, p.nextOut, p.nextErr, p.more
	return out, nil
}

// jobStatus is py_job_status: the job and, with incremental, its output
// since the previous incremental poll (or the given offsets).
func (t *Toolset) jobStatus(ctx context.Context, in JobStatusArgs) (*JobStatusResult, error) {
	for arg, off := range map[string]*int64{"stdout_offset": in.StdoutOffset, "stderr_offset": in.StderrOffset} {
		if off != nil && *off < 0 {
			return nil, argError(arg, "must not be negative; 0 is the start of the output")
		}
	}
	j, err := t.getJob(ctx, in.JobID)
	if err != nil {
		return nil, err
	}
	out := &JobStatusResult{Job: jobInfo(j)}
	if !in.Incremental {
		if in.StdoutOffset != nil || in.StderrOffset != nil {
			return nil, argError("stdout_offset", "offsets apply to incremental polls: set incremental=true, or use get_job_output")
		}
		return out, nil
	}
	// The output read now is what the job had written when it was read:
	// the state read first says whether more can come.
	from := t.polls.get(j.ID)
	if in.StdoutOffset != nil {
		from[0] = *in.StdoutOffset
	}
	if in.StderrOffset != nil {
		from[1] = *in.StderrOffset
	}
	limit := t.defaultShow()
	if out.Job.Result != nil {
		// The result repeats part of the output: the page gets the rest
		// of the budget, at least a quarter of it.
		b, _ := json.Marshal(out.Job.Result)
		limit = max(limit-len(b), limit/4)
	}
	p, err := t.readPage(ctx, j.ID, from[0], from[1], limit)
	if err != nil {
		return nil, err
	}
	t.polls.set(j.ID, [2]int64{p.nextOut, p.nextErr}, j.State.Final() && !p.more)
	out.NewStdout, out.NewStderr, out.More = p.out, p.errs, p.more
	out.NextStdoutOffset, out.NextStderrOffset = &p.nextOut, &p.nextErr
	return out, nil
}

// pollCursors remembers where each job's last incremental poll ended, so
// that a client polling with incremental=true gets each byte once without
// keeping offsets. It forgets a job whose output was read to its end, and
// some job beyond maxPollCursors (a forgotten poll starts over from 0:
// offsets repeat nothing for a client that passes them).
type pollCursors struct {
	mu sync.Mutex
	at map[string][2]int64
}

// maxPollCursors bounds the jobs whose poll positions are remembered.
const maxPollCursors = 4096

func (c *pollCursors) get(id string) [2]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at[id]
}

func (c *pollCursors) set(id string, at [2]int64, finished bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if finished {
		// Read to the end of a finished job: a further poll starts over.
		delete(c.at, id)
		return
	}
	if c.at == nil {
		c.at = map[string][2]int64{}
	}
	if _, ok := c.at[id]; !ok && len(c.at) >= maxPollCursors {
		for k := range c.at { // any one: polls of thousands of live jobs are rare
			delete(c.at, k)
			break
		}
	}
	c.at[id] = at
}

// page is a part of a job's output read from two offsets.
type page struct {
	out, errs        string
	nextOut, nextErr int64
	more             bool // more is already written beyond the page
}

// readPage reads a job's stdout and stderr from the given offsets within
// limit bytes as they are sent (JSON-escaped): the smaller part keeps what
// it has up to half of it, the larger the rest. A part that is cut ends on
// a line boundary where it can (so that the next page starts at a line),
// else on a character boundary; reading on from the returned offsets
// gives every byte exactly once.
func (t *Toolset) readPage(ctx context.Context, id string, offOut, offErr int64, limit int) (page, error) {
	var data [2][]byte
	var done [2]bool
	for i, st := range logStreams {
		off := [2]int64{offOut, offErr}[i]
		d, _, dn, err := t.store.ReadLog(ctx, id, st, off, limit)
		if err != nil {
			if errors.Is(err, jobstore.ErrNotFound) {
				return page{}, &ArgumentError{Argument: "job_id", Message: strings.TrimPrefix(err.Error(), "jobstore: ")}
			}
			return page{}, err
		}
		data[i], done[i] = d, dn
	}
	var keep [2]int
	for l := limit; ; {
		small, large := 0, 1
		if len(data[1]) < len(data[0]) {
			small, large = 1, 0
		}
		keep[small] = min(len(data[small]), l/2)
		if len(data[large]) <= l-keep[small] {
			keep[small] = min(len(data[small]), l-len(data[large]))
		}
		keep[large] = min(len(data[large]), l-keep[small])
		for i := range keep {
			keep[i] = pageEnd(data[i][:keep[i]], keep[i] < len(data[i]) || !done[i])
		}
		n := escapedBytes(data[0][:keep[0]]) + escapedBytes(data[1][:keep[1]])
		if n <= limit || l < 64 {
			break
		}
		l = l * limit / n
	}
	p := page{nextOut: offOut + int64(keep[0]), nextErr: offErr + int64(keep[1])}
	p.out, p.errs = decodeText(data[0][:keep[0]]), decodeText(data[1][:keep[1]])
	for i, st := range logStreams {
		switch {
		case keep[i] < len(data[i]):
			p.more = true
		case len(data[i]) == limit && !done[i]:
			probe, _, _, err := t.store.ReadLog(ctx, id, st, [2]int64{p.nextOut, p.nextErr}[i], 1)
			p.more = p.more || (err == nil && len(probe) > 0)
		}
	}
	return p, nil
}

// pageEnd is how much of b a page keeps: all of it, or, where b was cut
// (or may grow: a running job's last line), up to its last newline if that
// keeps at least half of it, else up to a character boundary.
func pageEnd(b []byte, cut bool) int {
	if !cut {
		return len(b)
	}
	return len(headtail.EndOnLine(b))
}

// decodeText makes log bytes valid UTF-8 text.
func decodeText(b []byte) string { return strings.ToValidUTF8(string(b), "\uFFFD") }

// stopped is what a kill or cancel did.
type stopped struct {
	stopped  bool // this call stopped the job
	state    string
	exitCode *int
	message  string
}

// stopJob cancels a job: through the Runner if this process runs it (its
// context ends, the executor stops the process tree, the job is recorded as
// cancelled), else, for a job of another server process, by killing what
// its record names (process group, cgroups, PID namespace) and recording
// the cancel, which the owner then obeys (see owned): a job waiting for a
// slot never starts. A job that already ended is left alone.
func (t *Toolset) stopJob(ctx context.Context, id string) (*stopped, error) {
	j, err := t.getJob(ctx, id)
	if err != nil {
		return nil, err
	}
	if j.State.Final() {
		return finishedAlready(j), nil
	}
	cctx, cancel := context.WithTimeout(ctx, cancelWait)
	defer cancel()
	_, err = t.runner.Cancel(cctx, id)
	switch {
	case err == nil:
		t.log.Info("mcptools: job cancelled on request", "job_id", id)
	case errors.Is(err, smartasync.ErrNotRunning):
		if err := t.stopForeign(ctx, j); err != nil {
			return nil, err
		}
	default:
		return nil, err
	}
	if j, err = t.store.Get(ctx, id); err != nil {
		return nil, err
	}
	if j.State != jobstore.StateCancelled {
		return finishedAlready(j), nil
	}
	msg := fmt.Sprintf("Job %s was cancelled; its process tree is gone.", id)
	if c := jobExitCode(j); c != nil {
		msg += fmt.Sprintf(" Exit code %d.", *c)
	}
	return &stopped{stopped: true, state: string(j.State), exitCode: jobExitCode(j), message: msg}, nil
}

// killedMessage is kill_job's message for a job it stopped: the status it
// answers is "killed", so the message says killed too.
func killedMessage(id string, exitCode *int) string {
	msg := fmt.Sprintf("Job %s was killed with its process tree (its state is now cancelled).", id)
	if exitCode != nil {
		msg += fmt.Sprintf(" Exit code %d.", *exitCode)
	}
	return msg
}

// stopForeign stops a job this process does not run: it may belong to
// another server process sharing the store, or have just ended.
//
// The cancel is recorded first, then what the record names is killed: the
// other way round, the owner could see its process die and record the job
// completed (exit -9) before the cancel landed, and the cancel would report
// a job that "completed" (seen with PostgreSQL under load). A process the
// owner records after the cancel is refused, and the owner stops it itself,
// as it stops a run that waits for a slot or prepares its environment.
func (t *Toolset) stopForeign(ctx context.Context, j *jobstore.Job) error {
	err := t.store.FinishJob(ctx, j.ID, jobstore.StateCancelled, nil,
		fmt.Sprintf("cancelled on request (from server process %d)", processID()))
	if errors.Is(err, jobstore.ErrFinished) {
		return nil // it ended first, on its own: nothing to stop
	}
	if err != nil {
		return err
	}
	if err := t.store.Kill(ctx, j.ID); err != nil && !killedOrAbsent(err) {
		return fmt.Errorf("killing job %s: %w", j.ID, err)
	}
	t.log.Info("mcptools: job of another server process killed", "job_id", j.ID, "owner_pid", j.Owner.PID)
	// The owner records the exit code once it reaps the process. A job
	// with no process recorded by now never gets one: it never started.
	// A store that notifies changes (jobstore.Notifier) says when the
	// record changes; polling is the fallback.
	changed := make(chan struct{}, 1)
	if n, ok := t.store.(jobstore.Notifier); ok {
		stop := n.OnChange(func(c jobstore.Change) {
			if c.ID == j.ID {
				select {
				case changed <- struct{}{}:
				default:
				}
			}
		})
		defer stop()
	}
	deadline := time.Now().Add(exitCodeWait)
	for time.Now().Before(deadline) {
		if cur, err := t.store.Get(ctx, j.ID); err != nil || cur.ExitCode != nil || cur.Process == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil
		case <-changed:
		case <-time.After(50 * time.Millisecond): // a polling interval
		}
	}
	return nil
}

// killedOrAbsent reports whether a Kill error, after the cancel is
// recorded, leaves nothing for this process to do: no process was recorded,
// or only its owner can reach it — on another machine (ErrElsewhere), or on
// a system without /proc, where a pid cannot be told from a reused one
// (errors.ErrUnsupported) — and the owner stops it on seeing the cancel
// (owned).
func killedOrAbsent(err error) bool {
	return errors.Is(err, jobstore.ErrNoProcess) || errors.Is(err, jobstore.ErrElsewhere) || errors.Is(err, errors.ErrUnsupported)
}

func finishedAlready(j *jobstore.Job) *stopped {
	return &stopped{state: string(j.State), exitCode: jobExitCode(j),
		message: fmt.Sprintf("Job %s had already ended (%s); nothing was stopped.", j.ID, j.State)}
}
