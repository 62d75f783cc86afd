package smartasync

import (
	"context"
	"encoding/json"
	"fmt"
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

// Func is the work a SmartAsync wraps. ctx carries the request's values and
// the job's id (JobID) but not the request's cancellation; it is cancelled
// when the job is cancelled (cause ErrCancelled) or the Runner is closed
// (cause ErrClosed). The value must marshal to JSON: it is the job's result
// when the work ends in the background.
type Func[T any] func(ctx context.Context, progress ProgressFunc) (T, error)

// SmartAsync runs a Func under a time budget: a call gets the value if the work
// finishes within the budget, and a job id if it does not, the work continuing
// as a background job of the Runner. Create it with New; it is safe for
// concurrent use and needs no closing (the Runner owns the jobs).
type SmartAsync[T any] struct {
	r    *Runner
	kind string
	name string // the function's name: the label of last resort
	fn   Func[T]
}

// New returns a SmartAsync that runs fn as jobs of the given kind (the Store's
// job kind, e.g. "run_script"). It panics if r or fn is nil.
func New[T any](r *Runner, kind string, fn Func[T]) *SmartAsync[T] {
	if r == nil {
		panic("smartasync: New called with a nil *Runner")
	}
	if fn == nil {
		panic("smartasync: New called with a nil Func")
	}
	return &SmartAsync[T]{r: r, kind: kind, name: funcName(fn), fn: fn}
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
}

// Outcome is the result of SmartAsync.Call.
//
// Done reports whether the work ended during the call; then Value and the
// error are what the work returned, Status is "completed" or "failed", and
// JobID is empty because the record was discarded. Two exceptions keep the
// record and set JobID: a panic (Status "failed", error *PanicError) and a
// cancellation by Runner.Cancel or Runner.Close (Status "cancelled", error
// wrapping ErrCancelled or ErrClosed).
//
// Otherwise the work continues as the background job JobID: Status is
// "running", or "pending" while it waits for a slot (always "pending" with
// Call.Async), and Message tells the client how to follow it.
type Outcome[T any] struct {
	Value   T      `json:"value,omitzero"`
	Done    bool   `json:"-"`
	JobID   string `json:"job_id,omitempty"`
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// followHint ends every background Outcome's message; the names are the job
// tools of the MCP tool contract.
const followHint = "poll it with py_job_status and cancel it with py_cancel_job"

// Call runs the work under c's settings. The job record is created first (a
// Store error is returned and the work does not run), so the work has a JobID
// from its start.
//
// If ctx is cancelled while the call waits within its budget, the work keeps
// running as a background job and Call returns its id with a nil error: a
// client that gives up never leaves untracked work behind. An error is
// returned only when the work ended during the call (see Outcome) or did not
// start.
func (s *SmartAsync[T]) Call(ctx context.Context, c Call) (Outcome[T], error) {
	budget := c.Budget
	switch {
	case budget < 0:
		return Outcome[T]{}, fmt.Errorf("%w: Call.Budget %v is negative; use 0 for the runner's (%v)", ErrInvalidOptions, budget, s.r.cfg.budget)
	case budget == 0:
		budget = s.r.cfg.budget
	}
	t := &call[T]{fn: s.fn}
	j, err := s.r.start(ctx, s.kind, s.label(c.Label), c.Async, t)
	if err != nil {
		return Outcome[T]{}, err
	}
	if c.Async {
		return Outcome[T]{JobID: j.id, Status: StatePending,
			Message: fmt.Sprintf("started background job %s; %s", j.id, followHint)}, nil
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
	return Outcome[T]{JobID: j.id, Status: status,
		Message: fmt.Sprintf("%s; it continues as background job %s; %s", why, j.id, followHint)}, nil
}

func (s *SmartAsync[T]) label(l string) string {
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
type call[T any] struct {
	fn Func[T]
	v  T // written by run, read after the job's handoff or returned channel
}

func (c *call[T]) run(ctx context.Context, progress ProgressFunc) error {
	v, err := c.fn(ctx, progress)
	c.v = v
	return err
}

func (c *call[T]) marshal() (json.RawMessage, error) { return json.Marshal(c.v) }

// outcome builds the Outcome of a call whose work ended while it waited.
func (c *call[T]) outcome(j *job) (Outcome[T], error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	o := Outcome[T]{Value: c.v, Done: true, Status: j.state}
	if j.keep {
		o.JobID = j.id
	}
	return o, j.callErr
}
