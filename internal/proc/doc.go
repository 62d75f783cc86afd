// Package proc runs a child process in its own process group and stops the
// whole group: SIGTERM, a grace period, then SIGKILL. It is the one place in
// pyexec that knows how a process tree is ended (docs/design.md §3: killing only the
// direct child orphans uv's Python and any subprocess children, and an orphan
// holding a pipe makes Wait hang).
package proc
