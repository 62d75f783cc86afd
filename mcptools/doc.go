// Package mcptools registers pyexec's Python tools, its job tools and the
// job-stream resource onto any server of the official MCP Go SDK
// (github.com/modelcontextprotocol/go-sdk), with markdown and structured
// results, smart async, progress notifications and subscriptions.
//
//	ts, err := mcptools.New(ctx, nil) // data in ~/.python_mcp, python3 and uv from PATH
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer ts.Close() // cancels running jobs and kills their process trees
//	server := mcp.NewServer(&mcp.Implementation{Name: "python", Version: "v1"}, ts.ServerOptions(nil))
//	ts.Register(server)
//	if err := server.Run(ctx, mcptools.StdioTransport(os.Stdin, os.Stdout, nil)); err != nil { // a bad line never ends it
//		log.Print(err) // a stdio server logs to stderr, never to stdout
//	}
//
// [AddSmartTool] adds an embedding server's own Go function as a tool that
// turns into a job when it outlives the budget: see its example, and
// examples/embed for a whole program.
//
// # Tools
//
// The tool names, parameters and results are the contract of docs/design.md §4 and
// are pinned by testdata/tools.golden.json. Groups (Options.Groups) select
// them: GroupRun (run_script_in_dir, run_script_with_dependencies,
// benchmark_script and the *_async variants), GroupJobs (list_jobs,
// get_job_output, kill_job, py_job_status, py_list_jobs, py_cancel_job,
// py_prune_jobs and the job-stream://{job_id} resource), GroupScripts
// (py_list_scripts, py_view_script), and GroupSession and GroupWorkspace
// when a session manager or a workspace is configured.
//
// Every result has structured content with an output schema. The text
// content is markdown, or with markdown_output=false the JSON of the
// structured content. A failing script (non-zero exit, exception, timeout)
// is a result; a bad argument is an IsError result whose text names the
// argument and the fix (*ArgumentError); the server keeps serving either way.
// Every optional parameter's default is a "default" keyword of its input
// schema (use_uv and markdown_output true, timeout_seconds 300, …), so
// clients see them in tools/list and the SDK fills them in. The schemas and
// descriptions are sized for a model, which reads tools/list in every
// conversation: what every run tool shares is said once, in the server's
// instructions (Toolset.Instructions, which ServerOptions sets), and output
// schemas are {"type": "object"}; the fields are the result types' JSON.
// The per-call sandbox limits are one object parameter, limits (LimitArgs).
// run_script_in_dir without a directory runs in Options.Workspace (without
// one, in a private temporary directory); a relative directory is resolved
// in the workspace, never against the server's working directory.
//
// # Smart async and jobs
//
// Every execution goes through a smartasync.Runner over a jobstore.Backend: a
// call still running after Options.Budget (default 20 s) returns {job_id,
// status "running", message} and continues as a job; async_mode and the
// *_async tools return a job at once. A run that ends within the budget
// leaves no job behind. All job tools see one job system, shared by every
// server process using the same data directory: py_cancel_job (and
// kill_job, its alias) stop a job of this process through its context (the executor kills the
// process tree) and a job of another process by killing what its record
// names (process group, sandbox cgroups, PID namespace) and recording the
// cancel, which is final: the owner stops the job as well when it sees the
// record, and a job that waits for a slot never starts. A client that
// cancels a synchronous call
// (notifications/cancelled) during the budget gets its script killed, not
// left running as a job nobody knows. Runner gives an embedding server's own
// SmartAsync tools the same job system.
//
// # Progress
//
// A script reports progress by appending JSON lines to the file named by
// $PYEXEC_PROGRESS_FILE (ProgressFileEnv; PythonProgressHelper is a two-line
// helper). The reports are stored in the job (py_job_status) and, while a
// client waits on a call that carries a progress token, sent as MCP progress
// notifications together with the script's latest output lines, at most one
// per Options.ProgressInterval. CallProgress does the same for an embedding
// server's own tools.
//
// # Resources
//
// job-stream://{job_id} reads "---STDOUT---\n…\n---STDERR---\n…", the tail
// of each log when it is long. Subscribing to it (which needs the handlers
// of ServerOptions) brings notifications/resources/updated when the output
// grows, at most once per interval, and when the job ends.
//
// # Tasks
//
// For a client that declares the Tasks extension (TasksExtension), the
// tools that wait for a result (run_script_in_dir,
// run_script_with_dependencies, benchmark_script, every AddSmartTool tool)
// answer resultType "task" where they would return a job: past the budget,
// or at once under async_mode. tasks/get, tasks/update and tasks/cancel
// serve them. A task id is a job id, so a task is as durable and as shared
// as a job, and its completed result is rebuilt from the job's record (see
// docs/design.md §6). ServerOptions announces the extension.
//
// # HTTP
//
// HTTPHandler serves a server on one streamable-HTTP endpoint to the
// clients of both protocol eras: 2026-07-28 statelessly, earlier revisions
// with sessions. StdioTransport is stdio that no malformed line can end.
//
// # Robustness
//
// Register installs a recovery middleware: a panicking handler becomes an
// error result instead of ending the process. Options.MaxConcurrent bounds
// the scripts running at once (DefaultMaxConcurrent, 32: sleeping scripts
// are not queued); excess runs wait, say so in their progress and report
// the wait as queued_seconds, apart from elapsed_seconds. Every response
// shows output within a budget of tokens (Options.ResponseTokens, a call's
// max_response_tokens, at most MaxResponseTokens): a run's streams are cut
// from the middle on line boundaries, and a run whose response leaves
// output out keeps its job, whose logs hold every byte — the response
// names the job, the omitted offsets and a resource_link to its stream;
// get_job_output, py_job_status (incremental) and read_file page within
// the same budget. Close cancels the running work before the
// server's sessions close. Lifecycle events (job start, kill, finish,
// recovery of dead servers' jobs, recovered panics) go to Options.Logger;
// a stdio server must log to stderr or a file, never to stdout.
//
// # Sessions and workspace
//
// GroupSession (execute_python, install_package) runs cells in the
// session.Manager of Options.Sessions; figures come back as PNG image
// content. GroupWorkspace (read_file, write_file, list_files) works in the
// workspace.Workspace of Options.Workspace, which should be the sessions'
// working directory. A cell runs under smart async like a script: past the
// budget (or under async_mode) it continues as a job whose logs get its
// output, and cancelling the job interrupts the cell while the session
// keeps its state; a session runs one cell at a time, so a call to a busy
// session waits its turn. The session group brings the jobs group. A
// cell's result lists the workspace files it wrote and links them as
// resources (workspace:///{+path}, confined as read_file is). read_file returns a text or binary file in pages of the response budget
// (offset, max_bytes) and an image of up to MaxImageResponseBytes whole.
//
// # Scripts
//
// Inline script_content is autosaved in DataDir/autosaved with a JSON
// sidecar of the call's parameters, env_vars values replaced by
// RedactedValue; the newest Options.AutosaveKeep are kept. py_list_scripts
// and py_view_script read the saved-scripts directory (Options.ScriptsDir)
// and the autosaved scripts; names are plain file names, opened through
// os.Root, so neither ".." nor a symlink leads out.
package mcptools
