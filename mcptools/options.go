package mcptools

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/autosave"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/session"
	"github.com/pyexec-mcp/pyexec/smartasync"
	"github.com/pyexec-mcp/pyexec/workspace"
)

// Group is a set of tools that Options.Groups can select.
type Group string

// The tool groups.
const (
	// GroupRun: run_script_in_dir, run_script_with_dependencies,
	// benchmark_script, run_script_in_dir_async,
	// run_script_with_dependencies_async.
	GroupRun Group = "run"
	// GroupJobs: list_jobs, get_job_output, kill_job, py_job_status,
	// py_list_jobs, py_cancel_job, py_prune_jobs and the
	// job-stream://{job_id} resource.
	GroupJobs Group = "jobs"
	// GroupScripts: py_list_scripts, py_view_script.
	GroupScripts Group = "scripts"
)

// Defaults applied by New to zero Options fields.
const (
	// DefaultDataDirName is the data directory under the home directory.
	DefaultDataDirName = jobstore.DefaultDirName
	// DefaultMaxConcurrent bounds the script runs executing at once; more
	// wait for a slot, say so in their progress and report the wait in
	// queued_seconds. See Options.MaxConcurrent for why it is 32.
	DefaultMaxConcurrent = 32
	// DefaultResponseTokens is the response budget: the output (stdout and
	// stderr of a run, a cell, a page of a job's log or of a file) one tool
	// result shows, in tokens of about BytesPerToken bytes. 8000 tokens
	// leave a model room for many calls in its context and stay far below
	// the clients' limits (Claude Code refuses results over 25,000 tokens;
	// the Python SDK's HTTP client fails on events over 1 MiB). Output
	// beyond it is cut from the middle on line boundaries and stays
	// readable from the job's logs (get_job_output).
	DefaultResponseTokens = 8000
	// MaxResponseTokens bounds Options.ResponseTokens and the per-call
	// max_response_tokens: the output shown, JSON-escaped, is then at most
	// 128,000 bytes, so a whole response — the text and the structured
	// content that repeats it — stays below 300 KiB.
	MaxResponseTokens = 32000
	// BytesPerToken is the bytes of output counted as one token: about
	// what tokenizers make of English text and code.
	BytesPerToken = 4
	// DefaultResultOutputCap is the bytes of each stream kept in a
	// background job's stored result; the logs hold everything.
	DefaultResultOutputCap = 16 << 10
	// DefaultProgressInterval throttles progress notifications to clients
	// and resource-updated notifications to subscribers.
	DefaultProgressInterval = 500 * time.Millisecond
	// DefaultAutosaveKeep is how many autosaved inline scripts are kept.
	DefaultAutosaveKeep = autosave.DefaultKeep
)

// Options configure a Toolset. The zero value (or nil) means defaults; a
// Toolset then owns what it creates (an executor, a job store in
// ~/.python_mcp/jobs) and closes it in Close.
type Options struct {
	// Executor runs the scripts. Nil: an executor with defaults whose
	// environment cache is in DataDir.
	Executor *executor.Executor
	// Store holds the jobs: a *jobstore.Store (a directory that the server
	// processes of one machine share) or a pgstore.Store (a PostgreSQL
	// database that replicas on several machines share; docs/scale-out.md).
	// Nil: a directory store opened in DataDir and closed by Close. A
	// supplied store is not closed.
	Store jobstore.Backend
	// DataDir holds the job store (if Store is nil), the saved scripts and
	// the autosaved ones. Default ~/.python_mcp.
	DataDir string
	// ScriptsDir is the saved-scripts directory py_list_scripts and
	// py_view_script read. Default DataDir/scripts.
	ScriptsDir string
	// Budget is the smart-async budget: a synchronous call still running
	// after it becomes a background job. Default smartasync.DefaultBudget.
	Budget time.Duration
	// MaxConcurrent bounds script runs executing at once (excess runs wait,
	// reporting that they wait). Default DefaultMaxConcurrent; negative
	// means no limit.
	//
	// The bound is not a CPU bound: many of an assistant's concurrent calls
	// sleep, poll or wait on the network, and CPU-bound scripts beyond the
	// number of cores share the cores under the kernel's scheduler and
	// finish no later in total than if queued. A bound of the cores (or of
	// 8, as before issue 16) made ten concurrent one-second sleeps take
	// twice as long on a 2-core machine. What does need a bound is what
	// each running script holds: memory, processes, pipes and the output
	// the server keeps (two streams of executor.DefaultOutputCap). At 32,
	// the bare interpreters (≈10 MiB resident each) hold ≈0.3 GiB and the
	// kept output at most 16 MiB, which a small machine affords, and no
	// burst of calls a client makes in practice waits. Heavier scripts are
	// what Sandbox.MemoryBytes (or memory_limit_mb) bounds, so
	// MaxConcurrent × that limit bounds them all; a server on a machine too
	// small for that lowers MaxConcurrent.
	//
	// Runs only: the Runner's smartasync.Options.MaxConcurrent is 0 (no
	// limit), so a job waiting here is already "running" in the job store
	// and an embedder's own AddSmartTool work is not bounded by it.
	MaxConcurrent int
	// ResponseTokens is the response budget (see DefaultResponseTokens):
	// the output one tool result shows, unless a call asks for another
	// (max_response_tokens). Default DefaultResponseTokens; at most
	// MaxResponseTokens.
	ResponseTokens int
	// ProgressInterval throttles notifications. Default
	// DefaultProgressInterval.
	ProgressInterval time.Duration
	// AutosaveKeep is how many autosaved scripts are kept (oldest removed
	// first). Default DefaultAutosaveKeep; negative disables autosaving.
	AutosaveKeep int
	// Groups selects the tools to register. Nil: every group whose
	// dependencies are configured (run, jobs, scripts; session when
	// Sessions is set; workspace when Workspace is set). The session group
	// brings the jobs group with it: a cell that outlives the budget is a
	// job, which the job tools follow and cancel.
	Groups []Group
	// Logger receives lifecycle events (job start, kill, finish, recovery)
	// and recovered panics. Nil discards them. A stdio server must log to
	// stderr or a file, never stdout.
	Logger *slog.Logger
	// Sessions backs the session group (execute_python, install_package).
	// The caller closes it, after the Toolset.
	Sessions *session.Manager
	// Workspace backs the workspace group (read_file, write_file,
	// list_files); give it the session manager's workspace directory so
	// code and file tools see the same files. The caller closes it.
	Workspace *workspace.Workspace
	// Sandbox confines every script run (package sandbox): its limits are
	// the defaults and the maximums of the per-call limit arguments, its
	// switches are on for every call (a call may turn more on, none off).
	// Nil: no confinement unless a call asks for it. New checks that this
	// machine can enforce it and, with the session group, that Sessions'
	// kernels are confined at least as tightly (session.Options.Sandbox):
	// every switch on here is on there, with a limit no higher.
	Sandbox *sandbox.Policy
	// MaxOutputBytes stops a run once its stdout and stderr together pass
	// it; also the maximum of the limits.max_output_mb argument. 0: no limit.
	MaxOutputBytes int64
}

// config is Options with defaults applied.
type config struct {
	dataDir, scriptsDir, autosaveDir string
	budget                           time.Duration
	maxConcurrent                    int
	responseTokens                   int
	progressEvery                    time.Duration
	autosaveKeep                     int
	groups                           []Group
	log                              *slog.Logger
	sandbox                          sandbox.Policy
	maxOutput                        int64
	// writable is where a run under read_only_fs may write besides its
	// private directories: the server's WritableDirs and the workspace.
	writable []string
}

func (o *Options) config() (config, error) {
	var c config
	if o == nil {
		o = &Options{}
	}
	if o.Budget < 0 || o.ResponseTokens < 0 || o.ProgressInterval < 0 {
		return c, fmt.Errorf("%w: Budget, ResponseTokens and ProgressInterval must not be negative", ErrInvalidOptions)
	}
	if o.ResponseTokens > MaxResponseTokens {
		return c, fmt.Errorf("%w: ResponseTokens %d is above MaxResponseTokens (%d): larger responses fail in clients; page through long output instead (get_job_output)", ErrInvalidOptions, o.ResponseTokens, MaxResponseTokens)
	}
	c.dataDir = o.DataDir
	if c.dataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return c, fmt.Errorf("%w: no home directory for the default data directory; set DataDir: %v", ErrInvalidOptions, err)
		}
		c.dataDir = filepath.Join(home, DefaultDataDirName)
	}
	c.scriptsDir = o.ScriptsDir
	if c.scriptsDir == "" {
		c.scriptsDir = filepath.Join(c.dataDir, "scripts")
	}
	c.autosaveDir = filepath.Join(c.dataDir, "autosaved")
	c.budget = cmpOr(o.Budget, smartasync.DefaultBudget)
	c.maxConcurrent = cmpOr(o.MaxConcurrent, DefaultMaxConcurrent)
	c.responseTokens = cmpOr(o.ResponseTokens, DefaultResponseTokens)
	c.progressEvery = cmpOr(o.ProgressInterval, DefaultProgressInterval)
	c.autosaveKeep = cmpOr(o.AutosaveKeep, DefaultAutosaveKeep)
	if err := sandbox.Check(o.Sandbox); err != nil {
		return c, fmt.Errorf("%w: Sandbox: %v", ErrInvalidOptions, err)
	}
	if o.Sandbox != nil {
		c.sandbox = *o.Sandbox
		c.sandbox.WritableDirs = slices.Clone(o.Sandbox.WritableDirs)
	}
	c.writable = slices.Clone(c.sandbox.WritableDirs)
	if o.Workspace != nil {
		c.writable = append(c.writable, o.Workspace.Dir())
	}
	if err := dataDirProtected(c.dataDir, c.writable); err != nil {
		return c, err
	}
	if o.MaxOutputBytes < 0 {
		return c, fmt.Errorf("%w: MaxOutputBytes must not be negative", ErrInvalidOptions)
	}
	c.maxOutput = o.MaxOutputBytes
	c.log = o.Logger
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.groups = slices.Clone(o.Groups)
	if c.groups == nil {
		c.groups = []Group{GroupRun, GroupJobs, GroupScripts}
		c.groups = append(c.groups, o.extraGroups().defaultGroups()...)
	}
	if c.has(GroupSession) && !c.has(GroupJobs) {
		c.groups = append(c.groups, GroupJobs)
	}
	for _, g := range c.groups {
		if err := o.extraGroups().check(g); err != nil {
			return c, err
		}
	}
	if c.has(GroupSession) {
		if err := sessionsConfined(o.Sandbox, c.writable, o.Sessions); err != nil {
			return c, err
		}
	}
	return c, nil
}

// dataDirProtected refuses a writable directory that holds the data
// directory: job records, logs, environments and autosaved scripts must
// never be writable from a confined run (issue 10). The workspace may lie
// inside the data directory (the example server's default), not around it.
func dataDirProtected(dataDir string, writable []string) error {
	for _, w := range writable {
		if sandbox.Inside(dataDir, w) {
			return fmt.Errorf("%w: writable directory %q contains the data directory %q (job records, logs, environments): a confined run could change them; list a directory beside it, or move the data directory (DataDir)", ErrInvalidOptions, w, dataDir)
		}
	}
	return nil
}

func (c *config) has(g Group) bool { return slices.Contains(c.groups, g) }

// cmpOr returns v, or def when v is the zero value.
func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
