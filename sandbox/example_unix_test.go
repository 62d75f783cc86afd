//go:build unix

package sandbox_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"syscall"

	"github.com/pyexec-mcp/pyexec/sandbox"
)

// Confine one script: memory and process limits, no network, a read-only
// file system but for the workspace, a PID namespace, and only
// the usual environment variables. Not run as a test: it needs an
// interpreter and root; sandbox_linux_test.go runs the same steps.
func ExamplePrepare() {
	python := "/usr/bin/python3" // a real interpreter, not a pyenv shim
	policy := &sandbox.Policy{
		MemoryBytes:  256 << 20,
		MaxProcesses: 64,
		NoNetwork:    true,
		ReadOnlyFS:   true,
		WritableDirs: []string{"/srv/workspace"},
		PIDNamespace: true,
		EnvAllowList: sandbox.DefaultEnvAllowList(),
	}
	cmd := exec.Command(python, "job.py")
	cmd.Dir = "/srv/workspace" // writable: listed in WritableDirs
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	box, err := sandbox.Prepare(context.Background(), cmd, policy, nil)
	if err != nil {
		fmt.Println(err) // e.g. "sandbox: no_network needs ...": never run unconfined
		return
	}
	defer box.Close()
	exitCode := 0 // the exit code, or -N for death by signal N
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			fmt.Println(err)
			return
		}
		exitCode = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			exitCode = -int(ws.Signal())
		}
	}
	_ = box.Kill() // anything left, setsid or not
	if v := box.Verdict(exitCode); v != "" {
		fmt.Println(v) // "memory limit (256 MiB) exceeded: ..."
	}
	if peak, err := box.PeakMemory(); err == nil {
		fmt.Printf("peak memory: %d MiB\n", peak>>20)
	}
}
