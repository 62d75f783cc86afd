package bench

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
)

//go:embed reaper.py
var reaperSource string

// maxReportSize bounds what Report reads; a real report is ~200 bytes plus
// an exec error message.
const maxReportSize = 64 << 10

// ReaperArgv returns the command line that runs argv under the reaper:
// python -I -S -c <source> <reportFD> argv.... The reaper looks argv[0] up
// in PATH as execvp does, with the environment the reaper is given.
//
// -I keeps the user's directory and PYTHON* variables out of the reaper (a
// json.py next to the script cannot shadow the stdlib); -S skips site, which
// keeps it at ~8 MiB. The caller must pass the write end of a pipe as
// reportFD (exec.Cmd.ExtraFiles[i] is fd 3+i) and read it after the reaper
// exits; [NewReaper] does all of this.
func ReaperArgv(python string, reportFD int, argv []string) []string {
	out := make([]string, 0, 6+len(argv))
	out = append(out, python, "-I", "-S", "-c", reaperSource, strconv.Itoa(reportFD))
	return append(out, argv...)
}

// Reaper is the report channel of one command run under the reaper. Create
// it with [NewReaper] before Start and call Report after Wait. It is not
// safe for concurrent use.
type Reaper struct {
	r, w *os.File
	once sync.Once
	rep  Report
	err  error
}

// NewReaper rewrites cmd, which must not have been started, to run under the
// reaper interpreted by python (an absolute path to a real interpreter, not
// a pyenv shim). cmd.Path becomes the payload's argv[0], so the payload is
// the file exec.Command resolved; Dir, Env, stdio and SysProcAttr are kept
// and the payload inherits them through the reaper. One extra file is
// appended to cmd.ExtraFiles.
//
// The reaper ignores SIGINT and SIGTERM so that it survives to report; its
// payload does not. Signal the process group (Setpgid) rather than
// cmd.Process, which is the reaper: exec.CommandContext's default Cancel
// (Kill of cmd.Process only) would orphan the payload.
//
// After cmd.Wait call [Reaper.Report]. If Report is never called (Start
// failed, say), call [Reaper.Close].
func NewReaper(cmd *exec.Cmd, python string) (*Reaper, error) {
	if cmd.Process != nil {
		return nil, ErrStarted
	}
	if cmd.Err != nil {
		return nil, cmd.Err
	}
	if len(cmd.Args) == 0 {
		return nil, fmt.Errorf("bench: command has no Args")
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("bench: report pipe: %w", err)
	}
	fd := 3 + len(cmd.ExtraFiles)
	cmd.ExtraFiles = append(cmd.ExtraFiles, w)
	argv := append([]string{cmd.Path}, cmd.Args[1:]...)
	cmd.Path = python
	cmd.Args = ReaperArgv(python, fd, argv)
	return &Reaper{r: r, w: w}, nil
}

// Report reads and parses the reaper's report. Call it after cmd.Wait (it
// blocks until the reaper has exited); later calls return the same result.
// It closes the pipe. ErrNoReport means the reaper died before reporting,
// typically of SIGKILL.
func (r *Reaper) Report() (Report, error) {
	r.once.Do(func() {
		r.w.Close() // the child has its own copy; ours would keep EOF away
		data, err := io.ReadAll(io.LimitReader(r.r, maxReportSize))
		r.r.Close()
		if err != nil {
			r.err = fmt.Errorf("bench: reading reaper report: %w", err)
			return
		}
		r.rep, r.err = ParseReport(data)
	})
	return r.rep, r.err
}

// Close releases the report pipe without reading it. It is safe to call
// after Report and more than once.
func (r *Reaper) Close() error {
	r.once.Do(func() {
		r.w.Close()
		r.r.Close()
		r.err = ErrNoReport
	})
	return nil
}
