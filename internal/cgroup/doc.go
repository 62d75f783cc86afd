// Package cgroup is the one implementation of what pyexec does to the cgroups
// it creates for sandboxed runs once they must go, whoever does it: the
// sandbox closing a run, the job store recovering the job of a dead server,
// or a server sweeping, at start, what dead servers left behind.
//
//	name, _ := cgroup.NewName() // "pyexec-<pid>-<start time>-<random>"
//	...
//	if err := cgroup.Validate(recorded); err == nil { // a path read from disk
//		_ = cgroup.Kill(recorded)   // SIGKILL to every member, setsid or not
//		_ = cgroup.Remove(recorded) // rmdir, once the kernel lets go of them
//	}
//
// # Names
//
// A run's cgroup is named after the server that made it: its pid, its start
// time (field 22 of /proc/<pid>/stat) and 64 random bits. The random part
// makes the name, and so the path, identify one run for as long as it exists:
// a recorded path can never come to name another run's cgroup. The pid and
// start time let [Sweep] tell a dead server's leftovers from a live server's
// cgroups, even when the pid has been reused since. Names of the earlier
// form "pyexec-<pid>-<random>" are still recognised; their owner counts as
// dead only when no process has its pid.
//
// # Safety
//
// Only directories that [Validate] accepts are ever touched by code that reads
// paths from disk: a clean absolute path below [Root] with no symbolic link,
// whose base name is a pyexec cgroup name, on a cgroup (v1 or v2) file
// system. Kill and Remove themselves trust their caller.
//
// Pid namespaces are not handled: a cgroup's owner pid is read in the pid
// namespace of the process that sweeps, so servers that share a cgroup must
// share a pid namespace (as servers sharing a job store must).
package cgroup
