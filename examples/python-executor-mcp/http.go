package main

import (
	"cmp"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
	"unicode"

	"github.com/pyexec-mcp/pyexec/mcptools"
)

// shutdownGrace bounds the wait for HTTP connections to finish on shutdown
// (standalone SSE streams never go idle by themselves).
const shutdownGrace = 5 * time.Second

// Connection timeouts of the HTTP server. They bound only the phases in which
// a client sends nothing useful: a connection whose request headers do not
// arrive within readHeaderTimeout, or that stays idle between requests for
// idleTimeout, is closed, so slow or half-open clients cannot pile up
// connections (and file descriptors). There is deliberately no ReadTimeout or
// WriteTimeout: they cover the whole request, and streamable HTTP keeps SSE
// responses open for the length of a tool call and for long-poll GETs.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 120 * time.Second
)

// maxTokenFile is the largest -token-file accepted; a token is a line, so a
// larger file is a wrong path, not a token.
const maxTokenFile = 4 << 10

// listenAddr applies the loopback default: an address without a host
// (":8080") binds 127.0.0.1. It reports whether the address is loopback.
func listenAddr(addr string) (string, bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", false, fmt.Errorf("-http %q: give HOST:PORT or :PORT (%v)", addr, err)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), isLoopbackHost(host), nil
}

func isLoopbackHost(h string) bool {
	h = strings.TrimSuffix(strings.ToLower(h), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(h, "[]"))
	return ip != nil && ip.IsLoopback()
}

// guard protects the MCP endpoint: DNS rebinding (Host), cross-origin
// browser requests (Origin) and, when configured, a bearer token.
type guard struct {
	next    http.Handler
	token   string
	hosts   map[string]bool // allowed Host names besides loopback ones
	anyHost bool            // "*" in allowed hosts
	origins map[string]bool // allowed origins besides loopback ones
}

func newGuard(next http.Handler, cfg *config, boundHost string) *guard {
	g := &guard{next: next, token: cfg.token, hosts: map[string]bool{}, origins: map[string]bool{}}
	for _, h := range cfg.allowedHosts {
		if h == "*" {
			g.anyHost = true
		}
		g.hosts[strings.ToLower(h)] = true
	}
	if ip := net.ParseIP(boundHost); ip != nil && ip.IsUnspecified() {
		if name, err := os.Hostname(); err == nil {
			g.hosts[strings.ToLower(name)] = true
		}
	} else if boundHost != "" {
		g.hosts[strings.ToLower(strings.Trim(boundHost, "[]"))] = true
	}
	for _, o := range cfg.allowedOrigins {
		g.origins[strings.TrimSuffix(strings.ToLower(o), "/")] = true
	}
	return g
}

func (g *guard) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if !isLoopbackHost(host) && !g.anyHost && !g.hosts[strings.ToLower(strings.Trim(host, "[]"))] {
		http.Error(w, fmt.Sprintf("Forbidden: Host %q is not allowed (DNS rebinding protection); add it with -allowed-hosts", r.Host), http.StatusForbidden)
		return
	}
	if origin := r.Header.Get("Origin"); origin != "" && !g.originAllowed(origin) {
		http.Error(w, fmt.Sprintf("Forbidden: Origin %q is not allowed; add it with -allowed-origins", origin), http.StatusForbidden)
		return
	}
	if g.token != "" {
		got, ok := bearerToken(r.Header.Get("Authorization"))
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(g.token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="python-executor-mcp"`)
			http.Error(w, "Unauthorized: send Authorization: Bearer <token>", http.StatusUnauthorized)
			return
		}
	}
	g.next.ServeHTTP(w, r)
}

// bearerToken returns the token of an Authorization header with the Bearer
// scheme. The scheme is case-insensitive (RFC 9110 §11.1) and the token
// follows it after one or more spaces (credentials = auth-scheme 1*SP token68).
func bearerToken(header string) (string, bool) {
	scheme, rest, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok := strings.TrimLeft(rest, " ")
	return tok, tok != ""
}

// readTokenFile reads the bearer token of -token-file: one line, surrounding
// whitespace (the trailing newline) trimmed. It refuses what cannot be a
// token file: not a regular file (a FIFO would block the start), larger than
// maxTokenFile, empty, or more than one word.
func readTokenFile(path string) (string, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("-token-file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("-token-file %s: not a regular file (%s); give a file holding the token", path, fi.Mode().Type())
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("-token-file: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxTokenFile+1))
	if err != nil {
		return "", fmt.Errorf("-token-file: %w", err)
	}
	if len(b) > maxTokenFile {
		return "", fmt.Errorf("-token-file %s: larger than %d bytes; give a file holding only the token", path, maxTokenFile)
	}
	tok := strings.TrimSpace(string(b))
	switch {
	case tok == "":
		return "", fmt.Errorf("-token-file %s is empty; write the token into it (e.g. openssl rand -hex 32 > %s)", path, path)
	case strings.ContainsFunc(tok, unicode.IsSpace):
		return "", fmt.Errorf("-token-file %s: the token must be one word on one line", path)
	}
	return tok, nil
}

func (g *guard) originAllowed(origin string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return false // includes the opaque "null" origin
	}
	if isLoopbackHost(u.Hostname()) {
		return true
	}
	return g.origins[strings.ToLower(u.Scheme+"://"+u.Host)]
}

// httpHandler is the protected streamable HTTP handler of s: clients of
// 2026-07-28 (stateless) and of earlier revisions (sessions) on one
// endpoint.
func httpHandler(cfg *config, s *server, boundHost string, log *slog.Logger) http.Handler {
	h := mcptools.HTTPHandler(s.mcp, &mcptools.HTTPOptions{
		SessionTimeout:  cfg.sessionTimeout,
		MaxRequestBytes: cfg.maxRequest,
		Logger:          log,
	})
	return newGuard(h, cfg, boundHost)
}

// newHTTPServer is the HTTP server of s with its connection timeouts
// (cfg.readHeaderTimeout and cfg.idleTimeout, zero for the defaults).
func newHTTPServer(cfg *config, s *server, boundHost string, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           httpHandler(cfg, s, boundHost, log),
		ReadHeaderTimeout: cmp.Or(cfg.readHeaderTimeout, readHeaderTimeout),
		IdleTimeout:       cmp.Or(cfg.idleTimeout, idleTimeout),
	}
}

// serveHTTP serves streamable HTTP until ctx ends; then it cancels the
// running work before closing the connections.
func serveHTTP(ctx context.Context, cfg *config, s *server, log *slog.Logger) error {
	addr, loopback, err := listenAddr(cfg.httpAddr)
	if err != nil {
		_ = s.Close()
		return err
	}
	if !loopback && cfg.token == "" {
		_ = s.Close()
		return fmt.Errorf("-http %s is beyond loopback: set PYEXEC_HTTP_TOKEN or -token-file (or -token) so that only your clients can run code", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		_ = s.Close()
		return err
	}
	host, _, _ := net.SplitHostPort(addr)
	srv := newHTTPServer(cfg, s, host, log)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.Info("server started", "transport", "http", "addr", ln.Addr().String(), "token", cfg.token != "", "version", version)
	select {
	case err = <-errc:
	case <-ctx.Done():
		log.Info("signal received: stopping running work, then the HTTP server")
		_ = s.Close()
		sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if serr := srv.Shutdown(sctx); serr != nil {
			_ = srv.Close()
		}
		err = <-errc
	}
	_ = s.Close()
	log.Info("server stopped", "transport", "http")
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
