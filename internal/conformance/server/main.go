// Command server is the fixture server of the MCP conformance tests
// (package internal/conformance): the tools, prompts and resources that the
// suite's server scenarios call by name (test_simple_text, greet,
// slow_compute, test://static-text, …), registered the way an embedding
// server registers its own: mcptools.New, Toolset.ServerOptions and
// Toolset.Register for pyexec's own tools, mcptools.AddTool for plain tools,
// mcptools.AddSmartTool for long-running ones (their calls become jobs, and
// tasks for a client of the tasks extension).
//
// The fixtures are test code; what the suite examines is pyexec's machinery
// underneath them, so no protocol behaviour is written here.
//
//	go run ./internal/conformance/server -data-dir DIR [-http 127.0.0.1:0]
//
// It prints "listening URL" on stdout once it accepts connections and
// serves until SIGINT or SIGTERM.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/mcptools"
)

// Timing of the smart-async fixtures. budget is below a second, so that
// slow_compute with seconds ≥ 1 and failing_job always outlive it (the
// tasks scenarios expect a task from them), and well above the few hundred
// milliseconds test_tool_with_progress takes, which must finish within it.
const (
	budget           = 600 * time.Millisecond
	progressInterval = 10 * time.Millisecond
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "conformance server:", err)
		os.Exit(1)
	}
}

func run() error {
	addr := flag.String("http", "127.0.0.1:0", "listen address (loopback)")
	dataDir := flag.String("data-dir", "", "data directory of the job store (required)")
	flag.Parse()
	if *dataDir == "" {
		return errors.New("-data-dir is required")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

	server, ts, err := newServer(ctx, *dataDir, log)
	if err != nil {
		return err
	}
	defer ts.Close()
	go watchResource(ctx, server)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	// Both protocol eras on one endpoint, as an embedder serves them.
	mux.Handle("/mcp", mcptools.HTTPHandler(server, nil))
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("listening http://%s/mcp\n", ln.Addr())

	select {
	case err = <-errc:
	case <-ctx.Done():
		_ = ts.Close() // running work first, then the connections
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if serr := srv.Shutdown(sctx); serr != nil {
			_ = srv.Close()
		}
		err = <-errc
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// newServer is the fixture server: pyexec's job tools, then every fixture.
func newServer(ctx context.Context, dataDir string, log *slog.Logger) (*mcp.Server, *mcptools.Toolset, error) {
	ts, err := mcptools.New(ctx, &mcptools.Options{
		DataDir:          dataDir,
		Budget:           budget,
		ProgressInterval: progressInterval,
		Groups:           []mcptools.Group{mcptools.GroupJobs}, // no Python needed
		Logger:           log,
	})
	if err != nil {
		return nil, nil, err
	}
	// An embedder's own handlers for its own resources and completions;
	// ServerOptions adds the job-stream subscriptions in front of them.
	server := mcp.NewServer(&mcp.Implementation{Name: "pyexec-conformance-fixtures", Version: "v1"},
		ts.ServerOptions(&mcp.ServerOptions{
			CompletionHandler:  complete,
			SubscribeHandler:   subscribe,
			UnsubscribeHandler: unsubscribe,
		}))
	ts.Register(server)
	addTools(server)
	addTaskTools(ts, server)
	addResources(server)
	addPrompts(server)
	return server, ts, nil
}
