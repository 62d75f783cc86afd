package jobstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log"
	"os"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// A job's life: created, running with progress and output, completed with a
// result; another reader follows its output with cursor reads.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "jobstore-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	s, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir}) // nil Options: ~/.python_mcp/jobs
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()

	id, err := s.CreateJob(ctx, "run_script_in_dir", "nightly report")
	if err != nil {
		log.Fatal(err)
	}
	_ = s.SetRunning(ctx, id)
	_ = s.SetProgress(ctx, id, 1, 2, "half way")
	_ = s.AppendLog(ctx, id, jobstore.Stdout, []byte("hello\n"))
	_ = s.AppendLog(ctx, id, jobstore.Stdout, []byte("world\n"))
	_ = s.FinishJob(ctx, id, jobstore.StateCompleted, json.RawMessage(`{"rows":42}`), "")

	j, err := s.Get(ctx, id)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(j.State, j.Progress.Message, string(j.Result)) // completed half way {"rows":42}

	var off int64
	for {
		data, next, done, err := s.ReadLog(ctx, id, jobstore.Stdout, off, 4)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%q ", data)
		off = next
		if done {
			break
		}
	}
	fmt.Println()
	// Output:
	// completed half way {"rows":42}
	// "hell" "o\nwo" "rld\n"
}

// Listing running jobs of one kind, newest first, with the total before the
// limit.
func ExampleStore_List() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "jobstore-example-")
	defer os.RemoveAll(dir)
	s, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for i := range 3 {
		id, _ := s.CreateJob(ctx, "benchmark_script", fmt.Sprintf("run %d", i))
		_ = s.SetRunning(ctx, id)
	}
	jobs, total, err := s.List(ctx, &jobstore.ListOptions{
		States: []jobstore.State{jobstore.StateRunning},
		Kind:   "benchmark_script",
		Limit:  2,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, j := range jobs {
		fmt.Println(j.Label, j.State)
	}
	fmt.Println("total", total)
	// Output:
	// run 2 running
	// run 1 running
	// total 3
}

// Pruning finished jobs, keeping completed ones.
func ExampleStore_Prune() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "jobstore-example-")
	defer os.RemoveAll(dir)
	s, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	for _, st := range []jobstore.State{jobstore.StateCompleted, jobstore.StateFailed, jobstore.StateCancelled} {
		id, _ := s.CreateJob(ctx, "k", "")
		_ = s.FinishJob(ctx, id, st, nil, "")
	}
	_, _ = s.CreateJob(ctx, "k", "still pending")
	removed, remaining, err := s.Prune(ctx, &jobstore.PruneOptions{KeepCompleted: true})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("removed", removed, "remaining", remaining)
	// Output:
	// removed 2 remaining 2
}

// Errors name the bad id and say where the valid ones are.
func ExampleErrNotFound() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "jobstore-example-")
	defer os.RemoveAll(dir)
	s, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer s.Close()
	_, err = s.Get(ctx, "0123456789abcdef")
	fmt.Println(err)
	_, err = s.Get(ctx, "../../etc/passwd")
	fmt.Println(err)
	// Output:
	// jobstore: job "0123456789abcdef" not found (it may have been pruned or discarded); list_jobs shows the valid job ids
	// jobstore: job id "../../etc/passwd" is not valid: ids are 16 lowercase hex characters; list_jobs shows the valid job ids
}

// A listing tool opens the store read-only: it sees the servers' jobs, and
// changes nothing (no recovery, no writes); a mistyped directory is an
// error, not a new empty store.
func ExampleOptions_readOnly() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "jobstore-example-")
	defer os.RemoveAll(dir)
	server, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer server.Close()
	_, _ = server.CreateJob(ctx, "run_script_in_dir", "nightly report")

	lister, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir, ReadOnly: true})
	if err != nil {
		log.Fatal(err)
	}
	defer lister.Close()
	jobs, _, _ := lister.List(ctx, nil)
	fmt.Println(jobs[0].Label, jobs[0].State)
	_, err = lister.CreateJob(ctx, "k", "")
	fmt.Println(errors.Is(err, jobstore.ErrReadOnly))

	_, err = jobstore.Open(ctx, &jobstore.Options{Dir: dir + "-typo", ReadOnly: true})
	fmt.Println(errors.Is(err, fs.ErrNotExist))
	// Output:
	// nightly report pending
	// true
	// true
}
