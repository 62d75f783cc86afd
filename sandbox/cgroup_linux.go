package sandbox

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pyexec-mcp/pyexec/internal/cgroup"
)

// cgroupDir is one cgroup created for a run: one in the unified hierarchy
// for every controller it has, else one per v1 hierarchy.
type cgroupDir struct {
	dir    string
	v2     bool
	memory bool // limits memory; has the peak and OOM counters
	pids   bool // limits processes; has the refused-fork counter
}

// cgroupSet is the cgroups of one run. Its methods are safe for
// concurrent use: they only read and write cgroup files.
type cgroupSet struct {
	dirs []cgroupDir
}

// newCgroups creates the run's cgroups with p's limits. On error nothing
// is left behind.
func (h *host) newCgroups(p *Policy) (*cgroupSet, error) {
	var want []string
	if p.MemoryBytes > 0 {
		want = append(want, "memory")
	}
	if p.MaxProcesses > 0 {
		want = append(want, "pids")
	}
	// Named after this server (pid and start time) so that a server
	// starting after it died can sweep what it left (SweepCgroups).
	name, err := cgroup.NewName()
	if err != nil {
		return nil, err
	}
	s := &cgroupSet{}
	byDir := map[string]int{}
	for _, c := range want {
		parent, v2, err := h.cgroupParent(c)
		if err != nil {
			s.remove()
			return nil, &UnavailableError{Switch: controllerSwitch(c), Needs: "a " + c + " cgroup", Err: err}
		}
		if v2 {
			// Children get a controller only if the parent enables it in
			// cgroup.subtree_control; that fails (EBUSY) when the parent
			// holds processes and is not the root: cgroup v2's "no internal
			// processes" rule.
			if err := cgroup.WriteFile(filepath.Join(parent, "cgroup.subtree_control"), "+"+c); err != nil {
				s.remove()
				return nil, &UnavailableError{Switch: controllerSwitch(c),
					Needs: "the cgroup v2 " + c + " controller enabled for child cgroups of " + parent +
						" (run the server in a leaf cgroup whose parent delegates it, e.g. systemd Delegate=yes)", Err: err}
			}
		}
		dir := filepath.Join(parent, name)
		i, ok := byDir[dir]
		if !ok {
			if err := os.Mkdir(dir, 0o755); err != nil {
				s.remove()
				return nil, &UnavailableError{Switch: controllerSwitch(c), Needs: "a " + c + " cgroup", Err: err}
			}
			s.dirs = append(s.dirs, cgroupDir{dir: dir, v2: v2})
			i = len(s.dirs) - 1
			byDir[dir] = i
		}
		if c == "memory" {
			s.dirs[i].memory = true
		} else {
			s.dirs[i].pids = true
		}
	}
	if err := s.setLimits(p); err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

func controllerSwitch(c string) string {
	if c == "memory" {
		return switchMemory
	}
	return switchProcesses
}

func (s *cgroupSet) setLimits(p *Policy) error {
	for _, d := range s.dirs {
		var err error
		switch {
		case d.memory && d.v2:
			err = cgroup.WriteFile(filepath.Join(d.dir, "memory.max"), strconv.FormatInt(p.MemoryBytes, 10))
			if err == nil {
				err = writeOptional(filepath.Join(d.dir, "memory.swap.max"), "0")
			}
		case d.memory:
			err = cgroup.WriteFile(filepath.Join(d.dir, "memory.limit_in_bytes"), strconv.FormatInt(p.MemoryBytes, 10))
			if err == nil {
				// memory+swap: without it, the tree could swap past the limit.
				err = writeOptional(filepath.Join(d.dir, "memory.memsw.limit_in_bytes"), strconv.FormatInt(p.MemoryBytes, 10))
			}
		}
		if err != nil {
			return &UnavailableError{Switch: switchMemory, Needs: "a memory limit on its cgroup", Err: err}
		}
		if d.pids {
			if err := cgroup.WriteFile(filepath.Join(d.dir, "pids.max"), strconv.Itoa(p.MaxProcesses)); err != nil {
				return &UnavailableError{Switch: switchProcesses, Needs: "a process limit on its cgroup", Err: err}
			}
		}
	}
	return nil
}

// joinArgs are the wrapper's cg= options: it writes itself into each
// cgroup.procs before anything else, so the payload never runs outside.
func (s *cgroupSet) joinArgs() []string {
	var out []string
	for _, d := range s.dirs {
		sw := switchProcesses
		if d.memory {
			sw = switchMemory
		}
		out = append(out, "cg="+sw+":"+filepath.Join(d.dir, "cgroup.procs"))
	}
	return out
}

// stats reads the counters a verdict needs.
func (s *cgroupSet) stats() stats {
	var st stats
	for _, d := range s.dirs {
		if d.memory {
			if d.v2 {
				st.peak, st.peakOK = readInt(filepath.Join(d.dir, "memory.peak"))
				st.oomKills = readKeyed(filepath.Join(d.dir, "memory.events"), "oom_kill")
			} else {
				st.peak, st.peakOK = readInt(filepath.Join(d.dir, "memory.max_usage_in_bytes"))
				// oom_kill is there since Linux 4.13. (failcnt is no
				// substitute: it counts every charge that met the limit,
				// including those that reclaim satisfied.)
				st.oomKills = readKeyed(filepath.Join(d.dir, "memory.oom_control"), "oom_kill")
			}
		}
		if d.pids {
			st.refused = readKeyed(filepath.Join(d.dir, "pids.events"), "max")
		}
	}
	return st
}

// paths lists the run's cgroup directories.
func (s *cgroupSet) paths() []string {
	out := make([]string, len(s.dirs))
	for i, d := range s.dirs {
		out[i] = d.dir
	}
	return out
}

// kill sends SIGKILL to every process in the run's cgroups, setsid or not,
// until none is left that was not already killed (cgroup.Kill).
func (s *cgroupSet) kill() error { return cgroup.Kill(s.paths()...) }

// remove kills what is left and removes the cgroups, waiting (bounded) for
// the kernel to let go of exiting members (cgroup.Remove).
func (s *cgroupSet) remove() error { return cgroup.Remove(s.paths()...) }

// writeOptional writes a file that older kernels or configurations lack.
func writeOptional(path, value string) error {
	if err := cgroup.WriteFile(path, value); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}

func readKeyed(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	n, _ := keyedValue(string(b), key)
	return n
}
