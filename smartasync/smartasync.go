package smartasync

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"reflect"
	"runtime"
	"strings"
	"time"
)

// ProgressFunc reports the progress of a work function: current out of total
// (total 0 when unknown) and a short message. It never blocks and is safe for
// concurrent use; values are written to the Store at most once per
// Options.ProgressInterval, and the last one always is.
type ProgressFunc func(current, total float64, message string)

// Job is what the work of one call gets: the job's id, valid from the
// work's first instruction (every call has a job record from its start, so
// the work can write its output to the job's logs at once, even if the call
// ends within its budget and the record is discarded), the call's input,
// and a progress reporter. The work must not keep it after it returns.
type Job[In any] struct {
	ID    string
	Input In

	progress ProgressFunc
	keep     func()
}

// Keep asks that the job's record be kept although its call gets the value
// within the budget, as a background job's is: the value refers to the
// record (say, a script run whose response shows part of the output that
// the job's logs hold in full). The Outcome then has the JobID; the record
// ends completed or failed, with the value stored, like any job's. It may
// be called any time before the work returns.
func (j *Job[In]) Keep() {
	if j.keep != nil {
		j.keep()
	}
}

// Progress reports the work's progress: current out of total (total 0 when
// unknown) and a short message. It never blocks. The Store gets the latest
// value at most once per Options.ProgressInterval and always the last one;
// a caller still waiting within its budget also gets every value through
// Call.Progress.
func (j *Job[In]) Progress(current, total float64, message string) {
	if j.progress != nil {
		j.progress(current, total, message)
	}
}

// Func is the work a SmartAsync wraps: one call's input in job.Input, its
// value as the result. ctx carries the request's values but not its
// cancellation; it is cancelled when the job is cancelled (cause
// ErrCancelled) or the Runner is closed (cause ErrClosed). The value must
// marshal to JSON: it is the job's result when the work ends in the
// background.
type Func[In, Out any] func(ctx context.Context, job *Job[In]) (Out, error)

// SmartAsync runs a Func under a time budget: a call gets the value if the
// work finishes within the budget, and a job id if it does not, the work
// continuing as a background job of the Runner. Create it once with New and
// call it with each call's input; it is safe for concurrent use and needs
// no closing (the Runner owns the jobs).
type SmartAsync[In, Out any] struct {
	r    *Runner
	kind string
	name string // the function's name: the label of last resort
	fn   Func[In, Out]
}

// New returns a SmartAsync that runs fn as jobs of the given kind (the
// Store's job kind, e.g. "run_script"). It panics if r or fn is nil.
func New[In, Out any](r *Runner, kind string, fn Func[In, Out]) *SmartAsync[In, Out] {
	if r == nil {
		panic("smartasync: New called with a nil *Runner")
	}
	if fn == nil {
		panic("smartasync: New called with a nil Func")
	}
	return &SmartAsync[In, Out]{r: r, kind: kind, name: funcName(fn), fn: fn}
}

// Call holds the per-call settings of SmartAsync.Call. The zero value waits
// for the Runner's budget and labels the job with the kind.
type Call struct {
	// Label is the job's label. Empty means the SmartAsync's kind, or if
	// that is empty too, the function's name.
	Label string
	// Async starts the job in the background at once (the tools'
	// async_mode): the call returns a job id in state "pending".
	Async bool
	// Budget overrides the Runner's budget for this call. 0 means the
	// Runner's; negative is invalid.
	Budget time.Duration
	// Progress, if set, also receives every progress report of the work
	// while the call waits for it (say, to send it to the waiting client);
	// it is not called once Call has returned. It must not block.
	Progress ProgressFunc
}

// Outcome is the result of SmartAsync.Call.
//
// Done reports whether the work ended during the call; then Value and the
// error are what the work returned, Status is jobstore.StateCompleted or
// jobstore.StateFailed, and JobID is empty because the record was discarded. Three
// exceptions keep the record and set JobID: a panic (jobstore.StateFailed, error
// *PanicError), a cancellation by Runner.Cancel or Runner.Close
// (jobstore.StateCancelled, error wrapping ErrCancelled or ErrClosed), and a
// work that called Job.Keep.
//
// Otherwise the work continues as the background job JobID: Status is
// jobstore.StateRunning, or jobstore.StatePending while it waits for a slot (always with
// Call.Async), and Message says why it continues in the background (a
// tool layer adds how its clients follow a job).
type Outcome[T any] struct {
	Value   T              `json:"value,omitzero"`
	Done    bool           `json:"-"`
	JobID   string         `json:"job_id,omitempty"`
	Status  jobstore.State `json:"status"`
	Message string         `json:"message,omitempty"`
}

// Call runs the work under c's settings. The job record is created first (a
// Store error is returned and the work does not run), so the work has a JobID
// from its start.
//
// If ctx is cancelled while the call waits within its budget, the work keeps
// running as a background job and Call returns its id with a nil error: a
// client that gives up never leaves untracked work behind. An error is
// returned only when the work ended during the call (see Outcome) or did not
// start.
func (s *SmartAsync[In, Out]) Call(ctx context.Context, in In, c Call) (Outcome[Out], error) {
	budget := c.Budget
	switch {
	case budget < 0:
		return Outcome[Out]{}, fmt.Errorf("%w: Call.Budget %v is negative; use 0 for the runner's (%v)", ErrInvalidOptions, budget, s.r.cfg.budget)
	case budget == 0:
		budget = s.r.cfg.budget
	}
	t := &call[In, Out]{fn: s.fn, in: in}
	j, err := s.r.start(ctx, s.kind, s.label(c.Label), c.Async, c.Progress, t)
	if err != nil {
		return Outcome[Out]{}, err
	}
	if c.Async {
		return Outcome[Out]{JobID: j.id, Status: jobstore.StatePending,
			Message: fmt.Sprintf("started background job %s", j.id)}, nil
	}

	timer := time.NewTimer(budget)
	defer timer.Stop()
	var why string
	select {
	case <-j.handoff:
		return t.outcome(j)
	case <-timer.C:
		why = fmt.Sprintf("the work outlived its %v budget", budget)
	case <-ctx.Done():
		why = "the client cancelled the call"
	}
	status, ok := j.detach()
	if !ok { // the work ended meanwhile
		<-j.handoff
		return t.outcome(j)
	}
	return Outcome[Out]{JobID: j.id, Status: status,
		Message: fmt.Sprintf("%s; it continues as background job %s", why, j.id)}, nil
}

func (s *SmartAsync[In, Out]) label(l string) string {
	switch {
	case l != "":
		return l
	case s.kind != "":
		return s.kind
	}
	return s.name
}

// funcName returns fn's name without its import path ("pkg.Func",
// "pkg.Outer.func1"), or "" if the runtime does not know it.
func funcName(fn any) string {
	f := runtime.FuncForPC(reflect.ValueOf(fn).Pointer())
	if f == nil {
		return ""
	}
	name := f.Name()
	return name[strings.LastIndexByte(name, '/')+1:]
}

// call is the typed task of one SmartAsync.Call.
type call[In, Out any] struct {
	fn Func[In, Out]
	in In
	v  Out // written by run, read after the job's handoff or returned channel
}

func (c *call[In, Out]) run(ctx context.Context, j *job) error {
	v, err := c.fn(ctx, &Job[In]{ID: j.id, Input: c.in, progress: j.progress, keep: j.askKeep})
	c.v = v
	return err
}

func (c *call[In, Out]) marshal() (json.RawMessage, error) { return json.Marshal(c.v) }

// outcome builds the Outcome of a call whose work ended while it waited.
func (c *call[In, Out]) outcome(j *job) (Outcome[Out], error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	o := Outcome[Out]{Value: c.v, Done: true, Status: j.state}
	if j.keep {
		o.JobID = j.id
	}
	return o, j.callErr
}
