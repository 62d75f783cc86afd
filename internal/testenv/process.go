package testenv

import (
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/proc"
	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

// Alive reports whether pid exists and is not a zombie. Without /proc
// (macOS, Windows) it asks the system whether the pid exists, so that a
// test of a killed tree asserts something there too.
func Alive(pid int) bool {
	alive, err := procfs.Alive(pid, 0)
	if errors.Is(err, procfs.ErrUnsupported) {
		return proc.Exists(pid)
	}
	return alive
}

// RequireGone fails the test unless every pid is gone within a few seconds
// (a process tree that is being killed); a survivor is killed so that it does
// not outlive the test.
func RequireGone(t testing.TB, pids ...int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for Alive(pid) {
			if time.Now().After(deadline) {
				_ = proc.Kill(pid)
				t.Fatalf("process %d survived", pid)
			}
			time.Sleep(5 * time.Millisecond) // a polling interval with a deadline
		}
	}
}

// PollUntil polls cond every few milliseconds until it holds, and fails the
// test if it does not within a minute (a generous bound: machines are shared
// and slow; a test that passes never waits for it).
func PollUntil(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond) // a polling interval, not a wait for the condition
	}
}

// LoopbackListener listens on the host's loopback until the test ends,
// accepting and closing every connection, and returns its port and a
// counter of the connections it accepted: the host service a confined run
// must not reach.
func LoopbackListener(t testing.TB) (port int, accepted *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testenv: listen on loopback: %v", err)
	}
	accepted = new(atomic.Int64)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			c.Close()
		}
	}()
	t.Cleanup(func() { ln.Close(); <-done })
	return ln.Addr().(*net.TCPAddr).Port, accepted
}
