package pgstore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// Recover fails every pending or running job whose replica stopped renewing
// its lease (or left no registration), with jobstore.OwnerDiedMessage and
// the replica's name, and then kills what is left of such jobs on this
// machine (their processes outlive a replica killed with SIGKILL; only a
// process on the same machine can reach them: jobstore.Host). It returns
// the number of jobs it failed. Open runs it and every heartbeat does, so
// any survivor takes over within a lease and a third. A replica that has
// just regained the database after losing it waits a lease before it
// judges others (see judgeAfter).
func (s *Store) Recover(ctx context.Context) (int, error) {
	if err := s.begin(); err != nil {
		return 0, err
	}
	if time.Now().UnixNano() < s.judgeAfter.Load() {
		return 0, s.reap(ctx) // back from an outage: others may not have beaten yet
	}
	var failed int
	err := s.retry(ctx, func(ctx context.Context) error {
		failed = 0
		// The database's clock judges every lease, so replicas' clocks
		// need not agree.
		rows, err := s.pool.Query(ctx, `
			WITH dead AS (
				SELECT id FROM pyexec_replicas WHERE heartbeat_at < now() - lease_ms * interval '1 millisecond'
			), f AS (
				UPDATE pyexec_jobs j SET state = 'failed', completed_at = now(), version = version + 1, reap = process IS NOT NULL,
					error = $1 || ': replica ' || owner_replica || ' stopped renewing its lease'
				WHERE state IN ('pending', 'running') AND (owner_replica IN (SELECT id FROM dead)
					OR NOT EXISTS (SELECT 1 FROM pyexec_replicas r WHERE r.id = j.owner_replica))
				RETURNING id, owner_replica
			), gone AS (
				DELETE FROM pyexec_replicas WHERE id IN (SELECT id FROM dead) RETURNING id
			), homeless AS (
				DELETE FROM pyexec_sessions WHERE replica IN (SELECT id FROM gone)
					OR NOT EXISTS (SELECT 1 FROM pyexec_replicas r WHERE r.id = pyexec_sessions.replica) RETURNING 1
			)
			SELECT id, owner_replica, pg_notify('pyexec_jobs', id || ' final') FROM f`, jobstore.OwnerDiedMessage)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, replica string
			if err := rows.Scan(&id, &replica, nil); err != nil {
				return err
			}
			failed++
			s.log.Warn("pgstore: failed job of a replica whose lease ran out", "job", id, "replica", replica)
		}
		return rows.Err()
	})
	if err != nil {
		return failed, fmt.Errorf("pgstore: failing the jobs of dead replicas: %w", err)
	}
	return failed, s.reap(ctx)
}

// reap kills what is left of the jobs of dead owners on this machine, and
// clears their mark once done. A job whose owner process still runs here is
// left to it: a replica cut off from the database keeps its processes, and
// stops them itself once it sees them failed (mcptools' owned tracker).
func (s *Store) reap(ctx context.Context) error {
	var jobs []*jobstore.Job
	err := s.retry(ctx, func(ctx context.Context) error {
		jobs = nil
		rows, err := s.pool.Query(ctx, `SELECT `+jobColumns+` FROM pyexec_jobs WHERE reap AND owner_machine = $1`, s.machine)
		if err != nil {
			return err
		}
		jobs, err = pgx.CollectRows(rows, func(r pgx.CollectableRow) (*jobstore.Job, error) { return scanJob(r) })
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: finding the leftovers of dead replicas: %w", err)
	}
	var errs []error
	for _, j := range jobs {
		if j.Owner.Replica == s.owner.Replica || s.host.OwnerAlive(j.Owner) {
			continue
		}
		if err := s.host.ReapJob(j); err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := s.pool.Exec(ctx, `UPDATE pyexec_jobs SET reap = false WHERE id = $1`, j.ID); err != nil {
			errs = append(errs, err)
			continue
		}
		s.log.Info("pgstore: killed what was left of a dead replica's job", "job", j.ID, "replica", j.Owner.Replica)
	}
	return errors.Join(errs...)
}

// heartbeat renews this replica's lease every third of it, and with each
// beat recovers the jobs of dead replicas, writes the job ends the outbox
// kept, and applies retention.
func (s *Store) heartbeat(ctx context.Context) {
	tick := time.NewTicker(s.lease / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		// A beat that cannot land within its period is a missed beat (an
		// unreachable host can hold a connect for minutes).
		bctx, cancel := context.WithTimeout(ctx, s.lease/3)
		tag, err := s.pool.Exec(bctx, `UPDATE pyexec_replicas SET heartbeat_at = now() WHERE id = $1`, s.owner.Replica)
		cancel()
		if err != nil {
			s.judgeAfter.Store(time.Now().Add(s.lease).UnixNano())
			if ctx.Err() == nil {
				s.log.Warn("pgstore: renewing the lease", "replica", s.owner.Replica, "err", err)
			}
			continue
		}
		if tag.RowsAffected() == 0 {
			// Another replica took this one for dead (the database was out
			// of reach for longer than the lease) and failed its jobs,
			// which the owner now stops (they read as finished). Come back.
			s.log.Error("pgstore: this replica's lease had run out and its live jobs were failed; registering again", "replica", s.owner.Replica)
			s.smu.Lock()
			clear(s.sessions) // other replicas may have taken them
			s.smu.Unlock()
			if _, err := s.pool.Exec(ctx, `INSERT INTO pyexec_replicas (id, machine, pid, lease_ms) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`,
				s.owner.Replica, s.machine, s.owner.PID, s.lease.Milliseconds()); err != nil {
				continue
			}
		}
		if _, err := s.Recover(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("pgstore: recovering jobs of dead replicas", "err", err)
		}
		s.flushOutbox(ctx)
		s.enforceCap(ctx)
	}
}

// flushOutbox writes the job ends that FinishJob could not.
func (s *Store) flushOutbox(ctx context.Context) {
	s.omu.Lock()
	pending := make(map[string]finishRecord, len(s.outbox))
	for id, f := range s.outbox {
		pending[id] = f
	}
	s.omu.Unlock()
	for id, f := range pending {
		err := s.finish(ctx, id, f)
		var ue *unreachableError
		if errors.As(err, &ue) || (err != nil && ctx.Err() != nil) {
			continue // still out of reach: the next beat tries again
		}
		if err != nil && !errors.Is(err, jobstore.ErrFinished) && !errors.Is(err, jobstore.ErrNotFound) {
			s.log.Warn("pgstore: writing a job's end kept while the database was unreachable", "job", id, "err", err)
		}
		s.omu.Lock()
		delete(s.outbox, id)
		s.omu.Unlock()
	}
}

// OnChange calls f with the id of every job that changes — on any replica —
// as PostgreSQL notifies it (LISTEN pyexec_jobs). Notifications are lost
// while the listening connection is down; followers poll as well.
func (s *Store) OnChange(f func(jobstore.Change)) (stop func()) {
	s.lmu.Lock()
	defer s.lmu.Unlock()
	k := s.nextL
	s.nextL++
	s.listeners[k] = f
	return func() {
		s.lmu.Lock()
		defer s.lmu.Unlock()
		delete(s.listeners, k)
	}
}

// listen holds one connection that LISTENs for job changes and hands them
// to the OnChange functions, reconnecting (with back-off) when it drops.
func (s *Store) listen(ctx context.Context, cfg *pgx.ConnConfig) {
	wait := 100 * time.Millisecond
	var once sync.Once
	for ctx.Err() == nil {
		err := s.listenOnce(ctx, cfg, func() {
			wait = 100 * time.Millisecond
			once.Do(func() { close(s.listening) })
		})
		if ctx.Err() != nil {
			return
		}
		s.log.Warn("pgstore: change notifications interrupted; reconnecting", "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(2*wait, 5*time.Second)
	}
}

func (s *Store) listenOnce(ctx context.Context, cfg *pgx.ConnConfig, connected func()) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(cctx)
	}()
	if _, err := conn.Exec(ctx, `LISTEN pyexec_jobs`); err != nil {
		return err
	}
	connected()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		c := parsePayload(n.Payload)
		s.lmu.Lock()
		fs := make([]func(jobstore.Change), 0, len(s.listeners))
		for _, f := range s.listeners {
			fs = append(fs, f)
		}
		s.lmu.Unlock()
		for _, f := range fs {
			f(c)
		}
	}
}

// A notification's payload is the job's id, followed by " final" when the
// job reached its final state (jobstore.Change.Final): an owner waiting
// for a cancel then reads no record for the output and progress of its
// own jobs.
const finalSuffix = `CASE WHEN state IN ('completed', 'failed', 'cancelled') THEN ' final' ELSE '' END`

func payload(id string, final bool) string {
	if final {
		return id + " final"
	}
	return id
}

func parsePayload(p string) jobstore.Change {
	id, rest, _ := strings.Cut(p, " ")
	return jobstore.Change{ID: id, Final: rest == "final"}
}
