package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/sandboxflag"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// config is the server's configuration: flags, each with an environment
// variable as its default (so client configurations can use either).
type config struct {
	dataDir        string
	scriptsDir     string
	python         string
	uv             string
	installUV      bool // install uv with pip when it is missing (setupUV)
	jsonOut        bool // doctor --json
	budget         time.Duration
	budgetSet      bool
	maxConcurrent  int
	responseTokens int
	groups         []mcptools.Group
	logFile        string
	logLevel       slog.Level
	// jobStore is a PostgreSQL URL (pgstore) shared by replicas; empty:
	// the directory store in dataDir. replica and lease configure the
	// replica (pgstore.Options).
	jobStore string
	replica  string
	machine  string // PYEXEC_REPLICA_MACHINE, no flag: pgstore.Options.Machine
	lease    time.Duration

	httpAddr       string
	token          string
	allowedOrigins []string
	allowedHosts   []string
	sessionTimeout time.Duration
	maxRequest     int64 // largest HTTP request body (0: mcptools.DefaultMaxRequestBytes)
	// readHeaderTimeout and idleTimeout override the HTTP server's
	// connection timeouts (zero: readHeaderTimeout, idleTimeout); no flags,
	// tests set them.
	readHeaderTimeout time.Duration
	idleTimeout       time.Duration

	workspace       string
	sessionPackages []string
	maxSessions     int

	sandbox   sandbox.Policy
	maxOutput int64
	// allowDirectRefs and allowBuilds lift the rules of confined installs
	// (executor.Options and session.Options AllowDirectReferences,
	// AllowSourceBuilds).
	allowDirectRefs bool
	allowBuilds     bool
}

// envOr returns the environment variable's value, or def.
func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

// parseConfig parses the flags of the serve and call commands.
func parseConfig(name string, args []string, stderr io.Writer) (*config, *flag.FlagSet, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	c := &config{}
	var budget, groups, origins, hosts, level, session, packages string
	var maxConc, respTokens, maxSessions, lease string
	fs.StringVar(&c.dataDir, "data-dir", envOr("PYEXEC_DATA_DIR", ""), "data directory: jobs, logs, saved and autosaved scripts (env PYEXEC_DATA_DIR; default ~/.python_mcp)")
	fs.StringVar(&c.scriptsDir, "scripts-dir", envOr("PYEXEC_SCRIPTS_DIR", ""), "saved-scripts directory for py_list_scripts/py_view_script (env PYEXEC_SCRIPTS_DIR; default DATA_DIR/scripts)")
	fs.StringVar(&c.python, "python", envOr("PYEXEC_PYTHON", ""), "default Python interpreter, a name on PATH or a path (env PYEXEC_PYTHON; default python3)")
	fs.StringVar(&c.uv, "uv", envOr("PYEXEC_UV", ""), "uv binary (env PYEXEC_UV; default uv on PATH, ~/.local/bin/uv, ~/.cargo/bin/uv)")
	fs.BoolVar(&c.installUV, "install-uv", envOr("PYEXEC_INSTALL_UV", "") == "1", "when uv is not found, install it first with `python3 -m pip install --user uv` (into ~/.local/bin) and say so on stderr (env PYEXEC_INSTALL_UV=1); never without this")
	fs.StringVar(&budget, "budget", envOr(smartasync.BudgetEnv, ""), "smart-async budget: seconds a call may run before it continues as a job (env "+smartasync.BudgetEnv+"; default 20)")
	fs.StringVar(&maxConc, "max-concurrent", envOr("PYEXEC_MAX_CONCURRENT", ""), fmt.Sprintf("scripts running at once; more wait (env PYEXEC_MAX_CONCURRENT; default %d; -1 no limit)", mcptools.DefaultMaxConcurrent))
	fs.StringVar(&respTokens, "response-tokens", envOr("PYEXEC_RESPONSE_TOKENS", ""), "output one tool result shows, in tokens of about 4 bytes; the rest stays readable with get_job_output (env PYEXEC_RESPONSE_TOKENS; default 8000, at most 32000)")
	fs.StringVar(&groups, "groups", envOr("PYEXEC_TOOL_GROUPS", ""), "comma-separated tool groups: run, jobs, scripts, session, workspace (env PYEXEC_TOOL_GROUPS; default all)")
	fs.StringVar(&c.jobStore, "job-store", envOr("PYEXEC_JOB_STORE", ""), "postgres://user@host/db: keep jobs in PostgreSQL, shared by every replica of this server (env PYEXEC_JOB_STORE; default the data directory; docs/scale-out.md)")
	fs.StringVar(&c.replica, "replica", envOr("PYEXEC_REPLICA", ""), "this replica's name in the shared job store, e.g. the pod name (env PYEXEC_REPLICA; default hostname-pid)")
	fs.StringVar(&lease, "replica-lease", envOr("PYEXEC_REPLICA_LEASE", ""), "how long a replica may miss heartbeats before the others fail its jobs (env PYEXEC_REPLICA_LEASE; default 30s)")
	c.machine = envOr("PYEXEC_REPLICA_MACHINE", "")
	fs.StringVar(&c.logFile, "log-file", envOr("PYEXEC_LOG_FILE", ""), "append logs to this file instead of stderr (env PYEXEC_LOG_FILE); never stdout")
	fs.StringVar(&level, "log-level", envOr("PYEXEC_LOG_LEVEL", ""), "debug, info, warn or error (env PYEXEC_LOG_LEVEL; default info, warn for call and tools)")
	fs.StringVar(&c.httpAddr, "http", envOr("PYEXEC_HTTP_ADDR", ""), "serve streamable HTTP on ADDR instead of stdio; \":8080\" binds loopback only (env PYEXEC_HTTP_ADDR)")
	var tokenFile string
	fs.StringVar(&c.token, "token", envOr("PYEXEC_HTTP_TOKEN", ""), "bearer token HTTP clients must send; required when bound beyond loopback (env PYEXEC_HTTP_TOKEN). Prefer the env var or -token-file: every local user can read a command line (/proc/PID/cmdline, ps), a process's environment only its user and root")
	fs.StringVar(&tokenFile, "token-file", envOr("PYEXEC_HTTP_TOKEN_FILE", ""), "read the bearer token from this file, one line (env PYEXEC_HTTP_TOKEN_FILE); keeps it off the command line")
	fs.StringVar(&origins, "allowed-origins", envOr("PYEXEC_ALLOWED_ORIGINS", ""), "extra browser origins allowed over HTTP, comma-separated, e.g. https://app.example (env PYEXEC_ALLOWED_ORIGINS); loopback origins are always allowed")
	fs.StringVar(&hosts, "allowed-hosts", envOr("PYEXEC_ALLOWED_HOSTS", ""), "extra Host header names allowed over HTTP, comma-separated (env PYEXEC_ALLOWED_HOSTS); loopback names and the bound address are always allowed")
	fs.StringVar(&session, "session-timeout", envOr("PYEXEC_SESSION_TIMEOUT", "30m"), "close idle HTTP sessions after this long (env PYEXEC_SESSION_TIMEOUT; 0 never)")
	fs.StringVar(&c.workspace, "workspace", envOr("PYEXEC_WORKSPACE", ""), "workspace directory of the session and workspace tools, the sessions' working directory (env PYEXEC_WORKSPACE; default DATA_DIR/workspace)")
	fs.StringVar(&packages, "session-packages", envOr("PYEXEC_SESSION_PACKAGES", ""), "comma-separated packages every new Python session starts with (env PYEXEC_SESSION_PACKAGES)")
	fs.StringVar(&maxSessions, "max-sessions", envOr("PYEXEC_MAX_SESSIONS", ""), "maximum live Python sessions (env PYEXEC_MAX_SESSIONS)")
	var outMB, reqMB string
	fs.StringVar(&reqMB, "max-request-mb", envOr("PYEXEC_MAX_REQUEST_MB", ""), "largest HTTP request body in MiB (env PYEXEC_MAX_REQUEST_MB; default 4)")
	fs.StringVar(&outMB, "max-output-mb", envOr("PYEXEC_MAX_OUTPUT_MB", ""), "stop a script once its output passes this many MiB (env PYEXEC_MAX_OUTPUT_MB)")
	if name == "doctor" {
		fs.BoolVar(&c.jsonOut, "json", false, "print the report as JSON")
	}
	// The confinement flags are mcp-executor's too: one definition.
	sb := sandboxflag.Register(fs, "script runs and session kernels")
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	var errs []error
	if budget != "" {
		d, err := smartasync.ParseBudget(budget)
		errs = append(errs, err)
		c.budget, c.budgetSet = d, err == nil
	}
	c.maxConcurrent, errs = atoiInto(maxConc, "max-concurrent", errs)
	c.responseTokens, errs = atoiInto(respTokens, "response-tokens", errs)
	c.maxSessions, errs = atoiInto(maxSessions, "max-sessions", errs)
	var out int
	out, errs = atoiInto(outMB, "max-output-mb", errs)
	c.maxOutput = int64(out) << 20
	var req int
	req, errs = atoiInto(reqMB, "max-request-mb", errs)
	c.maxRequest = int64(req) << 20
	st, err := sb.Settings()
	errs = append(errs, err)
	c.sandbox, c.allowDirectRefs, c.allowBuilds = st.Policy, st.AllowDirectReferences, st.AllowSourceBuilds
	for _, g := range sandboxflag.SplitList(groups) {
		c.groups = append(c.groups, mcptools.Group(g))
	}
	c.allowedOrigins, c.allowedHosts = sandboxflag.SplitList(origins), sandboxflag.SplitList(hosts)
	if tokenFile != "" {
		if c.token != "" {
			errs = append(errs, errors.New("-token (or PYEXEC_HTTP_TOKEN) and -token-file (or PYEXEC_HTTP_TOKEN_FILE) are both set: give only one"))
		} else {
			var err error
			c.token, err = readTokenFile(tokenFile)
			errs = append(errs, err)
		}
	}
	c.sessionPackages = sandboxflag.SplitList(packages)
	if level == "" {
		level = "info"
		if name != "serve" {
			level = "warn" // a one-shot command prints results, not lifecycle events
		}
	}
	if err := c.logLevel.UnmarshalText([]byte(level)); err != nil {
		errs = append(errs, fmt.Errorf("-log-level %q: use debug, info, warn or error", level))
	}
	if c.jobStore != "" && !strings.HasPrefix(c.jobStore, "postgres://") && !strings.HasPrefix(c.jobStore, "postgresql://") {
		// Not echoed: it may hold a password.
		errs = append(errs, errors.New("-job-store (or PYEXEC_JOB_STORE) is not a PostgreSQL URL: give postgres://user:password@host:5432/database, or nothing for the data directory"))
	}
	if lease != "" {
		if d, err := time.ParseDuration(lease); err != nil || d < time.Second {
			errs = append(errs, fmt.Errorf("-replica-lease %q: give a duration of at least 1s, such as 30s", lease))
		} else {
			c.lease = d
		}
	}
	if d, err := time.ParseDuration(session); err != nil || d < 0 {
		errs = append(errs, fmt.Errorf("-session-timeout %q: give a duration such as 30m, or 0", session))
	} else {
		c.sessionTimeout = d
	}
	return c, fs, errors.Join(errs...)
}

func atoiInto(s, name string, errs []error) (int, []error) {
	if s == "" {
		return 0, errs
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, append(errs, fmt.Errorf("-%s %q: give an integer", name, s))
	}
	return n, errs
}

// logger builds the server's logger: stderr or a file, never stdout (the
// stdio transport). The returned closer closes the file.
func (c *config) logger(stderr io.Writer) (*slog.Logger, func(), error) {
	w, closeFn := stderr, func() {}
	if c.logFile != "" {
		f, err := os.OpenFile(c.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, fmt.Errorf("-log-file: %w", err)
		}
		w, closeFn = f, func() { _ = f.Close() }
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: c.logLevel})), closeFn, nil
}
