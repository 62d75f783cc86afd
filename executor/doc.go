// Package executor runs Python scripts and snippets as child processes:
// through uv in an isolated throwaway environment with exactly pinned
// dependencies, or directly with a system interpreter.
//
//	ex, err := executor.New(nil) // python3 on PATH, uv on PATH
//	if err != nil {
//		return err
//	}
//	res, err := ex.Run(ctx, &executor.Request{
//		Code:         "import six; print(six.__version__)",
//		UseUV:        true,
//		Dependencies: []string{"six>=1.16"},
//		Timeout:      time.Minute,
//	})
//	// res.Stdout == "1.16.0\n", res.ResolvedDependencies == ["six==1.16.0"]
//
// # Interpreters
//
// A python_version is an exact minor version ("3.12"). It is resolved once to
// an installed interpreter's absolute path (pyenv's versions directory, then
// python3.X on PATH; pyenv shims are never executed per run, as each costs
// ~55 ms) and cached. An unknown version is an error listing the installed
// ones; uv is told UV_PYTHON_DOWNLOADS=never unless Options allow downloads.
// Without a python_version, a PEP 723 requires-python picks the newest
// matching interpreter, else the default (Options.Python, "python3").
//
// # Dependencies
//
// Requirements (explicit ones and a script's "# /// script" block) are
// validated as PEP 508 strings — anything uv would read as an option is
// refused — then resolved with `uv pip compile` to name==version pins of
// every distribution, and the run uses those pins in an isolated environment
// (`uv run --no-project --isolated --no-config --python <abs> --with …`), so
// what Result reports is what ran. Resolutions of requirement sets that are
// not all pinned are reused for Options.ResolveTTL.
//
// # Process control
//
// Every child leads its own process group. A timeout or a cancelled context
// sends SIGTERM to the group, waits Options.Grace, then sends SIGKILL to the
// group; when the leader exits any members left in the group are killed, so
// a run leaves nothing behind. A process that calls setsid leaves the group
// and is out of reach of signals to it. Output still held in the pipes by
// such a process is read for Options.WaitDelay, then abandoned.
// uv reports its child's death by signal N as exit 128+N; Run maps that
// back to -N, so an uv run's script that calls sys.exit(130) also reads as
// -2.
//
// # Output
//
// Both streams are drained concurrently. Each keeps at most Options.OutputCap
// bytes in memory, as the head and the tail around a "… N bytes omitted …"
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
