package kernel

import (
	"context"
	"fmt"
	"io"
	"syscall"
	"time"
)

// ExecOptions limits what one cell returns. A nil *ExecOptions or a zero
// field means no limit (the session layer always sets them).
type ExecOptions struct {
	MaxImages     int // images returned; more are omitted and counted
	MaxImageBytes int // bytes of one image, also of a binary entry of the value's bundle; larger ones are omitted
	// ValueCap bounds the bytes of the value's repr, of each text entry of
	// its bundle, of the message and of the traceback (head and tail, as
	// headtail.Clip; a text entry that a cut would break, such as HTML, is
	// left out instead).
	ValueCap int
	// Stdout and Stderr, if set, get the cell's output on that stream as
	// it is read: every byte that belongs to the cell, in order, never an
	// end marker, starting with what arrived since the previous cell ended
	// (as the pipe's buffer kept it: head and tail past the output cap).
	// They are called from the pipe's reader goroutine with the stream's
	// lock held, so they must not block: a writer that waits holds up the
	// kernel on its pipe, and the end marker with it. The session layer
	// passes a bounded queue.
	Stdout, Stderr io.Writer
}

// Error is an exception raised by a cell.
type Error struct {
	Type      string `json:"type"`      // e.g. "ZeroDivisionError", "json.decoder.JSONDecodeError"
	Message   string `json:"message"`   // str(exception)
	Traceback string `json:"traceback"` // formatted: the user's frames only, from the cell's first
}

// Image is an image a cell produced.
type Image struct {
	MIME string // "image/png" or "image/jpeg"
	Data []byte
	// OfValue is set for the value's own image (its _repr_png_ or
	// _repr_jpeg_, also in Data), unset for a figure.
	OfValue bool
}

// Result is what a cell produced and how it ended.
type Result struct {
	Stdout, Stderr               string
	StdoutOmitted, StderrOmitted int64 // bytes dropped between head and tail

	Value string // repr of the trailing expression; "" if none or None
	// Data is the value's MIME bundle: text/plain (Value) and what the
	// value's _repr_*_ methods gave, binary types base64; nil if the cell
	// has no value.
	Data          map[string]string
	Error         *Error // the exception the cell raised, nil if none
	Images        []Image
	ImagesOmitted int
	Notes         []string // the kernel's remarks (figures that failed, images omitted)
	Count         int      // the kernel's execution count for this cell

	// Interrupted is set when ctx ended before the cell finished and
	// SIGINT was sent.
	Interrupted bool
	// Killed is set when the kernel did not answer within the grace period
	// after the interrupt and was killed.
	Killed bool
	// Died is set when the kernel exited while running the cell, not
	// killed by this client (os._exit, a crash, a signal from elsewhere).
	Died bool
	// Exit describes how the kernel ended when Killed or Died.
	Exit string
	// LimitExceeded says which limits of Config.Sandbox the kernel's
	// processes hit during this cell ("" if none): a process of the cell
	// killed by the OOM killer, forks refused, or the kernel itself ended
	// by one (then Died is set too). See Kernel.Limits.
	LimitExceeded string
	Elapsed       time.Duration
}

// Execute runs code as one cell and waits for it.
//
// When ctx ends first, the cell is interrupted: SIGINT goes to the kernel
// process only, so processes that earlier cells started in the background
// survive (subprocess.run kills its own child on KeyboardInterrupt). If the
// cell has not stopped after half the grace period, for instance because it
// waits in os.system (which ignores SIGINT while its child runs), SIGINT goes
// to the kernel's whole process group. If it has still not answered after the
// full grace period, the kernel is stopped (SIGTERM, grace, SIGKILL to the
// group) and Result.Killed is set. Execute returns an error only if the
// kernel could not be asked at all (it had already exited: ErrExited).
func (k *Kernel) Execute(ctx context.Context, code string, opts *ExecOptions) (*Result, error) {
	if opts == nil {
		opts = &ExecOptions{}
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Exited() {
		return nil, fmt.Errorf("%w: it %s", ErrExited, k.exitText())
	}
	k.nextID++
	id := k.nextID
	marker := fmt.Sprintf("\x00pyexec:%s:%d\x00", k.token, id)
	outSeen := k.out.expect([]byte(marker), opts.Stdout)
	errSeen := k.errs.expect([]byte(marker), opts.Stderr)
	res := &Result{}
	start := time.Now()
	var m *reply
	err := k.send(&request{
		ID: id, Op: opExecute, Code: code, Marker: marker,
		MaxImages: opts.MaxImages, MaxImageBytes: opts.MaxImageBytes, ValueCap: opts.ValueCap,
	})
	if err != nil {
		// The kernel is gone or not reading: either way it is of no use.
		k.setFault(fmt.Sprintf("could not send the request (%v)", err))
		k.proc.Stop()
	} else {
		m = k.await(ctx, id, res)
	}
	res.Elapsed = time.Since(start)
	if m != nil && !k.Exited() {
		k.waitMarkers(outSeen, errSeen)
	} else {
		k.proc.Stop() // reap, and kill what is left of the group
		k.waitEOF(drainWait)
		res.Exit = k.exitText()
		if res.Killed {
			res.Exit = fmt.Sprintf("did not stop within %v of the interrupt and was killed", k.grace)
		} else {
			res.Died = true
		}
	}
	res.LimitExceeded = k.takeLimits()
	res.Stdout, res.StdoutOmitted = k.out.take()
	res.Stderr, res.StderrOmitted = k.errs.take()
	if m != nil {
		fill(res, m)
	}
	return res, nil
}

func fill(res *Result, m *reply) {
	res.Value, res.Error, res.Count = m.Value, m.Error, m.Count
	if m.Data != nil {
		res.Data = m.Data
		res.Data["text/plain"] = m.Value
	}
	res.ImagesOmitted, res.Notes = m.ImagesOmitted, m.Notes
	if m.Fault != "" {
		res.Notes = append(res.Notes, "kernel fault: "+m.Fault)
	}
	for _, im := range m.Images {
		res.Images = append(res.Images, Image(im))
	}
}

// await waits for the reply to request id, interrupting and finally killing
// the kernel once ctx has ended (see Execute). It returns nil if the kernel
// exited without replying.
func (k *Kernel) await(ctx context.Context, id int64, res *Result) *reply {
	var timer *time.Timer
	var tick <-chan time.Time
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	escalated := false
	done := ctx.Done()
	for {
		select {
		case m := <-k.replies:
			if m.ID == id {
				return m
			}
			// A late reply to a request abandoned earlier: drop it.
		case <-k.proc.Done():
			return k.replyAfterExit(id)
		case <-done:
			done = nil
			res.Interrupted = true
			_ = k.interrupt()
			timer = time.NewTimer(k.grace / 2)
			tick = timer.C
		case <-tick:
			if !escalated {
				escalated = true
				k.interruptGroup()
				timer.Reset(k.grace - k.grace/2)
				continue
			}
			tick = nil
			res.Killed = true
			k.proc.Stop() // Done fires next
		}
	}
}

// replyAfterExit returns the reply to id if it was written before the kernel
// exited (the exit raced the reply), else nil.
func (k *Kernel) replyAfterExit(id int64) *reply {
	k.proc.Stop() // kill what is left of the group so the pipes close
	k.waitEOF(drainWait)
	for {
		select {
		case m := <-k.replies:
			if m.ID == id {
				return m
			}
		default:
			return nil
		}
	}
}

func (k *Kernel) waitMarkers(chans ...<-chan struct{}) {
	t := time.NewTimer(markerWait)
	defer t.Stop()
	for _, c := range chans {
		select {
		case <-c:
		case <-k.proc.Done():
			return
		case <-t.C:
			return
		}
	}
}

// UseVenv makes the packages of the virtual environment at dir importable in
// the running kernel: its site-packages goes ahead of the base interpreter's
// (with its .pth files processed), its bin directory onto PATH, and import
// caches are invalidated. It returns the site-packages directory.
func (k *Kernel) UseVenv(ctx context.Context, dir string) (string, error) {
	m, err := k.call(ctx, &request{Op: opUseVenv, Path: dir})
	if err != nil {
		return "", err
	}
	if m.Fault != "" {
		return "", fmt.Errorf("%w: use_venv: %s", ErrProtocol, m.Fault)
	}
	return m.SitePackages, nil
}

// call sends a short request and waits for its reply; ctx ending abandons
// the wait (the late reply is dropped) without interrupting the kernel.
func (k *Kernel) call(ctx context.Context, req *request) (*reply, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.Exited() {
		return nil, fmt.Errorf("%w: it %s", ErrExited, k.exitText())
	}
	k.nextID++
	req.ID = k.nextID
	if err := k.send(req); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrExited, err)
	}
	for {
		select {
		case m := <-k.replies:
			if m.ID == req.ID {
				return m, nil
			}
		case <-k.proc.Done():
			if m := k.replyAfterExit(req.ID); m != nil {
				return m, nil
			}
			return nil, fmt.Errorf("%w: it %s", ErrExited, k.exitText())
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// interruptGroup sends SIGINT to every process of the kernel's group once
// (a confined kernel's Box knows which members are its own wrapper).
func (k *Kernel) interruptGroup() {
	if k.box != nil {
		_ = k.box.SignalGroup(k.PID, syscall.SIGINT)
		return
	}
	_ = k.proc.Signal(syscall.SIGINT)
}
