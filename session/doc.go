// Package session runs stateful Python sessions: named kernels whose
// variables survive between calls, whose matplotlib figures come back as PNG
// images, which install packages on the fly into their own virtual
// environment, and which all work in one workspace directory. It is the Go
// library behind the execute_python and install_package tools.
//
//	m, err := session.NewManager(&session.Options{Python: "python3", WorkspaceDir: ws}) // uv from PATH, for Install
//	if err != nil {
//		log.Fatal(err)
//	}
//	defer m.Close() // stops every kernel
//	if _, err := m.Execute(ctx, "default", "import math\nr = 2", 30*time.Second); err != nil {
//		log.Fatal(err)
//	}
//	res, err := m.Execute(ctx, "default", "math.pi * r**2", 30*time.Second)
//	if err != nil {
//		log.Fatal(err) // the session could not run the cell; a Python exception is in res.Error
//	}
//	fmt.Println(res.Value) // 12.566370614359172, the repr of the trailing expression
//
// # Why a package of its own
//
// The first design put stateful sessions in package executor. They live
// here instead: sessions share nothing with one-shot runs but
// process-group control (internal/proc), the rules of confined installs
// (internal/uvcmd) and containment (package sandbox), which both take from
// there. The kernel program and its protocol are in internal/kernel. See
// docs/design.md §1.
//
// # Kernels
//
// Each session has one kernel process: the embedded, standard-library-only
// kernel.py run by the configured interpreter (or by the session's venv
// python once it has one), leader of its own process group, with the
// workspace as working directory. Requests and replies travel on dedicated
// pipes, so nothing user code prints or does to stdout can corrupt them.
// A cell has REPL semantics: the value of a trailing expression is returned
// as its repr and MIME bundle; stdout and stderr are captured, C-level and subprocess writes
// included; a traceback starts at the user's code. A kernel starts when a
// session is first used, not before.
//
// # Cells
//
// Run takes a cell's settings as CellOptions: a timeout, and live writers
// that get the cell's stdout and stderr as it runs (every byte of the cell,
// in order, none of another cell's, each writer on a goroutine of its own
// behind a bounded queue, so a slow one never stalls the kernel), for a job
// log that follows a long cell:
//
//	res, err := m.Run(context.Background(), "", code, &session.CellOptions{Timeout: time.Minute, Stdout: os.Stdout})
//	if err != nil {
//		log.Fatal(err)
//	}
//	fmt.Println(res.Data["text/plain"], res.Data["text/html"])
//
// Execute is Run with a timeout only. A value comes as its repr
// (CellResult.Value) and as a MIME bundle (CellResult.Data), as Jupyter's
// execute_result: what the value's _repr_html_, _repr_markdown_ and other
// display methods give, and for a pandas DataFrame or Series a bounded
// markdown table; its PNG or JPEG is image content too (CellResult.Images).
//
// # History
//
// Each session records the cells it ran, oldest first, with their outputs
// in nbformat 4 terms (streams, execute_result, display_data for figures,
// error), for export as a notebook: Manager.History. It keeps the latest
// Options.MaxHistory cells within Options.MaxHistoryBytes; Reset and
// Remove forget it.
//
// # Timeouts and lost kernels
//
// A cell that outlives its timeout gets SIGINT (KeyboardInterrupt) and the
// session keeps its state. One that does not stop within Options.Grace has
// its kernel killed: the result says StateLost, and the next call starts a
// new kernel. A kernel that dies by itself (os._exit, a segfault, a kill from
// outside) is reported the same way, by the cell it ran or, if it died while
// idle, by the next call, which runs in a new kernel.
//
// # Packages
//
// Install runs `uv pip install --python <venv>/bin/python` into the
// session's virtual environment, created on first need with `uv venv
// --system-site-packages` under Options.DataDir, and reports exact versions
// (uv's changes and `uv pip freeze`). A running kernel is then told to put
// the venv's site-packages ahead of the base interpreter's and to invalidate
// its import caches, so the package imports at once without a restart; later
// kernels of the session start from the venv's python. Modules already
// imported keep their version until Reset. Options.StartupPackages are
// installed into every new session before its first kernel starts.
//
// # Sessions
//
// Calls on one session run one at a time; a call waiting for its turn
// honours its context. List describes the sessions, Reset discards one's
// state (its packages stay), Remove ends one. A session unused for
// Options.IdleTimeout is reaped (kernel stopped, environment deleted), and
// at most Options.MaxSessions exist at once: a call that would create one
// more fails with ErrTooManySessions. Close ends everything.
//
// # Confinement
//
// Options.Sandbox confines every kernel as package sandbox confines a
// one-shot run, for the kernel's whole life: its cgroups (MemoryBytes,
// MaxProcesses) hold the kernel and everything its cells start, from its
// start until it is gone, when they are removed; NoNetwork leaves it only
// its own loopback; ReadOnlyFS leaves writable only the workspace (added
// to the policy's WritableDirs), WritableDirs and a private TMPDIR, so the
// sessions' environments under DataDir stay read-only to the code that
// imports from them; PIDNamespace hides every other process and ends all
// of a kernel's processes with it; EnvAllowList filters the server's
// environment (Options.Env passes). CPUSeconds and MaxFileBytes are per
// process: CPUSeconds bounds a kernel's CPU time over all its cells.
// Interrupts work as unconfined. A cell whose processes hit a limit says
// so in CellResult.LimitExceeded; a kernel the limit killed is reported
// as a dead kernel whose state is lost, naming the limit. Manager.Sandbox
// returns the policy in force.
//
// Installs under a Sandbox follow the confined-install rules of package
// executor: a direct reference (a URL, path or VCS address) is refused
// unless Options.AllowDirectReferences, and uv, which runs outside the
// sandbox because installing pre-built wheels runs no package code and
// needs the index, installs wheels only (--no-build). A package that
// needs building is refused unless Options.AllowSourceBuilds; then uv runs
// again inside the sandbox, where the build backend can write only the
// session's environment and a private uv cache and temporary directory.
// Refusals are a *RefusedError wrapped with ErrInstall.
//
// # Limits
//
// Without Options.Sandbox, kernels are not confined: cell code runs as the
// server's user and can read or write anything that user can; only the
// file tools of package workspace are confined to the workspace. Even
// confined, a kernel can read whatever the server's user can (see
// docs/isolation.md). The workspace is the kernels' working directory
// and, as in a REPL, on sys.path (the empty entry), so modules written
// there import; a cell that calls os.chdir moves its kernel away from it
// for later cells. stdin is /dev/null: input() raises EOFError. Linux only
// (process groups, /proc).
package session
