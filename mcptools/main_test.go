package mcptools_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/jobstore/pgstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

func TestMain(m *testing.M) {
	os.Exit(testenv.RunTests(m))
}

// jobStoreEnv set to "postgres" runs the harnesses on a PostgreSQL job
// store (pgstore) instead of the data directory's: the same tests, the
// other backend. Harnesses that share a data directory (two server
// processes) share a database.
const jobStoreEnv = "PYEXEC_TEST_JOB_STORE"

var (
	pgMu  sync.Mutex
	pgDBs = map[string]string{} // data directory → database URL
)

// pgStoreFor returns a pgstore for the harness of dataDir, closed at the
// end of the test (after the Toolset: cleanups run last-in first-out).
func pgStoreFor(t *testing.T, dataDir string) *pgstore.Store {
	t.Helper()
	pgMu.Lock()
	url, ok := pgDBs[dataDir]
	if !ok {
		url = testenv.RequirePostgres(t).NewDatabase(t)
		pgDBs[dataDir] = url
	}
	pgMu.Unlock()
	st, err := pgstore.Open(context.Background(), &pgstore.Options{URL: url, Lease: 2 * time.Second})
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, st.Close()) })
	return st
}

// harness is a Toolset on a server connected to a client through the SDK's
// in-memory transports.
type harness struct {
	t       *testing.T
	ts      *mcptools.Toolset
	server  *mcp.Server
	cs      *mcp.ClientSession
	dataDir string

	mu       sync.Mutex
	progress []*mcp.ProgressNotificationParams
	updated  []string
}

type harnessOptions struct {
	uv      bool   // the executor needs uv (offline wheels index)
	wheels  string // directory of wheels for uv (offline)
	dataDir string // shared with another harness; default a fresh one
	// protocol is the client's protocol version; default the SDK's latest.
	protocol string
	options  func(*mcptools.Options)
}

// newHarness starts a server with the pyexec tools and connects a client.
// Everything is closed at the end of the test: the client session, the
// Toolset (which cancels running jobs), then the server session.
func newHarness(t *testing.T, ho *harnessOptions) *harness {
	t.Helper()
	if ho == nil {
		ho = &harnessOptions{}
	}
	eo := &executor.Options{Python: testenv.Python(t), Grace: 500 * time.Millisecond, TempDir: t.TempDir(), DataDir: t.TempDir()}
	if ho.uv {
		eo.UV = testenv.UV(t)
		eo.UVCacheDir = t.TempDir()
		eo.UVArgs = []string{"--offline", "--no-index"}
		if ho.wheels != "" {
			eo.UVArgs = append(eo.UVArgs, "--find-links", ho.wheels)
		}
	}
	ex, err := executor.New(eo)
	require.NoError(t, err)
	h := &harness{t: t, dataDir: ho.dataDir}
	if h.dataDir == "" {
		h.dataDir = t.TempDir()
	}
	opts := &mcptools.Options{Executor: ex, DataDir: h.dataDir, ProgressInterval: 50 * time.Millisecond}
	if os.Getenv(jobStoreEnv) == "postgres" {
		opts.Store = pgStoreFor(t, h.dataDir)
	}
	if ho.options != nil {
		ho.options(opts)
	}
	h.ts, err = mcptools.New(context.Background(), opts)
	require.NoError(t, err)
	h.server = mcp.NewServer(&mcp.Implementation{Name: "pyexec-test", Version: "v0"}, h.ts.ServerOptions(nil))
	h.ts.Register(h.server)
	h.connect(ho.protocol)
	return h
}

func (h *harness) connect(protocol string) {
	t := h.t
	st, ct := mcp.NewInMemoryTransports()
	ss, err := h.server.Connect(context.Background(), st, nil)
	require.NoError(t, err)
	client := mcp.NewClient(&mcp.Implementation{Name: "test-client", Version: "v0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			h.mu.Lock()
			h.progress = append(h.progress, req.Params)
			h.mu.Unlock()
		},
		ResourceUpdatedHandler: func(_ context.Context, req *mcp.ResourceUpdatedNotificationRequest) {
			h.mu.Lock()
			h.updated = append(h.updated, req.Params.URI)
			h.mu.Unlock()
		},
	})
	h.cs, err = client.Connect(context.Background(), ct, &mcp.ClientSessionOptions{ProtocolVersion: protocol})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = h.cs.Close()
		require.NoError(t, h.ts.Close())
		_ = ss.Close()
		_ = ss.Wait()
	})
}

// call calls a tool and returns its result; a protocol error fails the test.
func (h *harness) call(name string, args map[string]any) *mcp.CallToolResult {
	h.t.Helper()
	res, err := h.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args})
	require.NoError(h.t, err)
	return res
}

// callOK calls a tool, requires a non-error result and decodes its
// structured content into out.
func (h *harness) callOK(name string, args map[string]any, out any) *mcp.CallToolResult {
	h.t.Helper()
	res := h.call(name, args)
	require.False(h.t, res.IsError, "tool error: %s", text(res))
	if out != nil {
		decode(h.t, res, out)
	}
	return res
}

// callErr calls a tool and requires a tool error; it returns its text.
func (h *harness) callErr(name string, args map[string]any) string {
	h.t.Helper()
	res := h.call(name, args)
	require.True(h.t, res.IsError, "expected a tool error, got: %s", text(res))
	return text(res)
}

func decode(t *testing.T, res *mcp.CallToolResult, out any) {
	t.Helper()
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, out), string(b))
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

func (h *harness) progressSnapshot() []*mcp.ProgressNotificationParams {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*mcp.ProgressNotificationParams(nil), h.progress...)
}

func (h *harness) updatedSnapshot() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.updated...)
}

// readPID waits for a script to write its pid (and its child's) to path.
func readPIDs(t *testing.T, path string, n int) []int {
	t.Helper()
	var pids []int
	testenv.PollUntil(t, "the script's pid file", func() bool {
		b, err := os.ReadFile(path)
		if err != nil {
			return false
		}
		fields := strings.Fields(string(b))
		if len(fields) < n || !strings.HasSuffix(string(b), "\n") {
			return false
		}
		pids = pids[:0]
		for _, f := range fields {
			p, err := strconv.Atoi(f)
			require.NoError(t, err)
			pids = append(pids, p)
		}
		return true
	})
	return pids
}

// startTreeJob starts treeScript as a background job and returns its id
// and the pids of the script and its grandchild, once both run.
func (h *harness) startTreeJob() (jobID string, pids []int) {
	h.t.Helper()
	pidFile := filepath.Join(h.t.TempDir(), "pids")
	var r mcptools.AsyncStarted
	h.callOK("run_script_in_dir_async", map[string]any{"directory": h.t.TempDir(), "use_uv": false, "script_content": treeScript, "args": []string{pidFile}}, &r)
	return r.JobID, readPIDs(h.t, pidFile, 2)
}

// writeWheel writes a pure-Python wheel of a module that holds its version.
func writeWheel(t *testing.T, dir, name, version string) {
	t.Helper()
	_, err := testenv.WriteWheel(dir, testenv.Wheel{Name: name, Version: version})
	require.NoError(t, err)
}
