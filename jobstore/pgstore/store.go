package pgstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pyexec-mcp/pyexec/jobstore"
)

// Defaults applied by Open for zero Options fields.
const (
	// DefaultLease is how long a replica may go without a heartbeat before
	// the others take it for dead and fail its live jobs. A replica
	// heartbeats every third of it.
	DefaultLease = 30 * time.Second
	// DefaultRetryFor is how long an operation keeps retrying while the
	// database cannot be reached (a restart, a fail-over) before it fails.
	DefaultRetryFor = 30 * time.Second
)

// listenWait bounds how long Open waits for its LISTEN connection.
const listenWait = 5 * time.Second

// retentionEvery is how many jobs a Store creates between two passes of
// retention (MaxJobs), besides the pass of each heartbeat: a check on
// every create would cost a query on the path of every call.
const retentionEvery = 32

// Options configures Open. URL is required; every zero field means its
// default.
type Options struct {
	// URL is the database, as pgx reads it: "postgres://user:pass@host/db"
	// or key=value pairs; a UNIX socket directory goes in host. Every
	// replica of a deployment uses the same database.
	URL string
	// Replica names this server in errors and in its jobs' owner
	// (jobstore.Owner.Replica), e.g. the pod name. Default
	// "<hostname>-<pid>". A random suffix tells its runs apart, so a
	// restarted replica may keep its name.
	Replica string
	// Machine names the process space this replica runs in: replicas with
	// the same Machine kill and reap each other's processes by pid
	// (jobstore.Host), others only ever ask the owner. Default: the
	// kernel's boot id and this process's PID namespace, which tells
	// containers of one host apart. Set it only to tell apart replicas that
	// the default would take for one machine.
	Machine string
	// Lease is how long this replica may miss heartbeats before another
	// one fails its live jobs. Default DefaultLease.
	Lease time.Duration
	// RetryFor bounds how long an operation retries while the database is
	// unreachable. Default DefaultRetryFor.
	RetryFor time.Duration
	// MaxJobs and MaxLogBytes are the retention rules of the directory
	// store (jobstore.Options): 0 means jobstore.DefaultMaxJobs and
	// jobstore.DefaultMaxLogBytes, negative no cap.
	MaxJobs     int
	MaxLogBytes int64
	// Logger receives warnings (recovered jobs, lost connections). Nil
	// discards them.
	Logger *slog.Logger
}

// Store is a job store in a PostgreSQL database that any number of server
// replicas share (see the package documentation). Create it with Open; its
// methods are safe for concurrent use; the caller must Close it.
type Store struct {
	pool        *pgxpool.Pool
	host        *jobstore.Host
	owner       jobstore.Owner // Replica is this run's replica id
	machine     string         // boot id and PID namespace: where Host may act
	lease       time.Duration
	retryFor    time.Duration
	maxJobs     int
	maxLogBytes int64
	log         *slog.Logger
	target      string // the URL without its password, for messages

	creates atomic.Int64
	closed  atomic.Bool
	// judgeAfter (Unix nanoseconds) is when this replica may again take
	// other replicas for dead: a lease after it last failed to reach the
	// database. When the database comes back from an outage longer than a
	// lease, every lease looks expired until each replica has beaten once;
	// judging at once would fail the live jobs of every replica.
	judgeAfter atomic.Int64

	lmu       sync.Mutex
	listeners map[int]func(jobstore.Change)
	nextL     int
	listening chan struct{} // closed once the first LISTEN is in place

	// sessions are the session names this replica holds (ClaimSession),
	// so a claim costs a query only once; forgotten when the lease is lost.
	smu      sync.Mutex
	sessions map[string]bool

	// outbox holds the ends of jobs that could not be written while the
	// database was unreachable; every heartbeat retries them, so a job's
	// end is never lost to an outage (see finish).
	omu    sync.Mutex
	outbox map[string]finishRecord

	ctx    context.Context // cancelled by Close: ends the goroutines below
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

var (
	_ jobstore.Backend  = (*Store)(nil)
	_ jobstore.Notifier = (*Store)(nil)
)

// Open connects to the database in opts.URL, creates or migrates its schema
// (replicas starting together take turns), registers this replica, fails
// the live jobs of replicas whose lease ran out (Recover) and starts the
// heartbeat and the notification listener.
func Open(ctx context.Context, opts *Options) (*Store, error) {
	if opts == nil || opts.URL == "" {
		return nil, errors.New("pgstore: no database URL; set Options.URL (e.g. postgres://user@host/db, or --job-store/PYEXEC_JOB_STORE for the example server)")
	}
	cfg, err := pgxpool.ParseConfig(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("pgstore: the database URL %s is not valid: %v; use postgres://user:password@host:port/database", redact(opts.URL), scrub(err, opts.URL))
	}
	s := &Store{
		host:        jobstore.NewHost(opts.Logger),
		lease:       cmpOr(opts.Lease, DefaultLease),
		retryFor:    cmpOr(opts.RetryFor, DefaultRetryFor),
		maxJobs:     opts.MaxJobs,
		maxLogBytes: opts.MaxLogBytes,
		log:         opts.Logger,
		target:      redact(opts.URL),
		listeners:   map[int]func(jobstore.Change){},
		listening:   make(chan struct{}),
		outbox:      map[string]finishRecord{},
		sessions:    map[string]bool{},
	}
	if s.maxJobs == 0 {
		s.maxJobs = jobstore.DefaultMaxJobs
	}
	if s.maxLogBytes == 0 {
		s.maxLogBytes = jobstore.DefaultMaxLogBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	name := opts.Replica
	if name == "" {
		host, _ := os.Hostname()
		name = fmt.Sprintf("%s-%d", cmpOr(host, "replica"), os.Getpid())
	}
	var r [4]byte
	_, _ = rand.Read(r[:])
	s.owner = s.host.Self()
	s.owner.Replica = name + "#" + hex.EncodeToString(r[:])
	s.machine = cmpOr(opts.Machine, machineOf(s.host.BootID()))

	if s.pool, err = pgxpool.NewWithConfig(ctx, cfg); err != nil {
		return nil, fmt.Errorf("pgstore: connecting to %s: %v", s.target, scrub(err, opts.URL))
	}
	err = s.retry(ctx, func(ctx context.Context) error { return migrate(ctx, s.pool) })
	if err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("pgstore: preparing the schema in %s: %v; check that the database exists and the user may create tables in it", s.target, scrub(err, opts.URL))
	}
	err = s.retry(ctx, func(ctx context.Context) error {
		_, err := s.pool.Exec(ctx, `INSERT INTO pyexec_replicas (id, machine, pid, lease_ms) VALUES ($1, $2, $3, $4)`,
			s.owner.Replica, s.machine, s.owner.PID, s.lease.Milliseconds())
		return err
	})
	if err != nil {
		s.pool.Close()
		return nil, fmt.Errorf("pgstore: registering replica %s in %s: %w", s.owner.Replica, s.target, err)
	}
	if n, err := s.Recover(ctx); err != nil {
		s.log.Warn("pgstore: recovering jobs of dead replicas", "recovered", n, "err", err)
	}
	s.enforceCap(ctx)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.listen(s.ctx, cfg.ConnConfig.Copy())
	}()
	go func() {
		defer s.wg.Done()
		s.heartbeat(s.ctx)
	}()
	// Changes made once Open returns are heard: wait for the LISTEN (a
	// connection more), within reason — followers poll as well.
	select {
	case <-s.listening:
	case <-time.After(listenWait):
		s.log.Warn("pgstore: change notifications are not in place yet; followers poll until they are", "after", listenWait)
	case <-ctx.Done():
	}
	return s, nil
}

// Replica returns this replica's id: its name and the random suffix of this
// run, as recorded in its jobs' owner.
func (s *Store) Replica() string { return s.owner.Replica }

// Close stops the heartbeat and the listener, fails the jobs this replica
// left live (as a dead replica's would be: a caller is expected to have
// finished or cancelled them, as mcptools.Toolset.Close does), removes the
// replica's registration and its sessions' homes, and closes the
// connections. It is idempotent; other methods return jobstore.ErrClosed
// afterwards.
func (s *Store) Close() error {
	if !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	s.cancel()
	s.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.flushOutbox(ctx)
	var errs []error
	if _, err := s.pool.Exec(ctx, `
		WITH f AS (
			UPDATE pyexec_jobs SET state = 'failed', error = $2, completed_at = now(), version = version + 1, reap = process IS NOT NULL
			WHERE owner_replica = $1 AND state IN ('pending', 'running') RETURNING id)
		SELECT pg_notify('pyexec_jobs', id || ' final') FROM f`, s.owner.Replica, jobstore.OwnerDiedMessage); err != nil {
		errs = append(errs, err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM pyexec_sessions WHERE replica = $1`, s.owner.Replica); err != nil {
		errs = append(errs, err)
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM pyexec_replicas WHERE id = $1`, s.owner.Replica); err != nil {
		errs = append(errs, err)
	}
	s.pool.Close()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("pgstore: closing replica %s: %w", s.owner.Replica, err)
	}
	return nil
}

// enter checks job id and refuses every operation after Close: the
// preamble of every method that takes an id.
func (s *Store) enter(id string) error {
	if err := check(id); err != nil {
		return err
	}
	return s.begin()
}

// begin refuses every operation after Close.
func (s *Store) begin() error {
	if s.closed.Load() {
		return jobstore.ErrClosed
	}
	return nil
}

// machineOf names where this process's pids mean what they say: the
// kernel's boot and the PID namespace. Only jobs whose owner ran on the
// same machine are killed or reaped here (jobstore.Host); replicas in
// containers of one host share a boot id but not a PID namespace.
func machineOf(bootID string) string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil || bootID == "" {
		// Unknown: a random machine, so nothing of another process is ever
		// acted on by pid here.
		var r [8]byte
		_, _ = rand.Read(r[:])
		return "unknown-" + hex.EncodeToString(r[:])
	}
	return bootID + "/" + ns
}

// redact returns the URL without its password, for messages. It works on
// the text, not on a parse: a URL that does not parse (a bad port) is the
// one an error message repeats.
func redact(raw string) string { return hidePasswords(raw, raw) }

// scrub returns err's text without the URL's password, which some errors
// (pgx's parse errors, connection errors) repeat.
func scrub(err error, raw string) string { return hidePasswords(err.Error(), raw) }

// hidePasswords returns msg with every password of the URL raw replaced.
func hidePasswords(msg, raw string) string {
	for _, p := range passwords(raw) {
		msg = strings.ReplaceAll(msg, p, "xxxxx")
	}
	return msg
}

// passwords returns the password of a URL's user info (as written and
// decoded) and of any password=… pair of the key=value form.
func passwords(raw string) []string {
	var out []string
	add := func(p string) {
		if p != "" {
			out = append(out, p)
			if d, err := url.PathUnescape(p); err == nil && d != p {
				out = append(out, d)
			}
		}
	}
	if _, rest, ok := strings.Cut(raw, "://"); ok {
		if at := strings.LastIndex(rest, "@"); at >= 0 {
			if _, pw, ok := strings.Cut(rest[:at], ":"); ok {
				add(pw)
			}
		}
	}
	for _, f := range strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' || r == '&' || r == '?' }) {
		if k, v, ok := strings.Cut(f, "="); ok && strings.EqualFold(k, "password") {
			add(strings.Trim(v, "'"))
		}
	}
	return out
}

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
