package jobstore

import (
	"bytes"
	"errors"
	"strconv"
)

// procInfo is what the store needs from /proc/<pid>/stat.
type procInfo struct {
	state byte   // R, S, D, Z, X, ...
	pgrp  int    // process group id
	start uint64 // start time in clock ticks since boot
}

// dead reports whether the process has exited (zombie or being reaped).
func (p procInfo) dead() bool { return p.state == 'Z' || p.state == 'X' || p.state == 'x' }

var errProcStat = errors.New("jobstore: malformed /proc stat line")

// parseProcStat parses the contents of /proc/<pid>/stat. The command name in
// parentheses may itself contain spaces and parentheses, so fields are
// counted from the last ')'.
func parseProcStat(b []byte) (procInfo, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procInfo{}, errProcStat
	}
	f := bytes.Fields(b[i+1:])
	// f[0] is field 3 (state); field n is f[n-3]. starttime is field 22.
	if len(f) < 20 || len(f[0]) != 1 {
		return procInfo{}, errProcStat
	}
	pgrp, err := strconv.Atoi(string(f[2]))
	if err != nil {
		return procInfo{}, errProcStat
	}
	start, err := strconv.ParseUint(string(f[19]), 10, 64)
	if err != nil {
		return procInfo{}, errProcStat
	}
	return procInfo{state: f[0][0], pgrp: pgrp, start: start}, nil
}
