package mcptools

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"os"
	"strings"
	"time"
)

// ProgressFileEnv is the environment variable through which a script run by
// the execution tools finds its progress file. A script reports progress by
// appending JSON lines to that file:
//
//	{"current": 5, "total": 10, "message": "epoch 5/10"}
//
// current is required; total (0 or absent: unknown) and message are
// optional. The last complete line wins. Reports show in py_job_status (and
// py_list_jobs) and, while a client waits on the call, as MCP progress
// notifications. Lines that are not such JSON objects are ignored, as is
// anything beyond ProgressLineMax bytes on one line. The file is private to
// the run and removed afterwards.
//
// A plain file is used rather than a pipe so that a script that never
// reports progress costs nothing, a script that reports while nobody reads
// never blocks, and a subprocess of the script can report too (it inherits
// the variable). The two-line helper for Python is PythonProgressHelper.
const ProgressFileEnv = "PYEXEC_PROGRESS_FILE"

// PythonProgressHelper is a dependency-free Python helper for the progress
// protocol (see ProgressFileEnv); paste it into a script and call
// progress(5, 10, "epoch 5/10"). It does nothing outside pyexec.
const PythonProgressHelper = `import json, os
def progress(current, total=0, message=""): os.environ.get("PYEXEC_PROGRESS_FILE") and open(os.environ["PYEXEC_PROGRESS_FILE"], "a").write(json.dumps({"current": current, "total": total, "message": str(message)}) + "\n")
`

// ProgressLineMax bounds one line of the progress file.
const ProgressLineMax = 4096

// progressPoll is how often the progress file is checked for new lines. A
// stat of an unchanged file costs about a microsecond.
const progressPoll = 100 * time.Millisecond

// scriptProgress is one report of a script.
type scriptProgress struct {
	Current float64 `json:"current"`
	Total   float64 `json:"total"`
	Message string  `json:"message"`
}

// parseProgressLine parses one line of the progress protocol.
func parseProgressLine(line []byte) (scriptProgress, bool) {
	var raw struct {
		Current *float64 `json:"current"`
		Total   float64  `json:"total"`
		Message any      `json:"message"`
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || len(line) > ProgressLineMax || line[0] != '{' {
		return scriptProgress{}, false
	}
	if err := json.Unmarshal(line, &raw); err != nil || raw.Current == nil {
		return scriptProgress{}, false
	}
	sp := scriptProgress{Current: *raw.Current, Total: raw.Total}
	if !finite(sp.Current) || !finite(sp.Total) || sp.Total < 0 {
		return scriptProgress{}, false
	}
	switch m := raw.Message.(type) {
	case nil:
	case string:
		sp.Message = m
	default:
		b, _ := json.Marshal(m)
		sp.Message = string(b)
	}
	sp.Message = strings.ToValidUTF8(sp.Message, "\uFFFD")
	if len(sp.Message) > liveMsgBytes {
		sp.Message = strings.ToValidUTF8(sp.Message[:liveMsgBytes], "") + "…"
	}
	return sp, true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }

// progressTail follows a progress file and reports its last valid line.
type progressTail struct {
	f       *os.File
	off     int64
	partial []byte
	skip    bool // discarding the rest of an over-long line
	on      func(scriptProgress)
	stop    chan struct{}
	done    chan struct{}
}

// tailProgress follows the file at path (which must exist) until the
// returned stop function is called; stop reads what is left and returns
// once the follower has ended. on is called from the follower goroutine.
func tailProgress(path string, on func(scriptProgress)) (stop func(), err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	t := &progressTail{f: f, on: on, stop: make(chan struct{}), done: make(chan struct{})}
	go t.run()
	return func() {
		close(t.stop)
		<-t.done
	}, nil
}

func (t *progressTail) run() {
	defer close(t.done)
	defer t.f.Close()
	tick := time.NewTicker(progressPoll)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			t.read()
			return
		case <-tick.C:
			t.read()
		}
	}
}

// read consumes the new bytes of the file, 64 KiB at a time, and reports
// the last valid line among them.
func (t *progressTail) read() {
	var (
		last  scriptProgress
		found bool
		buf   = make([]byte, 64<<10)
	)
	for range 64 { // at most 4 MiB a poll: a flooding script cannot stall us
		n, err := t.f.ReadAt(buf, t.off)
		t.off += int64(n)
		data := buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				t.keep(data)
				break
			}
			line := data[:i]
			data = data[i+1:]
			if t.skip {
				t.skip = false
				continue
			}
			if len(t.partial) > 0 {
				line = append(t.partial, line...)
				t.partial = t.partial[:0]
			}
			if sp, ok := parseProgressLine(line); ok {
				last, found = sp, true
			}
		}
		if err == io.EOF || n < len(buf) {
			break
		}
	}
	if found {
		t.on(last)
	}
}

// keep holds an unfinished line, or starts skipping it if it is too long.
func (t *progressTail) keep(data []byte) {
	if t.skip {
		return
	}
	if len(t.partial)+len(data) > ProgressLineMax {
		t.partial, t.skip = t.partial[:0], true
		return
	}
	t.partial = append(t.partial, data...)
}
