package smartasync_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// A SmartAsync is made once, like a river worker, and called with each
// call's input. A call that finishes within its budget returns the value as
// if the function had been called directly, and leaves no job record.
func Example() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "smartasync-example-")
	defer os.RemoveAll(dir)
	store, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir})
	if err != nil {
		log.Fatal(err)
	}
	defer store.Close()

	r, err := smartasync.NewRunner(&smartasync.Options{Store: store}) // budget: 20 s
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close() // cancels the live jobs and waits until they are recorded

	type pair struct{ A, B int }
	sum := smartasync.New(r, "sum", func(ctx context.Context, job *smartasync.Job[pair]) (int, error) {
		job.Progress(1, 1, "adding") // to the Store, and to a caller still waiting
		return job.Input.A + job.Input.B, nil
	})
	for _, in := range []pair{{2, 3}, {40, 2}} {
		out, err := sum.Call(ctx, in, smartasync.Call{Label: "sum"})
		if err != nil {
			log.Fatal(err) // the work's own error, or the Store's
		}
		if out.Done {
			fmt.Println(out.Status, out.Value) // within the budget
		} else {
			fmt.Println(out.JobID, out.Status, out.Message) // the work goes on as a job
		}
	}
	// Output:
	// completed 5
	// completed 42
}

// A call that outlives its budget returns a job id; the work continues in the
// background and its value is stored as JSON.
func ExampleSmartAsync_Call_background() {
	store := newMemStore()
	r, err := smartasync.NewRunner(&smartasync.Options{Store: store, Budget: 10 * time.Millisecond})
	if err != nil {
		panic(err)
	}
	defer r.Close()

	release := make(chan struct{})
	train := smartasync.New(r, "train", func(ctx context.Context, job *smartasync.Job[int]) (map[string]float64, error) {
		for epoch := 1; epoch <= job.Input; epoch++ {
			if epoch == 2 {
				<-release // longer than the budget
			}
			job.Progress(float64(epoch), float64(job.Input), fmt.Sprintf("epoch %d", epoch))
		}
		return map[string]float64{"loss": 0.25}, nil
	})
	// Progress reaches the waiting caller too (say, an MCP client), until
	// the call returns.
	seen := make(chan string, 1)
	out, err := train.Call(context.Background(), 2, smartasync.Call{Label: "nightly",
		Progress: func(_, _ float64, msg string) {
			select {
			case seen <- msg:
			default:
			}
		}})
	fmt.Println(out.Done, out.Status, out.JobID, <-seen, err)

	close(release)
	if err := r.Wait(context.Background(), out.JobID); err != nil {
		panic(err)
	}
	rec, _ := store.get(out.JobID)
	fmt.Println(rec.Label, rec.State, string(rec.Result), rec.Message)
	// Output:
	// false running job-1 epoch 1 <nil>
	// nightly completed {"loss":0.25} epoch 2
}

// Async mode returns a pending job at once; Cancel stops it.
func ExampleRunner_Cancel() {
	store := newMemStore()
	r, err := smartasync.NewRunner(&smartasync.Options{Store: store})
	if err != nil {
		panic(err)
	}
	defer r.Close()

	forever := smartasync.New(r, "wait", func(ctx context.Context, _ *smartasync.Job[struct{}]) (struct{}, error) {
		<-ctx.Done()
		return struct{}{}, context.Cause(ctx)
	})
	out, err := forever.Call(context.Background(), struct{}{}, smartasync.Call{Async: true})
	fmt.Println(out.Status, err)

	res, err := r.Cancel(context.Background(), out.JobID)
	fmt.Println(res.Status, err)

	_, err = r.Cancel(context.Background(), out.JobID)
	fmt.Println(err)
	// Output:
	// pending <nil>
	// cancelled <nil>
	// smartasync: job not running in this process: job "job-1"
}

func ExampleParseBudget() {
	for _, s := range []string{"", "20", "2.5", "1m30s", "0"} {
		d, err := smartasync.ParseBudget(s) // e.g. os.Getenv(smartasync.BudgetEnv)
		if err != nil {
			fmt.Printf("%q: error\n", s)
			continue
		}
		fmt.Printf("%q: %v\n", s, d)
	}
	// Output:
	// "": 20s
	// "20": 20s
	// "2.5": 2.5s
	// "1m30s": 1m30s
	// "0": error
}
