package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Status is what Inspect finds in a database.
type Status struct {
	// Target is the URL without its password.
	Target string `json:"target"`
	// Server is PostgreSQL's version string (server_version).
	Server string `json:"server"`
	// Schema is the version of pyexec's schema in it (0: none yet; Open
	// creates it), Latest the version this build migrates to.
	Schema int `json:"schema"`
	Latest int `json:"latest"`
	// Replicas are the replicas whose lease holds, Jobs the jobs kept.
	Replicas []string `json:"replicas"`
	Jobs     int      `json:"jobs"`
}

// Inspect connects to the database at url and reports on it without
// changing anything: no schema is created, no replica registered, nothing
// recovered (for a health check, such as the example server's doctor).
func Inspect(ctx context.Context, url string) (*Status, error) {
	st := &Status{Target: redact(url), Latest: len(migrations), Replicas: []string{}}
	pcfg, err := pgxpool.ParseConfig(url) // takes the pool's settings (pool_max_conns…) out of the URL
	if err != nil {
		return st, fmt.Errorf("pgstore: the database URL %s is not valid: %v; use postgres://user:password@host:port/database", st.Target, scrub(err, url))
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.ConnectConfig(ctx, pcfg.ConnConfig)
	if err != nil {
		return st, fmt.Errorf("pgstore: connecting to %s: %v; check that PostgreSQL runs there and accepts this user", st.Target, scrub(err, url))
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if err := conn.QueryRow(ctx, `SHOW server_version`).Scan(&st.Server); err != nil {
		return st, fmt.Errorf("pgstore: %s: %w", st.Target, err)
	}
	err = conn.QueryRow(ctx, `SELECT version FROM pyexec_schema_version`).Scan(&st.Schema)
	var pe *pgconn.PgError
	switch {
	case errors.As(err, &pe) && pe.Code == "42P01": // undefined_table: a fresh database
		return st, nil
	case err != nil:
		return st, fmt.Errorf("pgstore: reading pyexec's schema in %s: %w", st.Target, err)
	}
	if st.Schema < 1 {
		return st, nil
	}
	rows, err := conn.Query(ctx, `SELECT id FROM pyexec_replicas WHERE heartbeat_at >= now() - lease_ms * interval '1 millisecond' ORDER BY id`)
	if err == nil {
		st.Replicas, err = pgx.CollectRows(rows, pgx.RowTo[string])
	}
	if err == nil {
		err = conn.QueryRow(ctx, `SELECT count(*) FROM pyexec_jobs`).Scan(&st.Jobs)
	}
	if err != nil {
		return st, fmt.Errorf("pgstore: reading %s: %w", st.Target, err)
	}
	return st, nil
}
