package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/jobstore/pgstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/smartasync"
)

// lowSpace is the free space below which doctor warns: one environment
// with a scientific stack takes hundreds of MiB.
const lowSpace = 1 << 30

// report is what `doctor` finds; --json prints it as is.
type report struct {
	// OK is false when something the server needs is missing (Problems
	// with Required set): the exit status is then 1.
	OK      bool         `json:"ok"`
	Version string       `json:"version"`
	UV      uvReport     `json:"uv"`
	Python  pythonReport `json:"python"`
	DataDir dirReport    `json:"data_dir"`
	// JobStore is the PostgreSQL job store of --job-store; null: the data
	// directory's.
	JobStore *pgstore.Status `json:"job_store"`
	Sandbox  []switchState   `json:"sandbox"`
	Server   serverReport    `json:"server"`
	Problems []problem       `json:"problems"`
}

type uvReport struct {
	Path    string `json:"path,omitempty"`    // the binary runs use
	Version string `json:"version,omitempty"` // `uv --version`
}

type pythonReport struct {
	Default   *executor.Interpreter  `json:"default"`   // runs without python_version; null if missing
	Installed []executor.Interpreter `json:"installed"` // what python_version can select
}

type dirReport struct {
	Path      string `json:"path"`
	Exists    bool   `json:"exists"`
	Writable  bool   `json:"writable"`             // by this user (or creatable, when missing)
	FreeBytes int64  `json:"free_bytes,omitempty"` // for unprivileged users; 0 if unknown
}

// switchState is one sandbox switch: whether this machine can enforce it,
// and if not, the reason a call that asks for it is refused with.
type switchState struct {
	Switch      string `json:"switch"` // the limits member / policy name
	Flag        string `json:"flag"`
	Configured  bool   `json:"configured"` // on for every run by the server's flags
	Enforceable bool   `json:"enforceable"`
	Reason      string `json:"reason,omitempty"`
}

type serverReport struct {
	Transport      string   `json:"transport"` // "stdio" or "http"
	HTTPAddr       string   `json:"http_addr,omitempty"`
	Token          bool     `json:"token"`
	BudgetSeconds  float64  `json:"budget_seconds"`
	ResponseTokens int      `json:"response_tokens"`
	MaxConcurrent  int      `json:"max_concurrent"` // -1: no limit
	Groups         []string `json:"groups"`
	Sandbox        []string `json:"sandbox"` // the switches on for every run
}

// problem is one thing wrong, and what to do about it.
type problem struct {
	What     string `json:"what"`
	Required bool   `json:"required"` // the server cannot do its main job without it
	Problem  string `json:"problem"`
	Fix      string `json:"fix"`
}

// switchProbes are one policy per switch, in the order of sandbox.Policy,
// with the flag that turns it on for every run; sandbox.Check on each gives
// the reason a refused call would give.
var switchProbes = []struct {
	flag   string
	policy sandbox.Policy
}{
	{"--memory-limit-mb", sandbox.Policy{MemoryBytes: sandbox.MinMemoryBytes}},
	{"--cpu-limit-seconds", sandbox.Policy{CPUSeconds: 1}},
	{"--max-processes", sandbox.Policy{MaxProcesses: 1}},
	{"--max-file-mb", sandbox.Policy{MaxFileBytes: 1}},
	{"--no-network", sandbox.Policy{NoNetwork: true}},
	{"--read-only-fs", sandbox.Policy{ReadOnlyFS: true}},
	{"--pid-namespace", sandbox.Policy{PIDNamespace: true}},
	{"--env-allow-list", sandbox.Policy{EnvAllowList: []string{}}},
}

// doctorCommand reports what the server would use and what is missing,
// as text or (--json) as JSON. It starts no server and installs nothing
// (unless --install-uv, which run has already applied). Exit status: 0 when
// the server can do its main job, 1 when something required is missing: a
// Python, uv (every run tool uses it by default, and dependencies need it),
// a writable data directory, an enforceable configuration.
func doctorCommand(ctx context.Context, cfg *config, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "python-executor-mcp: doctor takes flags only (the server's, and --json), not %q\n", args)
		return 2
	}
	r := diagnose(ctx, cfg)
	if cfg.jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(r)
	} else {
		r.writeText(stdout)
	}
	if !r.OK {
		return 1
	}
	return 0
}

// diagnose builds the report from cfg, asking the same code the server
// runs: the executor for uv and interpreters, sandbox.Check for switches.
func diagnose(ctx context.Context, cfg *config) *report {
	r := &report{Version: version, Python: pythonReport{Installed: []executor.Interpreter{}}, Problems: []problem{}}
	add := func(what string, required bool, prob, fix string) {
		r.Problems = append(r.Problems, problem{What: what, Required: required, Problem: prob, Fix: fix})
	}
	r.DataDir = inspectDir(cfg.dataDir)
	ex, err := executor.New(&executor.Options{Python: cfg.python, UV: cfg.uv, DataDir: r.DataDir.Path})
	if err != nil {
		add("executor", true, err.Error(), "correct the flags it names")
	} else {
		diagnoseTools(ctx, ex, r, add)
	}
	switch {
	case !r.DataDir.Writable:
		add("data directory", true, fmt.Sprintf("%s is not writable by this user", r.DataDir.Path),
			"set -data-dir (PYEXEC_DATA_DIR) to a directory you can write")
	case r.DataDir.FreeBytes > 0 && r.DataDir.FreeBytes < lowSpace:
		add("data directory", false, fmt.Sprintf("%s has %s free; environments with dependencies take hundreds of MiB", r.DataDir.Path, size(r.DataDir.FreeBytes)),
			"free space, or set -data-dir (PYEXEC_DATA_DIR) on a larger file system")
	}
	if cfg.jobStore != "" {
		st, err := pgstore.Inspect(ctx, cfg.jobStore)
		r.JobStore = st
		switch {
		case err != nil:
			add("job store", true, err.Error(), "start PostgreSQL or correct -job-store (PYEXEC_JOB_STORE); docs/scale-out.md")
		case st.Schema > st.Latest:
			add("job store", true, fmt.Sprintf("the database holds pyexec schema %d, newer than this build's %d", st.Schema, st.Latest),
				"run the replicas' version of the server")
		}
	}
	for _, sw := range switchProbes {
		p := sw.policy
		st := switchState{Switch: p.Switches()[0], Flag: sw.flag, Enforceable: true}
		st.Configured = slices.Contains(cfg.sandbox.Switches(), st.Switch)
		if err := sandbox.Check(&p); err != nil {
			st.Enforceable, st.Reason = false, err.Error()
			if st.Configured {
				add("sandbox", true, err.Error(), "run the server where the switch can be enforced (docs/isolation.md), or drop "+sw.flag)
			}
		}
		r.Sandbox = append(r.Sandbox, st)
	}
	if err := sandbox.Check(&cfg.sandbox); errors.Is(err, sandbox.ErrInvalidPolicy) {
		add("sandbox", true, err.Error(), "correct the sandbox flags")
	}
	r.Server = serverSettings(cfg, add)
	r.OK = !slices.ContainsFunc(r.Problems, func(p problem) bool { return p.Required })
	return r
}

// diagnoseTools fills in uv and the interpreters.
func diagnoseTools(ctx context.Context, ex *executor.Executor, r *report, add func(string, bool, string, string)) {
	if uv, err := ex.UV(); err != nil {
		add("uv", true, "uv not found (run tools use it by default; dependencies and install_package need it)", uvHint)
	} else {
		r.UV.Path = uv
		v, err := uvVersion(ctx, uv)
		if err != nil {
			add("uv", true, fmt.Sprintf("%s --version failed: %v", uv, err), "reinstall uv, or set -uv (PYEXEC_UV) to a working one")
		}
		r.UV.Version = v
	}
	if def, err := ex.DefaultInterpreter(ctx); err != nil {
		add("python", true, err.Error(), "install Python 3, or set -python (PYEXEC_PYTHON) to an interpreter's path")
	} else {
		r.Python.Default = &def
	}
	r.Python.Installed = ex.Interpreters(ctx)
}

// serverSettings is the transport and limits cfg configures, with the
// defaults the server applies; an HTTP address the server would refuse is
// a problem.
func serverSettings(cfg *config, add func(string, bool, string, string)) serverReport {
	s := serverReport{Transport: "stdio", Token: cfg.token != "", BudgetSeconds: smartasync.DefaultBudget.Seconds(),
		ResponseTokens: mcptools.DefaultResponseTokens, MaxConcurrent: mcptools.DefaultMaxConcurrent,
		Groups: []string{}, Sandbox: cfg.sandbox.Switches()}
	if cfg.budgetSet {
		s.BudgetSeconds = cfg.budget.Seconds()
	}
	if cfg.responseTokens != 0 {
		s.ResponseTokens = cfg.responseTokens
	}
	if cfg.maxConcurrent != 0 {
		s.MaxConcurrent = cfg.maxConcurrent
	}
	if s.MaxConcurrent < 0 {
		s.MaxConcurrent = -1
	}
	for _, g := range cfg.groups {
		s.Groups = append(s.Groups, string(g))
	}
	if len(s.Groups) == 0 {
		s.Groups = []string{"run", "jobs", "scripts", "session", "workspace"}
	}
	if s.Sandbox == nil {
		s.Sandbox = []string{}
	}
	if cfg.httpAddr != "" {
		s.Transport = "http"
		addr, loopback, err := listenAddr(cfg.httpAddr)
		s.HTTPAddr = addr
		switch {
		case err != nil:
			add("http", true, err.Error(), "give -http HOST:PORT")
		case !loopback && cfg.token == "":
			add("http", true, fmt.Sprintf("-http %s is beyond loopback and no token is set", addr), "set PYEXEC_HTTP_TOKEN or -token-file so that only your clients can run code")
		}
	}
	return s
}

// inspectDir reports on the data directory without creating it: a missing
// one is writable when its nearest existing parent is (the server creates
// it there).
func inspectDir(dir string) dirReport {
	if dir == "" {
		if home, err := os.UserHomeDir(); err == nil {
			dir = filepath.Join(home, jobstore.DefaultDirName)
		}
	}
	d := dirReport{Path: dir}
	existing := dir
	for {
		fi, err := os.Stat(existing)
		if err == nil && fi.IsDir() {
			break
		}
		parent := filepath.Dir(existing)
		if parent == existing {
			return d
		}
		existing = parent
	}
	d.Exists = existing == dir
	// A file created and removed, rather than permission bits: it also
	// sees read-only mounts, and root's exemptions.
	if f, err := os.CreateTemp(existing, ".pyexec-doctor-"); err == nil {
		d.Writable = true
		_ = f.Close()
		_ = os.Remove(f.Name())
	}
	d.FreeBytes = freeBytes(existing)
	return d
}

// size formats n bytes for a reader: "12.3 GiB".
func size(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// writeText prints the report in a few lines: what was found, then each
// problem with its fix.
func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "python-executor-mcp %s doctor\n", r.Version)
	if r.UV.Path != "" {
		fmt.Fprintf(w, "uv:        %s (%s)\n", r.UV.Version, r.UV.Path)
	} else {
		fmt.Fprintln(w, "uv:        not found")
	}
	if d := r.Python.Default; d != nil {
		fmt.Fprintf(w, "python:    %s (%s), the default\n", d.Version, d.Path)
	} else {
		fmt.Fprintln(w, "python:    no default interpreter")
	}
	var vs []string
	for _, in := range r.Python.Installed {
		vs = append(vs, in.Version)
	}
	if len(vs) > 0 {
		fmt.Fprintf(w, "           python_version can select %s\n", strings.Join(vs, ", "))
	}
	state := "writable"
	if !r.DataDir.Writable {
		state = "NOT writable"
	}
	if !r.DataDir.Exists {
		state += ", created on first use"
	}
	if r.DataDir.FreeBytes > 0 {
		state += ", " + size(r.DataDir.FreeBytes) + " free"
	}
	fmt.Fprintf(w, "data dir:  %s (%s)\n", r.DataDir.Path, state)
	if js := r.JobStore; js != nil && js.Server != "" {
		schema := fmt.Sprintf("schema %d", js.Schema)
		if js.Schema == 0 {
			schema = "no schema yet (the server creates it)"
		}
		fmt.Fprintf(w, "jobs:      PostgreSQL %s at %s · %s · %d jobs · live replicas: %s\n",
			js.Server, js.Target, schema, js.Jobs, orNone(js.Replicas))
	}
	var can, cannot []string
	for _, s := range r.Sandbox {
		if s.Enforceable {
			can = append(can, s.Switch)
		} else {
			cannot = append(cannot, s.Reason)
		}
	}
	fmt.Fprintf(w, "sandbox:   enforceable here: %s\n", orNone(can))
	for _, c := range cannot {
		fmt.Fprintf(w, "           not enforceable: %s\n", c)
	}
	s := r.Server
	transport := "stdio"
	if s.Transport == "http" {
		transport = "http " + s.HTTPAddr
		if s.Token {
			transport += " (bearer token set)"
		}
	}
	conc := fmt.Sprint(s.MaxConcurrent)
	if s.MaxConcurrent < 0 {
		conc = "no limit"
	}
	fmt.Fprintf(w, "server:    %s · budget %gs · responses %d tokens · %s scripts at once · groups %s · sandbox %s\n",
		transport, s.BudgetSeconds, s.ResponseTokens, conc, strings.Join(s.Groups, ","), orNone(s.Sandbox))
	for _, p := range r.Problems {
		kind := "warning"
		if p.Required {
			kind = "PROBLEM"
		}
		fmt.Fprintf(w, "%s (%s): %s\n  fix: %s\n", kind, p.What, p.Problem, p.Fix)
	}
	if r.OK {
		fmt.Fprintln(w, "ok: the server can run")
	} else {
		fmt.Fprintln(w, "not ok: fix the problems above")
	}
}

func orNone(list []string) string {
	if len(list) == 0 {
		return "none"
	}
	return strings.Join(list, ", ")
}
