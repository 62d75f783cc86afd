package sandbox

import (
	"strconv"
	"strings"
)

// This file parses the /proc files that locate cgroups. It has no build
// constraint so that its fuzz tests run everywhere.

// mountEntry is one line of /proc/self/mountinfo (proc(5)).
type mountEntry struct {
	Root       string   // the path within the file system that is mounted
	MountPoint string   // where, in this mount namespace
	FSType     string   // "cgroup", "cgroup2", ...
	SuperOpts  []string // per-superblock options: the v1 controllers
}

// parseMountInfo parses mountinfo; malformed lines are skipped.
func parseMountInfo(data string) []mountEntry {
	var out []mountEntry
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		// ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || len(f) < sep+3 {
			continue
		}
		e := mountEntry{Root: unescapeOctal(f[3]), MountPoint: unescapeOctal(f[4]), FSType: f[sep+1]}
		if len(f) > sep+3 {
			e.SuperOpts = strings.Split(f[sep+3], ",")
		}
		out = append(out, e)
	}
	return out
}

// unescapeOctal undoes the kernel's \ooo escapes of space, tab, newline
// and backslash in mountinfo paths.
func unescapeOctal(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) && isOctal(s[i+1]) && isOctal(s[i+2]) && isOctal(s[i+3]) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isOctal(c byte) bool { return c >= '0' && c <= '7' }

// cgroupLine is one line of /proc/self/cgroup: "ID:CONTROLLERS:PATH".
type cgroupLine struct {
	ID          int
	Controllers []string // empty for the v2 hierarchy (ID 0)
	Path        string
}

// parseCgroupFile parses /proc/self/cgroup; malformed lines are skipped.
func parseCgroupFile(data string) []cgroupLine {
	var out []cgroupLine
	for _, line := range strings.Split(data, "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 || !strings.HasPrefix(parts[2], "/") {
			continue
		}
		id, err := strconv.Atoi(parts[0])
		if err != nil || id < 0 {
			continue
		}
		l := cgroupLine{ID: id, Path: parts[2]}
		if parts[1] != "" {
			l.Controllers = strings.Split(parts[1], ",")
		}
		out = append(out, l)
	}
	return out
}

// cgroupDirs locates this process's own cgroup directory in each
// hierarchy: v1 maps a controller to the directory in the hierarchy that
// has it; v2 is the directory in the unified hierarchy ("" without one).
// A hierarchy mounted with a root that does not contain our cgroup (a
// different cgroup namespace view) is skipped.
func cgroupDirs(mounts []mountEntry, lines []cgroupLine) (v1 map[string]string, v2 string) {
	v1 = map[string]string{}
	for _, l := range lines {
		for _, m := range mounts {
			var ok bool
			switch {
			case l.ID == 0 && len(l.Controllers) == 0:
				ok = m.FSType == "cgroup2"
			case m.FSType == "cgroup":
				ok = len(l.Controllers) > 0 && hasAll(m.SuperOpts, l.Controllers)
			}
			if !ok {
				continue
			}
			rel, within := relativeTo(l.Path, m.Root)
			if !within {
				continue
			}
			dir := strings.TrimSuffix(m.MountPoint, "/") + rel
			if m.FSType == "cgroup2" {
				if v2 == "" {
					v2 = dir
				}
				break
			}
			for _, c := range l.Controllers {
				if _, seen := v1[c]; !seen {
					v1[c] = dir
				}
			}
			break
		}
	}
	return v1, v2
}

// relativeTo returns path below root ("/a/b" under "/a" is "/b", under
// "/" it is "/a/b"; root itself is "") and whether path is within root.
func relativeTo(path, root string) (string, bool) {
	if root == "/" {
		if path == "/" {
			return "", true
		}
		return path, true
	}
	if path == root {
		return "", true
	}
	if rest, ok := strings.CutPrefix(path, root); ok && strings.HasPrefix(rest, "/") {
		return rest, true
	}
	return "", false
}

func hasAll(have, want []string) bool {
	for _, w := range want {
		if !contains(have, w) {
			return false
		}
	}
	return true
}

// keyedValue returns the value of key in a "key value" per line file
// (memory.events, pids.events, memory.oom_control).
func keyedValue(data, key string) (int64, bool) {
	for _, line := range strings.Split(data, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if ok && k == key {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}
