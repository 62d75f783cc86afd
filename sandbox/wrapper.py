# pyexec sandbox wrapper: confine this process, then become the payload.
#
#   python -I -S -c <this source> STATUS_FD [OPTION...] -- PROGRAM [ARG...]
#
# Options (built by wrapper.go, never by users):
#   cg=SWITCH:PATH   write our pid into PATH (a cgroup.procs file) first
#   cpu=N fsize=N    RLIMIT_CPU soft N / hard N+1, RLIMIT_FSIZE N
#   net              new network namespace, loopback up
#   mnt              new mount namespace (private propagation)
#   msa=SYSNO        mount_setattr's syscall number
#   sys              /sys (cgroups included) and the writable files of /proc
#                    (sysctls, sysrq-trigger) read-only
#   pid              new PID namespace: an init process reaps, relays SIGINT
#                    and SIGTERM to the payload and, by dying,
#                    ends every process of the run
#   ro               the whole file system read-only
#   w=DIR            DIR stays writable under ro (repeatable)
#   shm              a private, writable tmpfs on /dev/shm
#
# Stdlib only, run with -I -S (a json.py in the user's directory cannot
# shadow anything). Nothing is left to the payload: every step either
# succeeds or the run ends with exit code 125 before the payload starts,
# and one line goes to STATUS_FD: "ok" once confined, or
# "error SWITCH<TAB>MESSAGE". Capabilities are dropped last, always: a
# payload with CAP_SYS_ADMIN could undo every other step.
import os
import signal
import sys

SETUP_FAILED = 125
CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWNET = 0x00020000, 0x20000000, 0x40000000
MS_NOSUID, MS_NODEV, MS_NOEXEC = 2, 4, 8
MS_BIND, MS_REC, MS_PRIVATE = 4096, 16384, 1 << 18
AT_FDCWD, AT_RECURSIVE = -100, 0x8000
MOUNT_ATTR_RDONLY, MOUNT_ATTR_NODEV = 1, 4
PR_SET_PDEATHSIG, PR_CAPBSET_DROP, PR_SET_SECUREBITS = 1, 24, 28
PR_SET_NO_NEW_PRIVS, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 38, 47, 4
# NOROOT, NO_SETUID_FIXUP and NO_CAP_AMBIENT_RAISE with their locks, and
# KEEP_CAPS locked off: uid 0 stays an ordinary user id from here on.
SECBIT_NOROOT_ALL = 0x3 | 0xC | 0x20 | 0xC0
STOPPING = (signal.SIGINT, signal.SIGTERM)

status_fd = -1
ctypes = None  # the module, imported by load_libc: it costs ~4 ms
libc = None


class Fail(Exception):
    """A setup step failed: the payload must not run."""

    def __init__(self, switch, message):
        Exception.__init__(self, message)
        self.switch = switch


def report(line):
    try:
        os.write(status_fd, line.encode("utf-8", "replace") + b"\n")
    except OSError:
        pass


def fail(e):
    report("error %s\t%s" % (e.switch, e))
    try:
        os.write(2, ("pyexec sandbox: %s: %s\n" % (e.switch, e)).encode("utf-8", "replace"))
    except OSError:
        pass
    os._exit(SETUP_FAILED)


def load_libc():
    global ctypes, libc
    import ctypes as module
    ctypes = module
    libc = ctypes.CDLL(None, use_errno=True)


def call(switch, what, fn, *args):
    if fn(*args) == -1:
        e = ctypes.get_errno()
        raise Fail(switch, "%s: %s" % (what, os.strerror(e)))


def join_cgroups(cgroups):
    for switch, path in cgroups:
        try:
            fd = os.open(path, os.O_WRONLY)
            try:
                os.write(fd, b"0")  # 0: the writing process, in any PID namespace
            finally:
                os.close(fd)
        except OSError as e:
            raise Fail(switch, "join cgroup %s: %s" % (path, e.strerror))


def set_rlimits(cpu, fsize):
    import resource

    def lower(switch, res, soft, hard):
        _, cur = resource.getrlimit(res)
        if cur != resource.RLIM_INFINITY:
            hard = min(hard, cur)
            soft = min(soft, hard)
        try:
            resource.setrlimit(res, (soft, hard))
        except (OSError, ValueError) as e:
            raise Fail(switch, "setrlimit: %s" % e)

    # No core files in the user's directory from SIGXCPU, SIGXFSZ or a crash.
    lower("rlimits", resource.RLIMIT_CORE, 0, 0)
    if cpu:
        # SIGXCPU at the soft limit; SIGKILL one second later if it is caught.
        lower("cpu_seconds", resource.RLIMIT_CPU, cpu, cpu + 1)
    if fsize:
        lower("max_file_bytes", resource.RLIMIT_FSIZE, fsize, fsize)


def loopback_up():
    import _socket
    import fcntl
    SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 1
    try:
        s = _socket.socket(_socket.AF_INET, _socket.SOCK_DGRAM)
        try:
            req = b"lo".ljust(16, b"\0") + bytes(24)
            flags = int.from_bytes(fcntl.ioctl(s.fileno(), SIOCGIFFLAGS, req)[16:18], sys.byteorder)
            flags |= IFF_UP
            fcntl.ioctl(s.fileno(), SIOCSIFFLAGS, req[:16] + flags.to_bytes(2, sys.byteorder) + bytes(22))
        finally:
            s.close()
    except OSError as e:
        raise Fail("no_network", "bring loopback up: %s" % e)


def mount(switch, src, target, fstype, flags, data):
    enc = lambda s: None if s is None else s.encode()  # noqa: E731
    call(switch, "mount %s" % target, libc.mount, enc(src), enc(target), enc(fstype), flags, enc(data))


def mount_setattr(sysno, path, set_flags, clear_flags, recursive, switch):
    """mount_setattr(2) on the mount at path (and those below it)."""
    class MountAttr(ctypes.Structure):
        _fields_ = [("set", ctypes.c_uint64), ("clr", ctypes.c_uint64),
                    ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]

    attr = MountAttr(set_flags, clear_flags, 0, 0)
    call(switch, "mount_setattr %s" % path, libc.syscall, ctypes.c_long(sysno), ctypes.c_int(AT_FDCWD),
         ctypes.c_char_p(path.encode()), ctypes.c_uint(AT_RECURSIVE if recursive else 0), ctypes.byref(attr),
         ctypes.c_size_t(ctypes.sizeof(attr)))


# Device nodes a script may open. Read-only mounts do not stop writes to
# device nodes, and uid 0 owns /dev/sda: every other node is made
# unopenable (nodev).
SAFE_DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty", "/dev/ptmx")


def read_only(sysno, writable, shm):
    # Bind every writable directory and safe device onto itself first: each
    # becomes a mount of its own, which the recursive passes cover and the
    # later ones open again (for directories, with everything below them).
    for d in writable:
        mount("read_only_fs", d, d, None, MS_BIND | MS_REC, None)
    devices = [d for d in SAFE_DEVICES if os.path.exists(d)]
    for d in devices:
        mount("read_only_fs", d, d, None, MS_BIND, None)
    if shm:
        # Private: nothing shared with the server or other runs through it.
        mount("read_only_fs", "tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")
        writable = writable + ["/dev/shm"]
    mount_setattr(sysno, "/", MOUNT_ATTR_RDONLY, 0, True, "read_only_fs")
    if os.path.isdir("/dev"):
        mount_setattr(sysno, "/dev", MOUNT_ATTR_NODEV, 0, True, "read_only_fs")
    for d in devices:
        mount_setattr(sysno, d, 0, MOUNT_ATTR_NODEV, False, "read_only_fs")
    for d in writable:
        mount_setattr(sysno, d, 0, MOUNT_ATTR_RDONLY, True, "read_only_fs")
    # The working directory still points into the mount that was there when
    # we started, under the new ones: enter it again by name.
    try:
        os.chdir(os.getcwd())
    except OSError as e:
        raise Fail("read_only_fs", "re-enter the working directory: %s" % e.strerror)


# Kernel interfaces a process without capabilities may still write when
# it is uid 0: sysctls, the magic SysRq trigger (reboot), cgroup files (it
# could move itself out of its limits), and the rest of /sys.
KERNEL_INTERFACES = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus", "/proc/fs")


def protect_kernel_interfaces(sysno):
    if os.path.ismount("/sys"):
        mount_setattr(sysno, "/sys", MOUNT_ATTR_RDONLY, 0, True, "kernel_interfaces")
    for path in KERNEL_INTERFACES:
        if os.path.exists(path):
            mount("kernel_interfaces", path, path, None, MS_BIND | MS_REC, None)
            mount_setattr(sysno, path, MOUNT_ATTR_RDONLY, 0, True, "kernel_interfaces")


def drop_privileges():
    # no_new_privs: no exec (setuid, file capabilities, uid 0) grants
    # anything again. Then empty the bounding and ambient sets, lock root's
    # special treatment off, and clear our own sets. Steps that need a
    # capability we do not have (a server that is not root) are skipped:
    # there is nothing for them to remove.
    call("capabilities", "prctl(PR_SET_NO_NEW_PRIVS)", libc.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    try:
        with open("/proc/sys/kernel/cap_last_cap") as f:
            last = int(f.read())
    except (OSError, ValueError):
        last = 63
    for cap in range(last + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    libc.prctl(PR_SET_SECUREBITS, SECBIT_NOROOT_ALL, 0, 0, 0)
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()
    call("capabilities", "capset", libc.capset, header, data)


def resolve(name):
    """The file execvp would run."""
    if "/" in name:
        return name
    for d in os.get_exec_path():
        path = os.path.join(d, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    raise FileNotFoundError(2, "No such file or directory (searched PATH)", name)


def become(argv, mask_was_changed):
    """Exec the payload with the signal state a direct exec would have had."""
    # The interpreter ignores SIGPIPE and SIGXFSZ at start-up and exec keeps
    # ignored signals ignored; subprocess's restore_signals does the same.
    for name in ("SIGPIPE", "SIGXFSZ"):
        sig = getattr(signal, name, None)
        if sig is not None:
            signal.signal(sig, signal.SIG_DFL)
    for sig in STOPPING:
        signal.signal(sig, signal.SIG_DFL)
    if mask_was_changed:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)
    try:
        os.execv(resolve(argv[0]), argv)
    except OSError as e:
        os.write(2, ("pyexec sandbox: cannot execute %s: %s\n" % (argv[0], e.strerror)).encode("utf-8", "replace"))
        os._exit(127)


def exit_like(status):
    """Exit the way a child with wait status `status` did."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig not in (signal.SIGKILL, signal.SIGSTOP):
            signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, (sig,))
        os.kill(os.getpid(), sig)
        os._exit(128 + sig)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def init(argv, parent_alive_r, status_w, opts):
    """PID 1 of the new namespace: confine, run the payload, reap, relay."""
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    # If the relay died before prctl, no signal comes: its pipe tells.
    import select
    if select.select([parent_alive_r], [], [], 0)[0]:
        os._exit(SETUP_FAILED)
    try:
        mount("pid_namespace", "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None)
        confine_fs_and_privileges(opts)
    except Fail as e:
        fail(e)
    report("ok")
    pid = os.fork()
    if pid == 0:
        os.close(status_w)
        os.close(parent_alive_r)
        become(argv, True)
    # Pass stops on to the payload: a stop sent before it existed (still
    # pending, delivered once unblocked), and one sent to this process
    # alone, such as the relay's. As pid 1 of the namespace, this process
    # gets no signal from outside it that it has no handler for.
    forward_stops(pid)
    while True:
        try:
            got, status = os.waitpid(-1, 0)
        except ChildProcessError:
            status = 0
            break
        if got == pid:
            break
    os.write(status_w, b"%d\n" % status)
    # Returning kills every process left in the namespace (setsid or not).
    os._exit(0)


def forward_stops(pid):
    """Relay SIGINT and SIGTERM to pid from now on, pending ones included."""
    def forward(sig, frame):
        try:
            os.kill(pid, sig)
        except OSError:
            pass  # gone: its end is being handled

    for sig in STOPPING:
        signal.signal(sig, forward)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPPING)


def relay(child, status_r):
    """The process the caller started: wait for init, exit as the payload did."""
    # A stop sent to this process alone (a SIGINT to the pid the caller
    # started, which must interrupt the payload without signalling the
    # payload's own children) goes to init, which passes it on; init holds
    # it blocked until it has a payload to pass it to.
    forward_stops(child)
    # Wait without reaping: init stays a zombie, so its pid cannot be reused
    # by an unrelated process while a forwarding handler may still run.
    os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)
    for sig in STOPPING:
        signal.signal(sig, signal.SIG_IGN)
    _, init_status = os.waitpid(child, 0)
    data = b""
    while True:
        chunk = os.read(status_r, 64)
        if not chunk:
            break
        data += chunk
    try:
        status = int(data)
    except ValueError:
        # No payload status: init failed its set-up (125) or was killed.
        status = init_status
    exit_like(status)


def confine_fs_and_privileges(opts):
    if opts["ro"]:
        read_only(opts["msa"], opts["w"], opts["shm"])  # covers /sys and /proc too
    elif opts["sys"]:
        protect_kernel_interfaces(opts["msa"])
    drop_privileges()


def parse(args):
    opts = {"cg": [], "cpu": 0, "fsize": 0, "net": False, "mnt": False, "msa": 0, "sys": False, "pid": False,
            "ro": False, "w": [], "shm": False}
    i = 0
    while i < len(args) and args[i] != "--":
        key, _, val = args[i].partition("=")
        if key == "cg":
            switch, _, path = val.partition(":")
            opts["cg"].append((switch, path))
        elif key == "w":
            opts["w"].append(val)
        elif key in ("cpu", "fsize", "msa"):
            opts[key] = int(val)
        else:
            opts[key] = True
        i += 1
    return opts, args[i + 1:]


def main():
    global status_fd
    status_fd = int(sys.argv[1])
    os.set_inheritable(status_fd, False)
    # Python installs a SIGINT handler when SIGINT was not ignored; undo it
    # so that an interrupt during set-up ends the run the plain way.
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
    opts, argv = parse(sys.argv[2:])
    try:
        load_libc()
        join_cgroups(opts["cg"])
        set_rlimits(opts["cpu"], opts["fsize"])
        if opts["mnt"]:
            switch = "read_only_fs" if opts["ro"] else "pid_namespace" if opts["pid"] else "kernel_interfaces"
            call(switch, "unshare(CLONE_NEWNS)", libc.unshare, CLONE_NEWNS)
            mount(switch, None, "/", None, MS_REC | MS_PRIVATE, None)
        if opts["net"]:
            call("no_network", "unshare(CLONE_NEWNET)", libc.unshare, CLONE_NEWNET)
            loopback_up()
        if not opts["pid"]:
            confine_fs_and_privileges(opts)
            report("ok")
            become(argv, False)
        call("pid_namespace", "unshare(CLONE_NEWPID)", libc.unshare, CLONE_NEWPID)
    except Fail as e:
        fail(e)
    # Block SIGINT/SIGTERM across the forks: a stop that arrives now stays
    # pending and is handled once each process has its final dispositions.
    signal.pthread_sigmask(signal.SIG_BLOCK, STOPPING)
    alive_r, alive_w = os.pipe()
    status_r, status_w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(alive_w)
        os.close(status_r)
        init(argv, alive_r, status_w, opts)
    os.close(alive_r)
    os.close(status_w)
    relay(child, status_r)


main()
