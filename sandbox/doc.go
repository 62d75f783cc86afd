// Package sandbox confines one Python run on Linux without Docker: limits
// on memory, CPU time, processes and file size; no network; a read-only
// file system but for the workspace; a PID namespace; an environment
// allow-list. Every switch is opt-in, and a switch that cannot be enforced
// is an error, never a silent run without it (issue 7).
//
//	python := "/usr/bin/python3" // a real interpreter, not a pyenv shim
//	policy := &sandbox.Policy{
//		MemoryBytes:  256 << 20,
//		MaxProcesses: 64,
//		NoNetwork:    true,
//		ReadOnlyFS:   true,
//		WritableDirs: []string{"/srv/workspace"},
//		PIDNamespace: true,
//		EnvAllowList: sandbox.DefaultEnvAllowList(),
//	}
//	cmd := exec.Command(python, "job.py")
//	cmd.Dir = "/srv/workspace" // writable: listed in WritableDirs
//	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
//	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
//
//	box, err := sandbox.Prepare(context.Background(), cmd, policy, nil)
//	if err != nil {
//		fmt.Println(err) // e.g. "sandbox: no_network needs ...": never run unconfined
//		return
//	}
//	defer box.Close()
//	exitCode := 0 // the exit code, or -N for death by signal N
//	if err := cmd.Run(); err != nil {
//		// …
//	}
//	_ = box.Kill() // anything left, setsid or not
//	if v := box.Verdict(exitCode); v != "" {
//		fmt.Println(v) // "memory limit (256 MiB) exceeded: ..."
//	}
//	if peak, err := box.PeakMemory(); err == nil {
//		fmt.Printf("peak memory: %d MiB\n", peak>>20)
//	}
//
// (ExamplePrepare has the whole program.)
//
// # How a run is confined
//
// [Prepare] rewrites the command to start a small stdlib-only Python
// wrapper (wrapper.py, embedded) as `python -I -S -c <source> <fd>
// <options> -- <command>`, the same way bench's reaper runs, and the
// wrapper confines itself step by step and then execs the command. Each
// step finishes before the payload's first instruction, so there is no
// window without the limits, and a failing step ends the run with exit
// code [ExitSetupFailed] and a line on the extra descriptor that
// [Box.SetupErr] turns into a [*SetupError]. The steps, in order:
//
//  1. Join the run's cgroups by writing "0" to their cgroup.procs
//     (MemoryBytes: memory.max or memory.limit_in_bytes, with swap at the
//     same limit; MaxProcesses: pids.max). Prepare created them under the
//     server's own cgroup, in cgroup v2 when it has the controller, else
//     in the v1 hierarchy that has it; Close removes them. They are named
//     pyexec-<server pid>-<its start time>-<random>: [Box.CgroupDirs]
//     lets a job record hold them, so that another server can kill the
//     run through them after a crash, and [SweepCgroups], which a server
//     runs at start, removes those that dead servers left.
//  2. setrlimit: RLIMIT_CPU (soft CPUSeconds, hard one more),
//     RLIMIT_FSIZE (MaxFileBytes), RLIMIT_CORE 0 (no core files in the
//     workspace).
//  3. unshare(CLONE_NEWNS) and make every mount private; unshare(CLONE_NEWNET)
//     and bring loopback up (NoNetwork). The mount namespace is made for
//     ReadOnlyFS and PIDNamespace, and for every run of a server that may
//     make one (root): see step 6.
//  4. With PIDNamespace: unshare(CLONE_NEWPID) and fork. The child is
//     pid 1, the namespace's init: it mounts a fresh /proc, does steps 5
//     to 7, forks the payload (pid 2), reaps every orphan, and when the
//     payload ends it exits, and the kernel kills every process left in
//     the namespace, setsid or not. The process the server started stays
//     outside as a relay: it exits exactly as the payload did (the same
//     code or the same signal), and if it is killed, the init gets
//     SIGKILL (PR_SET_PDEATHSIG) and the namespace goes with it.
//  5. ReadOnlyFS: bind the writable directories (WritableDirs, a private
//     TMPDIR made by Prepare) and a few safe
//     device nodes (null, zero, full, random, urandom, tty, ptmx) onto
//     themselves, mount a private tmpfs on /dev/shm, make the whole tree
//     read-only with one recursive mount_setattr(2) and /dev nodev (a
//     read-only mount does not stop writes to a device node, and uid 0
//     owns the disks), then open up the binds again.
//  6. Otherwise, in the mount namespace: /sys (cgroup files included) and
//     the writable parts of /proc (sys, sysrq-trigger, irq, bus, fs)
//     read-only. Step 7 leaves a root payload uid 0, and uid 0 owns those
//     files: it could change sysctls, or write its pid into another
//     cgroup's cgroup.procs and leave its memory limit (tested).
//  7. Drop privileges: no_new_privs, empty capability bounding and
//     ambient sets, root's special treatment locked off (securebits), and
//     no capabilities. This always happens: with CAP_SYS_ADMIN a payload
//     could remount, leave its namespaces, or raise its limits.
//
// The environment is filtered in Prepare (EnvAllowList, plus the names in
// Options.ExplicitEnv), so secrets never reach the child at all.
//
// Why these mechanisms: they need nothing beyond the kernel and the
// interpreter that runs the script anyway (no bubblewrap, no setuid
// helper, no re-exec of the Go program, which a library cannot rely on).
// The wrapper costs one small interpreter start (~10 ms; ~4 ms more for
// ctypes, which makes the mount, unshare and capability calls) and no
// memory in the run: it execs the payload, except with PIDNamespace,
// where the relay and the init stay (a few MiB each; the init counts
// against MemoryBytes and MaxProcesses). Dependency resolution and downloads stay outside: the server
// resolves and builds environments before it starts the command; the run
// sees them read-only under ReadOnlyFS.
//
// # What each switch protects against, and what it does not
//
// MemoryBytes (cgroup) bounds the memory of the whole tree, children
// included, with page cache and kernel memory it causes; at the limit the
// kernel's OOM killer ends a process of the run, not of the server, and
// [Outcome] says so. Files the run writes to a tmpfs (/dev/shm) are memory
// and count against it; disk use does not.
//
// CPUSeconds (RLIMIT_CPU) stops a busy loop: SIGXCPU at the limit. It is
// per process: N processes may use N times the limit; the run's timeout
// and MaxProcesses bound the total. Time spent waiting is not CPU time.
//
// MaxProcesses (cgroup pids) stops fork bombs: creating a process or
// thread beyond the limit fails with EAGAIN and the server keeps running.
// It counts threads too, and the init and relay with PIDNamespace. Its
// cgroup also lets [Box.Kill] find every process of the run.
//
// MaxFileBytes (RLIMIT_FSIZE) stops one runaway file. Python gets
// OSError(EFBIG) and fails in its own way (the verdict only knows about
// deaths by SIGXFSZ); the number of files, and the disk, are not bounded.
// Output to the server goes through pipes, which it does not limit: the
// executor caps captured output.
//
// NoNetwork (network namespace) cuts every route out, and the host's
// loopback: a listener of the server on 127.0.0.1, a local database, the
// cloud metadata address, abstract UNIX sockets. The run has its own
// loopback, so code that talks to itself still works. It does not stop
// UNIX sockets reachable through the file system (/var/run/docker.sock,
// an X11 socket): combine with ReadOnlyFS, which at least stops new ones
// being created, and do not run the server next to sockets that grant
// power.
//
// ReadOnlyFS (mount namespace) stops writes outside WritableDirs, the
// private TMPDIR and the private /dev/shm (the working directory is
// writable only inside one of WritableDirs, issue 10):
// no overwritten dotfiles, no planted ~/.bashrc, no edits to the server's
// data directory, no changes to cgroup or /proc settings, no raw writes to
// a disk (only the safe device nodes open). It does not stop reads: the
// run can read whatever the server's user can (~/.ssh, configuration
// files with secrets) — keep secrets out of readable files, or run the
// server as a dedicated user. GPUs and other devices are not usable.
//
// PIDNamespace hides the server and every other process (/proc shows the
// run's own), so the run cannot signal or inspect them, and it makes the
// end of the run final: a grandchild that called setsid or daemonised is
// killed with the namespace on timeout, cancellation, or normal exit.
// SIGINT and SIGTERM sent to the started process alone (the relay) are
// passed on by the relay and the init to the payload alone, so that
// signalling the command's pid means the same as without the namespace
// (a session interrupts a cell that way, leaving the cell's children be);
// a signal to the process group reaches the payload directly too.
//
// EnvAllowList keeps the server's environment (API keys, tokens) out of
// the child unless a variable is on the list or was passed explicitly. As
// the run has no capabilities, it also cannot read /proc/<server
// pid>/environ of a root server. It does not hide secrets kept in files
// (see ReadOnlyFS) and, for a server that is not root, a same-user child
// outside a PID namespace can read the server's /proc/<pid>/environ:
// combine with PIDNamespace.
//
// All switches: the run keeps the server's user id. As root, even
// without capabilities, it may write root-owned files and open device
// nodes (a loop device, say) unless ReadOnlyFS, and signal root processes
// (the server included) unless PIDNamespace. For hostile code, turn every
// switch on, or
// run the server as an unprivileged user (then the namespace switches
// need a user namespace, which this package does not set up yet). No
// switch protects the kernel itself: a kernel exploit escapes all of
// them, as it escapes containers.
//
// # Requirements
//
// Linux; the namespace switches need CAP_SYS_ADMIN (root), ReadOnlyFS
// Linux 5.12 (mount_setattr, also needed for step 6); the cgroup switches a cgroup v2 with the
// memory/pids controllers that the server's cgroup can enable for child
// cgroups, or the v1 memory/pids hierarchies with the server's cgroup
// writable; OOM detection on v1 needs Linux 4.13. [Check] probes all of
// this (the namespace calls once per process, on a thread that is then
// discarded) and returns an [*UnavailableError] per missing piece, e.g.
// "sandbox: no_network needs a new network namespace (unshare
// CLONE_NEWNET, which needs CAP_SYS_ADMIN): operation not permitted".
// Elsewhere than Linux every switch is unavailable ([ErrUnsupported]).
//
// # Cost
//
// Measured with BenchmarkOverhead (`python -c pass`, Prepare to Close):
// the wrapper adds one -I -S interpreter start; joining a cgroup v1 costs
// an RCU grace period (~15-30 ms on these VMs: cgroup v1 migration takes
// a global lock; cgroup v2 is cheaper); the namespaces cost a few ms
// each. See docs/isolation.md for the figures.
package sandbox
