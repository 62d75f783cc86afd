package procfs

import (
	"bytes"
	"strconv"
)

// Stat is what pyexec reads from /proc/<pid>/stat (proc(5)). The zero value
// describes no process.
//
// The command name (field 2) is left out: nobody needs it, and copying it
// would cost an allocation per process in every [Group] scan.
type Stat struct {
	PID   int  // field 1
	State byte // field 3: R, S, D, T, t, I, Z (zombie), X or x (dead), ...
	PPID  int  // field 4: the parent
	PGID  int  // field 5: the process group
	// StartTime is field 22: when the process started, in clock ticks
	// since boot. With the pid it names one process across pid reuse.
	StartTime uint64
}

// Exited reports whether the process has exited: a zombie waiting to be
// reaped, or one being reaped. It holds no memory and runs no code.
func (s Stat) Exited() bool { return s.State == 'Z' || s.State == 'X' || s.State == 'x' }

// Status is what pyexec reads from /proc/<pid>/status: the memory figures
// bench samples. The zero value reports no memory.
type Status struct {
	// VmRSS is the resident set size and VmHWM its peak (the high-water
	// mark), in bytes.
	VmRSS, VmHWM int64
	// HasMemory reports whether the file had either figure: it has not for
	// a zombie or a kernel thread, which have no memory of their own.
	HasMemory bool
}

// maxKB bounds a parsed kB figure so that ×1024 cannot overflow int64
// (1 EiB: no machine has that much memory).
const maxKB = 1 << 50

// parseStat parses the text of /proc/<pid>/stat. The command name (field 2)
// may hold spaces and ')', so fields are counted from the last ')': nothing
// after the name can contain one.
func parseStat(b []byte) (Stat, error) {
	open := bytes.IndexByte(b, '(')
	end := bytes.LastIndexByte(b, ')')
	if open < 0 || end < open {
		return Stat{}, errMalformed
	}
	var st Stat
	var err error
	if st.PID, err = strconv.Atoi(string(bytes.TrimSpace(b[:open]))); err != nil {
		return Stat{}, errMalformed
	}
	rest := b[end+1:]
	var f []byte
	for n := 3; n <= 22; n++ {
		if f, rest = nextField(rest); f == nil {
			return Stat{}, errMalformed // truncated
		}
		switch n {
		case 3:
			if len(f) != 1 || !isLetter(f[0]) {
				return Stat{}, errMalformed
			}
			st.State = f[0]
		case 4:
			st.PPID, err = strconv.Atoi(string(f))
		case 5:
			st.PGID, err = strconv.Atoi(string(f))
		case 22:
			st.StartTime, err = strconv.ParseUint(string(f), 10, 64)
		}
		if err != nil {
			return Stat{}, errMalformed
		}
	}
	return st, nil
}

// nextField returns the first space-separated field of b and what follows
// it, or nil when b holds no more fields. Unlike bytes.Fields it allocates
// nothing, which matters to Group (see "Cost" in the package doc).
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	j := i
	for j < len(b) && !isSpace(b[j]) {
		j++
	}
	if i == j {
		return nil, nil
	}
	return b[i:j], b[j:]
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' }

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// parseStatus reads VmRSS and VmHWM ("VmHWM:\t  1234 kB") from the text of
// /proc/<pid>/status; a line that does not parse is skipped.
func parseStatus(data []byte) Status {
	var st Status
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
			dst = &st.VmRSS
		case bytes.HasPrefix(line, []byte("VmHWM:")):
			dst = &st.VmHWM
		default:
			continue
		}
		num, unit := nextField(line[len("VmRSS:"):])
		unit, tail := nextField(unit)
		if extra, _ := nextField(tail); extra != nil || string(unit) != "kB" {
			continue
		}
		n, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil || n < 0 || n > maxKB {
			continue
		}
		*dst = n * 1024
		st.HasMemory = true
	}
	return st
}
