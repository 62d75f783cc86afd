package sandbox

import (
	"fmt"
	"path/filepath"
	"strings"
)

// The switches by the JSON names that errors and verdicts use.
const (
	switchMemory     = "memory_bytes"
	switchCPU        = "cpu_seconds"
	switchProcesses  = "max_processes"
	switchFileSize   = "max_file_bytes"
	switchNoNetwork  = "no_network"
	switchReadOnlyFS = "read_only_fs"
	switchPIDNS      = "pid_namespace"
	switchEnv        = "env_allow_list"
)

// Policy is the containment one run asks for. The zero value (and a nil
// *Policy) asks for nothing: [Prepare] then leaves the command alone. Every
// non-zero field is a promise: [Prepare] fails with an error naming the
// field rather than run without it. A Policy is plain data, safe to share
// between goroutines once built; JSON names are those of the MCP tools.
type Policy struct {
	// MemoryBytes caps the memory of the whole process tree (resident
	// pages, page cache it causes, kernel memory; no swap) with a cgroup.
	// Above it the kernel's OOM killer ends a process of the run.
	MemoryBytes int64 `json:"memory_bytes,omitempty"`
	// CPUSeconds caps the CPU time of each process (RLIMIT_CPU): SIGXCPU
	// at the limit, SIGKILL one second later. It is per process, not per
	// tree; the run's timeout and MaxProcesses bound the rest.
	CPUSeconds int `json:"cpu_seconds,omitempty"`
	// MaxProcesses caps the number of processes and threads alive at once
	// in the tree (the cgroup pids controller): fork and thread creation
	// fail with EAGAIN above it.
	MaxProcesses int `json:"max_processes,omitempty"`
	// MaxFileBytes caps the size of any file a process writes
	// (RLIMIT_FSIZE): the write fails with EFBIG (Python ignores SIGXFSZ).
	// Pipes, and so the run's captured output, are not files.
	MaxFileBytes int64 `json:"max_file_bytes,omitempty"`
	// NoNetwork runs the tree in a new network namespace with only a
	// loopback interface, which is up: no route out, and nothing of the
	// host's loopback (its listeners, its abstract UNIX sockets) reachable.
	NoNetwork bool `json:"no_network,omitempty"`
	// ReadOnlyFS makes the whole file system read-only for the tree, in a
	// private mount namespace, except WritableDirs, a private temporary
	// directory (TMPDIR) and a private /dev/shm. The command's working
	// directory is writable only if it is (inside) one of WritableDirs:
	// list it there to let the run write to it.
	ReadOnlyFS bool `json:"read_only_fs,omitempty"`
	// WritableDirs are more directories that stay writable under
	// ReadOnlyFS (absolute paths of existing directories; symlinks are
	// resolved). Setting them without ReadOnlyFS is an error.
	WritableDirs []string `json:"writable_dirs,omitempty"`
	// PIDNamespace runs the tree in a new PID namespace whose init is the
	// wrapper: when the run ends, or its leader is killed, the kernel kills
	// every process in it, including those that called setsid. The tree
	// sees only its own processes in /proc.
	PIDNamespace bool `json:"pid_namespace,omitempty"`
	// EnvAllowList, when not nil, is the list of environment variables the
	// tree may see: exact names, or prefixes ending in "*" ("LC_*").
	// Variables named in Options.ExplicitEnv pass too. An empty non-nil
	// list passes only those. nil means no filtering; see
	// [DefaultEnvAllowList].
	EnvAllowList []string `json:"env_allow_list,omitempty"`
}

// Enabled reports whether p asks for anything at all.
func (p *Policy) Enabled() bool {
	return p != nil && (p.MemoryBytes != 0 || p.CPUSeconds != 0 || p.MaxProcesses != 0 ||
		p.MaxFileBytes != 0 || p.NoNetwork || p.ReadOnlyFS || len(p.WritableDirs) != 0 ||
		p.PIDNamespace || p.EnvAllowList != nil)
}

// Switches returns the JSON names of the switches p turns on, in field
// order, for logs and results.
func (p *Policy) Switches() []string {
	if p == nil {
		return nil
	}
	var out []string
	add := func(on bool, name string) {
		if on {
			out = append(out, name)
		}
	}
	add(p.MemoryBytes != 0, switchMemory)
	add(p.CPUSeconds != 0, switchCPU)
	add(p.MaxProcesses != 0, switchProcesses)
	add(p.MaxFileBytes != 0, switchFileSize)
	add(p.NoNetwork, switchNoNetwork)
	add(p.ReadOnlyFS, switchReadOnlyFS)
	add(p.PIDNamespace, switchPIDNS)
	add(p.EnvAllowList != nil, switchEnv)
	return out
}

// validate checks what does not depend on the machine.
func (p *Policy) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidPolicy, fmt.Sprintf(format, args...))
	}
	switch {
	case p.MemoryBytes < 0:
		return bad("memory_bytes is %d; use a positive size, or 0 for no limit", p.MemoryBytes)
	case p.MemoryBytes > 0 && p.MemoryBytes < MinMemoryBytes:
		return bad("memory_bytes is %d; the interpreter alone needs more, use at least %d (%s)", p.MemoryBytes, int64(MinMemoryBytes), formatBytes(MinMemoryBytes))
	case p.CPUSeconds < 0:
		return bad("cpu_seconds is %d; use a positive number, or 0 for no limit", p.CPUSeconds)
	case p.MaxProcesses < 0:
		return bad("max_processes is %d; use a positive number, or 0 for no limit", p.MaxProcesses)
	case p.MaxFileBytes < 0:
		return bad("max_file_bytes is %d; use a positive size, or 0 for no limit", p.MaxFileBytes)
	case len(p.WritableDirs) > 0 && !p.ReadOnlyFS:
		return bad("writable_dirs is set but read_only_fs is not; everything is writable without it")
	}
	for _, name := range p.EnvAllowList {
		if name == "" || strings.ContainsAny(name, "=\x00") || strings.Contains(strings.TrimSuffix(name, "*"), "*") {
			return bad("env_allow_list entry %q is not a variable name or a NAME* prefix", name)
		}
	}
	return nil
}

// MinMemoryBytes is the smallest MemoryBytes a Policy accepts: a Python
// interpreter with the wrapper needs about 10 MiB before the script runs.
const MinMemoryBytes = 16 << 20

// DefaultEnvAllowList returns a new copy of the variables a script
// usually needs and a server's secrets usually are not: the search path,
// the user, the locale, the terminal, the time zone and Python's own I/O
// settings. Use it as Policy.EnvAllowList and add what a run needs.
func DefaultEnvAllowList() []string {
	return []string{
		"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "LC_*", "TERM", "TZ",
		"PYTHONUNBUFFERED", "PYTHONIOENCODING", "PYTHONUTF8", "VIRTUAL_ENV",
	}
}

// FilterEnv returns the entries of env ("NAME=value") whose name is on
// allow (exact names, or prefixes ending in "*") or in explicit. A nil
// allow returns env unchanged. Entries without "=" are dropped when
// filtering. FilterEnv does not modify env.
func FilterEnv(env, allow, explicit []string) []string {
	if allow == nil {
		return env
	}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, ok := strings.Cut(kv, "=")
		if ok && (allowed(name, allow) || contains(explicit, name)) {
			out = append(out, kv)
		}
	}
	return out
}

func allowed(name string, allow []string) bool {
	for _, a := range allow {
		if prefix, ok := strings.CutSuffix(a, "*"); ok {
			if strings.HasPrefix(name, prefix) {
				return true
			}
		} else if a == name {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// formatBytes renders n exactly in the largest binary unit that divides
// it: "64 MiB", "1536 MiB", "1000 bytes".
func formatBytes(n int64) string {
	units := []string{"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	i := 0
	for n != 0 && n%1024 == 0 && i < len(units)-1 {
		n /= 1024
		i++
	}
	return fmt.Sprintf("%d %s", n, units[i])
}

// Inside reports whether path is dir or lies below it, both made absolute
// and with symlinks resolved where they exist: the test of whether a
// directory is covered by one of WritableDirs, and of whether a writable
// directory would expose one that must stay read-only.
func Inside(path, dir string) bool {
	real := func(p string) string {
		if abs, err := filepath.Abs(p); err == nil {
			p = abs
		}
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		return p
	}
	rel, err := filepath.Rel(real(dir), real(path))
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
