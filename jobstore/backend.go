package jobstore

import (
	"context"
	"encoding/json"
	"io"
)

// Backend is a job store: durable job records, progress and logs that
// every server process using it sees. Two implement it: *Store, a
// directory that the server processes of one machine share (the embedded
// default), and jobstore/pgstore, a PostgreSQL database that server
// replicas on many machines share (docs/scale-out.md). Both pass the same
// test suite (jobstore/storetest), so a caller written against Backend
// gets the same promises from either:
//
//   - a job's end is durable before anyone can see it, and a final state
//     never changes (the first finisher wins; later ones get ErrFinished);
//   - updates from any number of processes are never lost;
//   - ids are ValidID's form and sort by creation; List is newest first;
//   - logs are append-only byte streams read by offset, capped per
//     stream with a marker, complete before the job's end is visible; a
//     LogWriter keeps its own writes in order and has them all in the
//     store when Close returns (it may send in the background: between two
//     writers, only Close orders their bytes);
//   - the errors are this package's sentinels (ErrNotFound, ErrInvalidID,
//     ErrFinished, ErrInvalidState, ErrNoProcess, ErrElsewhere, ErrClosed,
//     ErrReadOnly), wrapped in messages that name the job.
//
// The methods are documented on *Store; a backend's own documentation says
// where it differs (how an owner's death is told, where a process can be
// killed from).
type Backend interface {
	CreateJob(ctx context.Context, kind, label string) (string, error)
	Get(ctx context.Context, id string) (*Job, error)
	List(ctx context.Context, opts *ListOptions) (jobs []*Job, total int, err error)
	Update(ctx context.Context, id string, fn func(j *Job) error) (*Job, error)
	SetRunning(ctx context.Context, id string) error
	SetProgress(ctx context.Context, id string, current, total float64, message string) error
	SetProcess(ctx context.Context, id string, p Process) error
	SetExitCode(ctx context.Context, id string, code int) error
	FinishJob(ctx context.Context, id string, st State, result json.RawMessage, errMsg string) error
	DiscardJob(ctx context.Context, id string) error
	AppendLog(ctx context.Context, id string, st Stream, p []byte) error
	LogWriter(ctx context.Context, id string, st Stream) (io.WriteCloser, error)
	LogSize(ctx context.Context, id string, st Stream) (int64, error)
	ReadLog(ctx context.Context, id string, st Stream, offset int64, max int) (data []byte, next int64, done bool, err error)
	// Kill kills the job's processes where the caller can reach them; for a
	// job whose processes run on another machine it returns ErrElsewhere,
	// and the caller records the cancel (FinishJob), which the owner obeys.
	Kill(ctx context.Context, id string) error
	Recover(ctx context.Context) (int, error)
	Prune(ctx context.Context, opts *PruneOptions) (removed, remaining int, err error)
	Close() error
}

// Notifier is implemented by a Backend that hears of changes to jobs as
// they happen — other processes' too —, so that a follower of a job (a
// resource subscription, an owner waiting for a cancel) need not wait for
// its next poll. The directory Store does not: its followers poll.
// Notifications may be lost (a dropped connection); followers keep polling,
// less often.
type Notifier interface {
	// OnChange calls f, from a goroutine of the backend, with every change
	// of a job (state, progress, process or logs); f must not block. The
	// returned function unregisters f.
	OnChange(f func(Change)) (stop func())
}

// Change is one change a Notifier reports.
type Change struct {
	ID string
	// Final is set when the job reached its final state: what a follower
	// that waits for a job's end (an owner watching for a cancel) needs;
	// the other changes are output, progress and the like.
	Final bool
}

var _ Backend = (*Store)(nil)

// SessionHomes is implemented by a Backend that replicas on several
// machines share (jobstore/pgstore). A named session is a live kernel in
// one replica's memory: it cannot move, and a call for it that reaches
// another replica must not start a second kernel of that name in silence.
// So the first replica to use a name holds it until that replica stops (or
// its lease runs out), and the others refuse the name.
type SessionHomes interface {
	// ClaimSession records this replica as the home of session name, or
	// returns an error wrapping ErrSessionElsewhere that names the replica
	// that holds it. Claiming a name this replica holds is cheap.
	ClaimSession(ctx context.Context, name string) error
}
