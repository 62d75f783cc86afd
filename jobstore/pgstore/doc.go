// Package pgstore keeps pyexec's jobs in PostgreSQL, so that server
// replicas on many machines share them: any replica answers status,
// output, lists, progress and tasks for any job, a cancel sent to any
// replica stops the job on the replica that runs it, and a replica that
// dies has its jobs failed by the others. It implements jobstore.Backend
// (and jobstore.Notifier and jobstore.SessionHomes); mcptools takes it as
// Options.Store:
//
//	st, err := pgstore.Open(ctx, &pgstore.Options{URL: "postgres://pyexec@db/pyexec", Replica: "pod-1"})
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer st.Close() // after the Toolset's Close, which cancels the running jobs
//	ts, err := mcptools.New(ctx, &mcptools.Options{Store: st})
//
// The deployment, the failure cases, the figures and the reasons are in
// docs/scale-out.md. In short:
//
//   - Open creates or migrates the schema (tables pyexec_*; replicas that
//     start together take turns on an advisory lock) and registers the
//     replica.
//   - A job is a row; its logs are rows of chunks appended by one
//     function under the job's row lock (cap and offset in one round
//     trip). A LogWriter sends in the background and gathers what is
//     written meanwhile; Close flushes, so a job's output is complete
//     before its end is recorded.
//   - Each replica renews a lease (Options.Lease) every third of it; every
//     replica fails the live jobs of one whose lease ran out, judged by the
//     database's clock. A replica killed on a machine is reaped (its
//     processes killed, through jobstore.Host) by the next replica that
//     opens on the same machine.
//   - Every change is notified (NOTIFY pyexec_jobs, the job id): OnChange
//     wakes followers — the owner of a cancelled job, a subscription to a
//     job's stream — on every replica.
//   - Every operation retries for Options.RetryFor while the database is
//     unreachable; a job's end that cannot be written then is kept and
//     written by a later heartbeat.
//
// The methods keep the promises jobstore.Backend lists; the test suite of
// jobstore/storetest holds both backends to them. Where this one differs
// from the directory store: Kill reaches processes on this machine only
// (jobstore.ErrElsewhere otherwise: the owner stops its job on seeing the
// cancel); retention (MaxJobs) is applied every 32 jobs a replica creates
// and every heartbeat rather than on each create; AppendLog, unlike a
// LogWriter's Write, may append twice if the connection drops in the
// middle of it.
package pgstore
