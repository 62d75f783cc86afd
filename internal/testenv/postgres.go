//go:build unix

package testenv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// A private PostgreSQL server for the tests of the PostgreSQL job store and
// of the servers that share it: each test binary starts its own cluster in
// a fresh directory (no shared state between runs, nothing to configure on
// the machine but installed binaries) and stops it at the end.
//
// Connections go over a UNIX socket in the cluster's directory only
// (listen_addresses is empty): no TCP port can clash with another cluster
// or service, and the socket's path, kept in every URL, survives a
// restart. Authentication is trust, for the one superuser PostgresUser.
//
// Typical use, one cluster per test binary:
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		if err := testenv.StopPostgres(); err != nil {
//			fmt.Fprintln(os.Stderr, err)
//			code = 1
//		}
//		os.Exit(code)
//	}
//
//	func TestStore(t *testing.T) {
//		url := testenv.RequirePostgres(t).NewDatabase(t)
//		pool, err := pgxpool.New(ctx, url)
//		…
//	}
//
// A test that stops or restarts the server takes its own cluster
// (NewPostgres), so that it does not pull the shared one from under tests
// that run in parallel.

// PostgresUser is the superuser of every cluster, the user of every URL.
const PostgresUser = "pyexec"

// PostgresBinDirEnv names a directory with the server's binaries (initdb,
// postgres) to use instead of the installed one that is found.
const PostgresBinDirEnv = "PYEXEC_TEST_PG_BINDIR"

const (
	pgReadyTimeout = 30 * time.Second // a start that takes longer is broken, not slow
	pgStopTimeout  = 30 * time.Second // fast shutdown, then immediate, then SIGKILL
	pgLogTail      = 4096             // bytes of the server log quoted in errors
	// The longest socket path is <base>/pyexec-pg-<10 digits>/.s.PGSQL.<5
	// digits>; sun_path holds 107 bytes and a NUL.
	pgMaxBaseLen = 107 - len("/pyexec-pg-0123456789/.s.PGSQL.65535")
)

// pgWhat names what a machine without PostgreSQL lacks, and the fix.
const pgWhat = "PostgreSQL's server binaries (initdb, postgres: Debian's package postgresql, " +
	"which scripts/test.sh installs when run as root; or set " + PostgresBinDirEnv + " to their directory)"

// errNoPostgres says that no server binaries were found: a test skips for
// it outside CI and fails in CI.
var errNoPostgres = errors.New("testenv: " + pgWhat + " not found")

// Postgres is a running (or stopped) private PostgreSQL cluster. Its
// methods are safe for concurrent use.
type Postgres struct {
	bin  string              // directory of initdb and postgres
	dir  string              // the cluster's directory: data/, the socket, postgres.log
	port int                 // names the socket file (.s.PGSQL.<port>); no TCP
	cred *syscall.Credential // the server's user when the tests run as root, else nil
	dbs  atomic.Int64        // counter for unique database names

	mu     sync.Mutex
	server *postmaster // nil while stopped
	closed bool
}

// postmaster is one run of the server process.
type postmaster struct {
	pid    int
	exited chan struct{} // closed once the process has been reaped
	err    error         // its wait status, valid after exited
}

// StartPostgres initializes a fresh cluster in a new directory and starts
// its server; Close stops it and removes the directory. It is meant for a
// TestMain or a test that needs a cluster of its own; tests that can share
// one use RequirePostgres. When no server binaries are installed the error
// says how to install them.
func StartPostgres(ctx context.Context) (*Postgres, error) {
	bin, err := findPostgresBin()
	if err != nil {
		return nil, err
	}
	cred := serverCredential()
	base, err := clusterBase(cred)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp(base, "pyexec-pg-")
	if err != nil {
		return nil, fmt.Errorf("testenv: create the PostgreSQL cluster directory under %s: %w", base, err)
	}
	// Any port will do: it only names the socket file in a private
	// directory. A random one spreads the System V shared memory keys,
	// which PostgreSQL derives from it, over concurrent clusters.
	p := &Postgres{bin: bin, dir: dir, port: 20000 + rand.IntN(40000), cred: cred}
	if err := p.initdb(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := p.Start(ctx); err != nil {
		p.Close()
		return nil, err
	}
	return p, nil
}

// NewPostgres starts a cluster of the test's own (StartPostgres) and closes
// it when the test ends: for a test that stops or restarts the server. It
// skips the test when PostgreSQL is not installed, and fails it in CI.
func NewPostgres(tb testing.TB) *Postgres {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := StartPostgres(ctx)
	if errors.Is(err, errNoPostgres) {
		missing(tb, pgWhat)
	}
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		if err := p.Close(); err != nil {
			tb.Error(err)
		}
	})
	return p
}

var (
	sharedPGOnce sync.Once
	sharedPG     *Postgres
	sharedPGErr  error
)

// RequirePostgres returns the test binary's shared cluster, started by the
// first call. It skips the test when PostgreSQL is not installed, and fails
// it in CI. The package's TestMain must call StopPostgres after m.Run:
// nothing else removes the cluster's directory (its server dies with the
// test binary regardless). Its one goroutine, waiting for the server, runs
// until then.
func RequirePostgres(tb testing.TB) *Postgres {
	tb.Helper()
	sharedPGOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		sharedPG, sharedPGErr = StartPostgres(ctx)
	})
	if errors.Is(sharedPGErr, errNoPostgres) {
		missing(tb, pgWhat)
	}
	if sharedPGErr != nil {
		tb.Fatal(sharedPGErr)
	}
	return sharedPG
}

// StopPostgres closes the shared cluster of RequirePostgres, if one was
// started; a later RequirePostgres fails. Call it from TestMain after
// m.Run.
func StopPostgres() error {
	sharedPGOnce.Do(func() {
		sharedPGErr = errors.New("testenv: RequirePostgres called after StopPostgres; call StopPostgres only after m.Run")
	})
	if sharedPG == nil {
		return nil
	}
	return sharedPG.Close()
}

// NewDatabase creates an empty database with a unique name and returns its
// URL, a postgres:// URL that pgx (pgxpool.New, pgx.Connect) and libpq
// accept: postgres://pyexec@/<name>?host=<socket dir>&port=<n>&sslmode=disable.
// The database is dropped when the test ends, with any connections still
// open to it.
func (p *Postgres) NewDatabase(tb testing.TB) string {
	tb.Helper()
	name := fmt.Sprintf("t%d_%s", p.dbs.Add(1), dbNameChars.ReplaceAllString(strings.ToLower(tb.Name()), "_"))
	name = name[:min(len(name), 63)] // PostgreSQL's limit on identifiers
	ident := pgx.Identifier{name}.Sanitize()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.exec(ctx, "CREATE DATABASE "+ident); err != nil {
		tb.Fatalf("testenv: create database %s: %v%s", name, err, p.logTail())
	}
	tb.Cleanup(func() {
		p.mu.Lock()
		closed, running := p.closed, p.server != nil
		p.mu.Unlock()
		if closed { // the database went with the cluster
			return
		}
		if !running {
			tb.Errorf("testenv: cannot drop database %s: the PostgreSQL server is stopped; a test that stops it must Start it again", name)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// FORCE (PostgreSQL 13) ends the test's leftover connections.
		if err := p.exec(ctx, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)"); err != nil {
			tb.Errorf("testenv: drop database %s: %v%s", name, err, p.logTail())
		}
	})
	return p.url(name)
}

var dbNameChars = regexp.MustCompile(`[^a-z0-9_]+`)

// url is the connection URL of database name.
func (p *Postgres) url(name string) string {
	q := url.Values{"host": {p.dir}, "port": {strconv.Itoa(p.port)}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User(PostgresUser), Path: "/" + name, RawQuery: q.Encode()}).String()
}

// exec runs one statement in the maintenance database, on a connection of
// its own (CREATE and DROP DATABASE cannot run in a transaction).
func (p *Postgres) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, p.url("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	_, err = conn.Exec(ctx, sql)
	return err
}

// Start starts the stopped server again on the same data, socket and port,
// so that URLs handed out before work again, and waits until it accepts
// connections. A running server is left alone.
func (p *Postgres) Start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.startLocked(ctx)
}

// Stop stops the server with a fast shutdown (SIGINT: open connections are
// ended, the data is checkpointed) and waits for it to exit; Start starts
// it again. A stopped server is left alone.
func (p *Postgres) Stop(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopLocked(ctx)
}

// Restart stops the server (Stop) and starts it again (Start): for tests of
// a database that goes away and comes back while clients run.
func (p *Postgres) Restart(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.stopLocked(ctx); err != nil {
		return err
	}
	return p.startLocked(ctx)
}

// Close stops the server and removes the cluster's directory. Calling it
// again does nothing.
func (p *Postgres) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	ctx, cancel := context.WithTimeout(context.Background(), pgStopTimeout)
	defer cancel()
	err := p.stopLocked(ctx)
	if rerr := os.RemoveAll(p.dir); rerr != nil {
		err = errors.Join(err, fmt.Errorf("testenv: remove the PostgreSQL cluster directory: %w", rerr))
	}
	return err
}

func (p *Postgres) startLocked(ctx context.Context) error {
	if p.closed {
		return errors.New("testenv: PostgreSQL cluster already closed; start a new one with StartPostgres")
	}
	if s := p.server; s != nil {
		select {
		case <-s.exited: // it died on its own: start it afresh
			p.server = nil
		default:
			return nil
		}
	}
	log, err := os.OpenFile(p.logPath(), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("testenv: open the PostgreSQL log: %w", err)
	}
	defer log.Close() // the server has its own descriptor
	cmd := exec.Command(filepath.Join(p.bin, "postgres"),
		"-D", p.dataDir(),
		"-c", "listen_addresses=", // the UNIX socket only
		"-c", "unix_socket_directories="+p.dir,
		"-c", "port="+strconv.Itoa(p.port),
		// Durability is not under test: a crash of the test machine
		// loses the cluster anyway.
		"-c", "fsync=off",
		"-c", "synchronous_commit=off",
		"-c", "full_page_writes=off",
		"-c", "max_connections=200", // several server processes with pools each
		"-c", "shared_buffers=32MB",
		"-c", "log_min_messages=warning",
		"-c", "logging_collector=off", // stderr, that is postgres.log
	)
	cmd.Dir = p.dir
	cmd.Env = serverEnv()
	cmd.Stdout, cmd.Stderr = log, log
	s, err := startPostmaster(cmd, p.cred)
	if err != nil {
		return fmt.Errorf("testenv: start %s: %w", cmd.Path, err)
	}
	p.server = s
	if err := p.waitReady(ctx, s); err != nil {
		sctx, cancel := context.WithTimeout(context.Background(), pgStopTimeout)
		defer cancel()
		p.stopLocked(sctx)
		return err
	}
	return nil
}

// waitReady waits until the server accepts a connection, it exits, or
// pgReadyTimeout passes.
func (p *Postgres) waitReady(ctx context.Context, s *postmaster) error {
	ctx, cancel := context.WithTimeout(ctx, pgReadyTimeout)
	defer cancel()
	var err error
	for {
		actx, acancel := context.WithTimeout(ctx, 5*time.Second)
		var conn *pgx.Conn
		if conn, err = pgx.Connect(actx, p.url("postgres")); err == nil {
			err = conn.Ping(actx)
			conn.Close(context.Background())
		}
		acancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("testenv: the PostgreSQL server exited while starting (%v); see %s%s", s.err, p.logPath(), p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("testenv: the PostgreSQL server in %s did not accept connections within %v: %v%s", p.dir, pgReadyTimeout, err, p.logTail())
		case <-time.After(10 * time.Millisecond): // a polling interval with a deadline
		}
	}
}

// stopLocked asks for a fast shutdown, escalating to an immediate one
// (SIGQUIT) and then SIGKILL when the server takes too long or ctx ends;
// it always waits for the process, so that its goroutine ends.
func (p *Postgres) stopLocked(ctx context.Context) error {
	s := p.server
	if s == nil {
		return nil
	}
	p.server = nil
	// Fast shutdown, then immediate shutdown, then SIGKILL (which
	// always works), each given pgStopTimeout or until ctx ends.
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGQUIT} {
		_ = syscall.Kill(s.pid, sig)
		timer := time.NewTimer(pgStopTimeout)
		select {
		case <-s.exited:
			timer.Stop()
			return nil
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
		}
	}
	_ = syscall.Kill(s.pid, syscall.SIGKILL)
	<-s.exited
	return fmt.Errorf("testenv: the PostgreSQL server (pid %d) did not stop on SIGINT or SIGQUIT, killed it%s", s.pid, p.logTail())
}

// initdb creates the cluster's data directory, as the server's user.
func (p *Postgres) initdb(ctx context.Context) error {
	if p.cred != nil {
		if err := os.Chown(p.dir, int(p.cred.Uid), int(p.cred.Gid)); err != nil {
			return fmt.Errorf("testenv: give the PostgreSQL cluster directory to uid %d: %w", p.cred.Uid, err)
		}
	}
	initdb := filepath.Join(p.bin, "initdb")
	args := []string{"-D", p.dataDir(), "-U", PostgresUser, "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"}
	if help, _ := exec.CommandContext(ctx, initdb, "--help").Output(); bytes.Contains(help, []byte("--no-instructions")) {
		args = append(args, "--no-instructions") // PostgreSQL 14
	}
	cmd := exec.CommandContext(ctx, initdb, args...)
	cmd.Dir = p.dir
	cmd.Env = serverEnv()
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: p.cred}
	out, err := cmd.CombinedOutput()
	_ = os.WriteFile(p.logPath(), out, 0o644)
	if err != nil {
		return fmt.Errorf("testenv: %s %s: %v\n%s", initdb, strings.Join(args, " "), err, tail(out))
	}
	return nil
}

func (p *Postgres) dataDir() string { return filepath.Join(p.dir, "data") }
func (p *Postgres) logPath() string { return filepath.Join(p.dir, "postgres.log") }

// logTail is the end of the server's log, for error messages.
func (p *Postgres) logTail() string {
	f, err := os.Open(p.logPath())
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > pgLogTail {
		f.Seek(st.Size()-pgLogTail, io.SeekStart)
	}
	b, _ := io.ReadAll(f)
	if len(b) == 0 {
		return ""
	}
	return "\nserver log (" + p.logPath() + "):\n" + tail(b)
}

func tail(b []byte) string {
	if len(b) > pgLogTail {
		b = b[len(b)-pgLogTail:]
	}
	return string(b)
}

// serverEnv is the environment of initdb and the server: the test's,
// without the PG* variables that would point them elsewhere, in the C
// locale so that initdb does not depend on the machine's locales.
func serverEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "PG") || strings.HasPrefix(k, "LC_") || k == "LANG" || k == "LANGUAGE" {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "LC_ALL=C")
}

// findPostgresBin returns the directory of the server binaries:
// PostgresBinDirEnv, else Debian's newest /usr/lib/postgresql/<v>/bin,
// else pg_config --bindir, else the directory of postgres on PATH.
func findPostgresBin() (string, error) {
	if d := os.Getenv(PostgresBinDirEnv); d != "" {
		if !isPostgresBin(d) {
			return "", fmt.Errorf("testenv: %s=%s has no initdb and postgres binaries; point it at PostgreSQL's bin directory", PostgresBinDirEnv, d)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	version := func(d string) string { return filepath.Base(filepath.Dir(d)) }
	sort.Slice(dirs, func(i, j int) bool { // newest first
		vi, vj := version(dirs[i]), version(dirs[j])
		if vi == vj {
			return dirs[i] < dirs[j]
		}
		return minorAtLeast(vi, vj)
	})
	for _, d := range dirs {
		if isPostgresBin(d) {
			return d, nil
		}
	}
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		if d := strings.TrimSpace(string(out)); isPostgresBin(d) {
			return d, nil
		}
	}
	if p, err := exec.LookPath("postgres"); err == nil && isPostgresBin(filepath.Dir(p)) {
		return filepath.Dir(p), nil
	}
	return "", errNoPostgres
}

func isPostgresBin(dir string) bool {
	for _, name := range []string{"initdb", "postgres"} {
		if st, err := os.Stat(filepath.Join(dir, name)); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
			return false
		}
	}
	return true
}

// serverCredential is the user the server runs as: PostgreSQL refuses to
// run as root, so when the tests do (CI), it runs as the postgres system
// user, else as nobody; otherwise as the tests' own user (nil).
func serverCredential() *syscall.Credential {
	if os.Geteuid() != 0 {
		return nil
	}
	if u, err := user.Lookup("postgres"); err == nil {
		uid, uerr := strconv.ParseUint(u.Uid, 10, 32)
		gid, gerr := strconv.ParseUint(u.Gid, 10, 32)
		if uerr == nil && gerr == nil {
			return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		}
	}
	return &syscall.Credential{Uid: 65534, Gid: 65534}
}

// clusterBase is the directory that holds cluster directories: the temp
// directory, unless the socket path would be too long there or the
// server's user (cred) could not reach it (TMPDIR=/root/tmp), then /tmp.
func clusterBase(cred *syscall.Credential) (string, error) {
	for _, base := range []string{os.TempDir(), "/tmp"} {
		if len(base) > pgMaxBaseLen {
			continue
		}
		if cred != nil && !traversable(base, cred.Uid, cred.Gid) {
			continue
		}
		return base, nil
	}
	who := "the tests' user"
	if cred != nil {
		who = fmt.Sprintf("uid %d", cred.Uid)
	}
	return "", fmt.Errorf("testenv: neither %s nor /tmp can hold a PostgreSQL cluster (%s must reach it, and its path must be at most %d bytes); set TMPDIR to such a directory", os.TempDir(), who, pgMaxBaseLen)
}

// traversable reports whether uid (with group gid and no other groups, as
// the server runs) may search dir and every directory above it.
func traversable(dir string, uid, gid uint32) bool {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		var st syscall.Stat_t
		if err := syscall.Stat(dir, &st); err != nil {
			return false
		}
		var bit uint32 = 0o001
		switch {
		case st.Uid == uid:
			bit = 0o100
		case st.Gid == gid:
			bit = 0o010
		}
		if uint32(st.Mode)&bit == 0 {
			return false
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return true
		}
		dir = parent
	}
}
