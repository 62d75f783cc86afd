package proc_test

import (
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pyexec-mcp/pyexec/internal/proc"
)

// helperEnv makes the test binary a helper process instead of running the
// tests (see helper): the trees of tree_test.go are made of the test binary
// itself, so that they need no shell and run on every platform.
const helperEnv = "PYEXEC_PROC_TEST_HELPER"

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(helper(mode))
	}
	goleak.VerifyTestMain(m)
}

// helper runs as a child process:
//
//   - "sleep": sleeps five minutes (the tests kill it long before);
//   - "tree": starts a "sleep" grandchild, prints its pid, then sleeps;
//   - "orphan": starts a "sleep" grandchild, prints its pid and exits;
//   - "server": starts a "tree" with proc.Start, prints the pids of its
//     child and grandchild, then sleeps (a server that is then killed).
func helper(mode string) int {
	switch mode {
	case "server":
		return server()
	case "sleep":
		time.Sleep(5 * time.Minute)
		return 0
	case "tree", "orphan":
		gc := helperCmd("sleep")
		if err := gc.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		fmt.Println(gc.Process.Pid)
		if mode == "tree" {
			time.Sleep(5 * time.Minute)
		}
		return 0
	}
	fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
	return 2
}

func server() int {
	cmd := helperCmd("tree")
	out, err := cmd.StdoutPipe()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	p, err := proc.Start(cmd, time.Second)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	var gc int
	if _, err := fmt.Fscan(out, &gc); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	fmt.Println(p.PID, gc)
	time.Sleep(5 * time.Minute)
	return 0
}

// helperCmd is the test binary started as helper mode.
func helperCmd(mode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	return cmd
}
