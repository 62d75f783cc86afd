package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/forward"
	"github.com/pyexec-mcp/pyexec/internal/kernel"
	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// session is one named session. The holder of its turn (acquire) runs its
// operations; fields that List reads are also guarded by m.mu.
type session struct {
	id   string
	m    *Manager
	turn chan struct{} // buffer 1: holding it is the session's turn

	// Guarded by the turn.
	dir      string // the session's directory under DataDir, "" until needed
	lastExit string // how the previous kernel ended, if it was lost

	// Guarded by m.mu (and written only by the turn's holder).
	k        *kernel.Kernel
	venv     string
	packages map[string]Package // by normalised name
	count    int
	created  time.Time
	lastUsed time.Time
	busy     bool
	removed  bool
	hist     history
}

func (s *session) infoLocked() Info {
	info := Info{ID: s.id, Created: s.created, LastUsed: s.lastUsed, Busy: s.busy, ExecutionCount: s.count, Venv: s.venv}
	if s.k != nil && !s.k.Exited() {
		info.KernelPID, info.Python = s.k.PID, s.k.Python
	}
	for _, p := range s.packages {
		info.Packages = append(info.Packages, p)
	}
	sortPackages(info.Packages)
	return info
}

func (s *session) currentKernel() *kernel.Kernel {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.k
}

func (s *session) setKernel(k *kernel.Kernel) {
	s.m.mu.Lock()
	s.k = k
	s.count = 0
	s.m.mu.Unlock()
}

// stopKernel closes the kernel, if any, and forgets it.
func (s *session) stopKernel() {
	if k := s.currentKernel(); k != nil {
		_ = k.Close()
		s.setKernel(nil)
	}
	s.lastExit = ""
}

func (s *session) removeDir() {
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
		s.dir = ""
	}
}

// opContext returns ctx that also ends when the Manager closes, for work
// that Close must abort (uv runs, kernel starts).
func (s *session) opContext(ctx context.Context) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancelCause(ctx)
	stop := context.AfterFunc(s.m.ctx, func() { cancel(ErrClosed) })
	return ctx, func() { stop(); cancel(nil) }
}

func (s *session) execute(ctx context.Context, code string, cell *CellOptions) (*CellResult, error) {
	res := &CellResult{}
	c := s.m.cfg
	opts := &kernel.ExecOptions{MaxImages: c.MaxImages, MaxImageBytes: c.MaxImageBytes, ValueCap: c.OutputCap}
	// The kernel's pipe readers call opts.Stdout and Stderr with a lock
	// held; the queues take the caller's writers off them (CellOptions).
	var live []*forward.Writer
	for _, w := range []struct {
		to   *io.Writer
		from io.Writer
	}{{&opts.Stdout, cell.Stdout}, {&opts.Stderr, cell.Stderr}} {
		if w.from != nil {
			f := forward.New(w.from, DefaultLiveBuffer, false)
			live = append(live, f)
			*w.to = f
		}
	}
	closeLive := func() {
		for _, f := range live {
			lost, _ := f.Close() // a failing writer does not fail the cell
			res.Dropped += lost
		}
		live = nil
	}
	defer closeLive() // Close is idempotent; this covers the early returns
	started := time.Now()
	var kr *kernel.Result
	for attempt := 1; ; attempt++ {
		k, err := s.kernel(ctx, res)
		if err != nil {
			return nil, err
		}
		cellCtx, cancel := ctx, context.CancelFunc(func() {})
		if cell.Timeout > 0 {
			cellCtx, cancel = context.WithTimeout(ctx, cell.Timeout)
		}
		started = time.Now()
		kr, err = k.Execute(cellCtx, code, opts)
		cancel()
		if err == nil {
			break
		}
		// The kernel exited between the check in s.kernel and the request;
		// the next round reports that and starts a new one.
		if attempt == 3 {
			return nil, fmt.Errorf("%w: kernels keep exiting before they run a cell (%w)", ErrKernelStart, err)
		}
	}
	closeLive()
	fillResult(res, kr)
	res.TimedOut = kr.Interrupted && ctx.Err() == nil
	if kr.Killed || kr.Died {
		res.StateLost, res.KernelDied, res.KernelExit = true, kr.Died, kr.Exit
		exit := kr.Exit
		if kr.Died && kr.LimitExceeded != "" {
			exit += " (" + oneLine(kr.LimitExceeded) + ")"
			res.Notes = append(res.Notes, "the session's kernel died: "+oneLine(kr.LimitExceeded)+"; its state is lost; the next call starts a new kernel")
		} else {
			res.Notes = append(res.Notes, "the session's state was lost; the next call starts a new kernel")
		}
		s.lostKernel(exit)
	} else {
		s.m.mu.Lock()
		s.count = kr.Count
		s.m.mu.Unlock()
	}
	h := historyCell(code, started, res, kr)
	res.Outputs = slices.Clone(h.Outputs) // the history keeps its own
	s.m.mu.Lock()
	s.hist.add(h, c.MaxHistory, c.MaxHistoryBytes)
	s.m.mu.Unlock()
	switch {
	case s.m.ctx.Err() != nil:
		return res, ErrClosed
	case kr.Interrupted && ctx.Err() != nil:
		return res, fmt.Errorf("%w: the cell was interrupted: %w", ErrCancelled, context.Cause(ctx))
	}
	return res, nil
}

func fillResult(res *CellResult, kr *kernel.Result) {
	res.Stdout, res.Stderr = kr.Stdout, kr.Stderr
	res.StdoutOmitted, res.StderrOmitted = kr.StdoutOmitted, kr.StderrOmitted
	res.Value, res.ImagesOmitted, res.Interrupted = kr.Value, kr.ImagesOmitted, kr.Interrupted
	res.Data = kr.Data
	res.Notes = append(res.Notes, kr.Notes...)
	res.ExecutionCount, res.Elapsed = kr.Count, kr.Elapsed
	res.LimitExceeded = kr.LimitExceeded
	if kr.Error != nil {
		res.Error = &CellError{Type: kr.Error.Type, Message: kr.Error.Message, Traceback: kr.Error.Traceback}
	}
	for _, im := range kr.Images {
		res.Images = append(res.Images, Image{MIME: im.MIME, Data: im.Data})
	}
}

// lostKernel forgets a kernel that died or was killed, remembering how.
func (s *session) lostKernel(exit string) {
	if k := s.currentKernel(); k != nil {
		_ = k.Close()
	}
	s.setKernel(nil)
	s.lastExit = exit
}

// kernel returns the session's running kernel, starting one if there is none
// or the last one has exited; res gets notes about a replaced kernel.
func (s *session) kernel(ctx context.Context, res *CellResult) (*kernel.Kernel, error) {
	if k := s.currentKernel(); k != nil {
		if !k.Exited() {
			return k, nil
		}
		// Died while idle (killed from outside, a limit hit by a thread or
		// child of an earlier cell, or one that called os._exit): this call
		// reports it.
		exit := k.ExitText()
		if lim := k.Limits(); lim != "" {
			res.LimitExceeded = lim
			exit += " (" + oneLine(lim) + ")"
		}
		exit += " while idle"
		s.lostKernel(exit)
		res.StateLost, res.KernelExit = true, "the previous kernel "+exit
		res.Notes = append(res.Notes, "the previous kernel "+exit+"; the session's state was lost and this cell ran in a new kernel")
	} else if s.lastExit != "" {
		res.Notes = append(res.Notes, "this cell ran in a new kernel (the previous one "+s.lastExit+")")
		s.lastExit = ""
	}
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	if s.venvDir() == "" && len(s.m.cfg.StartupPackages) > 0 {
		ir, err := s.installLocked(ctx, s.m.cfg.StartupPackages)
		if err != nil {
			return nil, fmt.Errorf("installing StartupPackages: %w", err)
		}
		res.Notes = append(res.Notes, "installed the startup packages: "+formatPackages(ir.Requested))
	}
	k, err := s.startKernel(ctx)
	if err != nil {
		return nil, err
	}
	return k, nil
}

func (s *session) venvDir() string {
	s.m.mu.Lock()
	defer s.m.mu.Unlock()
	return s.venv
}

func (s *session) startKernel(ctx context.Context) (*kernel.Kernel, error) {
	c := s.m.cfg
	python := c.Python
	env := kernelEnv(c.Env)
	if venv := s.venvDir(); venv != "" {
		python = pyfind.VenvPython(venv)
		env = uvcmd.Activate(env, venv)
	}
	kc := &kernel.Config{Python: python, Dir: c.WorkspaceDir, Env: env, Grace: c.Grace, OutputCap: c.OutputCap}
	if c.kernelPolicy != nil {
		kc.Sandbox = c.kernelPolicy
		kc.SandboxOptions = &sandbox.Options{Python: c.Python, ExplicitEnv: explicitEnv(c.Env)}
	}
	k, err := kernel.Start(ctx, kc)
	if err != nil {
		if errors.Is(context.Cause(ctx), ErrClosed) {
			return nil, ErrClosed
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w while starting the kernel: %w", ErrCancelled, context.Cause(ctx))
		}
		return nil, fmt.Errorf("%w: %w", ErrKernelStart, err)
	}
	s.m.mu.Lock()
	closed := s.m.closed
	if !closed {
		s.k, s.count = k, 0
		s.hist.kernelStarted()
	}
	s.m.mu.Unlock()
	if closed { // Close has already swept the kernels
		_ = k.Close()
		return nil, ErrClosed
	}
	return k, nil
}

// kernelEnv is the server's environment without the variables that would
// point the kernel at another environment, plus extra.
func kernelEnv(extra []string) []string {
	env := make([]string, 0, len(os.Environ())+len(extra)+2)
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME", "PYTHONPATH":
		default:
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// explicitEnv names the variables a kernel sees whatever the sandbox's
// allow-list says: Options.Env, given on purpose, and what the session
// sets itself (PATH and VIRTUAL_ENV point subprocesses at the venv).
func explicitEnv(extra []string) []string {
	names := []string{"PATH", "VIRTUAL_ENV"}
	for _, kv := range extra {
		name, _, _ := strings.Cut(kv, "=")
		names = append(names, name)
	}
	return names
}

// oneLine joins the lines of an outcome's sentences with "; ".
func oneLine(s string) string { return strings.ReplaceAll(s, "\n", "; ") }
