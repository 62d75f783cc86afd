package smartasync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/pyexec-mcp/pyexec/smartasync"
)

// A call that finishes within its budget returns the value as if the function
// had been called directly, and leaves no job record.
func Example() {
	store := newMemStore() // in a server: a *jobstore.Store
	r, err := smartasync.NewRunner(&smartasync.Options{Store: store})
	if err != nil {
		panic(err)
	}
	defer r.Close()

	sum := smartasync.New(r, "sum", func(ctx context.Context, progress smartasync.ProgressFunc) (int, error) {
		return 2 + 3, nil
	})
	out, err := sum.Call(context.Background(), smartasync.Call{})
	fmt.Println(out.Done, out.Status, out.Value, err)
	// Output: true completed 5 <nil>
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
	train := smartasync.New(r, "train", func(ctx context.Context, progress smartasync.ProgressFunc) (map[string]float64, error) {
		progress(1, 2, "epoch 1")
		<-release // longer than the budget
		progress(2, 2, "epoch 2")
		return map[string]float64{"loss": 0.25}, nil
	})
	out, err := train.Call(context.Background(), smartasync.Call{Label: "nightly"})
	fmt.Println(out.Done, out.Status, out.JobID, err)

	close(release)
	if err := r.Wait(context.Background(), out.JobID); err != nil {
		panic(err)
	}
	rec, _ := store.get(out.JobID)
	fmt.Println(rec.Label, rec.State, string(rec.Result), rec.Message)
	// Output:
	// false running job-1 <nil>
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

	forever := smartasync.New(r, "wait", func(ctx context.Context, _ smartasync.ProgressFunc) (struct{}, error) {
		<-ctx.Done()
		return struct{}{}, context.Cause(ctx)
	})
	out, err := forever.Call(context.Background(), smartasync.Call{Async: true})
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
