package mcptools

import "time"

// Structured results of the tools. Their JSON is the tools' structuredContent
// (with an output schema the SDK infers from these types) and, with
// markdown_output false, their text content. Field names are the MCP tool
// contract (docs/design.md §4); testdata/tools.golden.json pins them.

// StatusStarted is RunResult.Status of an *_async tool that started job
// job_id. Every other status is a job state (jobstore.State): completed
// (the run ended during the call; see exit_code), running or pending (it
// continues as background job job_id), cancelled.
const StatusStarted = "started"

// followHint ends the message of every call that continues as a job or
// starts one: how a client follows it with this package's tools. It is the
// one place that says so, so that no two messages recommend different
// tools (kill_job and list_jobs are aliases, for the seed's clients).
const followHint = "poll it with py_job_status (incremental=true returns the new output) and cancel it with py_cancel_job"

// RunResult is the result of run_script_in_dir, and the common part of the
// other execution tools' results. When the run outlives the smart-async
// budget (or async_mode is set) only status, job_id, message and
// autosaved_script are set.
type RunResult struct {
	Status  string `json:"status" jsonschema:"completed: the run ended (see exit_code); running or pending: it continues as background job job_id; cancelled."`
	JobID   string `json:"job_id,omitempty" jsonschema:"The background job that continues the run (status running or pending), or that keeps the output a completed run's response left out."`
	Message string `json:"message,omitempty"`

	Stdout   string `json:"stdout"`
	Stderr   string `json:"stderr"`
	ExitCode *int   `json:"exit_code,omitempty" jsonschema:"The script's exit code; -N means it was killed by signal N."`
	// ExecutionStrategy is "uv-run" or "system-python".
	ExecutionStrategy string  `json:"execution_strategy,omitempty"`
	ElapsedSeconds    float64 `json:"elapsed_seconds"`
	QueuedSeconds     float64 `json:"queued_seconds,omitempty" jsonschema:"Seconds the run waited for a free execution slot (the server's limit of scripts running at once) before it started; not part of elapsed_seconds, which is the run's own time (so far, for a run that continues as a job)."`
	TimedOut          bool    `json:"timed_out"`
	LimitExceeded     string  `json:"limit_exceeded,omitempty" jsonschema:"Which limit ended the run (memory, CPU time, processes, file size, output), if one did."`
	// StdoutOmittedBytes and StderrOmittedBytes count bytes cut from the
	// middle of the output to keep the response within its budget, from
	// byte StdoutOmittedFrom (StderrOmittedFrom) on; the job (JobID) keeps
	// them in its logs.
	StdoutOmittedBytes int64  `json:"stdout_omitted_bytes,omitempty"`
	StdoutOmittedFrom  int64  `json:"stdout_omitted_from,omitempty" jsonschema:"Offset of the first stdout byte left out: get_job_output(job_id, stdout_offset=this) reads on."`
	StderrOmittedBytes int64  `json:"stderr_omitted_bytes,omitempty"`
	StderrOmittedFrom  int64  `json:"stderr_omitted_from,omitempty" jsonschema:"Offset of the first stderr byte left out (stderr_offset of get_job_output)."`
	PythonVersionUsed  string `json:"python_version_used,omitempty"`
	AutosavedScript    string `json:"autosaved_script,omitempty" jsonschema:"Name of the autosaved copy of script_content (py_view_script with autosaved=true)."`
}

// DepsResult is the result of run_script_with_dependencies.
type DepsResult struct {
	RunResult
	ResolvedDependencies []string `json:"resolved_dependencies,omitempty" jsonschema:"Every installed distribution as name==version: exactly what ran."`
}

// BenchmarkResult is the result of benchmark_script.
type BenchmarkResult struct {
	DepsResult
	WallTimeSeconds float64 `json:"wall_time_seconds"`
	CPUTimeSeconds  float64 `json:"cpu_time_seconds"`
	PeakRSSMB       float64 `json:"peak_rss_mb" jsonschema:"Peak resident memory in MiB (0 if it could not be measured)."`
	PeakRSSSource   string  `json:"peak_rss_source,omitempty" jsonschema:"How the peak was measured: reaper (exact), wait4, or sampler."`
}

// AsyncStarted is the result of the *_async tools.
type AsyncStarted struct {
	JobID             string `json:"job_id"`
	Status            string `json:"status" jsonschema:"started"`
	ExecutionStrategy string `json:"execution_strategy"`
	Message           string `json:"message"`
	AutosavedScript   string `json:"autosaved_script,omitempty"`
}

// AsyncDepsStarted is the result of run_script_with_dependencies_async.
type AsyncDepsStarted struct {
	AsyncStarted
	PythonVersionUsed    string   `json:"python_version_used,omitempty" jsonschema:"The interpreter version, once known (also in the job's result)."`
	ResolvedDependencies []string `json:"resolved_dependencies,omitempty" jsonschema:"The exact versions, once resolved (also in the job's result)."`
}

// JobRow is one row of list_jobs.
type JobRow struct {
	JobID          string    `json:"job_id"`
	Label          string    `json:"label"`
	Kind           string    `json:"kind" jsonschema:"The tool or function that started the job."`
	State          string    `json:"state"`
	Running        bool      `json:"running"`
	ExitCode       *int      `json:"exit_code,omitempty"`
	PID            int       `json:"pid,omitempty"`
	ElapsedSeconds float64   `json:"elapsed_seconds"`
	Stream         bool      `json:"stream" jsonschema:"Whether output reaches the logs while the job runs."`
	CreatedAt      time.Time `json:"created_at"`
}

// ListJobsResult is the result of list_jobs.
type ListJobsResult struct {
	Jobs  []JobRow `json:"jobs"`
	Total int      `json:"total"`
}

// JobOutput is the result of get_job_output.
type JobOutput struct {
	JobID            string  `json:"job_id"`
	Status           string  `json:"status" jsonschema:"running or finished"`
	State            string  `json:"state" jsonschema:"pending, running, completed, failed or cancelled"`
	Stdout           string  `json:"stdout"`
	Stderr           string  `json:"stderr"`
	ExitCode         *int    `json:"exit_code,omitempty"`
	ElapsedSeconds   float64 `json:"elapsed_seconds"`
	NextStdoutOffset int64   `json:"next_stdout_offset" jsonschema:"Pass as stdout_offset to read only newer output."`
	NextStderrOffset int64   `json:"next_stderr_offset" jsonschema:"Pass as stderr_offset to read only newer output."`
	More             bool    `json:"more" jsonschema:"More output is already available beyond max_bytes: call again from the next offsets."`
	Error            string  `json:"error,omitempty"`
}

// KillResult is the result of kill_job.
type KillResult struct {
	JobID    string `json:"job_id"`
	Status   string `json:"status" jsonschema:"killed, or the job's final state if it had already ended"`
	ExitCode *int   `json:"exit_code,omitempty"`
	Message  string `json:"message,omitempty"`
}

// CancelResult is the result of py_cancel_job.
type CancelResult struct {
	JobID   string `json:"job_id"`
	Status  string `json:"status" jsonschema:"cancelled, or the job's final state if it had already ended"`
	Message string `json:"message,omitempty"`
}

// Progress is a job's last reported progress.
type Progress struct {
	Current float64 `json:"current"`
	Total   float64 `json:"total"`
	Message string  `json:"message"`
}

// JobInfo is one job as py_job_status and py_list_jobs show it.
type JobInfo struct {
	ID          string     `json:"id"`
	Label       string     `json:"label"`
	Kind        string     `json:"kind"`
	Status      string     `json:"status" jsonschema:"pending, running, completed, failed or cancelled"`
	Progress    Progress   `json:"progress"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	CompletedAt *time.Time `json:"completed_at,omitempty"`
	Result      any        `json:"result,omitempty" jsonschema:"The job's value (JSON) once completed; for script runs the run's result with its output shortened (get_job_output has all of it)."`
	Error       string     `json:"error,omitempty"`
	ExitCode    *int       `json:"exit_code,omitempty"`
}

// JobStatusResult is the result of py_job_status. With incremental, it
// also holds the output written since the previous incremental poll.
type JobStatusResult struct {
	Job              JobInfo `json:"job"`
	NewStdout        string  `json:"new_stdout,omitempty" jsonschema:"incremental: stdout since the previous poll."`
	NewStderr        string  `json:"new_stderr,omitempty" jsonschema:"incremental: stderr since the previous poll."`
	NextStdoutOffset *int64  `json:"next_stdout_offset,omitempty" jsonschema:"incremental: where the next poll starts (stdout_offset)."`
	NextStderrOffset *int64  `json:"next_stderr_offset,omitempty" jsonschema:"incremental: where the next poll starts (stderr_offset)."`
	More             bool    `json:"more,omitempty" jsonschema:"incremental: more output is already written; poll again."`
}

// PyListJobsResult is the result of py_list_jobs.
type PyListJobsResult struct {
	Jobs  []JobInfo `json:"jobs"`
	Total int       `json:"total" jsonschema:"Matching jobs before the limit."`
}

// PruneResult is the result of py_prune_jobs.
type PruneResult struct {
	Removed   int `json:"removed"`
	Remaining int `json:"remaining"`
}

// ScriptInfo describes one saved or autosaved script.
type ScriptInfo struct {
	Name       string    `json:"name"`
	Autosaved  bool      `json:"autosaved"`
	SizeBytes  int64     `json:"size_bytes"`
	ModifiedAt time.Time `json:"modified_at"`
}

// ListScriptsResult is the result of py_list_scripts.
type ListScriptsResult struct {
	Scripts    []ScriptInfo `json:"scripts"`
	ScriptsDir string       `json:"scripts_dir" jsonschema:"The saved-scripts directory."`
}

// ViewScriptResult is the result of py_view_script.
type ViewScriptResult struct {
	Name      string `json:"name"`
	Autosaved bool   `json:"autosaved"`
	Content   string `json:"content"`
	Params    any    `json:"params,omitempty" jsonschema:"For an autosaved script: the parameters of the call that ran it (env_vars values redacted)."`
}
