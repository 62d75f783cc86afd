//go:build linux

package bench

import (
	"os"
	"strconv"
)

// groupScan is one look at every member of a process group.
type groupScan struct {
	rss     int64 // sum of the members' VmRSS
	hwm     int64 // largest VmHWM of a member
	members int
}

// scanner reads /proc. Its buffer is reused across ticks; it belongs to the
// sampler's goroutine.
type scanner struct {
	buf []byte
}

func newScanner() *scanner { return &scanner{buf: make([]byte, 4096)} }

// scan finds the members of process group pgid by reading every
// /proc/<pid>/stat (the kernel has no pgid-to-pids index, and a walk from
// the leader would miss orphans re-parented to init, which stay in the
// group), then reads each member's status. Processes that vanish mid-scan
// are skipped. Benchmarks (BenchmarkScan*) compare this with gopsutil.
func (s *scanner) scan(pgid int, exclude map[int]bool) (groupScan, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return groupScan{}, err
	}
	names, err := d.Readdirnames(-1)
	d.Close()
	if err != nil {
		return groupScan{}, err
	}
	var g groupScan
	for _, name := range names {
		pid, err := strconv.Atoi(name)
		if err != nil || exclude[pid] {
			continue
		}
		stat, ok := s.read("/proc/" + name + "/stat")
		if !ok {
			continue
		}
		if pgrp, ok := parseStatPgrp(stat); !ok || pgrp != pgid {
			continue
		}
		status, ok := s.read("/proc/" + name + "/status")
		if !ok {
			continue
		}
		st, ok := parseStatus(status)
		if !ok {
			continue // zombie: exited, waiting to be reaped
		}
		g.members++
		g.rss += st.rss
		g.hwm = max(g.hwm, st.hwm)
	}
	return g, nil
}

// read returns the contents of a small /proc file in s.buf, growing it as
// needed; ok is false if the file is gone.
func (s *scanner) read(path string) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	n := 0
	for {
		if n == len(s.buf) {
			s.buf = append(s.buf, make([]byte, len(s.buf))...)
		}
		m, err := f.Read(s.buf[n:])
		n += m
		if err != nil || m == 0 {
			return s.buf[:n], n > 0
		}
	}
}
