package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// dropBound is how long a test waits for the server to close a connection
// whose timeout is 200 ms: generous for shared machines, yet below the 10 s
// default readHeaderTimeout, so it fails if the override does not reach the
// server (or if the server has no timeout at all).
const dropBound = 5 * time.Second

// timeoutServer serves the full server's HTTP server, as serveHTTP builds it,
// with the given connection timeouts on a loopback listener; it returns the
// listener's address.
func timeoutServer(t *testing.T, readHeader, idle time.Duration) string {
	t.Helper()
	cfg := &config{dataDir: t.TempDir(), python: testenv.Python(t), uv: testenv.UV(t),
		readHeaderTimeout: readHeader, idleTimeout: idle}
	log := slog.New(slog.DiscardHandler)
	s, err := newServer(context.Background(), cfg, log)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := newHTTPServer(cfg, s, "127.0.0.1", log)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		require.NoError(t, s.Close()) // running work first
		require.NoError(t, srv.Close())
		require.ErrorIs(t, <-served, http.ErrServerClosed)
	})
	return ln.Addr().String()
}

// closedAfter reads r (of c) until the server closes c and returns how long
// that took from since; the error is os.ErrDeadlineExceeded if c is still
// open after dropBound. It does not touch t, so goroutines may call it.
func closedAfter(c net.Conn, r io.Reader, since time.Time) (time.Duration, error) {
	if err := c.SetReadDeadline(since.Add(dropBound)); err != nil {
		return 0, err
	}
	_, err := io.Copy(io.Discard, r) // nil at EOF
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return time.Since(since), err
	}
	return time.Since(since), nil // EOF or reset: closed
}

// TestHTTPDropsHalfOpenConnections: connections whose request headers never
// finish are closed after the read-header timeout, and a real client is
// served while they are open.
func TestHTTPDropsHalfOpenConnections(t *testing.T) {
	t.Parallel()
	const timeout, n = 200 * time.Millisecond, 50
	addr := timeoutServer(t, timeout, 0)

	conns, opened := make([]net.Conn, n), make([]time.Time, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		_, err = io.WriteString(c, "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appli")
		require.NoError(t, err)
		conns[i], opened[i] = c, time.Now()
	}

	start := time.Now()
	cs, err := httpClient(t, "http://"+addr, "")
	require.NoError(t, err)
	tools, err := cs.ListTools(context.Background(), nil)
	require.NoError(t, err)
	require.NotEmpty(t, tools.Tools)
	t.Logf("MCP initialize + tools/list with %d half-open connections: %v", n, time.Since(start))

	type drop struct {
		took time.Duration
		err  error
	}
	drops := make(chan drop, n) // one per connection: the readers never block
	for i, c := range conns {
		go func() {
			d, err := closedAfter(c, c, opened[i])
			drops <- drop{d, err}
		}()
	}
	var slowest time.Duration
	for range n {
		d := <-drops
		require.NoError(t, d.err, "half-open connection still open after %v", d.took)
		slowest = max(slowest, d.took)
	}
	t.Logf("%d half-open connections dropped, the last %v after its partial headers (timeout %v)", n, slowest, timeout)
}

// TestHTTPDropsIdleConnections: a keep-alive connection with no next request
// is closed after the idle timeout, while a tool call that outlasts both
// timeouts (its response stream silent meanwhile) still completes.
func TestHTTPDropsIdleConnections(t *testing.T) {
	t.Parallel()
	const timeout = 200 * time.Millisecond
	addr := timeoutServer(t, timeout, timeout)

	t.Run("idle keep-alive connection closed", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		defer c.Close()
		// A request the guard answers itself (foreign Host), keeping the connection alive.
		_, err = io.WriteString(c, "GET /mcp HTTP/1.1\r\nHost: evil.example\r\n\r\n")
		require.NoError(t, err)
		br := bufio.NewReader(c)
		resp, err := http.ReadResponse(br, nil)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
		require.False(t, resp.Close, "the server should keep the connection alive")
		took, err := closedAfter(c, br, time.Now())
		require.NoError(t, err, "idle connection still open after %v", took)
		t.Logf("idle keep-alive connection dropped after %v (timeout %v)", took, timeout)
	})
	t.Run("long tool call not cut", func(t *testing.T) {
		cs, err := httpClient(t, "http://"+addr, "")
		require.NoError(t, err)
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "run_script_in_dir", Arguments: map[string]any{
			"directory": t.TempDir(), "use_uv": false,
			"script_content": "import time\ntime.sleep(1)\nprint('slept')",
		}})
		require.NoError(t, err)
		require.False(t, res.IsError, textOf(res))
		require.Contains(t, textOf(res), "slept")
	})
}

func TestBearerToken(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	g := newGuard(ok, &config{token: "s3cret"}, "127.0.0.1")
	for _, tc := range []struct {
		name, authorization string
		status              int
	}{
		{"canonical", "Bearer s3cret", http.StatusOK},
		{"lower-case scheme", "bearer s3cret", http.StatusOK},
		{"upper-case scheme", "BEARER s3cret", http.StatusOK},
		{"several spaces", "Bearer   s3cret", http.StatusOK},
		{"wrong token", "Bearer guess", http.StatusUnauthorized},
		{"token prefix", "Bearer s3cre", http.StatusUnauthorized},
		{"Basic scheme", "Basic czNjcmV0", http.StatusUnauthorized},
		{"Basic scheme with the token", "Basic s3cret", http.StatusUnauthorized},
		{"no space", "Bearers3cret", http.StatusUnauthorized},
		{"scheme only", "Bearer", http.StatusUnauthorized},
		{"scheme and spaces only", "Bearer   ", http.StatusUnauthorized},
		{"token without scheme", "s3cret", http.StatusUnauthorized},
		{"missing", "", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1/mcp", nil)
			if tc.authorization != "" {
				req.Header.Set("Authorization", tc.authorization)
			}
			rec := httptest.NewRecorder()
			g.ServeHTTP(rec, req)
			require.Equal(t, tc.status, rec.Code)
			if tc.status == http.StatusUnauthorized {
				require.Contains(t, rec.Header().Get("WWW-Authenticate"), "Bearer")
			}
		})
	}
}

// TestTokenFile: -token-file and PYEXEC_HTTP_TOKEN_FILE. Not parallel: it
// sets the token variables.
func TestTokenFile(t *testing.T) {
	t.Setenv("PYEXEC_HTTP_TOKEN", "")
	t.Setenv("PYEXEC_HTTP_TOKEN_FILE", "")
	dir := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		token   string
		errWant []string // substrings of the error; none: no error
	}{
		{"trailing newline trimmed", []string{"-token-file", file("nl", "s3cret\n")}, nil, "s3cret", nil},
		{"CRLF and spaces trimmed", []string{"-token-file", file("crlf", "  s3cret \r\n")}, nil, "s3cret", nil},
		{"from the environment", nil, map[string]string{"PYEXEC_HTTP_TOKEN_FILE": file("env", "envtok\n")}, "envtok", nil},
		{"-token alone", []string{"-token", "flagtok"}, nil, "flagtok", nil},
		{"empty file", []string{"-token-file", file("empty", "")}, nil, "", []string{"empty"}},
		{"whitespace only", []string{"-token-file", file("blank", " \n\n")}, nil, "", []string{"empty"}},
		{"two lines", []string{"-token-file", file("two", "a\nb\n")}, nil, "", []string{"one word"}},
		{"larger than 4 KiB", []string{"-token-file", file("big", strings.Repeat("a", maxTokenFile+1))}, nil, "", []string{"larger than 4096"}},
		{"directory", []string{"-token-file", dir}, nil, "", []string{"not a regular file"}},
		{"missing file", []string{"-token-file", filepath.Join(dir, "none")}, nil, "", []string{"-token-file", "no such file"}},
		{"both flags", []string{"-token", "x", "-token-file", file("both", "y")}, nil, "", []string{"-token ", "-token-file", "only one"}},
		{"env token and flag file", []string{"-token-file", file("both2", "y")}, map[string]string{"PYEXEC_HTTP_TOKEN": "x"}, "", []string{"PYEXEC_HTTP_TOKEN", "-token-file", "only one"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, _, err := parseConfig("serve", tc.args, io.Discard)
			if len(tc.errWant) > 0 {
				require.Error(t, err)
				for _, s := range tc.errWant {
					require.Contains(t, err.Error(), s)
				}
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.token, c.token)
		})
	}
}
