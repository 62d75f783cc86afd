// Command mcp-executor is an MCP server that turns an assistant into a data
// analyst: persistent Python sessions (variables survive between calls,
// matplotlib figures come back as images, packages install into the live
// session) and a workspace of files that the code and the file tools share.
// It offers exactly execute_python, install_package, read_file, write_file
// and list_files, over stdio.
//
//	mcp-executor [-workspace DIR] [-python PATH] [-data-dir DIR] ...
//	mcp-executor -memory-limit-mb 1024 -no-network -read-only-fs -pid-namespace ...
//
// Every flag has an environment variable (see -h). The sandbox flags are
// python-executor-mcp's: they confine every session kernel and its
// installs (docs/isolation.md).
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
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/sandboxflag"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/session"
	"github.com/pyexec-mcp/pyexec/workspace"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// config is the server's configuration.
type config struct {
	dataDir, workspace, python, uv, logFile string
	maxSessions                             int
	packages                                []string
	// sandbox confines the session kernels and their installs, with
	// python-executor-mcp's flags (internal/sandboxflag).
	sandbox sandboxflag.Settings
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	fs := flag.NewFlagSet("mcp-executor", flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	var maxSessions, packages string
	fs.StringVar(&c.dataDir, "data-dir", env("PYEXEC_DATA_DIR", ""), "data directory: sessions' environments, jobs (env PYEXEC_DATA_DIR; default ~/.python_mcp)")
	fs.StringVar(&c.workspace, "workspace", env("PYEXEC_WORKSPACE", ""), "workspace directory, the sessions' working directory (env PYEXEC_WORKSPACE; default DATA_DIR/workspace)")
	fs.StringVar(&c.python, "python", env("PYEXEC_PYTHON", pyfind.DefaultName), "interpreter of the sessions (env PYEXEC_PYTHON)")
	fs.StringVar(&c.uv, "uv", env("PYEXEC_UV", ""), "uv binary for install_package (env PYEXEC_UV; default uv on PATH)")
	fs.StringVar(&c.logFile, "log-file", env("PYEXEC_LOG_FILE", ""), "append logs to this file instead of stderr (env PYEXEC_LOG_FILE)")
	fs.StringVar(&maxSessions, "max-sessions", env("PYEXEC_MAX_SESSIONS", ""), "maximum live sessions (env PYEXEC_MAX_SESSIONS; default 8)")
	fs.StringVar(&packages, "session-packages", env("PYEXEC_SESSION_PACKAGES", ""), "comma-separated packages every new session starts with (env PYEXEC_SESSION_PACKAGES)")
	sb := sandboxflag.Register(fs, "session kernels")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	var err error
	if c.sandbox, err = sb.Settings(); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if maxSessions != "" {
		n, err := strconv.Atoi(maxSessions)
		if err != nil {
			return nil, fmt.Errorf("-max-sessions %q: give an integer", maxSessions)
		}
		c.maxSessions = n
	}
	for _, p := range strings.Split(packages, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.packages = append(c.packages, p)
		}
	}
	if c.dataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no home directory: set -data-dir")
		}
		c.dataDir = filepath.Join(home, jobstore.DefaultDirName)
	}
	if c.workspace == "" {
		c.workspace = filepath.Join(c.dataDir, "workspace")
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "mcp-executor:", err)
		return 2
	}
	var logOut io.Writer = stderr // never stdout: it is the transport
	if cfg.logFile != "" {
		f, err := os.OpenFile(cfg.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			fmt.Fprintln(stderr, "mcp-executor:", err)
			return 2
		}
		defer f.Close()
		logOut = f
	}
	log := slog.New(slog.NewTextHandler(logOut, nil))
	srv, closeAll, err := newServer(ctx, cfg, log)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	log.Info("server started", "transport", "stdio", "workspace", cfg.workspace)
	runCtx, cancelRun := context.WithCancel(context.Background())
	defer cancelRun()
	stopAfter := context.AfterFunc(ctx, func() { closeAll(); cancelRun() }) // work first, then the session
	defer stopAfter()
	err = srv.Run(runCtx, mcptools.StdioTransport(stdin, stdout, log))
	closeAll()
	if err != nil && runCtx.Err() == nil && !errors.Is(err, io.EOF) {
		log.Error("server stopped", "err", err)
		return 1
	}
	return 0
}

// newServer builds the server; closeAll cancels running work (the
// Toolset), then ends the sessions and releases the workspace. It is
// idempotent.
func newServer(ctx context.Context, cfg *config, log *slog.Logger) (*mcp.Server, func(), error) {
	var policy *sandbox.Policy
	if cfg.sandbox.Policy.Enabled() {
		p := cfg.sandbox.Policy
		policy = &p
	}
	m, err := session.NewManager(&session.Options{
		Python: cfg.python, UV: cfg.uv, WorkspaceDir: cfg.workspace,
		DataDir: filepath.Join(cfg.dataDir, "sessions"), MaxSessions: cfg.maxSessions, StartupPackages: cfg.packages,
		Sandbox: policy, AllowDirectReferences: cfg.sandbox.AllowDirectReferences, AllowSourceBuilds: cfg.sandbox.AllowSourceBuilds,
	})
	if err != nil {
		return nil, nil, err
	}
	ws, err := workspace.Open(cfg.workspace, nil)
	if err != nil {
		_ = m.Close()
		return nil, nil, err
	}
	ts, err := mcptools.New(ctx, &mcptools.Options{
		DataDir: cfg.dataDir, Sessions: m, Workspace: ws, Logger: log, Sandbox: policy,
		Groups: []mcptools.Group{mcptools.GroupSession, mcptools.GroupWorkspace},
	})
	if err != nil {
		_ = ws.Close()
		_ = m.Close()
		return nil, nil, err
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "mcp-executor", Title: "Python sessions and workspace", Version: "v1"},
		ts.ServerOptions(&mcp.ServerOptions{Logger: log})) // instructions: the Toolset's, for the groups it serves
	ts.Register(srv)
	closed := false
	return srv, func() {
		if closed {
			return
		}
		closed = true
		_ = ts.Close()
		_ = m.Close()
		_ = ws.Close()
	}, nil
}
