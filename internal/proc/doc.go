// Package proc runs a child process so that its whole tree can be stopped,
// and stops it. It is the one place in pyexec that knows how a process tree
// is ended (docs/design.md §3: killing only the direct child orphans uv's
// Python and any subprocess children, and an orphan holding a pipe makes
// Wait hang).
//
// # Unix (Linux, macOS)
//
// The child leads its own process group; Stop sends the group SIGTERM, waits
// a grace period, then sends SIGKILL.
//
// # Windows
//
// The child is created suspended, put in a job object of its own and then
// resumed, so everything it starts is in the job (proc_windows.go says why
// this way). Stop terminates the job at once: Windows has no signal a
// console-less tree could catch, so there is no grace period. The job is
// killed when the server holding it dies (JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE).
// Signals other than SIGTERM and SIGKILL are ErrNoSignals, and there are no
// process groups to signal (KillGroup).
package proc
