package mcptools

import (
	"fmt"
	"strings"
)

// Instructions returns the server instructions for the Toolset's groups: for
// each group it registers, which tool fits which task, and the facts every
// tool of the group shares, said once here instead of in every schema
// (issue 16). They are rendered from the Toolset's configuration (the
// smart-async budget, whether a workspace exists). ServerOptions sets them
// when its base has none; an embedding server that adds tools of its own can
// append to them.
func (t *Toolset) Instructions() string {
	var parts []string
	has := t.cfg.has
	if has(GroupRun) {
		dir := "a private temporary directory"
		if t.extra.workspace != nil {
			dir = "the workspace"
		}
		s := "Runs (a fresh interpreter per call): run_script_with_dependencies for code that needs packages (dependencies: PEP 508, merged with the script's PEP 723 block, installed in a cached environment; resolved_dependencies gives the exact versions); " +
			"run_script_in_dir for a file or code in a directory (omitted: " + dir + "; use_uv=false: the system interpreter, not an environment with the script's PEP 723 dependencies); benchmark_script for wall time, CPU time and peak memory. " +
			"Give script_path or script_content; args are sys.argv[1:] (no shell); python_version is like \"3.12\"; env_vars override env_file and are never saved. A failing script is a result; a bad argument is an error naming it. " +
			fmt.Sprintf("A run still going after %s continues as a background job: the call returns its job_id (status running); async_mode=true returns the job at once. ", t.cfg.budget) +
			"run_script_in_dir_async and run_script_with_dependencies_async always start a job, with no timeout unless timeout_seconds; stream=false writes its output to the logs only at the end. " +
			"limits confines one run more tightly than the server (memory, CPU, processes, file size, output, no network, read-only file system, PID namespace). " +
			"A limit of 0 is the server's; timeout_seconds 0 is none. " +
			fmt.Sprintf("A result shows about %d tokens of output (max_response_tokens, at most %d), cut from the middle on line boundaries; a run whose output was cut names the job that keeps all of it and the offsets to read on with get_job_output. ", t.cfg.responseTokens, MaxResponseTokens) +
			"Scripts report progress by appending JSON lines {\"current\": n, \"total\": m, \"message\": \"…\"} to $" + ProgressFileEnv + "."
		parts = append(parts, s)
	}
	if has(GroupJobs) {
		parts = append(parts, "Jobs: poll with py_job_status (state, progress, result; incremental=true returns each piece of new output once); "+
			"get_job_output pages stdout and stderr by byte offsets (pass back next_stdout_offset and next_stderr_offset); "+
			"cancel with py_cancel_job, which kills the process tree (kill_job is an alias); list with py_list_jobs (list_jobs is an alias); py_prune_jobs removes finished jobs. "+
			"The resource job-stream://{job_id} is a job's output, subscribable.")
	}
	if has(GroupScripts) {
		parts = append(parts, "Scripts: py_list_scripts lists saved scripts and the autosaved script_content of earlier runs; py_view_script shows one.")
	}
	if has(GroupSession) {
		s := "Sessions: execute_python keeps state between calls (variables, imports; figures return as PNG; a value's markdown form, such as a DataFrame's table, is shown; the workspace files a cell writes are listed and linked): use it for step-by-step work. " +
			"A cell past the budget (or under async_mode) continues as a job like a run; cancelling it interrupts the cell and keeps the state; a call to a busy session waits its turn; timeout_seconds (300 by default, 0 for none: give 0 for a long training cell) interrupts the cell"
		if has(GroupRun) {
			s += ", the run tools for isolated one-shot runs"
		}
		s += ". install_package adds packages to a session's live environment"
		if has(GroupRun) {
			s += "; a one-shot run takes dependencies instead"
		}
		if has(GroupWorkspace) {
			s += ". save_notebook writes a session's cells and outputs as a Jupyter notebook in the workspace; run_notebook runs a notebook's code cells in a session (a new one unless session_id is given) and writes the outputs back, stopping at the first error unless stop_on_error=false"
		}
		parts = append(parts, s+".")
	}
	if has(GroupWorkspace) {
		s := "Workspace: read_file (large files in pages: offset, next_offset), write_file and list_files, with paths relative to the workspace"
		var users []string
		if has(GroupSession) {
			users = append(users, "sessions")
		}
		if has(GroupRun) {
			users = append(users, "run_script_in_dir without a directory")
		}
		if len(users) > 0 {
			s += ", the working directory of " + strings.Join(users, " and of ")
		}
		parts = append(parts, s+".")
	}
	if has(GroupRun) || has(GroupJobs) || has(GroupSession) {
		parts = append(parts, "Results are structured content; markdown_output=false makes the text that JSON instead of markdown.")
	}
	return strings.Join(parts, "\n")
}
