package mcptools_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

func TestJobStreamResource(t *testing.T) {
	t.Parallel()
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) { o.ResponseTokens = 1500 }}) // 4000 bytes of output
	ctx := context.Background()
	var r mcptools.AsyncStarted
	h.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false,
		"script_content": "import sys\nprint('hello')\nprint('warn', file=sys.stderr)"}, &r)
	h.waitJob(r.JobID)

	t.Run("seed format", func(t *testing.T) {
		res, err := h.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcptools.JobStreamURI(r.JobID)})
		require.NoError(t, err)
		require.Len(t, res.Contents, 1)
		require.Equal(t, "---STDOUT---\nhello\n---STDERR---\nwarn\n", res.Contents[0].Text)
	})
	t.Run("huge logs are tail-capped", func(t *testing.T) {
		var big mcptools.AsyncStarted
		h.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false,
			"script_content": "for i in range(20000): print(f'line {i}')"}, &big)
		h.waitJob(big.JobID)
		res, err := h.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcptools.JobStreamURI(big.JobID)})
		require.NoError(t, err)
		text := res.Contents[0].Text
		require.Less(t, len(text), 4096+200)
		require.True(t, strings.HasPrefix(text, "---STDOUT---\n… "), text[:80])
		require.Contains(t, text, "earlier bytes omitted")
		require.Contains(t, text, "line 19999\n---STDERR---\n")
	})
	t.Run("unknown job", func(t *testing.T) {
		_, err := h.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: mcptools.JobStreamURI("0123456789abcdef")})
		require.Error(t, err)
		_, err = h.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "job-stream://../../x"})
		require.Error(t, err)
	})
}

// TestJobStreamSubscription: a subscriber is notified when the output grows
// and when the job ends.
func TestJobStreamSubscription(t *testing.T) {
	t.Parallel()
	for _, protocol := range []string{"", "2025-11-25"} { // latest: subscriptions/listen; legacy: resources/subscribe
		t.Run("protocol "+protocol, func(t *testing.T) {
			t.Parallel()
			testSubscription(t, protocol)
		})
	}
}

func testSubscription(t *testing.T, protocol string) {
	h := newHarness(t, &harnessOptions{protocol: protocol})
	ctx := context.Background()
	gate := filepath.Join(t.TempDir(), "gate")
	var r mcptools.AsyncStarted
	h.callOK("run_script_in_dir_async", map[string]any{"directory": t.TempDir(), "use_uv": false,
		"script_content": `import os, time
while not os.path.exists(` + pyQuote(gate) + `):
    time.sleep(0.01)
print("output arrived", flush=True)
while not os.path.exists(` + pyQuote(gate+"2") + `):
    time.sleep(0.01)
`}, &r)
	uri := mcptools.JobStreamURI(r.JobID)
	require.NoError(t, h.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}))
	count := func() int {
		n := 0
		for _, u := range h.updatedSnapshot() {
			if u == uri {
				n++
			}
		}
		return n
	}
	require.Zero(t, count())
	require.NoError(t, os.WriteFile(gate, nil, 0o600))
	testenv.PollUntil(t, "an update for new output", func() bool { return count() >= 1 })
	res, err := h.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
	require.NoError(t, err)
	require.Contains(t, res.Contents[0].Text, "output arrived")
	before := count()
	require.NoError(t, os.WriteFile(gate+"2", nil, 0o600))
	testenv.PollUntil(t, "an update when the job ends", func() bool { return count() > before })
	require.Equal(t, "completed", h.waitJob(r.JobID).Status)

	if protocol != "" {
		// The legacy request has an answer; subscriptions/listen has none.
		err := h.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: mcptools.JobStreamURI("0123456789abcdef")})
		require.ErrorContains(t, err, "not found")
	}
	require.NoError(t, h.cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: uri}))
}

// TestJobStreamSubscribeErrors: a client sees JSON-RPC codes, not code 0, for
// a URI that cannot be subscribed to, and a message that says what to do.
func TestJobStreamSubscribeErrors(t *testing.T) {
	t.Parallel()
	// The legacy protocol answers resources/subscribe; the latest one's
	// subscriptions/listen runs in the client's background.
	h := newHarness(t, &harnessOptions{protocol: "2025-11-25"})
	ctx := context.Background()
	wireError := func(t *testing.T, err error) *jsonrpc.Error {
		t.Helper()
		var we *jsonrpc.Error
		require.ErrorAs(t, err, &we)
		return we
	}
	t.Run("not a job stream", func(t *testing.T) {
		const uri = "file:///etc/hosts"
		for name, err := range map[string]error{
			"subscribe":   h.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}),
			"unsubscribe": h.cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: uri}),
		} {
			we := wireError(t, err)
			require.EqualValues(t, jsonrpc.CodeInvalidParams, we.Code, name)
			require.Contains(t, we.Message, uri, name)
			require.Contains(t, we.Message, "job-stream://{job_id}", name)
		}
	})
	// A job stream's subscribe answers a missing job as resources/read does
	// (mcp.ResourceNotFoundError's code and data), with its own message.
	notFound := func(t *testing.T, uri string) *jsonrpc.Error {
		t.Helper()
		_, readErr := h.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		read := wireError(t, readErr)
		we := wireError(t, h.cs.Subscribe(ctx, &mcp.SubscribeParams{URI: uri}))
		require.Equal(t, read.Code, we.Code)
		require.NotZero(t, we.Code)
		require.JSONEq(t, `{"uri":`+strconv.Quote(uri)+`}`, string(we.Data))
		require.Contains(t, we.Message, "py_list_jobs")
		require.NoError(t, h.cs.Unsubscribe(ctx, &mcp.UnsubscribeParams{URI: uri}), "unsubscribing from a gone job is harmless")
		return we
	}
	t.Run("unknown job", func(t *testing.T) {
		we := notFound(t, mcptools.JobStreamURI("0123456789abcdef"))
		require.Contains(t, we.Message, `job "0123456789abcdef" not found`)
	})
	t.Run("not a job id", func(t *testing.T) {
		we := notFound(t, "job-stream://../x")
		require.Contains(t, we.Message, `"../x" is not a job id`)
	})
}
