# pyexec bench reaper: run a payload, wait for it, report its resource usage.
#
#   python -I -S -c <this source> REPORT_FD PROGRAM [ARG...]
#
# Stdlib only and no site import, so this process stays at ~8 MiB: the
# payload's wait4 ru_maxrss is floored at the RSS of the process it was forked
# from, and that is this one instead of the (large, long-lived) Go server.
# Writes one JSON line to REPORT_FD once the payload has exited, then exits
# the way the payload did: the same exit code, or the same fatal signal.
import os
import signal
import sys
import time

FORWARDED = (signal.SIGINT, signal.SIGTERM)


def hwm_kb():
    """VmHWM of this process in KiB, 0 if unknown (not Linux)."""
    try:
        with open("/proc/self/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def restore_lc_ctype():
    """Undo PEP 538 locale coercion for the payload.

    In the C/POSIX locale the interpreter sets LC_CTYPE=C.UTF-8 in its own
    environment at start-up (no flag turns that off under -I), and the
    payload would inherit it. /proc/self/environ still holds the environment
    as exec'd: put LC_CTYPE back as it was there. Elsewhere, leave it.
    """
    try:
        with open("/proc/self/environ", "rb") as f:
            original = f.read().split(b"\0")
    except OSError:
        return
    for kv in original:
        if kv.startswith(b"LC_CTYPE="):
            os.environb[b"LC_CTYPE"] = kv[len(b"LC_CTYPE="):]
            return
    os.environb.pop(b"LC_CTYPE", None)


def resolve(name):
    """The file execvp would run, found before the floor is measured."""
    if "/" in name:
        return name
    for d in os.get_exec_path():
        path = os.path.join(d, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    # Not execv(name): that would run a file of that name in the directory.
    raise FileNotFoundError(2, "No such file or directory (searched PATH)")


def child(argv, dispositions, errw):
    # Runs between fork and exec. Restore what a direct exec would have seen:
    # SIGINT/SIGTERM as inherited (this reaper ignores them), SIGPIPE/SIGXFSZ
    # default (the interpreter ignores them at start-up, as subprocess's
    # restore_signals knows), and the signal mask as it was. A SIGINT/SIGTERM
    # that arrived since the parent blocked them is delivered on unblocking,
    # so the payload dies of it before exec, as it would have after.
    try:
        for sig, handler in dispositions.items():
            signal.signal(sig, signal.SIG_IGN if handler == signal.SIG_IGN else signal.SIG_DFL)
        for name in ("SIGPIPE", "SIGXFSZ"):
            sig = getattr(signal, name, None)
            if sig is not None:
                signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
        path = resolve(argv[0])
        # The floor: wait4's maxrss for the payload is at least this forked
        # copy's high-water mark at exec, and the copy's RSS grows as it
        # faults in interpreter pages. Run the exec path once (it fails:
        # ENOENT) and read twice, so that nothing new is touched between the
        # measurement and the real exec; measured: the floor read is then
        # within a page of, and not below, the one wait4 applies.
        try:
            os.execv("/nonexistent/pyexec-reaper-warm-up", argv)
        except OSError:
            pass
        hwm_kb()
        os.write(errw, b"F%d\n" % hwm_kb())
        os.execv(path, argv)
    except BaseException as e:  # noqa: BLE001 - any failure means exit 127
        try:
            os.write(errw, ("E%s: %s" % (argv[0] if argv else "", e)).encode("utf-8", "replace"))
        finally:
            os._exit(127)


def main():
    fd = int(sys.argv[1])
    argv = sys.argv[2:]
    os.set_inheritable(fd, False)  # the payload must not hold the report pipe
    restore_lc_ctype()
    dispositions = {sig: signal.getsignal(sig) for sig in FORWARDED}
    # Block, then ignore: the executor signals the whole process group, so the
    # payload gets SIGINT/SIGTERM itself and this process must live to report.
    # Blocked signals stay pending even when ignored (Linux), which closes the
    # race between fork and the child's restoring its dispositions.
    signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
    for sig in FORWARDED:
        signal.signal(sig, signal.SIG_IGN)
    errr, errw = os.pipe()  # close-on-exec: EOF tells that exec happened
    start = time.monotonic()
    pid = os.fork()
    if pid == 0:
        os.close(errr)
        child(argv, dispositions, errw)
    os.close(errw)
    # A signal sent to the group before the payload existed reached only this
    # process; pass it on so that it is not lost.
    for sig in signal.sigpending():
        if sig in FORWARDED:
            os.kill(pid, sig)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)  # pending ones are discarded: ignored

    msg = b""
    while True:
        chunk = os.read(errr, 4096)
        if not chunk:
            break
        msg += chunk
    os.close(errr)
    _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - start

    floor, exec_error = 0, None
    for part in msg.split(b"\n"):
        if part.startswith(b"F"):
            floor = int(part[1:] or 0)
        elif part.startswith(b"E"):
            exec_error = part[1:].decode("utf-8", "replace")
    code, sig = -1, 0
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
    else:
        code = os.WEXITSTATUS(status)
    maxrss = ru.ru_maxrss
    if sys.platform == "darwin":
        maxrss //= 1024  # bytes there, KiB on Linux and the BSDs
    line = '{"v":1,"wall_s":%.6f,"utime_s":%.6f,"stime_s":%.6f,"maxrss_kb":%d,"floor_kb":%d,"exit_code":%d,"signal":%d' % (
        wall, ru.ru_utime, ru.ru_stime, maxrss, floor, code, sig)
    if exec_error is not None:
        import json  # only on this path: it costs start-up time and memory
        line += ',"exec_error":' + json.dumps(exec_error)
    data = (line + "}\n").encode()
    try:
        while data:
            data = data[os.write(fd, data):]
        os.close(fd)
    except OSError:
        pass  # nobody listening: still exit as the payload did

    if sig:
        die_of(sig)
    os._exit(code)


def die_of(sig):
    """Exit by the signal that killed the payload, so the caller sees it."""
    try:
        import resource  # no core file of this process in the user's directory
        resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
    except Exception:  # noqa: BLE001
        pass
    try:
        signal.signal(sig, signal.SIG_DFL)
    except (OSError, ValueError):
        pass  # SIGKILL, SIGSTOP: cannot be handled, default anyway
    signal.pthread_sigmask(signal.SIG_UNBLOCK, (sig,))
    os.kill(os.getpid(), sig)
    os._exit(128 + sig)  # the signal's default action is to ignore it


main()
