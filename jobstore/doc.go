// Package jobstore keeps durable job records (state, progress, timestamps,
// result, error, process identity) and per-job output logs in a directory
// that several server processes share at once.
//
// A stdio MCP server is started once per client, so one user commonly runs
// several servers over the same data directory (~/.python_mcp by default).
// Each of them may create and update jobs, list them, read their logs and
// cancel them; none may lose another's update, see a torn record, or fail a
// job whose server is still alive.
//
//	s, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir}) // nil Options: ~/.python_mcp/jobs
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer s.Close()
//
//	id, err := s.CreateJob(ctx, "run_script_in_dir", "nightly report")
//	if err != nil {
//		log.Fatal(err)
//	}
//	_ = s.SetRunning(ctx, id)
//	_ = s.SetProgress(ctx, id, 1, 2, "half way")
//	_ = s.AppendLog(ctx, id, jobstore.Stdout, []byte("hello\n"))
//	_ = s.AppendLog(ctx, id, jobstore.Stdout, []byte("world\n"))
//	_ = s.FinishJob(ctx, id, jobstore.StateCompleted, json.RawMessage(`{"rows":42}`), "")
//
//	j, err := s.Get(ctx, id)
//	if err != nil {
//		log.Fatal(err)
//	}
//	fmt.Println(j.State, j.Progress.Message, string(j.Result)) // completed half way {"rows":42}
//
// [Store.List] filters and pages the jobs of every process, [Store.ReadLog]
// reads a log from a byte offset (the examples show both).
//
// # Layout
//
// The store lives in <Dir>/jobs: one JSON file per job (<id>.json), an
// append-only progress file (<id>.progress), two append-only logs
// (<id>.stdout, <id>.stderr), a journal, and 64 lock files under locks/. Ids
// are 16 hex digits, time first, so they sort by creation; every method
// validates them before building a path.
//
// # Why files and not an embedded database
//
// The standard library has no embedded database, and the ones outside it
// (bbolt, SQLite) either take one writer process at a time with a whole-file
// lock or need cgo. One file per job gives what the issue asks directly: an
// update rewrites one small file, or appends a line to one, and touches
// nothing else (O(1) in the number of jobs); a reader opens the job's files
// only; a crashed writer can damage nothing but its own temporary file.
//
// # Crash safety
//
// A record is written to a temporary file and renamed over the old one, so a
// reader, in any process, sees the old or the new version whole. What must
// survive a power loss is how a job ended: the final states (FinishJob),
// SetExitCode and Update fsync the file and the directory before returning.
// The rest does not: creating a job, SetRunning and SetProcess sit on the
// path of every smart-async call (most of which finish in time and discard
// the record), where two fsyncs cost ~0.85 ms each time, and a power loss
// loses nothing they describe — every process of the job is gone with it,
// and a pending or running job of a dead owner is failed by Recover either
// way. A record torn by a power cut reads as corrupt and is skipped.
//
// SetProgress is the hot path and is treated differently: it appends one
// JSON line, tagged with the record's version, to the job's progress file,
// without fsync, and readers apply the last valid line of the current
// version. Rewriting the record instead would cost a rename per update, and
// on ext4 a rename over a file starts writeback of the new data at once
// (auto_da_alloc), 0.1–2 ms on a busy disk; an append costs microseconds.
// The next rewrite of the record folds the progress in, as does compaction
// when the file passes 64 KiB. A process crash (kill -9, panic) loses
// nothing, since completed writes are in the page cache. A power loss may
// lose the latest progress lines and log output (logs are not fsynced
// either), never a record: a torn or zero-filled tail is skipped.
//
// # Sharing between processes
//
// Every read-modify-write of a job (Update and the Set/Finish methods) holds
// an exclusive flock(2) on the job's lock stripe for its duration, so
// concurrent updates from any number of processes serialise and none is
// lost. Lock files are never deleted (deleting one that another process
// waits on would split the lock); 64 stripes bound their number.
//
// Get reads the job's files, so it always sees the latest completed update.
// List, Prune and retention use an in-memory index that each Store keeps up
// to date through the journal: every write appends one 26-byte line naming
// the job, and a Store re-reads only the records named since it last looked.
// The journal is rotated at 1 MiB; a Store that misses more than one
// rotation reloads every record, which costs what Open costs.
//
// # Recovery
//
// Each job records its owner (the creating server's pid, process start time
// and kernel boot id) and, once SetProcess is called, its process (pid,
// process group, start time, boot id, and the cgroups and PID namespace of a
// sandboxed run). Open runs Recover (unless ReadOnly, below): a pending or
// running job whose owner is dead (no such pid, a zombie, a different start
// time, or a different boot) is failed with OwnerDiedMessage after every
// process of it that is left is killed and its cgroups are removed. Jobs of
// live owners are not touched. Start times are field 22 of /proc/<pid>/stat
// (clock ticks since boot), so a pid reused by an unrelated process is never
// taken for the owner.
//
// # Read-only access
//
// A tool that only lists or inspects jobs opens the store with
// Options.ReadOnly:
//
//	lister, err := jobstore.Open(ctx, &jobstore.Options{Dir: dir, ReadOnly: true})
//
// A plain Open is not safe for that: it creates the directory (so a
// mistyped path becomes a fresh, empty store), and it recovers, failing the
// jobs of servers it takes for dead and killing their process groups (issue
// 11). A read-only open does neither: a missing store is an error that names
// the path, nothing is recovered, killed, cleaned up or written — no
// record, no journal line, no lock file — and every method that would change
// the store returns an error wrapping ErrReadOnly that names it. Get, List,
// LogSize and ReadLog work as in any Store and see the writes of other
// processes: List follows their journal, and when a store has no journal
// (a writer makes one on its next write) it loads every record instead. It
// needs no write access to the directory.
//
// # Killing safely
//
// Kill and Recover send SIGKILL to a job's process group only when they can
// tell it is still the job's group. Linux keeps a group id allocated, never
// handing it out as a new pid, while any process is in that group. So:
//   - if the group id is a live (or zombie) pid with the recorded start time,
//     it is the job's leader: the group is killed;
//   - if it is a pid with another start time, the job's group is empty and
//     that pid is someone else's: nothing is killed;
//   - if it is no pid at all, the leader has exited and been reaped, and the
//     group is killed only if every remaining member started no earlier than
//     the recorded leader (grandchildren left behind). The one case this rule
//     cannot exclude needs the group to have emptied, the pid space (32768
//     here) to wrap round to exactly that number, the new process to lead a
//     group and exit before its own children: we accept that risk.
//
// A job whose start time is unknown (0), or that runs without a group of its
// own, is killed only as a single verified pid, and never if it is this
// process or its group.
//
// Processes that left the group (setsid) are reached through the job's
// cgroups and PID namespace, when it has them. Every member of a recorded
// cgroup gets SIGKILL (cgroup.kill on cgroup v2), repeatedly until none is
// new. A cgroup's path names one run for as long as it exists (its name
// carries 64 random bits), so it needs no start-time check; but a record is
// a file on disk, so only a clean path below /sys/fs/cgroup, without
// symbolic links, on a cgroup file system, named pyexec-<pid>-… after the
// job's own owner, is ever acted on. Kill leaves the cgroups to their live
// owner; Recover removes them, as their owner never will. A job in a PID
// namespace is killed through the recorded process (after the start-time
// check above): the namespace's init, and every process in it, dies with
// it. Without either, setsid escapees are out of reach, as they are for the
// executor's own timeouts. Without /proc (non-Linux
// Unix) start times are unknown, liveness falls back to kill(pid, 0), and
// nothing is ever killed. Pid namespaces are not handled: servers sharing a
// data directory must share a pid namespace.
//
// # Retention
//
// At most MaxJobs finished jobs are kept (default DefaultMaxJobs): creating a
// job beyond that removes the oldest finished ones with their logs. Each log
// stream is capped at MaxLogBytes (default DefaultMaxLogBytes); output beyond
// it is dropped and a one-line marker appended. Pending and running jobs are
// never removed; Prune removes finished jobs by age and state on request.
// Open removes temporary files and logs without a record that are older than
// a minute. So the directory is bounded by roughly MaxJobs × (record + two
// capped logs) plus the live jobs.
//
// # Limits
//
// Unix only (flock, process groups). The whole index is held in memory,
// results included, so a Store of 10,000 jobs with large results costs their
// size in memory. Opening such a store reads every record once (about 0.15 s
// for 10,000 here).
package jobstore
