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
	// wait for a slot, and say so in their progress.
	DefaultMaxConcurrent = 8
	// DefaultOutputCap is the bytes of each stream a response carries (head
	// and tail). It keeps every response far below the SDK's 16 MiB stdio
	// message limit: two streams of 1 MiB plus JSON escaping (at worst 6×
	// for control bytes) stay under 13 MiB, and markdown text repeats them
	// only when markdown_output is true, in which case the structured copy
	// is the same size again — so the cap is 1 MiB, not more.
	DefaultOutputCap = 1 << 20
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
	// Store holds the jobs. Nil: a store opened in DataDir and closed by
	// Close. A supplied store is not closed.
	Store *jobstore.Store
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
	MaxConcurrent int
	// OutputCap is the bytes of each output stream in a response. Default
	// DefaultOutputCap.
	OutputCap int
	// ProgressInterval throttles notifications. Default
	// DefaultProgressInterval.
	ProgressInterval time.Duration
	// AutosaveKeep is how many autosaved scripts are kept (oldest removed
	// first). Default DefaultAutosaveKeep; negative disables autosaving.
	AutosaveKeep int
	// Groups selects the tools to register. Nil: every group whose
	// dependencies are configured (run, jobs, scripts; session when
	// Sessions is set; workspace when Workspace is set).
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
	outputCap                        int
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
	if o.Budget < 0 || o.OutputCap < 0 || o.ProgressInterval < 0 {
		return c, fmt.Errorf("%w: Budget, OutputCap and ProgressInterval must not be negative", ErrInvalidOptions)
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
	c.outputCap = cmpOr(o.OutputCap, DefaultOutputCap)
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
