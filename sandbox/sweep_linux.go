package sandbox

import "github.com/pyexec-mcp/pyexec/internal/cgroup"

// SweepCgroups kills every process in, and removes, the cgroups that dead
// pyexec servers left below this process's own cgroups (a server killed
// with SIGKILL never closes its runs' Boxes): the run cgroups named after a
// server whose pid is gone or now belongs to a process that started at
// another time. Cgroups of live servers, this one included, are never
// touched. It returns how many it removed; the error joins what could not be
// removed. A server calls it once at start (package mcptools does, in New).
// It is safe for concurrent use.
func SweepCgroups() (int, error) {
	h := currentHost()
	parents := []string{h.v2}
	for _, c := range []string{"memory", "pids"} { // the controllers Prepare uses
		parents = append(parents, h.v1[c])
	}
	removed, err := cgroup.Sweep(parents...)
	return len(removed), err
}
