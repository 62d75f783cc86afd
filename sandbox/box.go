package sandbox

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/pyexec-mcp/pyexec/internal/proc"
)

// ExitSetupFailed is the exit code of a run whose wrapper could not
// confine it: the payload never started. [Box.SetupErr] says why.
const ExitSetupFailed = 125

// Options configures [Prepare]. A nil *Options means the defaults.
type Options struct {
	// Python runs the wrapper: an absolute path to a real interpreter (not
	// a pyenv shim). Default: the command itself when its file name starts
	// with "python" (the usual case: the command runs a script).
	Python string
	// ExplicitEnv names the variables the caller passed on purpose (a
	// tool's env_vars, an env_file): they bypass Policy.EnvAllowList.
	ExplicitEnv []string
	// TempDir is where the private temporary directory of a ReadOnlyFS run
	// is created. Default: os.TempDir().
	TempDir string
}

// Box is the confinement of one command, made by [Prepare]. Call
// [Box.Close] once the command has been waited for (or was never
// started); until then the Box holds its cgroups, its temporary directory
// and a pipe. The methods are safe for concurrent use. A Box for a policy
// that asks for nothing is inert: its methods do nothing and report
// nothing.
type Box struct {
	policy  Policy
	enabled bool
	tmp     string   // private TMPDIR of a ReadOnlyFS run
	statusR *os.File // the wrapper's one-line report
	statusW *os.File // its write end, handed to the child as an extra file
	cg      *cgroupSet
	cmd     *exec.Cmd // its Process, once started, is the wrapper

	mu     sync.Mutex
	closed bool
	status []byte
	final  stats // counters read just before the cgroups were removed
}

// stats are the cgroup counters a verdict needs.
type stats struct {
	peak     int64 // peak memory charge in bytes
	peakOK   bool
	oomKills int64 // processes the OOM killer ended
	refused  int64 // forks refused at the pids limit
}

// Prepare confines cmd, which must not have been started, to p: it
// rewrites cmd.Path and cmd.Args to run the payload under a small
// stdlib-only Python wrapper (see the package documentation), filters
// cmd.Env, creates the cgroups and appends one pipe to cmd.ExtraFiles.
// Dir, stdio, SysProcAttr and earlier ExtraFiles are kept and reach the
// payload unchanged; the caller starts cmd as before (in its own process
// group) and then calls [Box.Kill] if it stopped it early, and always
// [Box.Close].
//
// A nil or empty p changes nothing and returns an inert Box. A switch that
// cannot be enforced here is an error (see [Check]), never a silent run
// without it. Prepare is safe for concurrent use.
func Prepare(ctx context.Context, cmd *exec.Cmd, p *Policy, opts *Options) (*Box, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cmd.Process != nil {
		return nil, ErrStarted
	}
	if cmd.Err != nil {
		return nil, cmd.Err
	}
	if !p.Enabled() {
		return &Box{}, nil
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &Options{}
	}
	python := opts.Python
	if python == "" {
		if !strings.HasPrefix(filepath.Base(cmd.Path), "python") {
			return nil, fmt.Errorf("%w: Options.Python is required: the command %q is not a Python interpreter", ErrInvalidPolicy, cmd.Path)
		}
		python = cmd.Path
	}
	pol := *p
	pol.WritableDirs = append([]string(nil), p.WritableDirs...)
	pol.EnvAllowList = append([]string(nil), p.EnvAllowList...)
	if p.EnvAllowList != nil && pol.EnvAllowList == nil {
		pol.EnvAllowList = []string{} // keep "filter everything" distinct from nil
	}
	return prepare(cmd, &pol, opts, python)
}

// Enabled reports whether the Box confines its command (its policy asked
// for something).
func (b *Box) Enabled() bool { return b.enabled }

// TempDir is the private temporary directory of a ReadOnlyFS run (the
// payload's TMPDIR), removed by Close; "" otherwise.
func (b *Box) TempDir() string { return b.tmp }

// CgroupDirs lists the run's cgroup directories (one per hierarchy; none
// without MemoryBytes or MaxProcesses), so that what a run ran in can be
// recorded: a process that outlives the server which started it can then be
// found, and killed, through them (package jobstore does). They exist until
// Close.
func (b *Box) CgroupDirs() []string {
	if b.cg == nil {
		return nil
	}
	return b.cg.paths()
}

// PIDNamespace reports whether the run has a PID namespace of its own: then
// killing the started process (the wrapper) kills every process of the run,
// as the namespace's init dies with it (see the package documentation).
func (b *Box) PIDNamespace() bool { return b.enabled && b.policy.PIDNamespace }

// SetupErr returns a [*SetupError] if the wrapper reported that it could
// not confine the run (the command then exited with ExitSetupFailed and
// the payload never started), else nil. Call it after the command was
// waited for.
func (b *Box) SetupErr() error {
	line := strings.TrimSpace(string(b.readStatus()))
	rest, ok := strings.CutPrefix(line, "error ")
	if !ok {
		return nil
	}
	sw, msg, _ := strings.Cut(rest, "\t")
	return &SetupError{Switch: sw, Message: msg}
}

// Confined reports whether the wrapper finished confining the run and
// started the payload. Call it after the command was waited for.
func (b *Box) Confined() bool {
	return strings.HasPrefix(string(b.readStatus()), "ok")
}

// readStatus collects what the wrapper wrote so far without blocking.
func (b *Box) readStatus() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.statusR == nil || b.closed {
		return b.status
	}
	b.status = append(b.status, drainNonBlocking(b.statusR)...)
	return b.status
}

// PeakMemory returns the peak memory charge of the run's cgroup in bytes:
// the most the tree held at once, counted by the kernel (resident pages,
// page cache it caused, kernel memory), exact rather than sampled. It is
// ErrNotMeasured without a memory limit, and still answers after Close.
func (b *Box) PeakMemory() (int64, error) {
	st := b.stats()
	if !st.peakOK {
		return 0, ErrNotMeasured
	}
	return st.peak, nil
}

func (b *Box) stats() stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed || b.cg == nil {
		return b.final
	}
	return b.cg.stats()
}

// SignalGroup sends sig once to every process of the command's process
// group pgid (the group the caller started it in). Under PIDNamespace the
// group's leader is the wrapper's relay and its child the namespace's init;
// both pass SIGINT and SIGTERM on to the payload, so a signal to the whole
// group would reach the payload up to three times (a late copy of SIGINT
// raised KeyboardInterrupt after the payload had dealt with the first).
// There they are left out and every other member gets sig directly. A
// group that is gone is not an error.
func (b *Box) SignalGroup(pgid int, sig syscall.Signal) error {
	if b.enabled && b.policy.PIDNamespace && signalNamespaceGroup(pgid, sig) {
		return nil
	}
	if err := proc.KillGroup(pgid, sig); err != nil {
		return fmt.Errorf("sandbox: signal group %d: %w", pgid, err)
	}
	return nil
}

// Kill ends every process of the run that the Box can reach: all members
// of its cgroups, or, with PIDNamespace, the namespace (by killing the
// wrapper: the kernel then kills every process in it). Processes that left
// the process group with setsid are included. Without a cgroup or a PID
// namespace Kill does nothing: signalling the process group is the
// caller's job. Kill waits until no live member is left that was not
// already killed, at most 5 s.
func (b *Box) Kill() error {
	if !b.enabled {
		return nil
	}
	var errs []error
	if b.policy.PIDNamespace && b.cmd != nil {
		if p := b.cmd.Process; p != nil {
			if err := p.Signal(syscall.SIGKILL); err != nil && !errors.Is(err, os.ErrProcessDone) {
				errs = append(errs, fmt.Errorf("sandbox: kill the namespace's wrapper: %w", err))
			}
		}
	}
	b.mu.Lock()
	cg := b.cg
	closed := b.closed
	b.mu.Unlock()
	if cg != nil && !closed {
		errs = append(errs, cg.kill())
	}
	return errors.Join(errs...)
}

// Close kills what is left of the run (see Kill), removes its cgroups and
// its temporary directory and closes the status pipe. Call it after the
// command was waited for; the counters for [Box.Outcome] and
// [Box.PeakMemory] are kept. Later calls do nothing.
func (b *Box) Close() error {
	if !b.enabled {
		return nil
	}
	status := b.readStatus()
	killErr := b.Kill()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	b.status = status
	var errs []error
	errs = append(errs, killErr)
	if b.cg != nil {
		b.final = b.cg.stats()
		errs = append(errs, b.cg.remove())
	}
	if b.tmp != "" {
		errs = append(errs, os.RemoveAll(b.tmp))
	}
	if b.statusR != nil {
		b.statusR.Close()
		b.statusW.Close()
	}
	return errors.Join(errs...)
}

// Outcome says which limits the run hit, given the command's exit code
// (the convention of os/exec wrappers in this module: the code, or -N for
// death by signal N). Call it after the command was waited for; it still
// answers after Close.
func (b *Box) Outcome(exitCode int) Outcome {
	o := Outcome{limits: b.policy}
	if !b.enabled {
		return o
	}
	o.Setup = b.SetupErr()
	st := b.stats()
	o.PeakMemory = st.peak
	if b.policy.MemoryBytes > 0 && st.oomKills > 0 {
		o.MemoryExceeded, o.OOMKills = true, st.oomKills
	}
	if b.policy.MaxProcesses > 0 && st.refused > 0 {
		o.ProcessLimitHit, o.RefusedForks = true, st.refused
	}
	o.CPUExceeded = b.policy.CPUSeconds > 0 && exitCode == -sigXCPU
	o.FileSizeExceeded = b.policy.MaxFileBytes > 0 && exitCode == -sigXFSZ
	return o
}

// Verdict is Outcome(exitCode).String(): a sentence for the user when the
// run hit a limit or could not be confined, "" otherwise.
func (b *Box) Verdict(exitCode int) string { return b.Outcome(exitCode).String() }

// Outcome is what a confined run ran into. The zero value means nothing.
type Outcome struct {
	// Setup is a [*SetupError] when the run could not be confined.
	Setup error
	// MemoryExceeded: the tree reached MemoryBytes and the kernel's OOM
	// killer ended OOMKills processes of it.
	MemoryExceeded bool
	OOMKills       int64
	// CPUExceeded: the leader died of SIGXCPU at CPUSeconds.
	CPUExceeded bool
	// FileSizeExceeded: the leader died of SIGXFSZ at MaxFileBytes. Python
	// code gets OSError(EFBIG) instead and fails in its own way.
	FileSizeExceeded bool
	// ProcessLimitHit: RefusedForks attempts to create a process or thread
	// failed at MaxProcesses.
	ProcessLimitHit bool
	RefusedForks    int64
	// PeakMemory is the cgroup's peak charge in bytes; 0 without a memory
	// limit.
	PeakMemory int64

	limits Policy
}

// Hit reports whether the run hit a limit or failed to be confined.
func (o Outcome) Hit() bool {
	return o.Setup != nil || o.MemoryExceeded || o.CPUExceeded || o.FileSizeExceeded || o.ProcessLimitHit
}

// String is one line per event, e.g. "memory limit (64 MiB) exceeded: the
// kernel's OOM killer ended 1 process of the run", or "".
func (o Outcome) String() string {
	var out []string
	if o.Setup != nil {
		out = append(out, o.Setup.Error())
	}
	if o.MemoryExceeded {
		out = append(out, fmt.Sprintf("memory limit (%s) exceeded: the kernel's OOM killer ended %s of the run",
			formatBytes(o.limits.MemoryBytes), plural(o.OOMKills, "process", "processes")))
	}
	if o.CPUExceeded {
		out = append(out, fmt.Sprintf("CPU time limit (%d s) exceeded: the process was killed by SIGXCPU", o.limits.CPUSeconds))
	}
	if o.FileSizeExceeded {
		out = append(out, fmt.Sprintf("file size limit (%s) exceeded: the process was killed by SIGXFSZ", formatBytes(o.limits.MaxFileBytes)))
	}
	if o.ProcessLimitHit {
		out = append(out, fmt.Sprintf("process limit (%d) reached: the kernel refused %s to create a process or thread",
			o.limits.MaxProcesses, plural(o.RefusedForks, "attempt", "attempts")))
	}
	return strings.Join(out, "\n")
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
