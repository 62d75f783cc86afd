package kernel

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/headtail"
	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// Defaults applied by Start.
const (
	// DefaultGrace is how long an interrupted cell has to stop before the
	// kernel is killed, and the kernel's SIGTERM-to-SIGKILL grace.
	DefaultGrace = 2 * time.Second
	// DefaultOutputCap is the number of bytes of each stream kept per cell:
	// the rule of one-shot runs too (headtail.DefaultLimit).
	DefaultOutputCap = headtail.DefaultLimit
)

const (
	// markerWait bounds the wait for a cell's end markers once its reply
	// has arrived; the markers were written before the reply, so this only
	// matters if user code left fds 1 and 2 in a state the kernel could not
	// repair.
	markerWait = 2 * time.Second
	// drainWait bounds the wait for the output pipes to reach EOF after the
	// kernel exited: a grandchild that left the process group (setsid) may
	// hold them open.
	drainWait = 500 * time.Millisecond
	// writeWait bounds a request write; the kernel reads requests whenever
	// it is idle, and it is idle whenever one is sent.
	writeWait = 30 * time.Second
)

// Config says how to start a kernel. The zero value is not valid: Python is
// required.
type Config struct {
	// Python is the interpreter to run, preferably an absolute path (a
	// virtual environment's bin/python works and makes its packages
	// importable).
	Python string
	// Dir is the kernel's working directory; "" means the caller's.
	Dir string
	// Env is the kernel's environment; nil means os.Environ(). Start adds
	// MPLBACKEND=Agg, PYTHONUNBUFFERED=1 and
	// PYTHONIOENCODING=utf-8:backslashreplace unless Env sets them.
	Env []string
	// Grace is the time an interrupted cell has to stop before the kernel
	// is killed, and the SIGTERM-to-SIGKILL grace; 0 means DefaultGrace.
	Grace time.Duration
	// OutputCap is the number of bytes of stdout and of stderr kept per
	// cell (head and tail); 0 means DefaultOutputCap.
	OutputCap int
	// Sandbox, if it asks for anything, confines the kernel for its whole
	// lifetime with sandbox.Prepare: one set of cgroups, namespaces and
	// rlimits from start to Close, so limits such as CPUSeconds count
	// over every cell. Under ReadOnlyFS, Dir is writable only if it is in
	// Sandbox.WritableDirs. nil runs the kernel unconfined.
	Sandbox *sandbox.Policy
	// SandboxOptions are passed to sandbox.Prepare; nil means defaults
	// (Python runs the wrapper). Start adds the variables it sets itself
	// (MPLBACKEND, PYTHONUNBUFFERED, PYTHONIOENCODING) to ExplicitEnv.
	SandboxOptions *sandbox.Options
}

// Kernel is a client for one running kernel process. Its methods are safe
// for concurrent use; requests are served one at a time. The caller must call
// Close, also after the kernel has exited, to release the pipes.
type Kernel struct {
	proc  *proc.Process
	box   *sandbox.Box // nil when unconfined
	grace time.Duration
	token string

	PID        int    // the kernel's process id
	Python     string // the kernel's Python version, e.g. "3.12.1"
	Executable string // sys.executable
	Prefix     string // sys.prefix (the venv when run from one)

	reqW    *os.File
	intW    *os.File   // Windows: interrupt requests (see interrupt); nil on Unix
	pipes   []*os.File // read ends: replies, stdout, stderr
	out     *stream
	errs    *stream
	replies chan *reply // buffer 1: at most one reply is awaited at a time
	respEOF chan struct{}
	closing chan struct{}
	wg      sync.WaitGroup

	faultMu sync.Mutex
	fault   string // a protocol violation that made the client kill the kernel

	closeOnce sync.Once

	// mu serialises requests; Close takes it only if it is free.
	mu     sync.Mutex
	nextID int64

	limitMu  sync.Mutex
	reported sandbox.Outcome // the box's counters when the last cell's limits were taken
}

// Start starts a kernel and waits for its hello message. If ctx ends first
// the process is stopped and ctx's error returned.
func Start(ctx context.Context, cfg *Config) (*Kernel, error) {
	if cfg == nil || cfg.Python == "" {
		return nil, fmt.Errorf("%w: Config.Python is required", ErrStart)
	}
	grace := cfg.Grace
	if grace <= 0 {
		grace = DefaultGrace
	}
	limit := cfg.OutputCap
	if limit <= 0 {
		limit = DefaultOutputCap
	}
	var tok [8]byte
	_, _ = rand.Read(tok[:])
	k := &Kernel{
		grace:   grace,
		token:   hex.EncodeToString(tok[:]),
		out:     newStream(limit),
		errs:    newStream(limit),
		replies: make(chan *reply, 1),
		respEOF: make(chan struct{}),
		closing: make(chan struct{}),
	}
	if err := k.spawn(ctx, cfg); err != nil {
		return nil, err
	}
	if err := k.awaitHello(ctx); err != nil {
		_ = k.Close()
		return nil, err
	}
	k.out.reset()
	k.errs.reset()
	return k, nil
}

func (k *Kernel) spawn(ctx context.Context, cfg *Config) error {
	var fds [8]*os.File // reqR, reqW, respR, respW, outR, outW, errR, errW
	for i := 0; i < 8; i += 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(fds[:i])
			return fmt.Errorf("%w: %w", ErrStart, err)
		}
		fds[i], fds[i+1] = r, w
	}
	cmd := exec.Command(cfg.Python, "-u", "-c", Source)
	cmd.Dir = cfg.Dir
	cmd.Env = kernelEnv(cfg.Env)
	cmd.Stdout, cmd.Stderr = fds[5], fds[7]
	// Requests and replies: fds 3 and 4 on Unix, named handles on Windows.
	intW, childEnds, err := passProtocol(cmd, fds[0], fds[3])
	if err != nil {
		closeAll(fds[:])
		return fmt.Errorf("%w: %w", ErrStart, err)
	}
	if cfg.Sandbox.Enabled() {
		// The wrapper keeps ExtraFiles at their numbers and appends its
		// status pipe (fd 5, not inherited by the kernel), so the
		// protocol's fds 3 and 4 reach kernel.py unchanged.
		box, err := sandbox.Prepare(ctx, cmd, cfg.Sandbox, sandboxOptions(cfg.SandboxOptions))
		if err != nil {
			closeAll(fds[:])
			return fmt.Errorf("%w: confining the kernel: %w", ErrStart, err)
		}
		k.box = box
	}
	p, err := proc.Start(cmd, k.grace)
	closeAll(append([]*os.File{fds[0], fds[3], fds[5], fds[7]}, childEnds...)) // the child's ends
	if err != nil {
		closeAll([]*os.File{fds[1], fds[2], fds[4], fds[6]})
		if intW != nil {
			_ = intW.Close()
		}
		if k.box != nil {
			_ = k.box.Close()
		}
		return fmt.Errorf("%w: %s: %w", ErrStart, cfg.Python, err)
	}
	k.proc, k.PID = p, p.PID
	k.reqW, k.intW = fds[1], intW
	k.pipes = []*os.File{fds[2], fds[4], fds[6]}
	k.wg.Add(3)
	go func() { defer k.wg.Done(); k.readReplies(fds[2]) }()
	go func() { defer k.wg.Done(); k.out.drain(fds[4]) }()
	go func() { defer k.wg.Done(); k.errs.drain(fds[6]) }()
	return nil
}

// kernelVars are the variables kernelEnv adds: they pass a sandbox's
// allow-list, being part of the kernel's contract rather than the server's
// environment.
var kernelVars = []string{"MPLBACKEND=Agg", "PYTHONUNBUFFERED=1", "PYTHONIOENCODING=utf-8:backslashreplace"}

// sandboxOptions returns a copy of opts whose ExplicitEnv includes the
// kernel's own variables.
func sandboxOptions(opts *sandbox.Options) *sandbox.Options {
	o := sandbox.Options{}
	if opts != nil {
		o = *opts
	}
	o.ExplicitEnv = append([]string(nil), o.ExplicitEnv...)
	for _, kv := range kernelVars {
		o.ExplicitEnv = append(o.ExplicitEnv, kv[:strings.IndexByte(kv, '=')])
	}
	return &o
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		if f != nil {
			_ = f.Close()
		}
	}
}

// kernelEnv returns env (os.Environ() if nil) with the variables the
// kernel's contract needs: Agg selected before pyplot loads (spec: plots as
// images), unbuffered Python children so their output interleaves in order,
// and UTF-8 output whatever the locale.
func kernelEnv(env []string) []string {
	if env == nil {
		env = os.Environ()
	}
	out := append([]string(nil), env...)
	for _, kv := range kernelVars {
		key := kv[:strings.IndexByte(kv, '=')+1]
		if !hasKey(out, key) {
			out = append(out, kv)
		}
	}
	return out
}

func hasKey(env []string, prefix string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, prefix) {
			return true
		}
	}
	return false
}

func (k *Kernel) awaitHello(ctx context.Context) error {
	select {
	case m := <-k.replies:
		if m.Op != opHello {
			return fmt.Errorf("%w: expected hello, got %q", ErrProtocol, m.Op)
		}
		if m.Protocol != ProtocolVersion {
			return fmt.Errorf("%w: kernel speaks protocol %d, this client %d", ErrProtocol, m.Protocol, ProtocolVersion)
		}
		k.Python, k.Executable, k.Prefix = m.Python, m.Executable, m.Prefix
		return nil
	case <-k.proc.Done():
		k.proc.Stop()
		k.waitEOF(drainWait)
		stderr, _ := k.errs.take()
		if k.box != nil {
			if err := k.box.SetupErr(); err != nil {
				return fmt.Errorf("%w: %w", ErrStart, err)
			}
			if v := k.Limits(); v != "" {
				return fmt.Errorf("%w: the kernel %s before it was ready (%s): %s", ErrStart, k.exitText(), v, tail(stderr, 2000))
			}
		}
		return fmt.Errorf("%w: the kernel %s before it was ready: %s", ErrStart, k.exitText(), tail(stderr, 2000))
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) > n {
		s = "…" + s[len(s)-n:]
	}
	if s == "" {
		return "(no output)"
	}
	return s
}

// readReplies decodes reply lines until EOF. A line that is not a valid reply
// breaks the protocol: the kernel is stopped and the fault recorded.
func (k *Kernel) readReplies(f *os.File) {
	defer close(k.respEOF)
	r := bufio.NewReaderSize(f, 64<<10)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil {
			return
		}
		m := new(reply)
		if jerr := json.Unmarshal(line, m); jerr != nil {
			k.setFault(fmt.Sprintf("malformed reply (%v)", jerr))
			k.proc.Stop()
			return
		}
		select {
		case k.replies <- m:
		case <-k.closing:
			return
		}
	}
}

func (k *Kernel) setFault(s string) {
	k.faultMu.Lock()
	defer k.faultMu.Unlock()
	if k.fault == "" {
		k.fault = s
	}
}

// Done is closed when the kernel process has exited.
func (k *Kernel) Done() <-chan struct{} { return k.proc.Done() }

// Exited reports whether the kernel process has exited.
func (k *Kernel) Exited() bool {
	select {
	case <-k.proc.Done():
		return true
	default:
		return false
	}
}

// ExitText describes how the kernel ended ("exited with status 3", "killed
// by signal 11 (segmentation fault)"); "" while it runs.
func (k *Kernel) ExitText() string {
	if !k.Exited() {
		return ""
	}
	return k.exitText()
}

func (k *Kernel) exitText() string {
	k.faultMu.Lock()
	fault := k.fault
	k.faultMu.Unlock()
	if fault != "" {
		return "was stopped after a protocol error: " + fault
	}
	<-k.proc.Done()
	code := proc.ExitCode(k.proc.Cmd.ProcessState)
	if code < 0 {
		return fmt.Sprintf("was killed by signal %d (%v)", -code, syscall.Signal(-code))
	}
	return fmt.Sprintf("exited with status %d", code)
}

// send writes one request line.
func (k *Kernel) send(req *request) error {
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	_ = k.reqW.SetWriteDeadline(time.Now().Add(writeWait))
	_, err = k.reqW.Write(append(b, '\n'))
	return err
}

// waitEOF waits up to d for the three pipes to reach EOF.
func (k *Kernel) waitEOF(d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	for _, c := range []<-chan struct{}{k.respEOF, k.out.eof, k.errs.eof} {
		select {
		case <-c:
		case <-t.C:
			return
		}
	}
}

// Close stops the kernel and releases its pipes; it waits for the process
// and the reader goroutines. An idle kernel is asked to shut down and given
// the grace period; a busy one (a cell still running) is stopped at once.
// Close is idempotent and always returns nil.
func (k *Kernel) Close() error {
	k.closeOnce.Do(func() {
		if k.mu.TryLock() {
			if !k.Exited() && k.send(&request{ID: -1, Op: opShutdown}) == nil {
				t := time.NewTimer(k.grace)
				select {
				case <-k.proc.Done():
				case <-t.C:
				}
				t.Stop()
			}
			k.mu.Unlock()
		}
		k.proc.Stop()
		if k.box != nil {
			_ = k.box.Kill() // what left the group but not the cgroup or namespace
		}
		k.waitEOF(drainWait)
		close(k.closing)
		closeAll(k.pipes) // unblocks readers held up by an escaped grandchild
		k.wg.Wait()
		_ = k.reqW.Close()
		if k.intW != nil {
			_ = k.intW.Close()
		}
		if k.box != nil {
			// Removes the cgroups and the private TMPDIR; the counters
			// stay readable for Limits.
			_ = k.box.Close()
		}
	})
	return nil
}

// Confined reports whether the kernel runs under a sandbox (Config.Sandbox
// asked for something).
func (k *Kernel) Confined() bool { return k.box != nil }

// Limits says which of the sandbox's limits the kernel's processes hit
// since the last cell's Result reported them, as [sandbox.Outcome]'s
// sentence ("memory limit (256 MiB) exceeded: the kernel's OOM killer
// ended 1 process of the run"), or "" if none or the kernel is not
// confined. Once the kernel has exited, the limits its exit status shows
// (CPU time, file size) are included. It is meant for a kernel that died
// while idle; Execute reports a cell's own in Result.LimitExceeded.
func (k *Kernel) Limits() string {
	if k.box == nil {
		return ""
	}
	k.limitMu.Lock()
	defer k.limitMu.Unlock()
	return since(k.outcome(), k.reported).String()
}

// takeLimits is Limits, after which the events are reported.
func (k *Kernel) takeLimits() string {
	if k.box == nil {
		return ""
	}
	k.limitMu.Lock()
	defer k.limitMu.Unlock()
	now := k.outcome()
	d := since(now, k.reported)
	k.reported = now
	return d.String()
}

func (k *Kernel) outcome() sandbox.Outcome {
	code := 0
	if k.Exited() {
		code = proc.ExitCode(k.proc.Cmd.ProcessState)
	}
	return k.box.Outcome(code)
}

// since is now with the counters of before taken off: a kernel lives for
// many cells, and each cell answers for its own events.
func since(now, before sandbox.Outcome) sandbox.Outcome {
	d := now
	d.Setup = nil // a kernel that was not confined never said hello
	d.OOMKills -= before.OOMKills
	d.MemoryExceeded = d.MemoryExceeded && d.OOMKills > 0
	d.RefusedForks -= before.RefusedForks
	d.ProcessLimitHit = d.ProcessLimitHit && d.RefusedForks > 0
	return d
}
