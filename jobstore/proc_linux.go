package jobstore

import (
	"bytes"
	"os"
	"strconv"
)

// readProc returns the stat of process pid; an error wrapping fs.ErrNotExist
// means there is no such process.
func readProc(pid int) (procInfo, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procInfo{}, err
	}
	return parseProcStat(b)
}

// readBootID returns the kernel's boot id, or "" if it cannot be read.
func readBootID() string {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return ""
	}
	return string(bytes.TrimSpace(b))
}

// groupMembers lists the live (non-zombie) processes whose process group is
// pgid, by scanning /proc. Processes that vanish during the scan are skipped.
func groupMembers(pgid int) ([]procInfo, error) {
	d, err := os.Open("/proc")
	if err != nil {
		return nil, err
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	var out []procInfo
	for _, n := range names {
		pid, err := strconv.Atoi(n)
		if err != nil {
			continue
		}
		p, err := readProc(pid)
		if err != nil || p.dead() || p.pgrp != pgid {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// procSupported reports whether start times can be read, which every kill
// decision depends on.
const procSupported = true
