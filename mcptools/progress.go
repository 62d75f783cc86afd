package mcptools

import (
	"bytes"
	"context"
	"math"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/internal/progressfile"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// ProgressFileEnv is the environment variable through which a script run by
// the execution tools finds its progress file. A script reports progress by
// appending JSON lines to that file:
//
//	{"current": 5, "total": 10, "message": "epoch 5/10"}
//
// current is required; total (0 or absent: unknown) and message are
// optional. The last complete line wins; other lines, and lines beyond
// ProgressLineMax bytes, are ignored. Reports show in py_job_status (and
// py_list_jobs) and, while a client waits on the call, as MCP progress
// notifications. The file is private to the run and removed afterwards; a
// subprocess of the script can report too (it inherits the variable).
const ProgressFileEnv = progressfile.Env

// PythonProgressHelper is a dependency-free Python helper for the progress
// protocol (see ProgressFileEnv); paste it into a script and call
// progress(5, 10, "epoch 5/10"). It does nothing outside pyexec.
const PythonProgressHelper = progressfile.PythonHelper

// ProgressLineMax bounds one line of the progress file.
const ProgressLineMax = progressfile.LineMax

// notifyTimeout bounds one progress notification: a client that stops
// reading must not stall the call.
const notifyTimeout = 5 * time.Second

// CallProgress forwards progress to the client of one tools/call as MCP
// progress notifications, throttled to one per interval, while the call is
// in flight. A call without a progress token gets a CallProgress whose
// Report does nothing. Create it with StartCallProgress; the handler must
// call Stop before it returns (after Stop, Report does nothing).
//
// The values it sends increase with each notification, as MCP requires,
// even when the reported ones do not: a report that does not raise the
// value is sent just above the last value sent if its message or total is
// new, and not at all otherwise.
//
// An embedding server's SmartAsync tool combines it with the job's
// ProgressFunc, so the client sees progress while it waits and the job
// record keeps it afterwards:
//
//	cp := mcptools.StartCallProgress(ctx, req, 0)
//	defer cp.Stop()
//	out, err := sa.Call(ctx, smartasync.Call{}) // the work calls cp.Report too
type CallProgress struct {
	session *mcp.ServerSession
	token   any
	every   time.Duration
	ctx     context.Context // the request's values, not its cancellation
	sig     chan struct{}   // buffer 1: an update awaits sending
	done    chan struct{}   // closed by Stop
	exited  chan struct{}   // closed when the sender goroutine returns

	mu      sync.Mutex
	cur     float64
	total   float64
	msg     string
	last    *mcp.ProgressNotificationParams // the last notification sent (nil: none yet)
	stopped bool
}

// StartCallProgress returns the CallProgress of req; interval 0 means
// DefaultProgressInterval.
func StartCallProgress(ctx context.Context, req *mcp.CallToolRequest, interval time.Duration) *CallProgress {
	p := &CallProgress{every: cmpOr(interval, DefaultProgressInterval)}
	if req == nil || req.Params == nil || req.Session == nil {
		return p
	}
	if p.token = req.Params.GetProgressToken(); p.token == nil {
		return p
	}
	p.session = req.Session
	p.ctx = context.WithoutCancel(ctx)
	p.sig = make(chan struct{}, 1)
	p.done = make(chan struct{})
	p.exited = make(chan struct{})
	go p.send()
	return p
}

// Report records the latest progress (current of total, total 0 when
// unknown) and a message; it never blocks. It is safe for concurrent use and
// has the signature of a smartasync.ProgressFunc.
func (p *CallProgress) Report(current, total float64, message string) {
	if p == nil || p.sig == nil {
		return
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.cur, p.total, p.msg = current, total, message
	p.mu.Unlock()
	select {
	case p.sig <- struct{}{}:
	default:
	}
}

// active reports whether the call asked for progress notifications.
func (p *CallProgress) active() bool { return p != nil && p.sig != nil }

// Stop stops the notifications, sending the latest value first if it is
// still pending, and waits for the sender to finish. It is idempotent.
func (p *CallProgress) Stop() {
	if p == nil || p.sig == nil {
		return
	}
	p.mu.Lock()
	if p.stopped {
		p.mu.Unlock()
		return
	}
	p.stopped = true
	p.mu.Unlock()
	close(p.done)
	<-p.exited
}

func (p *CallProgress) send() {
	defer close(p.exited)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		select {
		case <-p.done:
			p.flush()
			return
		case <-p.sig:
		}
		p.notify()
		// Throttle: nothing more for one interval; the latest value then.
		timer.Reset(p.every)
		select {
		case <-p.done:
			p.flush()
			return
		case <-timer.C:
		}
	}
}

// flush sends the latest value if it has not been sent: Stop comes just
// before the call's response, and a call that reported progress must not
// end without the client seeing it (a fast call used to lose its only
// update to the throttle, or to select's random choice between done and
// a pending update).
func (p *CallProgress) flush() {
	select {
	case <-p.sig:
		p.notify()
	default:
	}
}

func (p *CallProgress) notify() {
	p.mu.Lock()
	n := p.next()
	p.mu.Unlock()
	if n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, notifyTimeout)
	_ = p.session.NotifyProgress(ctx, n) // a client gone away is not the call's failure
	cancel()
}

// next returns the notification of the latest report and records it as
// sent, or returns nil when the report has nothing new to say. p.mu must be
// held.
//
// "The progress value MUST increase with each notification, even if the
// total is unknown" (MCP, basic/utilities/progress). A report whose value
// does not exceed the last one sent (a script reporting 5, 3, 3, 8; new
// output lines while the script's value stands still; a line count
// followed by the script's first "1 of 4") still carries news in its
// message or total, so it is sent with the smallest float64 above the last
// value: strictly increasing as the spec requires, no visible movement,
// and the script's next higher value resumes the scale exactly (5,
// 5.000000000000001, 8). Dropping it instead would freeze the live output
// lines for as long as the value stands still; repeating the value breaks
// the spec. A report with neither a higher value nor a new message or
// total is not sent at all.
func (p *CallProgress) next() *mcp.ProgressNotificationParams {
	n := &mcp.ProgressNotificationParams{ProgressToken: p.token, Progress: p.cur, Total: p.total, Message: p.msg}
	if last := p.last; last != nil && n.Progress <= last.Progress {
		if n.Total == last.Total && n.Message == last.Message {
			return nil
		}
		n.Progress = math.Nextafter(last.Progress, math.Inf(1))
	}
	p.last = n
	return n
}

// Combine returns a ProgressFunc that reports to every non-nil f.
func Combine(fs ...smartasync.ProgressFunc) smartasync.ProgressFunc {
	return func(current, total float64, message string) {
		for _, f := range fs {
			if f != nil {
				f(current, total, message)
			}
		}
	}
}

// liveRun is what a running script shows its waiting client: the progress
// the script reports and its last output lines. It is fed by the output
// writers and the progress-file tailer and read into progress reports.
type liveRun struct {
	report smartasync.ProgressFunc // the client's CallProgress (may be nil)

	mu      sync.Mutex
	lines   []string // the last few complete output lines
	nlines  int
	partial map[string][]byte    // per stream: an unfinished line
	script  *progressfile.Report // the script's own last report, if any
	note    string               // a server message (e.g. waiting for a slot)
}

const (
	liveLines    = 3   // output lines in a progress message
	liveLineMax  = 200 // runes kept of each
	livePartial  = 512 // bytes kept of an unfinished line
	liveMsgBytes = 700
)

func newLiveRun(report smartasync.ProgressFunc) *liveRun {
	return &liveRun{report: report, partial: map[string][]byte{}}
}

// writer returns an io.Writer for one stream of the script's output.
func (l *liveRun) writer(stream string) *liveWriter { return &liveWriter{l: l, stream: stream} }

type liveWriter struct {
	l      *liveRun
	stream string
}

func (w *liveWriter) Write(p []byte) (int, error) {
	w.l.output(w.stream, p)
	return len(p), nil
}

func (l *liveRun) output(stream string, p []byte) {
	l.mu.Lock()
	got := false
	// Only the last few lines are shown: a chunk of many lines is counted,
	// and only its last lines are kept, so a flood costs a scan, not a
	// string per line.
	if n := bytes.Count(p, []byte{'\n'}); n > liveLines+1 {
		skip := n - liveLines
		cut := 0
		for range skip {
			cut += bytes.IndexByte(p[cut:], '\n') + 1
		}
		l.partial[stream] = l.partial[stream][:0]
		l.nlines += skip
		p = p[cut:]
		got = true
	}
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			buf := append(l.partial[stream], p...)
			if len(buf) > livePartial {
				buf = buf[:livePartial]
			}
			l.partial[stream] = buf
			break
		}
		line := append(l.partial[stream], p[:i]...)
		l.partial[stream] = l.partial[stream][:0]
		p = p[i+1:]
		l.addLine(string(line))
		got = true
	}
	l.mu.Unlock()
	if got {
		l.push()
	}
}

func (l *liveRun) addLine(s string) {
	s = strings.TrimRight(strings.ToValidUTF8(s, "\uFFFD"), "\r \t")
	if s == "" {
		return
	}
	if utf8.RuneCountInString(s) > liveLineMax {
		s = string([]rune(s)[:liveLineMax]) + "…"
	}
	l.nlines++
	l.lines = append(l.lines, s)
	if len(l.lines) > liveLines {
		l.lines = l.lines[len(l.lines)-liveLines:]
	}
}

// scriptReported records a progress report of the script itself.
func (l *liveRun) scriptReported(r progressfile.Report) {
	l.mu.Lock()
	l.script = &r
	l.mu.Unlock()
	l.push()
}

// setNote records a server message such as "waiting for a slot"; "" clears.
func (l *liveRun) setNote(msg string) {
	l.mu.Lock()
	l.note = msg
	l.mu.Unlock()
	l.push()
}

// push reports the current state to the client: the script's progress if
// it reported any, else the count of output lines (which only grows); the
// message is the script's, a server note, or the last output lines. The
// value may stand still or go back (a script's own values are its
// business): CallProgress keeps what reaches the client increasing.
func (l *liveRun) push() {
	if l.report == nil {
		return
	}
	l.mu.Lock()
	cur, total := float64(l.nlines), 0.0
	var msg string
	switch {
	case l.note != "":
		msg = l.note
	case l.script != nil && l.script.Message != "":
		msg = l.script.Message
	default:
		msg = strings.Join(l.lines, "\n")
	}
	if l.script != nil {
		cur, total = l.script.Current, l.script.Total
	}
	l.mu.Unlock()
	if len(msg) > liveMsgBytes {
		msg = "…" + strings.ToValidUTF8(msg[len(msg)-liveMsgBytes:], "")
	}
	l.report(cur, total, msg)
}
