package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore/pgstore"
)

// replicaEnv is the environment of one replica of a deployment that shares
// the job store at url. Each replica has its own data directory (its
// environment cache, workspace), as on separate machines; machine tells the
// replicas apart as different machines would be (pgstore.Options.Machine),
// so a cancel from one cannot kill the other's processes by pid and must
// go through the owner.
func replicaEnv(t *testing.T, url, name, machine string) []string {
	return []string{"PYEXEC_DATA_DIR=" + t.TempDir(), "PYEXEC_JOB_STORE=" + url, "PYEXEC_REPLICA=" + name,
		"PYEXEC_REPLICA_MACHINE=" + machine, "PYEXEC_REPLICA_LEASE=2s"}
}

// treeScript starts a child and sleeps; it writes both pids to argv[1]
// (waitPids reads them) once it has printed all it prints: a test that then
// kills its server leaves it no pipe to write to, and a print into a pipe
// nobody reads would end it (BrokenPipeError).
const treeScript = `import os, subprocess, sys, time
print("started", flush=True)
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
open(sys.argv[1] + ".tmp", "w").write(f"{os.getpid()} {child.pid}\n")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
time.sleep(300)
`

// waitProcessRecorded waits until job id's record in the database at url
// holds its process.
func waitProcessRecorded(t *testing.T, url, id string) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), url)
	require.NoError(t, err)
	defer conn.Close(context.Background())
	testenv.PollUntil(t, "the job's process in its record", func() bool {
		var recorded bool
		require.NoError(t, conn.QueryRow(t.Context(), `SELECT process IS NOT NULL FROM pyexec_jobs WHERE id = $1`, id).Scan(&recorded))
		return recorded
	})
}

func rawTool(t *testing.T, c *rawStdio, name string, args map[string]any) map[string]any {
	t.Helper()
	r := c.call("tools/call", map[string]any{"name": name, "arguments": args})
	require.Nil(t, r.Error, "%s: %+v", name, r.Error)
	var res struct {
		IsError           bool           `json:"isError"`
		StructuredContent map[string]any `json:"structuredContent"`
		Content           []struct{ Text string }
	}
	require.NoError(t, json.Unmarshal(r.Result, &res), string(r.Result))
	require.False(t, res.IsError, "%s: %s", name, string(r.Result))
	return res.StructuredContent
}

// TestReplicasShareJobs: two server processes share one PostgreSQL job
// store, as replicas behind a balancer. A job started on A is read on B —
// status, output, the task — and cancelled on B, which kills A's process
// tree; a subscriber on B hears A's job change. A session lives where it
// started. A is then killed with SIGKILL under a running job: B fails the
// job once A's lease runs out, and A, restarted, kills what the job left.
func TestReplicasShareJobs(t *testing.T) {
	t.Parallel()
	pg := testenv.RequirePostgres(t)
	url := pg.NewDatabase(t)
	a := startRawStdio(t, true, replicaEnv(t, url, "a", "machine-a")...)
	b := startRawStdio(t, true, replicaEnv(t, url, "b", "machine-b")...)

	// A job on A, seen from B: the task, its status and its output.
	pidFile := filepath.Join(t.TempDir(), "pids")
	created := a.task(a.call("tools/call", map[string]any{"name": "run_script_in_dir", "arguments": map[string]any{
		"use_uv": false, "script_content": treeScript, "args": []string{pidFile}, "async_mode": true,
	}}))
	require.Equal(t, "task", created.ResultType)
	pids := waitPids(t, pidFile)
	onB := b.task(b.call("tasks/get", map[string]any{"taskId": created.TaskID}))
	require.Equal(t, "working", onB.Status)
	testenv.PollUntil(t, "A's output read on B", func() bool {
		out := rawTool(t, b, "get_job_output", map[string]any{"job_id": created.TaskID})
		return strings.Contains(fmt.Sprint(out["stdout"]), "started")
	})
	st := rawTool(t, b, "py_job_status", map[string]any{"job_id": created.TaskID})["job"].(map[string]any)
	require.Equal(t, "running", st["status"])
	jobs := rawTool(t, b, "py_list_jobs", map[string]any{"status_filter": "running", "limit": 5})
	require.Contains(t, fmt.Sprint(jobs), created.TaskID, "B lists A's job")

	// Cancelled on B: A's tree is gone.
	start := time.Now()
	cancelled := rawTool(t, b, "py_cancel_job", map[string]any{"job_id": created.TaskID})
	require.Equal(t, "cancelled", cancelled["status"], fmt.Sprint(cancelled))
	testenv.RequireGone(t, pids...)
	t.Logf("cancel on B to A's processes gone: %v", time.Since(start))
	require.Equal(t, "cancelled", b.task(b.call("tasks/get", map[string]any{"taskId": created.TaskID})).Status)

	// A session lives on the replica that started it.
	rawTool(t, a, "execute_python", map[string]any{"session_id": "shared", "code": "x = 41"})
	r := b.call("tools/call", map[string]any{"name": "execute_python", "arguments": map[string]any{"session_id": "shared", "code": "x + 1"}})
	require.Nil(t, r.Error)
	require.Contains(t, string(r.Result), `"isError":true`)
	require.Contains(t, string(r.Result), `lives on replica a#`, "the error names A")
	got := rawTool(t, a, "execute_python", map[string]any{"session_id": "shared", "code": "x + 1"})
	require.Equal(t, "42", fmt.Sprint(got["value"]))

	// A killed under a running job: B fails it after A's lease; A's
	// restart reaps its processes.
	pidFile2 := filepath.Join(t.TempDir(), "pids")
	job2 := rawTool(t, a, "run_script_in_dir_async", map[string]any{"use_uv": false, "script_content": treeScript, "args": []string{pidFile2}})["job_id"].(string)
	pids2 := waitPids(t, pidFile2)
	// A server killed between starting a script and recording its process
	// leaves nothing to find it by (in either store): kill A once the
	// record holds it, as a crash later in the run would find it.
	waitProcessRecorded(t, url, job2)
	require.NoError(t, a.cmd.Process.Kill())
	_, _ = a.cmd.Process.Wait()
	killed := time.Now()
	var status map[string]any
	testenv.PollUntil(t, "B fails the job of dead A", func() bool {
		status = rawTool(t, b, "py_job_status", map[string]any{"job_id": job2})["job"].(map[string]any)
		return status["status"] == "failed"
	})
	t.Logf("B failed dead A's job %v after the SIGKILL (lease 2s)", time.Since(killed))
	require.Contains(t, fmt.Sprint(status["error"]), "stopped renewing its lease", fmt.Sprint(status))
	for _, p := range pids2 {
		require.True(t, testenv.Alive(p), "B, on another machine, cannot reach A's process %d", p)
	}
	a2 := startRawStdio(t, true, replicaEnv(t, url, "a", "machine-a")...)
	testenv.RequireGone(t, pids2...)
	// The session's name went with dead A: B may take it now.
	rawTool(t, b, "execute_python", map[string]any{"session_id": "shared", "code": "y = 1"})
	_ = a2
}

// TestReplicaCancelsPendingJob: a job of replica A that waits for a slot
// (A runs one script at a time), cancelled on replica B, never starts.
func TestReplicaCancelsPendingJob(t *testing.T) {
	t.Parallel()
	pg := testenv.RequirePostgres(t)
	url := pg.NewDatabase(t)
	a, _, _ := stdioServer(t, append(replicaEnv(t, url, "a", "machine-a"), "PYEXEC_MAX_CONCURRENT=1")...)
	b, _, _ := stdioServer(t, replicaEnv(t, url, "b", "machine-b")...)
	pidFile := filepath.Join(t.TempDir(), "pids")
	first := structured(t, callTool(t, a, "run_script_in_dir_async", map[string]any{"use_uv": false, "script_content": treeScript, "args": []string{pidFile}}))["job_id"].(string)
	pids := waitPids(t, pidFile)
	marker := filepath.Join(t.TempDir(), "started")
	queued := structured(t, callTool(t, a, "run_script_in_dir_async", map[string]any{"use_uv": false,
		"script_content": "import sys\nopen(sys.argv[1], 'w').write('started')\n", "args": []string{marker}}))["job_id"].(string)

	res := structured(t, callTool(t, b, "py_cancel_job", map[string]any{"job_id": queued}))
	require.Equal(t, "cancelled", res["status"], fmt.Sprint(res))
	res = structured(t, callTool(t, b, "py_cancel_job", map[string]any{"job_id": first}))
	require.Equal(t, "cancelled", res["status"], fmt.Sprint(res))
	testenv.RequireGone(t, pids...)
	// The slot is free again: a call on A runs, so the queue has moved past
	// the cancelled job, which did not run.
	done := structured(t, callTool(t, a, "run_script_in_dir", map[string]any{"use_uv": false, "script_content": "print('next')"}))
	require.Contains(t, fmt.Sprint(done["stdout"]), "next")
	require.NoFileExists(t, marker, "the cancelled pending job ran")
	st := structured(t, callTool(t, a, "py_job_status", map[string]any{"job_id": queued}))["job"].(map[string]any)
	require.Equal(t, "cancelled", st["status"])
}

// TestReplicaResourceUpdates: a client subscribed on replica B to the
// job-stream of a job that runs on replica A is told of its output.
func TestReplicaResourceUpdates(t *testing.T) {
	t.Parallel()
	pg := testenv.RequirePostgres(t)
	url := pg.NewDatabase(t)
	a, _, _ := stdioServer(t, replicaEnv(t, url, "a", "machine-a")...)
	updated := make(chan string, 64)
	client := mcp.NewClient(&mcp.Implementation{Name: "subscriber", Version: "v0"}, &mcp.ClientOptions{
		ResourceUpdatedHandler: func(_ context.Context, req *mcp.ResourceUpdatedNotificationRequest) {
			select {
			case updated <- req.Params.URI:
			default:
			}
		},
	})
	cmd := exec.Command(serverBinary)
	cmd.Env = append(serverEnv(t), replicaEnv(t, url, "b", "machine-b")...)
	b, err := client.Connect(context.Background(), &mcp.CommandTransport{Command: cmd}, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = b.Close() })

	res := callTool(t, a, "run_script_in_dir_async", map[string]any{"use_uv": false,
		"script_content": "import time\nfor i in range(40):\n    print(i, flush=True)\n    time.sleep(0.1)\n"})
	require.False(t, res.IsError, textOf(res))
	uri := "job-stream://" + structured(t, res)["job_id"].(string)
	require.NoError(t, b.Subscribe(context.Background(), &mcp.SubscribeParams{URI: uri}))
	select {
	case got := <-updated:
		require.Equal(t, uri, got)
	case <-time.After(30 * time.Second):
		t.Fatal("no resource update on B for A's job")
	}
	rr, err := b.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: uri})
	require.NoError(t, err)
	require.Contains(t, rr.Contents[0].Text, "---STDOUT---\n0\n")
}

// TestDatabaseRestartDuringJob: PostgreSQL restarts while a job prints;
// the job completes, every line reaches its log, and its end is recorded —
// nothing hangs and nothing is lost.
func TestDatabaseRestartDuringJob(t *testing.T) {
	t.Parallel()
	pg := testenv.NewPostgres(t) // its own server: this test restarts it
	url := pg.NewDatabase(t)
	a, _, _ := stdioServer(t, replicaEnv(t, url, "a", "machine-a")...)
	res := callTool(t, a, "run_script_in_dir_async", map[string]any{"use_uv": false,
		"script_content": "import time\nfor i in range(30):\n    print('line', i, flush=True)\n    time.sleep(0.1)\nprint('done')\n"})
	require.False(t, res.IsError, textOf(res))
	id := structured(t, res)["job_id"].(string)
	time.Sleep(700 * time.Millisecond) // a few lines in
	require.NoError(t, pg.Restart(context.Background()))
	var st map[string]any
	testenv.PollUntil(t, "the job's end after the database restart", func() bool {
		st = structured(t, callTool(t, a, "py_job_status", map[string]any{"job_id": id}))["job"].(map[string]any)
		return st["status"] != "running" && st["status"] != "pending"
	})
	require.Equal(t, "completed", st["status"], fmt.Sprint(st))
	out := structured(t, callTool(t, a, "get_job_output", map[string]any{"job_id": id}))
	var want strings.Builder
	for i := range 30 {
		fmt.Fprintf(&want, "line %d\n", i)
	}
	want.WriteString("done\n")
	require.Equal(t, want.String(), out["stdout"], "every line, once, in order")
}

// BenchmarkReplicaCancel measures a cancel sent to replica B for a job
// that runs on replica A (another machine, as far as the replicas can
// tell): from the py_cancel_job call to the job's process gone. The path:
// B records the cancel, PostgreSQL notifies A (LISTEN), A's tracker stops
// the run, the executor kills its process group. Setting up each job is
// not timed.
func BenchmarkReplicaCancel(b *testing.B) {
	pg := testenv.RequirePostgres(b)
	url := pg.NewDatabase(b)
	env := func(name, machine string) []string {
		return []string{"PYEXEC_DATA_DIR=" + b.TempDir(), "PYEXEC_JOB_STORE=" + url, "PYEXEC_REPLICA=" + name,
			"PYEXEC_REPLICA_MACHINE=" + machine}
	}
	a, _, _ := stdioServer(b, env("a", "machine-a")...)
	bb, _, _ := stdioServer(b, env("b", "machine-b")...)
	dir := b.TempDir()
	script := "import os, sys, time\nopen(sys.argv[1] + '.tmp', 'w').write(str(os.getpid()))\nos.rename(sys.argv[1] + '.tmp', sys.argv[1])\ntime.sleep(300)\n"
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		pidFile := filepath.Join(dir, strconv.Itoa(i))
		res := callTool(b, a, "run_script_in_dir_async", map[string]any{"use_uv": false, "script_content": script, "args": []string{pidFile}})
		id := structured(b, res)["job_id"].(string)
		var pid int
		testenv.PollUntil(b, "the job's pid", func() bool {
			data, err := os.ReadFile(pidFile)
			pid, _ = strconv.Atoi(string(data))
			return err == nil && pid > 0
		})
		b.StartTimer()
		res = callTool(b, bb, "py_cancel_job", map[string]any{"job_id": id})
		if st := structured(b, res)["status"]; st != "cancelled" {
			b.Fatalf("cancel on B: %v", structured(b, res))
		}
		for testenv.Alive(pid) {
			time.Sleep(100 * time.Microsecond) // a polling interval
		}
	}
}

// TestDoctorJobStore: doctor reports the PostgreSQL job store without
// changing it, and a database it cannot reach as a problem that stops the
// server, with the fix.
func TestDoctorJobStore(t *testing.T) {
	t.Parallel()
	// With a pool setting, which only the pool may read (PostgreSQL would
	// refuse it as a parameter of the connection).
	url := testenv.RequirePostgres(t).NewDatabase(t) + "&pool_max_conns=8"
	code, out, _ := runBinary(t, serverEnv(t), "doctor", "--job-store", url)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "jobs:      PostgreSQL 15")
	require.Contains(t, out, "no schema yet (the server creates it) · 0 jobs · live replicas: none")
	st, err := pgstore.Inspect(context.Background(), url)
	require.NoError(t, err)
	require.Equal(t, 0, st.Schema, "doctor created nothing")

	a, _, _ := stdioServer(t, replicaEnv(t, url, "a", "machine-a")...)
	_ = callTool(t, a, "run_script_in_dir", map[string]any{"use_uv": false, "script_content": "print(1)"})
	code, out, _ = runBinary(t, serverEnv(t), "doctor", "--job-store", url)
	require.Equal(t, 0, code, out)
	require.Regexp(t, `schema 1 · \d+ jobs · live replicas: a#[0-9a-f]{8}`, out)

	bad := strings.Replace(url, "/t", "/missing_", 1)
	code, out, _ = runBinary(t, serverEnv(t), "doctor", "--job-store", bad)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "PROBLEM (job store)")
	require.Contains(t, out, "fix: start PostgreSQL or correct -job-store")
}

// BenchmarkToolCallJobStore is BenchmarkToolCallStdio's print(1) over stdio
// on each job store: what a call that ends within its budget pays for its
// job record (created, marked running, its process and exit code recorded,
// discarded) in the data directory and in PostgreSQL on this machine.
func BenchmarkToolCallJobStore(b *testing.B) {
	url := testenv.RequirePostgres(b).NewDatabase(b)
	for _, bc := range []struct {
		name string
		env  []string
	}{
		{"directory", nil},
		{"postgres", []string{"PYEXEC_JOB_STORE=" + url, "PYEXEC_REPLICA=bench"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cs, _, _ := stdioServer(b, bc.env...)
			args := map[string]any{"directory": b.TempDir(), "script_path": printScript(b), "use_uv": false}
			for b.Loop() {
				res := callTool(b, cs, "run_script_in_dir", args)
				if res.IsError || structured(b, res)["stdout"] != "1\n" {
					b.Fatal(textOf(res))
				}
			}
		})
	}
}

// TestJobStoreFlags: the replica settings are read from flags and the
// environment, and a bad one is refused naming it (a URL never echoed: it
// may hold a password).
func TestJobStoreFlags(t *testing.T) {
	c, _, err := parseConfig("serve", []string{"-job-store", "postgresql://u:pw@db/x", "-replica", "pod-1", "-replica-lease", "10s"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "postgresql://u:pw@db/x", c.jobStore)
	require.Equal(t, "pod-1", c.replica)
	require.Equal(t, 10*time.Second, c.lease)
	t.Setenv("PYEXEC_JOB_STORE", "postgres://db/y")
	t.Setenv("PYEXEC_REPLICA_MACHINE", "m1")
	c, _, err = parseConfig("serve", nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, "postgres://db/y", c.jobStore)
	require.Equal(t, "m1", c.machine)

	_, _, err = parseConfig("serve", []string{"-job-store", "mysql://u:s3cret@db/x"}, io.Discard)
	require.ErrorContains(t, err, "-job-store (or PYEXEC_JOB_STORE) is not a PostgreSQL URL")
	require.NotContains(t, err.Error(), "s3cret")
	for _, lease := range []string{"0s", "500ms", "soon"} {
		_, _, err = parseConfig("serve", []string{"-replica-lease", lease}, io.Discard)
		require.ErrorContains(t, err, "-replica-lease")
		require.ErrorContains(t, err, "at least 1s")
	}
}

// TestJobStoreOpenErrors: a database the server cannot use is an error at
// start that names it, without its password, and the fix.
func TestJobStoreOpenErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	_, err := pgstore.Open(ctx, &pgstore.Options{})
	require.ErrorContains(t, err, "no database URL; set Options.URL")
	_, err = pgstore.Open(ctx, &pgstore.Options{URL: "postgres://u:s3cret@db:notaport/x"})
	require.ErrorContains(t, err, "is not valid")
	require.NotContains(t, err.Error(), "s3cret")

	url := testenv.RequirePostgres(t).NewDatabase(t)
	missing := strings.Replace(url, "/t", "/missing_", 1)
	_, err = pgstore.Open(ctx, &pgstore.Options{URL: missing, RetryFor: time.Second})
	require.ErrorContains(t, err, "check that the database exists")
	require.ErrorContains(t, err, "does not exist")
	// The server binary says the same and stops.
	code, _, stderr := runBinary(t, serverEnv(t), "call", "--job-store", missing, "py_list_jobs", "{}")
	require.NotEqual(t, 0, code)
	require.Contains(t, stderr, "check that the database exists")
}

// TestReplicasOverHTTP: the deployment the issue describes — replicas
// serving streamable HTTP — driven by the SDK's client: a job started
// through A's endpoint is read and cancelled through B's.
func TestReplicasOverHTTP(t *testing.T) {
	t.Parallel()
	url := testenv.RequirePostgres(t).NewDatabase(t)
	ctx := context.Background()
	endpoint := func(name, machine string) *mcp.ClientSession {
		cs, err := httpClient(t, httpBinary(t, append(serverEnv(t), replicaEnv(t, url, name, machine)...)), "")
		require.NoError(t, err)
		t.Cleanup(func() { _ = cs.Close() })
		return cs
	}
	a, b := endpoint("a", "machine-a"), endpoint("b", "machine-b")
	pidFile := filepath.Join(t.TempDir(), "pids")
	res := callTool(t, a, "run_script_in_dir_async", map[string]any{"use_uv": false, "script_content": treeScript, "args": []string{pidFile}})
	require.False(t, res.IsError, textOf(res))
	id := structured(t, res)["job_id"].(string)
	pids := waitPids(t, pidFile)
	testenv.PollUntil(t, "A's output read through B", func() bool {
		out := structured(t, callTool(t, b, "get_job_output", map[string]any{"job_id": id}))
		return strings.Contains(fmt.Sprint(out["stdout"]), "started")
	})
	st := structured(t, callTool(t, b, "py_job_status", map[string]any{"job_id": id}))["job"].(map[string]any)
	require.Equal(t, "running", st["status"])
	res, err := b.CallTool(ctx, &mcp.CallToolParams{Name: "py_cancel_job", Arguments: map[string]any{"job_id": id}})
	require.NoError(t, err)
	require.Equal(t, "cancelled", structured(t, res)["status"], textOf(res))
	testenv.RequireGone(t, pids...)
	st = structured(t, callTool(t, a, "py_job_status", map[string]any{"job_id": id}))["job"].(map[string]any)
	require.Equal(t, "cancelled", st["status"], "A sees the cancel it obeyed")
}
