package jobstore

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// The test binary doubles as the helper processes of the multi-process
// tests: with helperEnv set, TestMain runs the named helper instead of the
// tests.
const (
	helperEnv    = "JOBSTORE_TEST_HELPER"
	helperDirEnv = "JOBSTORE_TEST_DIR"
	helperArgEnv = "JOBSTORE_TEST_ARG"
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(helperEnv); mode != "" {
		os.Exit(runHelper(mode))
	}
	code := m.Run()
	removeFixtures()
	if code == 0 {
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			code = 1
		}
	}
	os.Exit(code)
}

func runHelper(mode string) int {
	ctx := context.Background()
	var err error
	switch mode {
	case "sleep":
		// Block until killed. (A bare select{} could be reported as a
		// deadlock by the runtime; a pending timer never is.)
		for {
			time.Sleep(time.Hour)
		}
	case "owner":
		err = helperOwner(ctx)
	case "spawner":
		err = helperSpawner()
	case "churn":
		err = helperChurn(ctx)
	case "writer":
		err = helperWriter(ctx)
	default:
		err = platformHelper(ctx, mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "helper:", err)
		return 1
	}
	return 0
}

// sleeperCmd returns a command running the test binary as a process that
// blocks until killed.
func sleeperCmd(newGroup bool) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"=sleep")
	cmd.SysProcAttr = groupAttr(newGroup)
	return cmd
}

// helperOwner creates a running job whose process is a sleeper in its own
// group, reports "<id> <pgid>", and then waits to be killed.
func helperOwner(ctx context.Context) error {
	s, err := Open(ctx, &Options{Dir: os.Getenv(helperDirEnv)})
	if err != nil {
		return err
	}
	id, err := s.CreateJob(ctx, "test", "owned by helper")
	if err != nil {
		return err
	}
	child := sleeperCmd(true)
	if err := child.Start(); err != nil {
		return err
	}
	if err := s.SetRunning(ctx, id); err != nil {
		return err
	}
	if err := s.SetProcess(ctx, id, Process{PID: child.Process.Pid, PGID: child.Process.Pid}); err != nil {
		return err
	}
	fmt.Printf("%s %d\n", id, child.Process.Pid)
	for {
		time.Sleep(time.Hour) // until killed
	}
}

// helperSpawner starts a sleeper in its own process group, prints its pid,
// and exits, leaving the sleeper behind as an orphan in the caller's group.
func helperSpawner() error {
	child := sleeperCmd(false)
	if err := child.Start(); err != nil {
		return err
	}
	fmt.Println(child.Process.Pid)
	return nil
}

// helperChurn creates JOBSTORE_TEST_ARG jobs and drives each through its
// life, incrementing the shared counter job JOBSTORE_TEST_COUNTER once per
// progress update, and prints the ids of the jobs it completed.
func helperChurn(ctx context.Context) error {
	n, err := strconv.Atoi(os.Getenv(helperArgEnv))
	if err != nil {
		return err
	}
	counter := os.Getenv("JOBSTORE_TEST_COUNTER")
	s, err := Open(ctx, &Options{Dir: os.Getenv(helperDirEnv), MaxJobs: -1})
	if err != nil {
		return err
	}
	defer s.Close()
	for i := range n {
		if err := churnOne(ctx, s, counter, i); err != nil {
			return err
		}
		if _, _, err := s.List(ctx, &ListOptions{Limit: 5}); err != nil {
			return err
		}
	}
	_, _, err = s.List(ctx, nil)
	return err
}

const churnSteps = 3

func churnOne(ctx context.Context, s *Store, counter string, i int) error {
	id, err := s.CreateJob(ctx, "churn", fmt.Sprintf("job %d of pid %d", i, os.Getpid()))
	if err != nil {
		return err
	}
	if err := s.SetRunning(ctx, id); err != nil {
		return err
	}
	for step := range churnSteps {
		if err := s.SetProgress(ctx, id, float64(step+1), churnSteps, "step"); err != nil {
			return err
		}
		if _, err := s.Update(ctx, counter, func(j *Job) error {
			j.Progress.Current++
			return nil
		}); err != nil {
			return err
		}
	}
	res, _ := json.Marshal(map[string]any{"pid": os.Getpid(), "i": i})
	if err := s.FinishJob(ctx, id, StateCompleted, res, ""); err != nil {
		return err
	}
	fmt.Println(id)
	return nil
}

// helperCmd returns a command that runs helper mode against dir.
func helperCmd(t *testing.T, mode, dir string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir)
	cmd.Env = append(cmd.Env, env...)
	cmd.Stderr = os.Stderr
	return cmd
}

// openT opens a store in dir for a test and closes it at cleanup.
func openT(t *testing.T, dir string, opts *Options) *Store {
	t.Helper()
	if opts == nil {
		opts = &Options{}
	}
	o := *opts
	o.Dir = dir
	s, err := Open(t.Context(), &o)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}
