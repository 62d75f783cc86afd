package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// httpServer serves the full server's protected HTTP handler on a loopback
// test listener.
func httpServer(t *testing.T, token string) *httptest.Server {
	t.Helper()
	cfg := &config{dataDir: t.TempDir(), python: testenv.Python(t), uv: testenv.UV(t), token: token,
		allowedOrigins: []string{"https://app.example"}}
	log := slog.New(slog.DiscardHandler)
	s, err := newServer(context.Background(), cfg, log)
	require.NoError(t, err)
	srv := httptest.NewServer(httpHandler(cfg, s, "127.0.0.1", log))
	t.Cleanup(func() {
		require.NoError(t, s.Close()) // running work first
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(r)
}

func httpClient(t *testing.T, url, token string) (*mcp.ClientSession, error) {
	t.Helper()
	hc := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	if token != "" {
		hc.Transport = bearer{token: token, next: hc.Transport}
	}
	t.Cleanup(hc.CloseIdleConnections)
	client := mcp.NewClient(&mcp.Implementation{Name: "http-test", Version: "v0"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url, HTTPClient: hc, MaxRetries: -1}, nil)
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

func TestHTTP(t *testing.T) {
	t.Parallel()
	srv := httpServer(t, "s3cret")

	t.Run("every tool with the token", func(t *testing.T) {
		cs, err := httpClient(t, srv.URL, "s3cret")
		require.NoError(t, err)
		tour(t, cs)
	})
	t.Run("missing token refused", func(t *testing.T) {
		_, err := httpClient(t, srv.URL, "")
		require.Error(t, err)
		require.Equal(t, http.StatusUnauthorized, post(t, srv.URL, nil).StatusCode)
	})
	t.Run("wrong token refused", func(t *testing.T) {
		_, err := httpClient(t, srv.URL, "guess")
		require.Error(t, err)
		resp := post(t, srv.URL, map[string]string{"Authorization": "Bearer guess"})
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode)
		require.Contains(t, resp.Header.Get("WWW-Authenticate"), "Bearer")
	})
	for _, tc := range []struct {
		name   string
		header map[string]string
		host   string
		status int
	}{
		{"foreign Origin refused", map[string]string{"Origin": "https://evil.example"}, "", http.StatusForbidden},
		{"null Origin refused", map[string]string{"Origin": "null"}, "", http.StatusForbidden},
		{"foreign Host refused (DNS rebinding)", nil, "evil.example:80", http.StatusForbidden},
		{"loopback Origin allowed", map[string]string{"Origin": "http://localhost:6274"}, "", http.StatusOK},
		{"configured Origin allowed", map[string]string{"Origin": "https://app.example"}, "", http.StatusOK},
		{"localhost Host allowed", nil, "localhost:1234", http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := map[string]string{"Authorization": "Bearer s3cret"}
			for k, v := range tc.header {
				h[k] = v
			}
			if tc.host != "" {
				h["Host"] = tc.host
			}
			resp := post(t, srv.URL, h)
			require.Equal(t, tc.status, resp.StatusCode, resp.Status)
		})
	}
}

// post sends an initialize request with the given headers ("Host" sets the
// Host header).
func post(t *testing.T, url string, headers map[string]string) *http.Response {
	t.Helper()
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"0"}}}`
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	client := &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	if id := resp.Header.Get("Mcp-Session-Id"); id != "" {
		// End the session the initialize opened, as a client would.
		del, err := http.NewRequest(http.MethodDelete, url, nil)
		require.NoError(t, err)
		del.Host = req.Host
		del.Header.Set("Mcp-Session-Id", id)
		for k, v := range headers {
			if k != "Host" {
				del.Header.Set(k, v)
			}
		}
		dresp, err := client.Do(del)
		require.NoError(t, err)
		require.NoError(t, dresp.Body.Close())
	}
	return resp
}

func TestListenAddr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, out  string
		loopback bool
	}{
		{":8080", "127.0.0.1:8080", true},
		{"localhost:9", "localhost:9", true},
		{"[::1]:9", "[::1]:9", true},
		{"0.0.0.0:9", "0.0.0.0:9", false},
		{"192.0.2.1:9", "192.0.2.1:9", false},
	} {
		got, lb, err := listenAddr(tc.in)
		require.NoError(t, err)
		require.Equal(t, tc.out, got)
		require.Equal(t, tc.loopback, lb, tc.in)
	}
	_, _, err := listenAddr("8080")
	require.Error(t, err)
}

// TestHTTPBeyondLoopbackNeedsToken: the server refuses to start bound
// beyond loopback without a token.
func TestHTTPBeyondLoopbackNeedsToken(t *testing.T) {
	t.Setenv("PYEXEC_DATA_DIR", t.TempDir())
	t.Setenv("PYEXEC_PYTHON", testenv.Python(t))
	var stdout, stderr strings.Builder
	code := run(context.Background(), []string{"--http", "0.0.0.0:0", "--groups", "jobs"}, strings.NewReader(""), &stdout, &stderr)
	require.Equal(t, 1, code)
	require.Contains(t, stderr.String(), "token")
}
