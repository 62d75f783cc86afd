package mcptools

// Argument types of the tools: the JSON names and parameters are the MCP
// tool contract (docs/design.md §4) and must not change without updating
// testdata/tools.golden.json.
//
// Descriptions are written for a language model, which pays for every byte
// of tools/list in every conversation (issue 16): a parameter whose name
// says it all has none, a description says what the name does not, and a
// fact shared by every run tool is said once, in the server's instructions
// (Toolset.Instructions), not in five schemas. Every optional parameter
// states its default (the "default" tag); one that depends on the server's
// configuration is rendered from it at registration, or is 0 meaning "the
// server's setting".

// ScriptArgs are the parameters every one-shot execution tool shares: what
// to run and how (the script, its arguments, interpreter and environment),
// and the run's confinement (Limits).
type ScriptArgs struct {
	ScriptPath    string            `json:"script_path,omitempty" default:""`
	ScriptContent string            `json:"script_content,omitempty" default:""`
	Args          []string          `json:"args,omitempty" default:"[]"`
	PythonVersion string            `json:"python_version,omitempty" default:""`
	EnvVars       map[string]string `json:"env_vars,omitempty" default:"{}"`
	EnvFile       string            `json:"env_file,omitempty" default:""`
	JobLabel      string            `json:"job_label,omitempty" default:""`
	Markdown      bool              `json:"markdown_output,omitempty" default:"true"`
	Limits        LimitArgs         `json:"limits,omitzero" default:"{}"`
}

// ResponseArgs size a response for its reader.
type ResponseArgs struct {
	MaxResponseTokens int `json:"max_response_tokens,omitempty" default:"0"`
}

// LimitArgs confine one run, within the server's own limits (see
// Options.Sandbox): a number may be lower than the server's (a higher one is
// an error), a switch may be turned on but not off. Zero values leave the
// server's settings as they are. The run tools take them as one object,
// limits, so that the eight rarely used switches cost one parameter in
// tools/list, not eight (issue 16).
type LimitArgs struct {
	MemoryLimitMB   float64 `json:"memory_limit_mb,omitempty" default:"0"`
	CPULimitSeconds int     `json:"cpu_limit_seconds,omitempty" default:"0"`
	MaxProcesses    int     `json:"max_processes,omitempty" default:"0"`
	MaxFileMB       float64 `json:"max_file_mb,omitempty" default:"0"`
	MaxOutputMB     float64 `json:"max_output_mb,omitempty" default:"0"`
	NoNetwork       bool    `json:"no_network,omitempty" default:"false"`
	ReadOnlyFS      bool    `json:"read_only_fs,omitempty" default:"false"`
	PIDNamespace    bool    `json:"pid_namespace,omitempty" default:"false"`
}

// SyncArgs are the parameters of the tools that wait for the result within
// the smart-async budget (run_script_in_dir, run_script_with_dependencies,
// benchmark_script).
type SyncArgs struct {
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty" default:"300"`
	AsyncMode      bool    `json:"async_mode,omitempty" default:"false"`
	ResponseArgs
}

// AsyncArgs are the parameters of the *_async tools, which return a job at
// once.
type AsyncArgs struct {
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty" default:"0"`
	Stream         bool    `json:"stream,omitempty" default:"true"`
}

// DirArgs are the parameters of the tools that run in a directory
// (run_script_in_dir and run_script_in_dir_async). Directory is
// optional: omitted, the run's working directory is the workspace
// (Options.Workspace) or, without one, a private temporary directory
// removed after the run; a relative one is resolved in the workspace.
type DirArgs struct {
	Directory string `json:"directory,omitempty" default:""`
	UseUV     bool   `json:"use_uv,omitempty" default:"true"`
}

// Descriptions of directory, rendered at registration: what an omitted or
// relative directory means depends on whether the Toolset has a workspace.
const (
	dirWithWorkspace    = "Relative: in the workspace. Empty: the workspace."
	dirWithoutWorkspace = "Absolute. Empty: a private temporary directory, removed afterwards."
)

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
	Dependencies []string `json:"dependencies,omitempty" default:"[]" jsonschema:"PEP 508"`
	SyncArgs
}

// BenchmarkArgs are the arguments of benchmark_script: those of
// run_script_with_dependencies and sample_interval.
type BenchmarkArgs struct {
	RunDepsArgs
	SampleInterval float64 `json:"sample_interval,omitempty" default:"0" jsonschema:"Seconds between samples of the whole tree's memory; 0: the script's own, exact."`
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
	Dependencies []string `json:"dependencies,omitempty" default:"[]" jsonschema:"PEP 508"`
	AsyncArgs
}

// JobStatusArgs are the arguments of py_job_status.
type JobStatusArgs struct {
	JobID        string `json:"job_id"`
	Incremental  bool   `json:"incremental,omitempty" default:"false"`
	StdoutOffset *int64 `json:"stdout_offset,omitempty" jsonschema:"With incremental; null: where the last poll ended."`
	StderrOffset *int64 `json:"stderr_offset,omitempty" jsonschema:"As stdout_offset."`
}

// JobIDArgs names one job.
type JobIDArgs struct {
	JobID string `json:"job_id"`
}

// GetJobOutputArgs are the arguments of get_job_output.
type GetJobOutputArgs struct {
	JobID        string `json:"job_id"`
	StdoutOffset int64  `json:"stdout_offset,omitempty" default:"0"`
	StderrOffset int64  `json:"stderr_offset,omitempty" default:"0"`
	MaxBytes     int    `json:"max_bytes,omitempty" default:"0" jsonschema:"Both streams; at most 126000."`
	Markdown     bool   `json:"markdown_output,omitempty" default:"true"`
}

// ListJobsArgs are the arguments of list_jobs (none).
type ListJobsArgs struct{}

// PyListJobsArgs are the arguments of py_list_jobs.
type PyListJobsArgs struct {
	StatusFilter string `json:"status_filter,omitempty" default:"" jsonschema:"pending, running, completed, failed or cancelled; empty: all."`
	Limit        int    `json:"limit,omitempty" default:"50" minimum:"1"`
}

// PruneJobsArgs are the arguments of py_prune_jobs.
type PruneJobsArgs struct {
	KeepCompleted bool    `json:"keep_completed,omitempty" default:"false"`
	MaxAgeHours   float64 `json:"max_age_hours,omitempty" default:"24" jsonschema:"0: any age."`
}

// ListScriptsArgs are the arguments of py_list_scripts.
type ListScriptsArgs struct {
	IncludeAutosaved bool `json:"include_autosaved,omitempty" default:"false"`
}

// ViewScriptArgs are the arguments of py_view_script.
type ViewScriptArgs struct {
	ScriptName string `json:"script_name" jsonschema:"As py_list_scripts shows it."`
	Autosaved  bool   `json:"autosaved,omitempty" default:"false"`
}
