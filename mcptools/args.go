package mcptools

// Argument types of the tools: the JSON names and parameters are the MCP
// tool contract (docs/design.md §4) and must not change without updating
// testdata/tools.golden.json. Descriptions are written for an assistant: what
// a parameter does, its default and how it interacts with others.

// ScriptArgs are the parameters every one-shot execution tool shares: what
// to run and how (the script, its arguments, interpreter and environment)
// and, through LimitArgs, its confinement.
type ScriptArgs struct {
	ScriptPath    string            `json:"script_path,omitempty" jsonschema:"Path of an existing Python file to run. Give exactly one of script_path and script_content."`
	ScriptContent string            `json:"script_content,omitempty" jsonschema:"Python source to run. It is saved (autosaved scripts, see py_list_scripts) and run from a private temporary file. Give exactly one of script_path and script_content."`
	Args          []string          `json:"args,omitempty" jsonschema:"Command-line arguments passed to the script verbatim (sys.argv[1:]); no shell is involved."`
	PythonVersion string            `json:"python_version,omitempty" jsonschema:"Exact minor Python version such as \"3.12\". Empty: the script's PEP 723 requires-python, else the server's default interpreter. An unknown version is an error that lists the installed ones."`
	EnvVars       map[string]string `json:"env_vars,omitempty" jsonschema:"Environment variables for the script, on top of the server's environment and env_file. Values are never saved or logged (autosaved parameters show them redacted)."`
	EnvFile       string            `json:"env_file,omitempty" jsonschema:"Path of a .env file whose variables are set for the script (env_vars override it)."`
	JobLabel      string            `json:"job_label,omitempty" jsonschema:"A label for the job if the run becomes a background job (shown by list_jobs and py_list_jobs)."`
	Markdown      bool              `json:"markdown_output,omitempty" default:"true" jsonschema:"true: the text result is readable markdown; false: it is the JSON of the structured result. The structured result is returned either way."`
	ResponseArgs
	LimitArgs
}

// ResponseArgs size a response for its reader.
type ResponseArgs struct {
	MaxResponseTokens int `json:"max_response_tokens,omitempty" minimum:"0" jsonschema:"Largest output this response shows, in tokens (about 4 bytes each); 0: the server's budget. Output beyond it is cut on line boundaries from the middle and stays readable with get_job_output from the given offsets."`
}

// LimitArgs confine one run, within the server's own limits (see
// Options.Sandbox): a number may be lower than the server's (a higher one is
// an error), a switch may be turned on but not off. Zero values leave the
// server's settings as they are.
type LimitArgs struct {
	MemoryLimitMB   float64 `json:"memory_limit_mb,omitempty" minimum:"0" jsonschema:"Kill the script if its processes use more memory than this many MiB together (0: the server's limit, if any). A run that hits it reports limit_exceeded."`
	CPULimitSeconds int     `json:"cpu_limit_seconds,omitempty" minimum:"0" jsonschema:"CPU seconds each process of the script may use (0: the server's limit, if any)."`
	MaxProcesses    int     `json:"max_processes,omitempty" minimum:"0" jsonschema:"Processes and threads the script may have at once, e.g. to contain a fork bomb (0: the server's limit, if any)."`
	MaxFileMB       float64 `json:"max_file_mb,omitempty" minimum:"0" jsonschema:"Largest file the script may write, in MiB (0: the server's limit, if any)."`
	MaxOutputMB     float64 `json:"max_output_mb,omitempty" minimum:"0" jsonschema:"Stop the script once stdout and stderr together pass this many MiB (0: the server's limit, if any)."`
	NoNetwork       bool    `json:"no_network,omitempty" jsonschema:"true: the script runs without network access (loopback only, its own). Dependencies are still installed first, outside, as pre-built wheels from the server's index."`
	ReadOnlyFS      bool    `json:"read_only_fs,omitempty" jsonschema:"true: the file system is read-only for the script except the workspace, the server's writable directories and a private temporary directory ($TMPDIR); a directory outside them is a read-only working directory."`
	PIDNamespace    bool    `json:"pid_namespace,omitempty" jsonschema:"true: the script runs in its own PID namespace, so every process it starts (even one that detaches with setsid) ends with it."`
}

// SyncArgs are the parameters of the tools that wait for the result within
// the smart-async budget (run_script_in_dir, run_script_with_dependencies,
// benchmark_script).
type SyncArgs struct {
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty" default:"300" minimum:"0" jsonschema:"Stop the script (and every process it started) after this many seconds; 0 means no timeout."`
	AsyncMode      bool    `json:"async_mode,omitempty" jsonschema:"true: start the run as a background job and return its job_id at once. Without it, a run that takes longer than the server's smart-async budget (default 20 s) continues as a background job and the call returns its job_id."`
}

// AsyncArgs are the parameters of the *_async tools, which return a job at
// once.
type AsyncArgs struct {
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty" default:"0" minimum:"0" jsonschema:"Stop the job (and every process it started) after this many seconds; 0 (the default) means no timeout."`
	Stream         bool    `json:"stream,omitempty" default:"true" jsonschema:"true: output is written to the job's logs as it arrives, so get_job_output and the job-stream resource show it while the job runs; false: it is written when the job ends."`
}

// DirArgs are the parameters of the tools that run in a given directory
// (run_script_in_dir and run_script_in_dir_async). Directory is required.
type DirArgs struct {
	Directory string `json:"directory" jsonschema:"An existing directory: the script's working directory, and the base of a relative script_path."`
	UseUV     bool   `json:"use_uv,omitempty" default:"true" jsonschema:"true: run through uv in an isolated environment (the script's PEP 723 dependencies are installed); false: run the system interpreter directly."`
}

// RunInDirArgs are the arguments of run_script_in_dir: directory and use_uv
// (DirArgs), the script and its limits (ScriptArgs), timeout_seconds and
// async_mode (SyncArgs).
type RunInDirArgs struct {
	DirArgs
	ScriptArgs
	SyncArgs
}

// RunDepsArgs are the arguments of run_script_with_dependencies: the script
// and its limits (ScriptArgs), its dependencies, timeout_seconds and
// async_mode (SyncArgs).
type RunDepsArgs struct {
	ScriptArgs
	Dependencies []string `json:"dependencies,omitempty" jsonschema:"PEP 508 requirements such as \"requests>=2.31\" or \"numpy==2.1.*\", merged with the script's PEP 723 block. They are resolved to exact versions, installed in an isolated cached environment, and reported in resolved_dependencies."`
	SyncArgs
}

// BenchmarkArgs are the arguments of benchmark_script: those of
// run_script_with_dependencies and sample_interval.
type BenchmarkArgs struct {
	RunDepsArgs
	SampleInterval float64 `json:"sample_interval,omitempty" default:"0" minimum:"0" jsonschema:"Also sample the memory of the script's whole process tree every this many seconds (e.g. 0.1), for long runs and subprocesses; 0 measures the script itself exactly, without sampling."`
}

// RunInDirAsyncArgs are the arguments of run_script_in_dir_async: directory
// and use_uv (DirArgs), the script and its limits (ScriptArgs),
// timeout_seconds and stream (AsyncArgs).
type RunInDirAsyncArgs struct {
	DirArgs
	ScriptArgs
	AsyncArgs
}

// RunDepsAsyncArgs are the arguments of run_script_with_dependencies_async:
// the script and its limits (ScriptArgs), its dependencies,
// timeout_seconds and stream (AsyncArgs).
type RunDepsAsyncArgs struct {
	ScriptArgs
	Dependencies []string `json:"dependencies,omitempty" jsonschema:"PEP 508 requirements such as \"requests>=2.31\", merged with the script's PEP 723 block, resolved to exact versions."`
	AsyncArgs
}

// JobStatusArgs are the arguments of py_job_status.
type JobStatusArgs struct {
	JobID        string `json:"job_id" jsonschema:"The job's id, as returned when it started (list_jobs and py_list_jobs show every id)."`
	Incremental  bool   `json:"incremental,omitempty" jsonschema:"true: also return the output written since the previous incremental poll of this job (new_stdout, new_stderr), within the response budget: polling this way returns every byte once."`
	StdoutOffset *int64 `json:"stdout_offset,omitempty" minimum:"0" jsonschema:"With incremental: read stdout from this byte offset (next_stdout_offset of an earlier poll) instead of where the previous poll ended."`
	StderrOffset *int64 `json:"stderr_offset,omitempty" minimum:"0" jsonschema:"With incremental: read stderr from this byte offset instead of where the previous poll ended."`
}

// JobIDArgs names one job.
type JobIDArgs struct {
	JobID string `json:"job_id" jsonschema:"The job's id, as returned when it started (list_jobs and py_list_jobs show every id)."`
}

// GetJobOutputArgs are the arguments of get_job_output.
type GetJobOutputArgs struct {
	JobID        string `json:"job_id" jsonschema:"The job's id, as returned when it started (list_jobs shows every id)."`
	StdoutOffset int64  `json:"stdout_offset,omitempty" minimum:"0" jsonschema:"Byte offset in the job's stdout log to read from: 0 (default) for the start, or next_stdout_offset of the previous call to get only new output."`
	StderrOffset int64  `json:"stderr_offset,omitempty" minimum:"0" jsonschema:"Byte offset in the job's stderr log to read from: 0 (default), or next_stderr_offset of the previous call."`
	MaxBytes     int    `json:"max_bytes,omitempty" minimum:"0" jsonschema:"Read at most this many bytes of each stream (0: the server's cap, 1 MiB by default); call again from the returned offsets for the rest."`
	Markdown     bool   `json:"markdown_output,omitempty" default:"true" jsonschema:"true: readable markdown; false: the JSON of the structured result."`
}

// ListJobsArgs are the arguments of list_jobs (none).
type ListJobsArgs struct{}

// PyListJobsArgs are the arguments of py_list_jobs.
type PyListJobsArgs struct {
	StatusFilter string `json:"status_filter,omitempty" jsonschema:"Only jobs in this state: pending, running, completed, failed or cancelled. Empty: all."`
	Limit        int    `json:"limit,omitempty" default:"50" minimum:"1" jsonschema:"Return at most this many jobs, newest first; total counts all matching jobs."`
}

// PruneJobsArgs are the arguments of py_prune_jobs.
type PruneJobsArgs struct {
	KeepCompleted bool    `json:"keep_completed,omitempty" default:"false" jsonschema:"true: keep completed jobs; only failed and cancelled ones are pruned."`
	MaxAgeHours   float64 `json:"max_age_hours,omitempty" default:"24" minimum:"0" jsonschema:"Remove finished jobs that ended more than this many hours ago; 0 removes finished jobs of any age. Running and pending jobs are never removed."`
}

// ListScriptsArgs are the arguments of py_list_scripts.
type ListScriptsArgs struct {
	IncludeAutosaved bool `json:"include_autosaved,omitempty" default:"false" jsonschema:"true: also list the autosaved inline scripts (script_content of earlier calls), newest first."`
}

// ViewScriptArgs are the arguments of py_view_script.
type ViewScriptArgs struct {
	ScriptName string `json:"script_name" jsonschema:"The script's name as py_list_scripts shows it, e.g. \"analysis.py\" (a plain file name: no directories)."`
	Autosaved  bool   `json:"autosaved,omitempty" default:"false" jsonschema:"true: the name is of an autosaved script; its saved call parameters are returned too."`
}
