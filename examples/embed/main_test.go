package main

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pyexec-mcp/pyexec/mcptools"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

type client struct {
	cs       *mcp.ClientSession
	mu       sync.Mutex
	progress []*mcp.ProgressNotificationParams
}

func connect(t *testing.T, budget time.Duration) *client {
	t.Helper()
	server, ts, err := newServer(context.Background(), &mcptools.Options{DataDir: t.TempDir(), Budget: budget, ProgressInterval: 20 * time.Millisecond})
	require.NoError(t, err)
	c := &client{}
	st, ct := mcp.NewInMemoryTransports()
	ss, err := server.Connect(context.Background(), st, nil)
	require.NoError(t, err)
	c.cs, err = mcp.NewClient(&mcp.Implementation{Name: "t", Version: "v0"}, &mcp.ClientOptions{
		ProgressNotificationHandler: func(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
			c.mu.Lock()
			c.progress = append(c.progress, req.Params)
			c.mu.Unlock()
		},
	}).Connect(context.Background(), ct, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = c.cs.Close()
		require.NoError(t, ts.Close())
		_ = ss.Close()
	})
	return c
}

func (c *client) call(t *testing.T, name string, args map[string]any, meta mcp.Meta, out any) *mcp.CallToolResult {
	t.Helper()
	res, err := c.cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: args, Meta: meta})
	require.NoError(t, err)
	require.False(t, res.IsError, "%v", res.Content)
	b, err := json.Marshal(res.StructuredContent)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, out))
	return res
}

func TestCountPrimesWithinBudget(t *testing.T) {
	c := connect(t, 0)
	var r mcptools.SmartResult[Primes]
	c.call(t, "count_primes", map[string]any{"limit": 2_000_000}, mcp.Meta{"progressToken": "p"}, &r)
	require.Equal(t, "completed", r.Status)
	require.Equal(t, Primes{Limit: 2_000_000, Count: 148933, Largest: 1999993}, *r.Result)
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NotEmpty(t, c.progress, "progress notifications while the client waits")
}

// TestCountPrimesAsJob: a count that outlives the budget becomes a job of
// the pyexec job system, with its progress and, in the end, its result.
func TestCountPrimesAsJob(t *testing.T) {
	c := connect(t, time.Millisecond)
	var r mcptools.SmartResult[Primes]
	c.call(t, "count_primes", map[string]any{"limit": 30_000_000, "job_label": "big sieve"}, nil, &r)
	require.Contains(t, []string{"running", "pending"}, r.Status) // pending if it had not started within 1 ms
	require.NotEmpty(t, r.JobID)
	var st mcptools.JobStatusResult
	deadline := time.Now().Add(time.Minute)
	for {
		c.call(t, "py_job_status", map[string]any{"job_id": r.JobID}, nil, &st)
		if st.Job.Status == "completed" || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond) // a polling interval
	}
	require.Equal(t, "completed", st.Job.Status, st.Job.Error)
	require.Equal(t, "big sieve", st.Job.Label)
	require.Equal(t, "count_primes", st.Job.Kind)
	require.Equal(t, 30_000_000.0, st.Job.Progress.Total)
	require.Equal(t, map[string]any{"limit": 30_000_000.0, "count": 1857859.0, "largest": 29999999.0}, st.Job.Result)
}

func TestCountPrimesCancel(t *testing.T) {
	c := connect(t, 0)
	var r mcptools.SmartResult[Primes]
	c.call(t, "count_primes", map[string]any{"limit": 50_000_000, "async_mode": true}, nil, &r)
	var cr mcptools.CancelResult
	c.call(t, "py_cancel_job", map[string]any{"job_id": r.JobID}, nil, &cr)
	require.Equal(t, "cancelled", cr.Status)
}
