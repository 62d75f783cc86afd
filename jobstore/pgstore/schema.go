package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrationLock is the key of the transaction-level advisory lock that
// serialises migrations: several replicas may start at once, and the first
// migrates while the others wait, then find nothing to do.
const migrationLock = 0x7079_6578_6563 // "pyexec"

// migrations are the schema's versions, applied in order, each once, each
// in the transaction that records it. Never edit one that has shipped: add
// the next.
var migrations = []string{
	// 1: jobs, their logs in chunks, the replicas' leases, the sessions'
	// homes, and the append function that keeps a log's cap in one round
	// trip.
	`
CREATE TABLE pyexec_replicas (
	id           text PRIMARY KEY,
	machine      text NOT NULL,
	pid          integer NOT NULL,
	lease_ms     bigint NOT NULL,
	started_at   timestamptz NOT NULL DEFAULT now(),
	heartbeat_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE pyexec_jobs (
	id               text PRIMARY KEY,
	kind             text NOT NULL,
	label            text NOT NULL,
	state            text NOT NULL,
	progress_current double precision NOT NULL DEFAULT 0,
	progress_total   double precision NOT NULL DEFAULT 0,
	progress_message text NOT NULL DEFAULT '',
	created_at       timestamptz NOT NULL,
	started_at       timestamptz,
	completed_at     timestamptz,
	result           bytea,
	error            text NOT NULL DEFAULT '',
	exit_code        integer,
	process          jsonb,
	owner            jsonb NOT NULL,
	owner_replica    text NOT NULL,
	owner_machine    text NOT NULL,
	version          bigint NOT NULL DEFAULT 1,
	stdout_size      bigint NOT NULL DEFAULT 0,
	stderr_size      bigint NOT NULL DEFAULT 0,
	reap             boolean NOT NULL DEFAULT false
);
CREATE INDEX pyexec_jobs_state ON pyexec_jobs (state, id);
CREATE INDEX pyexec_jobs_kind ON pyexec_jobs (kind, id);
CREATE INDEX pyexec_jobs_live ON pyexec_jobs (id) WHERE state IN ('pending', 'running');
CREATE INDEX pyexec_jobs_reap ON pyexec_jobs (owner_machine) WHERE reap;
CREATE TABLE pyexec_logs (
	job_id text NOT NULL REFERENCES pyexec_jobs (id) ON DELETE CASCADE,
	stream smallint NOT NULL,
	off    bigint NOT NULL,
	data   bytea NOT NULL,
	tok    bytea, -- the writer's token of the write (see pyexec_append_log)
	PRIMARY KEY (job_id, stream, off)
);
CREATE TABLE pyexec_sessions (
	name       text PRIMARY KEY,
	replica    text NOT NULL,
	claimed_at timestamptz NOT NULL DEFAULT now()
);
-- pyexec_append_log appends p_data to a log of job p_id under the job's
-- row lock, honouring the cap p_max (< 0: none) as the directory store
-- does: output past it is dropped, once replaced by p_marker. p_tok, when
-- not null, names the write, so that a retry of a write that landed adds
-- nothing; p_at, the end of the writer's previous write, bounds the search
-- for it to the chunks written since. It returns the log's new size, or -1
-- when the job does not exist.
CREATE FUNCTION pyexec_append_log(p_id text, p_stream smallint, p_data bytea, p_max bigint, p_marker bytea, p_at bigint, p_tok bytea)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	cur bigint;
	d bytea := p_data;
BEGIN
	IF p_stream = 1 THEN
		SELECT stdout_size INTO cur FROM pyexec_jobs WHERE id = p_id FOR NO KEY UPDATE;
	ELSE
		SELECT stderr_size INTO cur FROM pyexec_jobs WHERE id = p_id FOR NO KEY UPDATE;
	END IF;
	IF NOT FOUND THEN
		RETURN -1;
	END IF;
	IF p_tok IS NOT NULL AND EXISTS (SELECT 1 FROM pyexec_logs
			WHERE job_id = p_id AND stream = p_stream AND off >= greatest(p_at, 0) AND tok = p_tok) THEN
		RETURN cur; -- a retry of this write, which landed
	END IF;
	IF p_max >= 0 AND cur + length(d) > p_max THEN
		IF cur > p_max THEN
			RETURN cur;
		END IF;
		d := substring(d FROM 1 FOR (p_max - cur)::integer) || p_marker;
	END IF;
	IF length(d) = 0 THEN
		RETURN cur;
	END IF;
	INSERT INTO pyexec_logs (job_id, stream, off, data, tok) VALUES (p_id, p_stream, cur, d, p_tok);
	IF p_stream = 1 THEN
		UPDATE pyexec_jobs SET stdout_size = cur + length(d) WHERE id = p_id;
	ELSE
		UPDATE pyexec_jobs SET stderr_size = cur + length(d) WHERE id = p_id;
	END IF;
	PERFORM pg_notify('pyexec_jobs', p_id);
	RETURN cur + length(d);
END
$$;
`,
}

// migrate brings the schema to the latest version.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS pyexec_schema_version (version integer NOT NULL)`); err != nil {
			return err
		}
		var v int
		err := tx.QueryRow(ctx, `SELECT version FROM pyexec_schema_version`).Scan(&v)
		switch {
		case err == pgx.ErrNoRows:
			if _, err := tx.Exec(ctx, `INSERT INTO pyexec_schema_version VALUES (0)`); err != nil {
				return err
			}
		case err != nil:
			return err
		}
		if v > len(migrations) {
			return fmt.Errorf("the database's pyexec schema is version %d, newer than this build knows (%d): upgrade this server to the replicas' version", v, len(migrations))
		}
		for i := v; i < len(migrations); i++ {
			if _, err := tx.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("migration %d: %w", i+1, err)
			}
		}
		_, err = tx.Exec(ctx, `UPDATE pyexec_schema_version SET version = $1`, len(migrations))
		return err
	})
}
