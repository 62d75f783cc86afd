// Package kernel runs one stateful Python process (a kernel) per session and
// talks to it: the embedded kernel program (kernel.py, standard library only),
// the wire protocol, and a Go client for one kernel process.
//
//	k, err := kernel.Start(ctx, &kernel.Config{Python: "/usr/bin/python3", Dir: workspace})
//	if err != nil {
//		return err
//	}
//	defer k.Close()
//	res, err := k.Execute(ctx, "x = 41\nx + 1", nil) // res.Value == "42"
//
// # Protocol (version 2)
//
// The kernel is `python -u -c <kernel.py>`, leader of its own process group
// (internal/proc). Two dedicated pipes carry the protocol, one JSON object a
// line: fd 3 takes requests (Go to kernel), fd 4 carries replies. Before any
// user code runs, the kernel moves both to private non-inheritable
// descriptors and closes 3 and 4, so printing, replacing sys.stdout, writing
// to or closing fds 1 and 2, or a subprocess cannot corrupt the protocol.
// On Windows, which has no fds 3 and 4 to pass, the pipes are inherited
// handles named in PYEXEC_KERNEL_HANDLES, which the kernel opens and makes
// non-inheritable before user code runs (platform_windows.go).
//
// The kernel first sends {"op":"hello","protocol":2,"pid":…,"python":"3.12.1",
// "executable":…,"prefix":…}; Start refuses another protocol version. Each
// request carries an "id" and the reply echoes it; a reply with a stale id (a
// request the client abandoned) is dropped. Requests: "execute" (code, end
// marker, limits), "use_venv" (make a virtual environment created after start
// importable), "shutdown".
//
// # Output
//
// fds 1 and 2 of the kernel are pipes the client drains continuously into
// per-cell buffers that keep a head and a tail ("… N bytes omitted (bytes A–B) …"), so
// writes by C extensions and subprocesses are captured like print. A cell's
// end is delimited in-band: after the cell the kernel flushes sys.stdout,
// sys.stderr and C stdio (fflush(NULL) through ctypes), restores fds 1 and 2
// and sys.stdout/sys.stderr if the cell replaced them, then writes the
// request's marker — NUL, "pyexec:", a random token of this kernel, the
// request id, NUL — to both fds, and only then sends the reply. The client
// cuts each stream at the marker. Output that arrives later (a background
// thread or process still printing) is reported with the next cell. A cell's
// live writers (ExecOptions.Stdout, Stderr) see exactly the bytes its
// buffers get, as they are read.
//
// # Cells
//
// A cell runs with REPL semantics in one persistent __main__ namespace: the
// statements are executed and the value of a trailing expression statement is
// returned as its repr (not printed) and bound to builtins._, unless it is
// None or the line ends with ";" (Jupyter's rule). Top-level await works.
// Exceptions, KeyboardInterrupt and SystemExit included, are returned with a
// traceback that starts at the cell's frame; cells are named <cell-N> and
// their source is kept for tracebacks through earlier cells' functions.
//
// # Images
//
// MPLBACKEND=Agg is in the kernel's environment, so pyplot uses Agg whenever
// it loads; matplotlib is never imported by the kernel itself. A meta path
// hook replaces pyplot.show, once pyplot is imported, with a function that
// renders the open figures into the cell's images and closes them. After each
// cell every figure left open is rendered as PNG and closed, and a value with
// _repr_png_ (a PIL image) or else _repr_jpeg_ is returned as an image too,
// marked as the value's. Counts and sizes are capped per ExecOptions.
//
// # Rich values
//
// Besides its repr, a cell's value is described by a MIME bundle, as
// Jupyter's execute_result: what its _repr_mimebundle_ and then its
// _repr_markdown_, _repr_html_, _repr_svg_, _repr_latex_, _repr_json_,
// _repr_png_ and _repr_jpeg_ give (looked up on its type, as IPython does;
// (data, metadata) tuples accepted, metadata dropped; binary types as
// base64). A method that raises or returns the wrong type is skipped with
// a note; one that returns None declines, silently. A pandas DataFrame or
// Series, told by its classes' module and name without importing pandas,
// also gets a markdown table of at most 20 rows and 20 columns (head and
// tail around "…") and its shape. Each entry is bounded: text by ValueCap
// (text/plain and text/markdown cut as the repr is, other text types left
// out with a note), binary by MaxImageBytes. text/plain is not on the wire:
// it is the reply's "value", and the client adds it.
//
// # Confinement
//
// Config.Sandbox starts the kernel under sandbox.Prepare: the sandbox's
// wrapper confines itself and execs kernel.py (with PIDNamespace it stays
// outside as the relay, and Kernel.PID is the relay's), once for the
// kernel's whole life, so cgroup limits cover every cell and everything
// cells start, and CPUSeconds counts the kernel's CPU time across cells.
// The wrapper keeps fds 3 and 4 where they are and its own status pipe
// out of the kernel. Close removes the cgroups and the private TMPDIR.
// Result.LimitExceeded and Kernel.Limits say which limit a cell, or the
// kernel itself, ran into ([sandbox.Outcome]'s sentence, counted per cell).
//
// # Interrupts
//
// See Kernel.Execute: SIGINT to the kernel, then to its group after half the
// grace period, then kill after the full grace period. The kernel raises
// KeyboardInterrupt only while a cell runs, so a late SIGINT cannot break its
// request loop, and re-arms its handler before every cell. Under a PID
// namespace the sandbox's relay and init pass the first SIGINT on to the
// kernel alone. On Windows, where a console-less process cannot be sent
// Ctrl+C, the interrupt is a byte on a third pipe, which a thread of the
// kernel turns into _thread.interrupt_main() while a cell runs; there is
// no group to signal, so a cell that ignores it is ended with the kernel
// (its job object) at the full grace period.
package kernel
