package progressfile

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
)

// Env is the environment variable through which a script finds its
// progress file.
const Env = "PYEXEC_PROGRESS_FILE"

// PythonHelper is a dependency-free Python helper for the protocol: paste
// it into a script and call progress(5, 10, "epoch 5/10"). It does nothing
// when Env is not set (outside pyexec).
const PythonHelper = `import json, os
def progress(current, total=0, message=""): os.environ.get("PYEXEC_PROGRESS_FILE") and open(os.environ["PYEXEC_PROGRESS_FILE"], "a").write(json.dumps({"current": current, "total": total, "message": str(message)}) + "\n")
`

// LineMax bounds one line of the progress file; a longer line is ignored.
const LineMax = 4096

// MessageMax bounds the message of a Report, in bytes (valid UTF-8, with
// "…" after a cut): a progress message is a line in a client's status
// display, not a log.
const MessageMax = 700

// Report is one progress report of a script.
type Report struct {
	Current float64 `json:"current"`
	Total   float64 `json:"total"` // 0: unknown
	Message string  `json:"message"`
}

// Parse parses one line of the format; ok is false for a line that is not
// a report (it is then to be ignored).
func Parse(line []byte) (r Report, ok bool) {
	var raw struct {
		Current *float64 `json:"current"`
		Total   float64  `json:"total"`
		Message any      `json:"message"`
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 || len(line) > LineMax || line[0] != '{' {
		return Report{}, false
	}
	if err := json.Unmarshal(line, &raw); err != nil || raw.Current == nil {
		return Report{}, false
	}
	r = Report{Current: *raw.Current, Total: raw.Total}
	if !finite(r.Current) || !finite(r.Total) || r.Total < 0 {
		return Report{}, false
	}
	switch m := raw.Message.(type) {
	case nil:
	case string:
		r.Message = m
	default:
		b, _ := json.Marshal(m)
		r.Message = string(b)
	}
	r.Message = strings.ToValidUTF8(r.Message, "\uFFFD")
	if len(r.Message) > MessageMax {
		r.Message = strings.ToValidUTF8(r.Message[:MessageMax], "") + "…"
	}
	return r, true
}

func finite(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
