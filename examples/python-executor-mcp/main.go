// Command python-executor-mcp is an MCP server that lets AI assistants run
// Python: one-shot scripts with dependencies (through uv), benchmarks,
// background jobs with live output and progress, and (with the session and
// workspace groups) stateful Python sessions and workspace files.
//
// Usage:
//
//	python-executor-mcp [serve] [flags]        serve MCP over stdio (default) or --http ADDR
//	python-executor-mcp call [flags] TOOL JSON  run one tool through an in-process MCP client and print its markdown
//	python-executor-mcp tools [flags]           list the tools
//	python-executor-mcp doctor [flags] [--json] check uv, interpreters, data directory and sandbox; say what to fix
//
// Every flag has an environment variable (see -h). The README has client
// configurations for Claude Desktop and VS Code.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"sync"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
	"github.com/pyexec-mcp/pyexec/jobstore/pgstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
)

// version is the server's version, set at build time with
// -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// run is the whole program, with its streams as parameters so that tests can
// drive it in-process. It returns the exit code.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && (args[0] == "serve" || args[0] == "call" || args[0] == "tools" || args[0] == "doctor") {
		cmd, args = args[0], args[1:]
	}
	cfg, fs, err := parseConfig(cmd, args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "python-executor-mcp:", err)
		return 2
	}
	log, closeLog, err := cfg.logger(stderr)
	if err != nil {
		fmt.Fprintln(stderr, "python-executor-mcp:", err)
		return 2
	}
	defer closeLog()
	if err := setupUV(ctx, cfg, stderr); err != nil {
		fmt.Fprintln(stderr, "python-executor-mcp:", err)
		return 1
	}
	switch cmd {
	case "call":
		return callCommand(ctx, cfg, fs.Args(), log, stdout, stderr)
	case "tools":
		return toolsCommand(ctx, cfg, log, stdout, stderr)
	case "doctor":
		return doctorCommand(ctx, cfg, fs.Args(), stdout, stderr)
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "python-executor-mcp: unexpected arguments %q; commands are serve, call, tools and doctor\n", fs.Args())
		return 2
	}
	if _, err := uvcmd.Find(cfg.uv); err != nil {
		log.Warn("uv not found: runs with use_uv (the default), dependencies and install_package will fail", "fix", uvHint)
	}
	if err := serve(ctx, cfg, log, stdin, stdout); err != nil {
		log.Error("server stopped with an error", "err", err)
		return 1
	}
	return 0
}

// server is a configured MCP server and what it owns.
type server struct {
	mcp     *mcp.Server
	tools   *mcptools.Toolset
	closers []func() error // closed after tools, in order

	once     sync.Once
	closeErr error
}

// Close cancels the running work first (Toolset.Close kills the process
// trees of running jobs), then closes the session manager. It is idempotent.
func (s *server) Close() error {
	s.once.Do(func() {
		errs := []error{s.tools.Close()}
		for _, c := range s.closers {
			errs = append(errs, c())
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// newServer builds the MCP server from cfg.
func newServer(ctx context.Context, cfg *config, log *slog.Logger) (*server, error) {
	ex, err := executor.New(&executor.Options{Python: cfg.python, UV: cfg.uv, DataDir: cfg.dataDir,
		AllowDirectReferences: cfg.allowDirectRefs, AllowSourceBuilds: cfg.allowBuilds})
	if err != nil {
		return nil, err
	}
	opts := &mcptools.Options{
		Executor:       ex,
		DataDir:        cfg.dataDir,
		ScriptsDir:     cfg.scriptsDir,
		Budget:         cfg.budget,
		MaxConcurrent:  cfg.maxConcurrent,
		ResponseTokens: cfg.responseTokens,
		Groups:         cfg.groups,
		Logger:         log,
		MaxOutputBytes: cfg.maxOutput,
	}
	if cfg.sandbox.Enabled() {
		opts.Sandbox = &cfg.sandbox
	}
	s := &server{}
	if cfg.jobStore != "" {
		// Closed after the Toolset (a closer), which cancels the running
		// jobs first.
		st, err := pgstore.Open(ctx, &pgstore.Options{URL: cfg.jobStore, Replica: cfg.replica, Machine: cfg.machine, Lease: cfg.lease, Logger: log})
		if err != nil {
			return nil, err
		}
		opts.Store = st
		s.closers = append(s.closers, st.Close)
		log.Info("job store: PostgreSQL, shared by replicas", "replica", st.Replica())
	}
	if err := addSessionTools(ctx, cfg, opts, s); err != nil {
		for _, c := range s.closers {
			_ = c()
		}
		return nil, err
	}
	s.tools, err = mcptools.New(ctx, opts)
	if err != nil {
		for _, c := range s.closers {
			_ = c()
		}
		return nil, err
	}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "python-executor-mcp", Title: "Python executor", Version: version},
		s.tools.ServerOptions(&mcp.ServerOptions{Logger: log})) // instructions: the Toolset's, for the groups it serves
	s.tools.Register(s.mcp)
	return s, nil
}

// serve runs the server over stdio or HTTP until the client disconnects or
// ctx ends (a signal).
func serve(ctx context.Context, cfg *config, log *slog.Logger, stdin io.Reader, stdout io.Writer) error {
	s, err := newServer(ctx, cfg, log)
	if err != nil {
		return err
	}
	if cfg.httpAddr != "" {
		return serveHTTP(ctx, cfg, s, log)
	}
	log.Info("server started", "transport", "stdio", "version", version, "data_dir", cfg.dataDir, "tools", len(s.tools.Names()))
	// A signal cancels the work first, then ends the session (docs/design.md §3: the
	// SDK's shutdown does not cancel handlers).
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	stopAfter := context.AfterFunc(ctx, func() {
		log.Info("signal received: stopping running work, then the session")
		_ = s.Close()
		cancelRun()
	})
	defer stopAfter()
	err = s.mcp.Run(runCtx, mcptools.StdioTransport(stdin, stdout, log))
	if cerr := s.Close(); cerr != nil {
		log.Warn("closing", "err", cerr)
	}
	log.Info("server stopped", "transport", "stdio")
	if errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
		return nil
	}
	return err
}
