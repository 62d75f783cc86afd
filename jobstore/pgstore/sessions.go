package pgstore

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

var _ jobstore.SessionHomes = (*Store)(nil)

// ClaimSession records this replica as the home of session name, unless
// another replica whose lease holds has it: then the error names that
// replica (jobstore.ErrSessionElsewhere). A name whose replica died passes
// to this one (its kernel died with it). A name stays claimed until its
// replica closes or its lease runs out.
func (s *Store) ClaimSession(ctx context.Context, name string) error {
	if err := s.begin(); err != nil {
		return err
	}
	s.smu.Lock()
	held := s.sessions[name]
	s.smu.Unlock()
	if held {
		return nil
	}
	var home string
	err := s.retry(ctx, func(ctx context.Context) error {
		err := s.pool.QueryRow(ctx, `
			INSERT INTO pyexec_sessions AS h (name, replica) VALUES ($1, $2)
			ON CONFLICT (name) DO UPDATE SET replica = EXCLUDED.replica, claimed_at = now()
				WHERE h.replica = EXCLUDED.replica OR NOT EXISTS (SELECT 1 FROM pyexec_replicas r
					WHERE r.id = h.replica AND r.heartbeat_at >= now() - r.lease_ms * interval '1 millisecond')
			RETURNING replica`, name, s.owner.Replica).Scan(&home)
		if err == pgx.ErrNoRows {
			return s.pool.QueryRow(ctx, `SELECT replica FROM pyexec_sessions WHERE name = $1`, name).Scan(&home)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("pgstore: finding where session %q lives: %w", name, err)
	}
	if home != s.owner.Replica {
		return fmt.Errorf("session %q lives on replica %s, and this request reached replica %s: a session's variables live in one replica's memory. "+
			"Send this client's requests to one replica (sticky routing, docs/scale-out.md), or use another session_id: %w",
			name, home, s.owner.Replica, jobstore.ErrSessionElsewhere)
	}
	s.smu.Lock()
	s.sessions[name] = true
	s.smu.Unlock()
	return nil
}
