// Package executor runs Python scripts and snippets as child processes:
// through uv in an isolated throwaway environment with exactly pinned
// dependencies, or directly with a system interpreter.
//
//	ex, err := executor.New(nil) // python3 and uv from PATH, environments in ~/.python_mcp/envs
//	if err != nil {
//		log.Fatal(err)
//	}
//	res, err := ex.Run(ctx, &executor.Request{
//		Code:         "import six; print(six.__version__)",
//		UseUV:        true,
//		Dependencies: []string{"six>=1.16"},
//		Timeout:      time.Minute,
//	})
//	if err != nil {
//		log.Fatal(err) // bad input, no interpreter, unresolvable dependencies
//	}
//	fmt.Print(res.Stdout)                 // 1.17.0
//	fmt.Println(res.ResolvedDependencies) // [six==1.17.0]
//
// A failing script (a non-zero exit, an exception, a timeout) is a [Result],
// not an error; bad input is a [*RequestError] naming the Request field.
// Dependencies that cannot be resolved are [ErrResolution] when the
// requirements are at fault (no such package or version) and an
// [*IndexError] ([ErrIndexUnreachable]) when uv cannot reach the package
// index: the network or the index settings are then at fault, not the
// Request.
//
// # Interpreters
//
// Request.PythonVersion is an exact minor version ("3.12"). It is resolved once to
// an installed interpreter's absolute path (pyenv's versions directory, then
// python3.X on PATH; pyenv shims are never executed per run, as each costs
// ~55 ms) and cached. An unknown version is an error listing the installed
// ones; uv is told UV_PYTHON_DOWNLOADS=never unless Options allow downloads.
// Without a PythonVersion, a PEP 723 requires-python picks the newest
// matching interpreter, else the default (Options.Python, "python3").
//
// # Dependencies and environments
//
// Requirements (explicit ones and a script's "# /// script" block) are
// validated as PEP 508 strings — anything uv would read as an option is
// refused. A set that is not all name==version is resolved with `uv pip
// compile` to pins of every distribution (reused for Options.ResolveTTL);
// a fully pinned set skips resolution. Each (interpreter, pin set) gets one
// virtual environment under Options.DataDir/envs, made once by uv (`uv venv
// --relocatable`, `uv pip install`) in a temporary directory and renamed into
// place. Warm runs exec that environment's interpreter directly: no uv
// process, no resolution, no uv cache lock held while the script runs.
// Result.ResolvedDependencies is what the environment holds, exactly.
//
// Environments are shared by every process using the same DataDir (a flock
// per environment: shared while a run uses it, exclusive while it is built
// or evicted), evicted least-recently-used past Options.EnvCacheMaxBytes
// (never one in use), and rebuilt when a killed builder left one half-made.
// Runs without dependencies use a cached empty environment, so they never
// see the interpreter's own site-packages.
//
// Result.Strategy is "uv-run" for these runs (an isolated environment made by
// uv) and "system-python" without Request.UseUV (the interpreter itself,
// with its own site-packages, no dependencies possible).
//
// # Confined runs and their installs
//
// Request.Sandbox confines the script (package sandbox). Installing can run
// a package's own build code, so a confined run's dependencies follow
// stricter rules (docs/isolation.md, "Installs"): direct references
// ("name @ url", paths, VCS) are refused unless Options.AllowDirectReferences,
// and environments are made from pre-built wheels only (uv --no-build)
// unless Options.AllowSourceBuilds, which then resolves and installs inside
// the run's own sandbox with a private uv cache. A refusal is a
// *RequestError for Dependencies wrapping a *RefusedError. uv always runs
// with the executor's base environment, never the Request's Env or EnvFile,
// and an environment's cache key covers the server's uv settings and the
// build mode.
//
// # Process control
//
// Every child leads its own process group. A timeout or a cancelled context
// sends SIGTERM to the group, waits Options.Grace, then sends SIGKILL to the
// group; when the leader exits any members left in the group are killed, so
// a run leaves nothing behind. A process that calls setsid leaves the group
// and is out of reach of signals to it. Output still held in the pipes by
// such a process is read for Options.WaitDelay, then abandoned. Since the
// interpreter is the child itself (uv only builds environments), the exit
// code is the script's own, or -N for death by signal N.
//
// # Output
//
// Both streams are drained concurrently. Each keeps at most Options.OutputCap
// bytes in memory, as the head and the tail around a "… N bytes omitted (bytes A–B) …"
// marker, with the count in Result; invalid UTF-8 is replaced. Request.Stdout
// and Request.Stderr see every byte, each on its own goroutine behind a
// DefaultForwardBuffer queue: a writer slower than the child loses what does
// not fit (counted in Result.Dropped and told to the writer in-band) instead
// of stalling the child.
//
// # Measuring
//
// Result.Usage holds wall and CPU time from wait4. Peak RSS from wait4 is
// floored at the server's own peak (the kernel copies it at exec), so it is
// reported only when above that floor; Request.Measure runs the script under
// bench's reaper for an exact figure, and Request.SampleInterval adds
// sampling of the process group. See package bench.
package executor
