package pgstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// jobColumns are a job's columns as scanJob reads them.
const jobColumns = `id, kind, label, state, progress_current, progress_total, progress_message,
	created_at, started_at, completed_at, result, error, exit_code, process, owner, version`

var liveStates = []string{string(jobstore.StatePending), string(jobstore.StateRunning)}

func scanJob(row pgx.Row) (*jobstore.Job, error) {
	var (
		j                  jobstore.Job
		state              string
		started, completed *time.Time
		result             []byte
		exit               *int32
		proc, owner        []byte
		version            int64
	)
	err := row.Scan(&j.ID, &j.Kind, &j.Label, &state, &j.Progress.Current, &j.Progress.Total, &j.Progress.Message,
		&j.CreatedAt, &started, &completed, &result, &j.Error, &exit, &proc, &owner, &version)
	if err != nil {
		return nil, err
	}
	j.State = jobstore.State(state)
	j.CreatedAt = j.CreatedAt.UTC()
	if started != nil {
		j.StartedAt = started.UTC()
	}
	if completed != nil {
		j.CompletedAt = completed.UTC()
	}
	if len(result) > 0 {
		j.Result = json.RawMessage(result)
	}
	if exit != nil {
		c := int(*exit)
		j.ExitCode = &c
	}
	if len(proc) > 0 {
		j.Process = new(jobstore.Process)
		if err := json.Unmarshal(proc, j.Process); err != nil {
			return nil, fmt.Errorf("pgstore: job %s: its process is corrupt: %w", j.ID, err)
		}
	}
	if err := json.Unmarshal(owner, &j.Owner); err != nil {
		return nil, fmt.Errorf("pgstore: job %s: its owner is corrupt: %w", j.ID, err)
	}
	j.Version = uint64(version)
	return &j, nil
}

// CreateJob creates a pending job owned by this replica and returns its id.
func (s *Store) CreateJob(ctx context.Context, kind, label string) (string, error) {
	if err := s.begin(); err != nil {
		return "", err
	}
	owner, _ := json.Marshal(s.owner)
	now := time.Now().UTC().Truncate(time.Microsecond) // PostgreSQL's precision
	for range 8 {
		id := jobstore.NewID()
		var dup bool
		err := s.retry(ctx, func(ctx context.Context) error {
			_, err := s.pool.Exec(ctx, `INSERT INTO pyexec_jobs (id, kind, label, state, created_at, owner, owner_replica, owner_machine)
				VALUES ($1, $2, $3, 'pending', $4, $5, $6, $7)`, id, kind, label, now, owner, s.owner.Replica, s.machine)
			var pe *pgconn.PgError
			if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
				// A retry of an insert that landed finds its own row.
				var mine bool
				if qerr := s.pool.QueryRow(ctx, `SELECT owner_replica = $2 AND created_at = $3 FROM pyexec_jobs WHERE id = $1`,
					id, s.owner.Replica, now).Scan(&mine); qerr == nil && mine {
					return nil
				}
				dup = true
				return nil
			}
			return err
		})
		if err != nil {
			return "", fmt.Errorf("pgstore: creating a job: %w", err)
		}
		if dup {
			continue // another replica made the same id in the same millisecond
		}
		if s.creates.Add(1)%retentionEvery == 0 {
			s.enforceCap(ctx)
		}
		return id, nil
	}
	return "", errors.New("pgstore: creating a job: eight ids in a row were taken; check the replicas' clocks")
}

// Get returns the current record of job id.
func (s *Store) Get(ctx context.Context, id string) (*jobstore.Job, error) {
	return s.get(ctx, id, nil)
}

// get reads job id and, when machine is not nil, the machine its owner ran
// on (Kill's question), in the same query.
func (s *Store) get(ctx context.Context, id string, machine *string) (*jobstore.Job, error) {
	if err := s.enter(id); err != nil {
		return nil, err
	}
	cols := jobColumns
	if machine != nil {
		cols += ", owner_machine"
	}
	var j *jobstore.Job
	err := s.retry(ctx, func(ctx context.Context) error {
		var err error
		row := s.pool.QueryRow(ctx, `SELECT `+cols+` FROM pyexec_jobs WHERE id = $1`, id)
		if machine != nil {
			row = extraRow{row, machine}
		}
		j, err = scanJob(row)
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound(id)
	}
	if err != nil {
		return nil, fmt.Errorf("pgstore: reading job %s: %w", id, err)
	}
	return j, nil
}

// List returns the jobs that match opts, newest first, and how many match
// before the limit.
func (s *Store) List(ctx context.Context, opts *jobstore.ListOptions) ([]*jobstore.Job, int, error) {
	if opts == nil {
		opts = &jobstore.ListOptions{}
	}
	states := make([]string, 0, len(opts.States))
	for _, st := range opts.States {
		if !st.Valid() {
			return nil, 0, invalidState(string(st))
		}
		states = append(states, string(st))
	}
	if err := s.begin(); err != nil {
		return nil, 0, err
	}
	limit := any(nil) // LIMIT NULL: no limit
	if opts.Limit > 0 {
		limit = opts.Limit
	}
	var (
		jobs  []*jobstore.Job
		total int
	)
	// Only the predicates asked for, so that the planner picks the index
	// that serves them ((state, id) or (kind, id)); a generic "$1 = '' OR
	// kind = $1" reads every row.
	var (
		where []string
		args  []any
	)
	if len(states) > 0 {
		// Literals, not a parameter (they are valid states, checked
		// above): "state = 'running'" walks the (state, id) index in
		// order, "state IN ('pending', 'running')" the index of live jobs;
		// "state = ANY($1)" does neither, and reads every row.
		slices.Sort(states)
		states = slices.Compact(states)
		where = append(where, "state IN ('"+strings.Join(states, "', '")+"')")
	}
	if opts.Kind != "" {
		args = append(args, opts.Kind)
		where = append(where, fmt.Sprintf("kind = $%d", len(args)))
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	err := s.retry(ctx, func(ctx context.Context) error {
		jobs, total = nil, 0
		// The total is a count of its own (an index-only scan once
		// autovacuum has been by): count(*) OVER () would read every
		// matching row, results included. One round trip for both.
		batch := &pgx.Batch{}
		batch.Queue(`SELECT count(*) FROM pyexec_jobs`+cond, args...).QueryRow(func(r pgx.Row) error { return r.Scan(&total) })
		batch.Queue(`SELECT `+jobColumns+` FROM pyexec_jobs`+cond+fmt.Sprintf(` ORDER BY id DESC LIMIT $%d`, len(args)+1),
			append(args, limit)...).Query(func(rows pgx.Rows) error {
			var err error
			jobs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*jobstore.Job, error) { return scanJob(r) })
			return err
		})
		return s.pool.SendBatch(ctx, batch).Close()
	})
	if err != nil {
		return nil, 0, fmt.Errorf("pgstore: listing jobs: %w", err)
	}
	return jobs, total, nil
}

// Update applies fn to job id under its row lock and writes the result: no
// concurrent update, from any replica, is lost. As in the directory store,
// fn must not keep j, the id and version cannot be changed, and the state
// must stay valid.
func (s *Store) Update(ctx context.Context, id string, fn func(j *jobstore.Job) error) (*jobstore.Job, error) {
	if err := s.enter(id); err != nil {
		return nil, err
	}
	var out *jobstore.Job
	err := s.retry(ctx, func(ctx context.Context) error {
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			j, err := scanJob(tx.QueryRow(ctx, `SELECT `+jobColumns+` FROM pyexec_jobs WHERE id = $1 FOR UPDATE`, id))
			if errors.Is(err, pgx.ErrNoRows) {
				return notFound(id)
			}
			if err != nil {
				return err
			}
			version := j.Version
			if err := fn(j); err != nil {
				return err
			}
			j.ID, j.Version = id, version+1
			if !j.State.Valid() {
				return invalidState(string(j.State))
			}
			if err := validResult(id, j.Result); err != nil {
				return err
			}
			var proc []byte
			if j.Process != nil {
				proc, _ = json.Marshal(j.Process)
			}
			var exit *int
			if j.ExitCode != nil {
				exit = j.ExitCode
			}
			owner, _ := json.Marshal(j.Owner)
			_, err = tx.Exec(ctx, `UPDATE pyexec_jobs SET kind = $2, label = $3, state = $4, progress_current = $5,
				progress_total = $6, progress_message = $7, started_at = $8, completed_at = $9, result = $10, error = $11,
				exit_code = $12, process = $13, version = $14, created_at = $15, owner = $16, owner_replica = $17 WHERE id = $1`,
				id, j.Kind, j.Label, string(j.State), j.Progress.Current, j.Progress.Total, j.Progress.Message,
				nullTime(j.StartedAt), nullTime(j.CompletedAt), nullBytes(j.Result), j.Error, exit, proc, int64(j.Version),
				j.CreatedAt, owner, j.Owner.Replica)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `SELECT pg_notify('pyexec_jobs', $1)`, payload(id, j.State.Final())); err != nil {
				return err
			}
			out = j
			return nil
		})
	})
	if err != nil {
		return nil, wrap("updating", id, err)
	}
	return out, nil
}

// SetRunning marks job id running; a no-op for a running job, ErrFinished
// for a finished one.
func (s *Store) SetRunning(ctx context.Context, id string) error {
	return s.change(ctx, id, "marking running", `UPDATE pyexec_jobs SET state = 'running', started_at = now(), version = version + 1
		WHERE id = $1 AND state = 'pending'`, jobstore.StateRunning)
}

// SetProgress records the progress of job id; ErrFinished for a finished
// job. One statement: a hot path.
func (s *Store) SetProgress(ctx context.Context, id string, current, total float64, message string) error {
	return s.change(ctx, id, "recording progress of", `UPDATE pyexec_jobs SET progress_current = $2, progress_total = $3, progress_message = $4
		WHERE id = $1 AND state IN ('pending', 'running')`, "", current, total, message)
}

// SetProcess records p as the process that runs job id, with the start time
// read from /proc when p has none; ErrFinished for a finished job, whose
// process the caller must then stop itself.
func (s *Store) SetProcess(ctx context.Context, id string, p jobstore.Process) error {
	p, err := s.host.Complete(p)
	if err != nil {
		return err
	}
	proc, _ := json.Marshal(p)
	return s.change(ctx, id, "recording the process of", `UPDATE pyexec_jobs SET process = $2, version = version + 1
		WHERE id = $1 AND state IN ('pending', 'running')`, "", proc)
}

// SetExitCode records the exit code of job id's process, in any state.
func (s *Store) SetExitCode(ctx context.Context, id string, code int) error {
	return s.change(ctx, id, "recording the exit code of", `UPDATE pyexec_jobs SET exit_code = $2, version = version + 1
		WHERE id = $1`, "", code)
}

// change runs one conditional UPDATE of job id (the first argument, $1) and
// notifies the job's followers. When it changes no row, it tells why: no
// such job, a finished one (ErrFinished), or — idempotent — already in
// state idem.
func (s *Store) change(ctx context.Context, id, what, query string, idem jobstore.State, args ...any) error {
	if err := s.enter(id); err != nil {
		return err
	}
	args = append([]any{id}, args...)
	var n int64
	err := s.retry(ctx, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, `WITH u AS (`+query+` RETURNING id, state) SELECT pg_notify('pyexec_jobs', id || `+finalSuffix+`) FROM u`, args...)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return wrap(what, id, err)
	}
	if n > 0 {
		return nil
	}
	var state string
	err = s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT state FROM pyexec_jobs WHERE id = $1`, id).Scan(&state)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound(id)
	case err != nil:
		return wrap(what, id, err)
	case jobstore.State(state) == idem:
		return nil
	case jobstore.State(state).Final():
		return finished(id, jobstore.State(state))
	}
	return nil
}

// finishRecord is a FinishJob's arguments, kept in the outbox when the
// database could not be reached.
type finishRecord struct {
	state  jobstore.State
	result json.RawMessage
	errMsg string
	at     time.Time
}

// FinishJob moves job id to a final state, with its result and error; the
// first finisher wins and later ones get ErrFinished. If the database stays
// unreachable beyond RetryFor, the end is kept and written by a later
// heartbeat, and the error says so.
func (s *Store) FinishJob(ctx context.Context, id string, st jobstore.State, result json.RawMessage, errMsg string) error {
	if !st.Final() {
		return invalidState(string(st))
	}
	if err := check(id); err != nil {
		return err
	}
	if err := validResult(id, result); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	f := finishRecord{state: st, result: result, errMsg: errMsg, at: time.Now().UTC()}
	err := s.finish(ctx, id, f)
	var ue *unreachableError
	if errors.As(err, &ue) {
		s.omu.Lock()
		s.outbox[id] = f
		s.omu.Unlock()
		return fmt.Errorf("pgstore: job %s ended %s, but the database is unreachable: the end is kept and written when it is back: %w", id, st, err)
	}
	return err
}

// finish writes f. A retry of a write that landed finds the job final with
// what it wrote, which is success, not ErrFinished.
func (s *Store) finish(ctx context.Context, id string, f finishRecord) error {
	var n int64
	err := s.retry(ctx, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, `WITH u AS (UPDATE pyexec_jobs SET state = $2, result = $3, error = $4, completed_at = $5, version = version + 1
			WHERE id = $1 AND state IN ('pending', 'running') RETURNING id) SELECT pg_notify('pyexec_jobs', id || ' final') FROM u`,
			id, string(f.state), nullBytes(f.result), f.errMsg, f.at)
		n = tag.RowsAffected()
		return err
	})
	if err != nil {
		return wrap("finishing", id, err)
	}
	if n > 0 {
		return nil
	}
	var (
		state  string
		at     *time.Time
		errMsg string
		result []byte
	)
	err = s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `SELECT state, completed_at, error, result FROM pyexec_jobs WHERE id = $1`, id).Scan(&state, &at, &errMsg, &result)
	})
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return notFound(id)
	case err != nil:
		return wrap("finishing", id, err)
	case jobstore.State(state) == f.state && at != nil && at.Equal(f.at.Truncate(time.Microsecond)) &&
		errMsg == f.errMsg && bytes.Equal(result, nullBytes(f.result)):
		// Ours, written by an attempt whose answer was lost — or another
		// finisher's in the same microsecond with the very same end, which
		// is the same outcome.
		return nil
	}
	return finished(id, jobstore.State(state))
}

// DiscardJob deletes job id and its logs, whatever its state.
func (s *Store) DiscardJob(ctx context.Context, id string) error {
	if err := s.enter(id); err != nil {
		return err
	}
	var n int64
	err := s.retry(ctx, func(ctx context.Context) error {
		tag, err := s.pool.Exec(ctx, `DELETE FROM pyexec_jobs WHERE id = $1`, id)
		n += tag.RowsAffected()
		return err
	})
	if err != nil {
		return wrap("discarding", id, err)
	}
	if n == 0 {
		return notFound(id)
	}
	return nil
}

// Prune removes the finished jobs opts selects, with their logs, and
// returns how many it removed and how many jobs remain.
func (s *Store) Prune(ctx context.Context, opts *jobstore.PruneOptions) (removed, remaining int, err error) {
	if opts == nil {
		opts = &jobstore.PruneOptions{}
	}
	if err := s.begin(); err != nil {
		return 0, 0, err
	}
	var states []string
	for st, keep := range map[jobstore.State]bool{jobstore.StateCompleted: opts.KeepCompleted,
		jobstore.StateFailed: opts.KeepFailed, jobstore.StateCancelled: opts.KeepCancelled} {
		if !keep {
			states = append(states, string(st))
		}
	}
	cutoff := time.Now().Add(-opts.MaxAge)
	err = s.retry(ctx, func(ctx context.Context) error {
		return s.pool.QueryRow(ctx, `WITH d AS (DELETE FROM pyexec_jobs WHERE state = ANY($1) AND coalesce(completed_at, created_at) < $2 RETURNING 1)
			SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM pyexec_jobs) - (SELECT count(*) FROM d)`, states, cutoff).Scan(&removed, &remaining)
	})
	if err != nil {
		return 0, 0, fmt.Errorf("pgstore: pruning jobs: %w", err)
	}
	return removed, remaining, nil
}

// enforceCap removes the oldest finished jobs beyond MaxJobs. Replicas that
// run it at once remove the same rows; it is a bound on growth, checked
// every retentionEvery creates and every heartbeat.
func (s *Store) enforceCap(ctx context.Context) {
	if s.maxJobs < 0 {
		return
	}
	_, err := s.pool.Exec(ctx, `DELETE FROM pyexec_jobs WHERE id IN (
		SELECT id FROM pyexec_jobs WHERE state IN ('completed', 'failed', 'cancelled') ORDER BY id DESC OFFSET $1)`, s.maxJobs)
	if err != nil {
		s.log.Warn("pgstore: retention", "err", err)
	}
}

// Kill kills the processes of job id when its owner ran on this machine,
// through jobstore.Host as the directory store does; a job of a replica on
// another machine gets ErrElsewhere: its owner stops it once the job is
// recorded as cancelled, which it hears at once (LISTEN).
func (s *Store) Kill(ctx context.Context, id string) error {
	var machine string
	j, err := s.get(ctx, id, &machine)
	if err != nil {
		return err
	}
	if j.Process == nil {
		return jobstore.NoProcessError(id)
	}
	if machine != s.machine {
		return elsewhere(id, j.Owner.Replica)
	}
	_, err = s.host.KillJob(j)
	return err
}

// validResult refuses a result that is not JSON, as the directory store
// does: stored as bytes, it would make the record unencodable (a Job's
// Result is a json.RawMessage) for every reader, on every replica.
func validResult(id string, result json.RawMessage) error {
	if len(result) > 0 && !json.Valid(result) {
		return fmt.Errorf("pgstore: result of job %s is not valid JSON", id)
	}
	return nil
}

func nullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nullBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return b
}

// extraRow scans one more column, after a job's, into dest.
type extraRow struct {
	pgx.Row
	dest *string
}

func (r extraRow) Scan(dest ...any) error { return r.Row.Scan(append(dest, r.dest)...) }
