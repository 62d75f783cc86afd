//go:build windows

package proc

import (
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

// KilledExitCode is the exit code of a process ended by Stop, Wait or
// Signal on Windows, where there are no signals: the code os.Process.Kill
// uses too.
const KilledExitCode = 1

// stillActive is GetExitCodeProcess's answer for a process that runs.
const stillActive = 259

// ErrNoSignals is returned by Signal for a signal Windows cannot deliver
// (everything but SIGTERM and SIGKILL, which end the tree) and by KillGroup:
// Windows has no process groups to signal.
var ErrNoSignals = errors.New("proc: signals other than SIGTERM and SIGKILL cannot be sent on windows")

// tree is the job object that holds the child and everything it starts.
// Windows has no process groups that a tree can be killed by; a job object
// is its equivalent, and stricter: a process cannot leave it (no setsid).
//
// The child is assigned to the job before it runs its first instruction:
// it is created suspended (CREATE_SUSPENDED), assigned, then resumed, so no
// grandchild can start outside the job. The alternative,
// PROC_THREAD_ATTRIBUTE_JOB_LIST, would put it in the job at creation, but
// os/exec builds the attribute list itself (its inherited handles) and has
// no field for another attribute: using it means calling CreateProcess
// ourselves and giving up os/exec's pipes, environment and Wait. The cost of
// the suspended start is finding the main thread to resume: os/exec closes
// its handle, so a Toolhelp snapshot names it.
//
// JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE kills the tree when the last handle on
// the job closes: this process holds the only one (not inheritable), so a
// server that dies, however it dies, takes its children with it.
type tree struct {
	mu  sync.Mutex
	job windows.Handle // 0 once closed; guarded by mu
}

func (t *tree) prepare(cmd *exec.Cmd) error {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return fmt.Errorf("proc: creating a job object for %s: %w", cmd.Path, err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		_ = windows.CloseHandle(job)
		return fmt.Errorf("proc: setting kill-on-close on the job object for %s: %w", cmd.Path, err)
	}
	t.job = job
	// CREATE_NEW_PROCESS_GROUP keeps a Ctrl+C in the server's console
	// away from the child, as Setpgid does on Unix; CREATE_NO_WINDOW keeps
	// a console interpreter started by a server without a console (a
	// client's child) from opening a console window of its own. Its
	// stdio are the pipes os/exec gives it either way.
	cmd.SysProcAttr.CreationFlags |= windows.CREATE_SUSPENDED | windows.CREATE_NEW_PROCESS_GROUP | windows.CREATE_NO_WINDOW
	return nil
}

// attach assigns the suspended child to the job, then resumes it.
func (t *tree) attach(cmd *exec.Cmd) error {
	pid := uint32(cmd.Process.Pid)
	// The pid names this child and no other: cmd.Process holds a handle on
	// it until Wait, so it cannot be reused.
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE, false, pid)
	if err != nil {
		return fmt.Errorf("proc: opening process %d of %s: %w", pid, cmd.Path, err)
	}
	defer windows.CloseHandle(h) //nolint:errcheck // a handle we opened
	if err := windows.AssignProcessToJobObject(t.job, h); err != nil {
		return fmt.Errorf("proc: assigning process %d of %s to its job object: %w", pid, cmd.Path, err)
	}
	return resume(pid)
}

// resume resumes the threads of suspended process pid: one, its main thread.
func resume(pid uint32) error {
	snap, err := windows.CreateToolhelp32Snapshot(windows.TH32CS_SNAPTHREAD, 0)
	if err != nil {
		return fmt.Errorf("proc: listing the threads of process %d: %w", pid, err)
	}
	defer windows.CloseHandle(snap) //nolint:errcheck // a handle we opened
	te := windows.ThreadEntry32{Size: uint32(unsafe.Sizeof(windows.ThreadEntry32{}))}
	n := 0
	for err = windows.Thread32First(snap, &te); err == nil; err = windows.Thread32Next(snap, &te) {
		if te.OwnerProcessID != pid {
			continue
		}
		th, err := windows.OpenThread(windows.THREAD_SUSPEND_RESUME, false, te.ThreadID)
		if err != nil {
			return fmt.Errorf("proc: opening thread %d of process %d: %w", te.ThreadID, pid, err)
		}
		_, err = windows.ResumeThread(th)
		_ = windows.CloseHandle(th)
		if err != nil {
			return fmt.Errorf("proc: resuming thread %d of process %d: %w", te.ThreadID, pid, err)
		}
		n++
	}
	if !errors.Is(err, windows.ERROR_NO_MORE_FILES) {
		return fmt.Errorf("proc: listing the threads of process %d: %w", pid, err)
	}
	if n == 0 {
		return fmt.Errorf("proc: process %d has no thread to resume", pid)
	}
	return nil
}

// terminate ends every process of the job; a closed job (the tree is gone)
// is not an error.
func (t *tree) terminate() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job == 0 {
		return nil
	}
	if err := windows.TerminateJobObject(t.job, KilledExitCode); err != nil {
		return fmt.Errorf("proc: terminating a job object: %w", err)
	}
	return nil
}

// reaped ends what is left of the tree once the leader has exited, as Wait
// does on Unix, and closes the job (every process in it is gone by then).
func (t *tree) reaped() {
	_ = t.terminate()
	t.release()
}

func (t *tree) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.job != 0 {
		_ = windows.CloseHandle(t.job)
		t.job = 0
	}
}

// Signal ends the whole tree (its job object) for SIGTERM and SIGKILL
// alike: Windows has no signal a console-less tree can catch, so there is
// no graceful step and Stop's grace period is not waited for. Any other
// signal is ErrNoSignals. A tree that is already gone is not an error.
func (p *Process) Signal(sig syscall.Signal) error {
	switch sig {
	case syscall.SIGTERM, syscall.SIGKILL:
		return p.tree.terminate()
	}
	return fmt.Errorf("proc: %v to process %d: %w", sig, p.PID, ErrNoSignals)
}

// KillGroup returns ErrNoSignals: Windows has no process groups. A tree
// started by Start is ended through its Process.
func KillGroup(pgid int, sig syscall.Signal) error {
	return fmt.Errorf("proc: %v to process group %d: %w", sig, pgid, ErrNoSignals)
}

// Kill terminates process pid alone; a process that is gone is not an
// error.
func Kill(pid int) error {
	if pid <= 0 {
		return errors.New("proc: refusing to kill process " + strconv.Itoa(pid))
	}
	h, err := windows.OpenProcess(windows.PROCESS_TERMINATE, false, uint32(pid))
	if errors.Is(err, windows.ERROR_INVALID_PARAMETER) {
		return nil // no such process
	}
	if err != nil {
		return fmt.Errorf("proc: opening process %d: %w", pid, err)
	}
	defer windows.CloseHandle(h) //nolint:errcheck // a handle we opened
	if err := windows.TerminateProcess(h, KilledExitCode); err != nil && Exists(pid) {
		return fmt.Errorf("proc: terminating process %d: %w", pid, err)
	}
	return nil
}

// Exists reports whether process pid runs. Access denied means it exists
// but is not ours. It cannot tell a reused pid from the original.
func Exists(pid int) bool {
	if pid <= 0 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return errors.Is(err, windows.ERROR_ACCESS_DENIED)
	}
	defer windows.CloseHandle(h) //nolint:errcheck // a handle we opened
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true // it exists: we hold a handle on it
	}
	return code == stillActive
}
