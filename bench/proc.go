package bench

import (
	"bytes"
	"strconv"
)

// procStatus is what the sampler needs from /proc/<pid>/status.
type procStatus struct {
	rss, hwm int64 // bytes
}

// parseStatus reads VmRSS and VmHWM ("VmHWM:\t  1234 kB") from the text of
// /proc/<pid>/status. ok is false for a process without memory (a zombie or
// a kernel thread), whose status has no Vm lines.
func parseStatus(data []byte) (st procStatus, ok bool) {
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		var dst *int64
		switch {
		case bytes.HasPrefix(line, []byte("VmRSS:")):
			dst = &st.rss
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst = &st.hwm
		default:
			continue
		}
		f := bytes.Fields(line)
		if len(f) != 3 || string(f[2]) != "kB" {
			continue
		}
		n, err := strconv.ParseInt(string(f[1]), 10, 64)
		if err != nil || n < 0 || n > maxKB {
			continue
		}
		*dst = n * 1024
		ok = true
	}
	return st, ok
}

// parseStatPgrp returns the process group (field 5) of /proc/<pid>/stat.
// The command name (field 2) is in parentheses and may itself contain
// spaces and ')', so fields are counted from the last ')'.
func parseStatPgrp(data []byte) (int, bool) {
	i := bytes.LastIndexByte(data, ')')
	if i < 0 {
		return 0, false
	}
	// After ") ": state ppid pgrp ...
	f := bytes.Fields(data[i+1:])
	if len(f) < 3 {
		return 0, false
	}
	pgrp, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return 0, false
	}
	return pgrp, true
}
