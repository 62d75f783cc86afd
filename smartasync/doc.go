// Package smartasync runs a function under a time budget: the caller gets the
// function's value if it finishes within the budget, and otherwise a job id
// while the function keeps running as a background job recorded in a Store.
// A SmartAsync is made once, like a river worker, and called with each
// call's input:
//
//	store, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer store.Close()
//
//	r, err := smartasync.NewRunner(&smartasync.Options{Store: store}) // budget: 20 s
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer r.Close() // cancels the live jobs and waits until they are recorded
//
//	type pair struct{ A, B int }
//	sum := smartasync.New(r, "sum", func(ctx context.Context, job *smartasync.Job[pair]) (int, error) {
//		job.Progress(1, 1, "adding") // to the Store, and to a caller still waiting
//		return job.Input.A + job.Input.B, nil
//	})
//	for _, in := range []pair{{2, 3}, {40, 2}} {
//		out, err := sum.Call(ctx, in, smartasync.Call{Label: "sum"})
//		if err != nil {
//			log.Fatal(err) // the work's own error, or the Store's
//		}
//		if out.Done {
//			fmt.Println(out.Status, out.Value) // within the budget
//		} else {
//			fmt.Println(out.JobID, out.Status, out.Message) // the work goes on as a job
//		}
//	}
//
// (Example runs these steps; the other examples show a call that outlives
// its budget, Call.Async and Runner.Cancel.)
//
// # Calls and jobs
//
// Every call gets a job record when it starts (Store.CreateJob), so the work
// knows its id from the first instruction (Job.ID) and can write its output to
// the job's logs at once. Then:
//
//   - the work finishes within the budget (Options.Budget, default 20 s;
//     Call.Budget per call): Call returns the value and error exactly as
//     the work returned them, and the record is discarded just after, off
//     the call's path (a listing made at that instant may still show it);
//   - the budget runs out first: Call returns {job_id, status running,
//     message} and the work goes on; its value is stored as JSON with state
//     completed, its error as failed;
//   - Call.Async: Call returns {job_id, status pending} at once.
//
// States are jobstore's (jobstore.State): one vocabulary for the store, this
// package and the MCP tools. Options.MaxConcurrent can bound the number of
// running work functions; the others stay pending. Messages say what
// happened, not how to follow a job: that is the tool layer's to add.
//
// # Cancellation
//
// The work's context keeps the request's values but not its cancellation: a
// client that cancels during the budget phase gets the job id back (nil error)
// and the work continues as a recorded job, never as an untracked goroutine.
// The work is cancelled only by Runner.Cancel (context cause ErrCancelled,
// state "cancelled") or Runner.Close (cause ErrClosed, state "cancelled" with
// the message "server shutting down"). Runner.Cancel waits until the work has
// returned, so work that kills its process tree before returning (as the
// executor does) leaves nothing behind. Cancelling a finished or unknown job
// is a no-op that returns ErrNotRunning.
//
// # Progress and failures
//
// Job.Progress never blocks; the latest value is written to the Store at
// most once per Options.ProgressInterval and always when the job ends, and
// while a Call waits every value also goes to its Call.Progress. A panic in the work becomes a failed job whose error holds the
// panic value and the stack. Store errors after CreateJob are logged to
// Options.Logger, never returned: the caller's outcome does not depend on them.
//
// # Ownership
//
// A Runner owns every goroutine it starts: Close cancels the live jobs and
// waits for them to be recorded. One Runner serves any number of SmartAsync
// wrappers of different value types.
package smartasync
