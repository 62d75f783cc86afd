// Package procfs is the one reader of Linux /proc in pyexec: a process's
// stat (state, parent, process group, start time), its memory figures from
// status, the members of a process group, and the kernel's boot id (issue
// 11: these were parsed in four places, each with its own reading of the
// command-name field).
//
//	st, err := procfs.ReadStat(pid)
//	if err != nil {
//		return err // errors.Is(err, procfs.ErrNoProcess): it is gone
//	}
//	identity := [2]uint64{uint64(pid), st.StartTime} // survives pid reuse
//	members, _ := procfs.Group(st.PGID)             // one scan of /proc
//
// # Identity
//
// A pid alone does not name a process: the kernel hands it out again once
// the process is reaped. A pid with its start time (field 22 of
// /proc/<pid>/stat, clock ticks since boot) does, within one boot;
// [BootID] tells boots apart. [Alive] checks the pair, which is what the job
// store (owners of jobs) and package cgroup (owners of run cgroups) ask
// before they fail, kill or remove anything.
//
// # Parsing
//
// The command name (field 2) is in parentheses and may itself hold spaces
// and ')' (prctl(PR_SET_NAME) accepts any bytes but NUL), so fields are
// counted from the last ')' of the line, never by splitting the whole line.
// The fuzz tests build lines with such names.
//
// # Cost
//
// bench's sampler calls [Group] and [ReadStatus] for every member about 20
// times a second, and Group reads the stat of every process on the machine.
// Files are read with raw open/read/close into a stack buffer, without an
// *os.File (which would add an fstat, a failing epoll registration and
// allocations per file), and lines are parsed without splitting them into
// slices. gopsutil, which the module has for comparisons, is not used: it
// exposes neither the process group, nor start times in ticks, nor VmHWM,
// and reads 5-16× slower (bench's BenchmarkScan*).
//
// # Other systems
//
// Only Linux has this /proc. Elsewhere every function returns an error
// wrapping [ErrUnsupported]; the parsers themselves are portable.
package procfs
