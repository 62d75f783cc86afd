//go:build unix

package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"
)

// pgHelperEnv makes the test binary a helper process that starts a cluster,
// prints its server's pid and directory, and blocks until killed.
const pgHelperEnv = "TESTENV_PG_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(pgHelperEnv) != "" {
		os.Exit(pgHelper())
	}
	code := RunTests(m)
	os.Exit(code)
}

func pgHelper() int {
	p, err := StartPostgres(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	p.mu.Lock()
	fmt.Printf("%d %s\n", p.server.pid, p.dir)
	p.mu.Unlock()
	for {
		time.Sleep(time.Hour) // until killed; a pending timer is never a deadlock
	}
}

// connect opens a connection to url that the test closes at its end.
func connect(t *testing.T, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func queryString(t *testing.T, conn *pgx.Conn, sql string) string {
	t.Helper()
	var s string
	require.NoError(t, conn.QueryRow(context.Background(), sql).Scan(&s), sql)
	return s
}

func dbName(t *testing.T, rawURL string) string {
	t.Helper()
	u, err := url.Parse(rawURL)
	require.NoError(t, err)
	return strings.TrimPrefix(u.Path, "/")
}

// TestPostgresDatabasesAndRestart goes through a cluster's life: two
// databases, apart from each other; a restart that clients see and that
// keeps the data and the URLs; a stop; Close, which leaves nothing behind.
func TestPostgresDatabasesAndRestart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	began := time.Now()
	p := NewPostgres(t)
	t.Logf("cluster started in %v", time.Since(began))

	began = time.Now()
	urlA := p.NewDatabase(t)
	t.Logf("database created in %v", time.Since(began))
	urlB := p.NewDatabase(t)
	require.NotEqual(t, urlA, urlB)
	require.True(t, strings.HasPrefix(urlA, "postgres://"+PostgresUser+"@/"), urlA)

	a, b := connect(t, urlA), connect(t, urlB)
	require.Equal(t, dbName(t, urlA), queryString(t, a, "SELECT current_database()"))
	require.Equal(t, dbName(t, urlB), queryString(t, b, "SELECT current_database()"))
	_, err := a.Exec(ctx, "CREATE TABLE kv (k text PRIMARY KEY, v text); INSERT INTO kv VALUES ('answer', '42')")
	require.NoError(t, err)
	require.Equal(t, "42", queryString(t, a, "SELECT v FROM kv WHERE k = 'answer'"))
	require.Equal(t, "none", queryString(t, b, "SELECT coalesce(to_regclass('kv')::text, 'none')"),
		"a table of one database is not in the other")

	p.mu.Lock()
	pid := p.server.pid
	p.mu.Unlock()
	require.NoError(t, p.Restart(ctx))
	p.mu.Lock()
	require.NotEqual(t, pid, p.server.pid, "a new server process")
	pid = p.server.pid
	p.mu.Unlock()
	var v string
	require.Error(t, a.QueryRow(ctx, "SELECT v FROM kv").Scan(&v), "a connection from before the restart is broken")
	a = connect(t, urlA)
	require.Equal(t, "42", queryString(t, a, "SELECT v FROM kv WHERE k = 'answer'"), "the data survived the restart, the URL works again")

	require.NoError(t, p.Stop(ctx))
	require.NoError(t, p.Stop(ctx), "stopping a stopped server does nothing")
	RequireGone(t, pid)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	_, err = pgx.Connect(cctx, urlA)
	cancel()
	require.Error(t, err, "no server while stopped")
	require.NoError(t, p.Start(ctx))
	require.NoError(t, p.Start(ctx), "starting a running server does nothing")
	b = connect(t, urlB)
	require.Equal(t, dbName(t, urlB), queryString(t, b, "SELECT current_database()"))

	p.mu.Lock()
	pid = p.server.pid
	p.mu.Unlock()
	require.NoError(t, p.Close())
	RequireGone(t, pid)
	_, err = os.Stat(p.dir)
	require.ErrorIs(t, err, os.ErrNotExist, "Close removes the cluster's directory")
	require.Error(t, p.Start(ctx), "a closed cluster does not start")
	require.NoError(t, p.Close(), "closing twice does nothing")
}

// TestRequirePostgresShared checks the shared cluster: one per test binary,
// its databases dropped at the end of their test even with connections
// left open, its server not run as root.
func TestRequirePostgresShared(t *testing.T) {
	t.Parallel()
	p := RequirePostgres(t)
	require.Same(t, p, RequirePostgres(t), "one cluster per test binary")

	var name string
	t.Run("db", func(t *testing.T) {
		url := p.NewDatabase(t)
		name = dbName(t, url)
		conn, err := pgx.Connect(context.Background(), url) // left open: the drop ends it
		require.NoError(t, err)
		t.Cleanup(func() { conn.Close(context.Background()) })
		require.Equal(t, name, queryString(t, conn, "SELECT current_database()"))
	})
	admin := connect(t, p.url("postgres"))
	var n int
	require.NoError(t, admin.QueryRow(context.Background(), "SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n))
	require.Zero(t, n, "database %s was dropped at the end of its test", name)

	if runtime.GOOS == "linux" {
		p.mu.Lock()
		st, err := os.Stat(fmt.Sprintf("/proc/%d", p.server.pid))
		p.mu.Unlock()
		require.NoError(t, err)
		uid := st.Sys().(*syscall.Stat_t).Uid
		if os.Geteuid() == 0 {
			require.NotZero(t, uid, "PostgreSQL refuses root: the server runs as another user")
			require.Equal(t, p.cred.Uid, uid)
		} else {
			require.Equal(t, uint32(os.Geteuid()), uid)
		}
	}
}

// TestPostgresDiesWithTestBinary kills a test binary that started a
// cluster, as a test timeout would, and checks that its server goes too.
func TestPostgresDiesWithTestBinary(t *testing.T) {
	t.Parallel()
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	if _, err := findPostgresBin(); errors.Is(err, errNoPostgres) {
		missing(t, pgWhat)
	} else {
		require.NoError(t, err)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), pgHelperEnv+"=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	line, rerr := bufio.NewReader(out).ReadString('\n')
	if rerr != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the helper did not report its server: %v", rerr)
	}
	pidStr, dir, _ := strings.Cut(strings.TrimSpace(line), " ")
	t.Cleanup(func() { os.RemoveAll(dir) })
	pid, err := strconv.Atoi(pidStr)
	require.NoError(t, err, line)
	require.True(t, Alive(pid), "the helper's server runs")
	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	RequireGone(t, pid)
	_, err = os.Stat(filepath.Join(dir, "data", "postmaster.pid"))
	require.ErrorIs(t, err, os.ErrNotExist, "the server shut down (immediate shutdown removes its pid file)")
}

// TestClusterBase checks where clusters go: where the server's user can
// reach them and their socket path fits.
func TestClusterBase(t *testing.T) {
	closed := filepath.Join(t.TempDir(), "closed")
	require.NoError(t, os.Mkdir(closed, 0o700))
	require.NoError(t, os.Mkdir(filepath.Join(closed, "tmp"), 0o777))
	nobody := &syscall.Credential{Uid: 65534, Gid: 65534}
	if os.Geteuid() != 65534 {
		require.False(t, traversable(filepath.Join(closed, "tmp"), nobody.Uid, nobody.Gid), "under a 0700 directory")
	}
	require.True(t, traversable(closed, uint32(os.Geteuid()), uint32(os.Getegid())), "the owner's own directory")
	require.True(t, traversable("/tmp", nobody.Uid, nobody.Gid))

	t.Setenv("TMPDIR", filepath.Join(closed, "tmp"))
	base, err := clusterBase(nil)
	require.NoError(t, err)
	require.Equal(t, filepath.Join(closed, "tmp"), base, "the tests' own user reaches its temp directory")
	if os.Geteuid() != 65534 {
		base, err = clusterBase(nobody)
		require.NoError(t, err)
		require.Equal(t, "/tmp", base, "another user cannot reach the temp directory")
	}
	t.Setenv("TMPDIR", "/tmp/"+strings.Repeat("x", pgMaxBaseLen))
	base, err = clusterBase(nil)
	require.NoError(t, err)
	require.Equal(t, "/tmp", base, "a socket path would be too long")
}
