// Package headtail keeps the head and the tail of output within a fixed
// budget and says how much of the middle it dropped, so that a child that
// prints gigabytes costs the server its cap and no more. It is the one
// implementation of the "… N bytes omitted (bytes A–B) …" rule for run output
// (executor), kernel cells (internal/kernel), tool responses (mcptools) and
// install logs (session).
package headtail
