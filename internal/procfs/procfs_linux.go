package procfs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"syscall"
)

// Buffer sizes for one read. A stat line is at most ~1.2 KB (52 numbers and
// a 16-byte name); a status file is ~1.5 KB unless the process has very many
// supplementary groups, and then the buffer grows.
const (
	statBuf   = 2048
	statusBuf = 4096
)

// ReadStat reads /proc/<pid>/stat. There being no such process is an error
// wrapping [ErrNoProcess]; a zombie is not (see [Stat.Exited]). Every error
// names the pid.
func ReadStat(pid int) (Stat, error) {
	var a [statBuf]byte
	b, err := readPID(pid, "stat", a[:])
	if err != nil {
		return Stat{}, err
	}
	st, err := parseStat(b)
	if err != nil {
		return Stat{}, fmt.Errorf("procfs: /proc/%d/stat: %w", pid, err)
	}
	return st, nil
}

// ReadStatus reads the memory figures of /proc/<pid>/status. There being no
// such process is an error wrapping [ErrNoProcess]; a zombie has a Status
// without memory. Every error names the pid.
func ReadStatus(pid int) (Status, error) {
	var a [statusBuf]byte
	b, err := readPID(pid, "status", a[:])
	if err != nil {
		return Status{}, err
	}
	return parseStatus(b), nil
}

// Alive reports whether process pid is running — it exists and has not
// exited (a zombie has) — and, when start is not 0, is still the process
// that started at start: a pid reused by another process is not alive.
// When it cannot tell (say /proc is unreadable) it returns an error; a
// caller about to fail, kill or remove something on the strength of a dead
// process must then take it as alive.
func Alive(pid int, start uint64) (bool, error) {
	st, err := ReadStat(pid)
	switch {
	case errors.Is(err, ErrNoProcess):
		return false, nil
	case err != nil:
		return false, err
	}
	return !st.Exited() && (start == 0 || st.StartTime == start), nil
}

// Group returns the stat of every process in process group pgid that has
// not exited, in one scan of /proc: the kernel has no index from a group to
// its members, and a walk down from the leader would miss orphans
// re-parented to init, which stay in the group. Processes that vanish
// during the scan are left out. pgid must be positive: group 0 is the
// kernel's threads.
func Group(pgid int) ([]Stat, error) {
	if pgid <= 0 {
		return nil, fmt.Errorf("procfs: process group %d: not a process group", pgid)
	}
	d, err := os.Open("/proc")
	if err != nil {
		return nil, fmt.Errorf("procfs: listing process group %d: %w", pgid, err)
	}
	names, err := d.Readdirnames(-1)
	_ = d.Close()
	if err != nil {
		return nil, fmt.Errorf("procfs: listing process group %d: %w", pgid, err)
	}
	var out []Stat
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || pid <= 0 {
			continue // not a process: self, sys, meminfo, ...
		}
		st, err := ReadStat(pid)
		if err != nil || st.PGID != pgid || st.Exited() {
			continue
		}
		out = append(out, st)
	}
	return out, nil
}

// BootID returns the kernel's boot id (a random UUID chosen at boot), which
// tells whether recorded start times and pids belong to this boot.
func BootID() (string, error) {
	var a [64]byte
	b, err := readFile("/proc/sys/kernel/random/boot_id", a[:])
	if err != nil {
		return "", fmt.Errorf("procfs: reading the boot id: %w", err)
	}
	return string(bytes.TrimSpace(b)), nil
}

// readPID reads /proc/<pid>/<name> into buf, mapping the errors that mean
// there is no such process to ErrNoProcess.
func readPID(pid int, name string, buf []byte) ([]byte, error) {
	if pid <= 0 {
		return nil, fmt.Errorf("procfs: process %d: %w", pid, ErrNoProcess)
	}
	b, err := readFile("/proc/"+strconv.Itoa(pid)+"/"+name, buf)
	switch {
	case err == nil:
		return b, nil
	case errors.Is(err, syscall.ESRCH):
		return nil, fmt.Errorf("procfs: process %d: %w", pid, ErrNoProcess) // reaped mid-read
	case errors.Is(err, syscall.ENOENT) && mounted():
		return nil, fmt.Errorf("procfs: process %d: %w", pid, ErrNoProcess)
	}
	return nil, fmt.Errorf("procfs: reading /proc/%d/%s: %w", pid, name, err)
}

// mounted reports whether /proc is mounted: without it (a bare chroot or
// container) every pid would look gone, and callers would fail the jobs of
// live servers.
func mounted() bool {
	return syscall.Access("/proc/self/stat", 0) == nil
}

// readFile reads a small file into buf, growing it when full. It uses raw
// system calls rather than os.ReadFile, which adds an fstat, an epoll
// registration that fails for /proc files, and a heap-allocated *os.File to
// every read (see "Cost" in the package doc).
func readFile(path string, buf []byte) ([]byte, error) {
	fd, err := ignoringEINTR(func() (int, error) { return syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC, 0) })
	if err != nil {
		return nil, err
	}
	defer syscall.Close(fd)
	n := 0
	for {
		if n == len(buf) {
			buf = append(buf, make([]byte, len(buf))...)
		}
		m, err := ignoringEINTR(func() (int, error) { return syscall.Read(fd, buf[n:]) })
		if err != nil {
			return nil, err
		}
		if m == 0 {
			return buf[:n], nil
		}
		n += m
	}
}

// ignoringEINTR retries fn while it is interrupted by a signal, as package
// os does: Go installs its handlers with SA_RESTART, but not every system
// call honours it.
func ignoringEINTR(fn func() (int, error)) (int, error) {
	for {
		n, err := fn()
		if !errors.Is(err, syscall.EINTR) {
			return n, err
		}
	}
}
