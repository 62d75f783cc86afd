// Package pyexec lets AI assistants run Python through the Model Context
// Protocol (MCP). It is a library first: independent packages that a Go MCP
// server embeds, plus runnable example servers.
//
// The root package holds only this overview; the work is in:
//
//   - executor: one-shot runs of a Python file or inline code, through uv in
//     an isolated environment with exact dependency pins, or through a
//     system interpreter; the whole process tree under control (timeouts and
//     cancels stop the process group), output captured within a bound.
//   - envload: the child's environment, from the process environment, a
//     .env file and an explicit map, without touching the server's own.
//   - bench: wall time, CPU time and exact peak RSS of a child's tree.
//   - jobstore: durable job records and output logs, shared safely by
//     several server processes.
//   - smartasync: SmartAsync[In, Out], which returns a call's value when it
//     finishes within a budget and otherwise keeps it running as a job.
//   - session: stateful Python kernels (REPL semantics, plots as images,
//     packages installed into the live session).
//   - workspace: file access confined to a directory.
//   - sandbox: opt-in containment of a run on Linux (limits, no network, a
//     read-only file system, a PID namespace, an environment allow-list).
//   - mcptools: registers all of the above as tools and resources on any
//     server of the official Go SDK (github.com/modelcontextprotocol/go-sdk).
//
// Only mcptools, the examples and cmd/pyexec-bench import the MCP SDK: a program that wants
// executor alone does not pull it in.
//
// A run through the system interpreter (a failing script is a result, not
// an error):
//
//	ex, err := executor.New(&executor.Options{DataDir: dir}) // python3 and uv from PATH
//	if err != nil {
//		log.Fatal(err)
//	}
//	res, err := ex.Run(ctx, &executor.Request{
//		Code:    "import sys; print(6 * 7); sys.exit(3)",
//		Timeout: 30 * time.Second,
//	})
//	if err != nil {
//		log.Fatal(err) // bad input, no interpreter, unresolvable dependencies
//	}
//	fmt.Print(res.Stdout)                                 // 42
//	fmt.Println(res.ExitCode, res.Strategy, res.TimedOut) // 3 system-python false
//
// See the README for the MCP tools, the example servers and the decisions
// behind the design.
package pyexec
