"""pyexec kernel: runs the cells of one session, standard library only.

Started by the Go client (client.go) as `python -u -c <this source>` with
fd 3 = requests (JSON lines, Go -> kernel) and fd 4 = replies (JSON lines,
kernel -> Go); on Windows, pipe handles named in PYEXEC_KERNEL_HANDLES
(protocol_fds). fd 1 and fd 2 are pipes the Go side drains; after each cell the
kernel writes the request's end marker to both, so Go knows where the cell's
output ends (doc.go describes the protocol). Nothing user code does to
sys.stdout or to fds 1 and 2 can reach fds 3 and 4: they are moved to private,
non-inheritable descriptors before any user code runs.

Start-up cost matters (one process per session): only cheap modules are
imported here; traceback, ctypes, asyncio and matplotlib helpers are imported
when first needed.
"""

import builtins
import json
import os
import signal
import sys
import types

PROTOCOL = 2
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
JPEG_SIGNATURE = b"\xff\xd8\xff"
# compile() flags; the values are stable CPython constants, used here so the
# `ast` module (and what it imports) is not loaded at start.
PyCF_ONLY_AST = 0x0400
PyCF_ALLOW_TOP_LEVEL_AWAIT = 0x2000
CO_COROUTINE = 0x0080


class State(object):
    running = False  # a cell is executing: SIGINT raises KeyboardInterrupt
    count = 0  # execution count of the last cell
    images = None  # images of the running cell: (mime, bytes, of_value) tuples
    notes = None  # kernel notes of the running cell (list of str)
    loop = None  # asyncio loop for cells with top-level await
    fflush = None  # libc fflush, False if unavailable


S = State()
SOURCES = {}  # cell filename -> source, for tracebacks of earlier cells
KERNEL_GLOBALS = globals()  # tells the kernel's frames from the user's


def on_sigint(signum, frame):
    # Interrupts aimed at a cell that has already finished are dropped, so a
    # late SIGINT can never break the kernel's own loop.
    if S.running:
        raise KeyboardInterrupt


class Streams(object):
    """Keeps fds 1 and 2 and sys.stdout/sys.stderr usable across cells."""

    def __init__(self):
        self.saved = (high_dup(1), high_dup(2))
        self.out = sys.stdout
        self.err = sys.stderr

    def restore(self):
        for s in (sys.stdout, sys.stderr, self.out, self.err):
            try:
                s.flush()
            except Exception:
                pass
        c_fflush()
        os.dup2(self.saved[0], 1)
        os.dup2(self.saved[1], 2)
        if getattr(self.out, "closed", True):
            self.out = reopen(1)
        if getattr(self.err, "closed", True):
            self.err = reopen(2)
        sys.stdout, sys.stderr = self.out, self.err

    def mark(self, marker):
        for fd in (1, 2):
            write_all(fd, marker)


def high_dup(fd):
    """Returns a non-inheritable copy of fd numbered 100 or more, out of the way
    of the low numbers that files opened by user code get."""
    try:
        import fcntl

        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 100)
    except Exception:
        return os.dup(fd)


def reopen(fd):
    import io

    raw = io.FileIO(fd, "w", closefd=False)
    return io.TextIOWrapper(raw, encoding="utf-8", errors="backslashreplace",
                            line_buffering=True, write_through=True)


def c_fflush():
    # C extensions writing with printf buffer in libc when fd 1 is a pipe.
    if S.fflush is None:
        try:
            import ctypes

            S.fflush = ctypes.CDLL(None).fflush
        except Exception:
            S.fflush = False
    if S.fflush:
        try:
            S.fflush(None)
        except Exception:
            pass


def write_all(fd, data):
    while data:
        n = os.write(fd, data)
        data = data[n:]


def cap_text(s, limit):
    """Caps s at limit bytes of UTF-8 as Go's headtail.Clip does (the one
    rule of cut output): the head and the tail, cut on line boundaries
    where that keeps half of each, else on character boundaries, around
    the same "... N bytes omitted (bytes A-B) ..." marker (an ellipsis and an
    en dash, written as escapes: see ascii_source_test.go)."""
    if limit <= 0 or len(s) <= limit // 4:  # 4 bytes a character at most
        return s
    b = s.encode("utf-8", "backslashreplace")  # lone surrogates, as escapes
    if len(b) <= limit:
        return s
    head = b[: limit // 2]
    i = head.rfind(b"\n")
    if i >= 0 and i + 1 >= len(head) // 2:
        head = head[: i + 1]
    else:
        for k in range(1, min(4, len(head)) + 1):
            c = head[-k]
            if c & 0xC0 != 0x80:  # the last character's first byte
                need = 1 if c < 0x80 else 2 if c < 0xE0 else 3 if c < 0xF0 else 4
                if k < need:
                    head = head[:-k]
                break
    tail = b[len(b) - (limit - limit // 2):]
    i = tail.find(b"\n")
    if i >= 0 and i + 1 <= len(tail) - len(tail) // 2:
        tail = tail[i + 1:]
    else:
        k = 0
        while k < len(tail) and k < 4 and tail[k] & 0xC0 == 0x80:
            k += 1
        tail = tail[k:]
    n = len(b) - len(head) - len(tail)
    return "%s\n\u2026 %d bytes omitted (bytes %d\u2013%d) \u2026\n%s" % (
        head.decode("utf-8", "replace"), n, len(head), len(head) + n, tail.decode("utf-8", "replace"))


# ---------------------------------------------------------------- matplotlib


class PyplotHook(object):
    """A meta path finder that patches matplotlib.pyplot right after import.

    pyplot.show is replaced so that it renders and closes the open figures
    into the cell's images (what Jupyter's inline backend does) instead of
    warning that Agg is non-interactive. MPLBACKEND=Agg (set by the Go side)
    selects the backend before pyplot loads; it is inherited by subprocesses,
    which is why a custom module:// backend is not used.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "matplotlib.pyplot":
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        original = getattr(loader, "exec_module", None)
        if original is None:
            return spec

        def exec_module(module):
            original(module)
            patch_pyplot(module)

        try:
            loader.exec_module = exec_module
        except Exception:
            pass
        return spec


def patch_pyplot(plt):
    def show(*args, **kwargs):
        capture_figures()

    show.__doc__ = "pyexec: render the open figures as the cell's images and close them."
    plt.show = show


def capture_figures():
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None or S.images is None:
        return
    import io

    try:
        from matplotlib._pylab_helpers import Gcf

        managers = Gcf.get_all_fig_managers()
    except Exception as e:
        S.notes.append("could not list matplotlib figures: %r" % (e,))
        return
    for manager in managers:
        fig = manager.canvas.figure
        try:
            buf = io.BytesIO()
            fig.savefig(buf, format="png", bbox_inches="tight")
            S.images.append(("image/png", buf.getvalue(), False))
        except Exception as e:
            S.notes.append("could not render figure %s: %s: %s" % (manager.num, type(e).__name__, e))
        finally:
            try:
                plt.close(fig)
            except Exception:
                pass


# ------------------------------------------------------------ rich values


# The display protocol of IPython: method -> MIME type, in the order of
# IPython's formatters. A value's _repr_mimebundle_ comes first; these fill
# in the types it did not give.
REPR_METHODS = (
    ("_repr_markdown_", "text/markdown"),
    ("_repr_html_", "text/html"),
    ("_repr_svg_", "image/svg+xml"),
    ("_repr_latex_", "text/latex"),
    ("_repr_json_", "application/json"),
    ("_repr_png_", "image/png"),
    ("_repr_jpeg_", "image/jpeg"),
)
BINARY = {"image/png": PNG_SIGNATURE, "image/jpeg": JPEG_SIGNATURE}
# Text types that stay readable when cut in the middle (head and tail, as
# the repr); any other one over the cap would be broken markup or JSON, so
# it is left out with a note instead.
CLIPPABLE = ("text/plain", "text/markdown")
MAX_BUNDLE = 16  # entries of one bundle: _repr_mimebundle_ may offer many
# The markdown table of a pandas value: rows shown (head and tail halves
# around a "..." row), columns shown (likewise), characters of one cell.
TABLE_ROWS, TABLE_COLS, TABLE_CELL = 20, 20, 40


def describe(e):
    try:
        return "%s: %s" % (type(e).__name__, e)
    except Exception:
        return type(e).__name__


def rich_bundle(value, cap, max_bytes):
    """Returns the value's MIME bundle without text/plain (the repr, which
    travels as "value"): MIME type -> text, binary types as base64, each
    within its bound; and the image the cell's images get, (mime, bytes)
    (PNG before JPEG), or None. Methods that raise or return an unusable
    type are skipped with a note; one that returns None offers nothing
    (IPython's convention for declining a format), silently."""
    data, image = {}, None
    t = type(value)
    if is_pandas(t):
        try:
            data["text/markdown"] = cap_text(pandas_markdown(value), cap)
        except Exception as e:
            S.notes.append("could not render the %s as a markdown table: %s" % (t.__name__, describe(e)))
    offered = []
    method = getattr(t, "_repr_mimebundle_", None)
    if method is not None:
        got = call_repr("_repr_mimebundle_", method, value, include=None, exclude=None)
        if isinstance(got, dict):
            offered.extend(got.items())
        elif got is not None:
            S.notes.append("_repr_mimebundle_ returned %s, not a dict; skipped" % type(got).__name__)
    for name, mime in REPR_METHODS:
        method = getattr(t, name, None)
        if method is not None:
            got = call_repr(name, method, value)
            if got is not None:
                offered.append((mime, got))
    for mime, content in offered:
        if not isinstance(mime, str) or mime == "text/plain" or mime in data or len(data) >= MAX_BUNDLE:
            continue
        entry, raw = bundle_entry(mime, content, cap)
        if raw is not None:
            if mime in BINARY and image is None:
                image = (mime, raw)  # over max_bytes, add_images notes it
            elif max_bytes and len(raw) > max_bytes:
                S.notes.append("the value's %s of %d bytes exceeds the limit of %d bytes and was left out" % (mime, len(raw), max_bytes))
            if max_bytes and len(raw) > max_bytes:
                continue
        if entry is not None:
            data[mime] = entry
    return data, image


def call_repr(name, method, value, **kwargs):
    try:
        got = method(value, **kwargs)
    except Exception as e:
        S.notes.append("%s failed and was skipped: %s" % (name, describe(e)))
        return None
    if isinstance(got, tuple) and len(got) == 2:  # IPython allows (data, metadata)
        got = got[0]
    return got


def bundle_entry(mime, content, cap):
    """Returns (text, raw bytes or None) for one entry of a bundle; text None
    when the entry is left out."""
    import binascii

    if mime in BINARY or isinstance(content, (bytes, bytearray)):
        raw = content
        if isinstance(content, str):  # IPython takes base64 text too
            try:
                raw = binascii.a2b_base64(content)
            except Exception:
                raw = None
        if not isinstance(raw, (bytes, bytearray)):
            S.notes.append("the value's %s was %s, not bytes; skipped" % (mime, type(content).__name__))
            return None, None
        raw = bytes(raw)
        sig = BINARY.get(mime)
        if sig is not None and not raw.startswith(sig):
            S.notes.append("the value's %s does not hold that format; skipped" % mime)
            return None, None
        return binascii.b2a_base64(raw, newline=False).decode("ascii"), raw
    if mime == "application/json" or mime.endswith("+json"):
        try:
            text = content if isinstance(content, str) else json.dumps(content)
            if isinstance(content, str):
                json.loads(content)
        except Exception as e:
            S.notes.append("the value's %s is not JSON: %s; skipped" % (mime, describe(e)))
            return None, None
    elif isinstance(content, str):
        text = content
    else:
        S.notes.append("the value's %s was %s, not str; skipped" % (mime, type(content).__name__))
        return None, None
    if cap and len(text) > cap // 4 and len(text.encode("utf-8", "backslashreplace")) > cap:
        if mime in CLIPPABLE:
            return cap_text(text, cap), None
        S.notes.append("the value's %s exceeds the limit of %d bytes and was left out" % (mime, cap))
        return None, None
    return text, None


def is_pandas(t):
    """Whether t is a pandas DataFrame or Series (or a subclass), told by the
    module and name of its classes: pandas is never imported here."""
    for c in getattr(t, "__mro__", ()):
        mod = getattr(c, "__module__", "") or ""
        # "pandas" since pandas 2.x sets its public classes' __module__,
        # "pandas.core.frame" before.
        if c.__name__ in ("DataFrame", "Series") and (mod == "pandas" or mod.startswith("pandas.")):
            return True
    return False


def pandas_markdown(v):
    """A bounded markdown table of a pandas DataFrame or Series, tabulate not
    needed. It uses only v.shape, v.head(n), v.tail(n) and, for a DataFrame,
    v.columns and itertuples(index=True, name=None); for a Series, v.name
    and items(): a stand-in offering these is rendered the same."""
    shape = tuple(v.shape)
    series = len(shape) == 1
    nrows = shape[0]
    if series:
        name = getattr(v, "name", None)
        header = ["", "" if name is None else cell_text(name)]
        footer = "%d rows" % nrows
    else:
        header = [""] + [cell_text(c) for c in clip_columns(list(v.columns))]
        footer = "%d rows \u00d7 %d columns" % (nrows, shape[1])
    if nrows > TABLE_ROWS:
        half = TABLE_ROWS // 2
        rows = table_rows(v.head(half), series) + [["\u2026"] * len(header)] + table_rows(v.tail(half), series)
    else:
        rows = table_rows(v, series)
    lines = [header, ["---"] * len(header)] + rows
    return "\n".join("| " + " | ".join(r) + " |" for r in lines) + "\n\n" + footer + "\n"


def clip_columns(values):
    if len(values) <= TABLE_COLS:
        return values
    half = TABLE_COLS // 2
    return values[:half] + ["\u2026"] + values[-half:]


def table_rows(v, series):
    if series:
        return [[cell_text(i), cell_text(x)] for i, x in v.items()]
    return [[cell_text(r[0])] + [cell_text(x) for x in clip_columns(list(r[1:]))] for r in v.itertuples(index=True, name=None)]


def cell_text(x):
    try:
        s = str(x)
    except Exception:
        s = "?"
    s = s.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")
    return s if len(s) <= TABLE_CELL else s[: TABLE_CELL - 1] + "\u2026"


# -------------------------------------------------------------------- cells


def type_name(e):
    t = type(e)
    mod = getattr(t, "__module__", "builtins")
    if mod in ("builtins", "__main__", None):
        return t.__qualname__
    return "%s.%s" % (mod, t.__qualname__)


def strip_kernel_frames(e):
    """Removes pyexec's own frames from the traceback of e and of every
    exception chained to it or grouped in it, keeping the user's frames.

    The kernel's frames are those of this source's functions: they share its
    globals, which no user code has (cells run in __main__'s namespace, code
    they exec in theirs). They come before the cell's first frame (the loop,
    execute, run_maybe_async) and after it: on_sigint raises the timeout's
    KeyboardInterrupt inside the frame it interrupted, so it would be the
    last line of every timed-out cell's traceback; pyplot's show calls back
    into the kernel too. Before the cell's first frame, the frames of the
    stdlib that drive a cell (asyncio's loop for top-level await) go as
    well: they are the kernel's machinery, not the user's code.
    """
    seen = set()
    todo = [(e, True)]
    while todo:
        exc, top = todo.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        tb = exc.__traceback__
        if top:
            while tb is not None and not tb.tb_frame.f_code.co_filename.startswith("<cell-"):
                tb = tb.tb_next
        kept = []
        while tb is not None:
            if tb.tb_frame.f_globals is not KERNEL_GLOBALS:
                kept.append(tb)
            tb = tb.tb_next
        tb = None
        for t in reversed(kept):
            tb = types.TracebackType(tb, t.tb_frame, t.tb_lasti, t.tb_lineno)
        exc.__traceback__ = tb
        todo.append((exc.__cause__, False))
        todo.append((exc.__context__, False))
        group = getattr(exc, "exceptions", None)  # BaseExceptionGroup, 3.11+
        if isinstance(group, tuple):
            todo.extend((g, False) for g in group if isinstance(g, BaseException))


def format_error(e, cap):
    import linecache
    import traceback

    for filename, src in SOURCES.items():
        linecache.cache[filename] = (len(src), None, src.splitlines(True), filename)
    try:
        strip_kernel_frames(e)
        text = "".join(traceback.format_exception(type(e), e, e.__traceback__))
    except Exception as fe:  # a broken __str__ must not kill the kernel
        text = "%s (traceback unavailable: %r)\n" % (type_name(e), fe)
    try:
        message = str(e)
    except Exception:
        message = "<unprintable %s>" % type_name(e)
    return {"type": type_name(e), "message": cap_text(message, cap), "traceback": cap_text(text, cap)}


def run_maybe_async(code, ns):
    result = eval(code, ns)
    if code.co_flags & CO_COROUTINE:
        import asyncio

        if S.loop is None or S.loop.is_closed():
            S.loop = asyncio.new_event_loop()
        result = S.loop.run_until_complete(result)
    return result


def trailing_suppressed(src, node):
    # Jupyter's rule: a trailing expression followed by ';' is not shown.
    lines = src.splitlines()
    if node.end_lineno is None or node.end_lineno > len(lines):
        return False
    rest = lines[node.end_lineno - 1].encode("utf-8")[node.end_col_offset:]
    return rest.decode("utf-8", "replace").lstrip().startswith(";")


def execute(req, ns):
    S.count += 1
    filename = "<cell-%d>" % S.count
    src = req.get("code", "")
    cap = int(req.get("value_cap") or 0)
    SOURCES[filename] = src
    S.images, S.notes = [], []
    reply = {"op": "execute", "count": S.count}
    value = None
    has_value = False
    try:
        S.running = True
        tree = compile(src, filename, "exec", PyCF_ONLY_AST | PyCF_ALLOW_TOP_LEVEL_AWAIT)
        body = tree.body
        last = None
        if body and type(body[-1]).__name__ == "Expr" and not trailing_suppressed(src, body[-1]):
            last = body.pop()
        module = compile(type(tree)(body=body, type_ignores=[]), filename, "exec", PyCF_ALLOW_TOP_LEVEL_AWAIT)
        run_maybe_async(module, ns)
        if last is not None:
            import _ast  # built in; already initialised by the compile above

            code = compile(_ast.Expression(body=last.value), filename, "eval", PyCF_ALLOW_TOP_LEVEL_AWAIT)
            value = run_maybe_async(code, ns)
            has_value = value is not None
        S.running = False
    except BaseException as e:  # KeyboardInterrupt and SystemExit included
        S.running = False
        reply["error"] = format_error(e, cap)
        reply["interrupted"] = isinstance(e, KeyboardInterrupt)
    finally:
        S.running = False
    if has_value:
        builtins._ = value
        try:
            reply["value"] = cap_text(repr(value), cap)
        except Exception as e:
            reply["value"] = "<repr failed: %s>" % describe(e)
        # Always present with a value, {} if it has no other
        # representation: the client adds text/plain (the repr) to it.
        try:
            reply["data"], image = rich_bundle(value, cap, int(req.get("max_image_bytes") or 0))
        except Exception as e:  # a value hostile to introspection: the repr stays
            reply["data"], image = {}, None
            S.notes.append("could not collect the value's representations: %s" % describe(e))
        if image is not None:
            S.images.append((image[0], image[1], True))
    capture_figures()
    add_images(reply, req)
    if S.notes:
        reply["notes"] = S.notes
    S.images = S.notes = None
    return reply


def add_images(reply, req):
    import binascii

    max_images = int(req.get("max_images") or 0)
    max_bytes = int(req.get("max_image_bytes") or 0)
    kept, omitted = [], 0
    for mime, data, of_value in S.images:
        if max_bytes and len(data) > max_bytes:
            S.notes.append("an image of %d bytes exceeds the limit of %d bytes and was omitted" % (len(data), max_bytes))
            omitted += 1
        elif max_images and len(kept) >= max_images:
            omitted += 1
        else:
            im = {"mime": mime, "data": binascii.b2a_base64(data, newline=False).decode("ascii")}
            if of_value:
                im["value"] = True
            kept.append(im)
    if omitted and max_images and len(kept) >= max_images:
        S.notes.append("%d image(s) over the limit of %d were omitted" % (omitted, max_images))
    if kept:
        reply["images"] = kept
    if omitted:
        reply["images_omitted"] = omitted


def use_venv(req):
    """Makes a virtual environment created after start importable at once."""
    import importlib
    import site

    venv = req["path"]
    if os.name == "nt":  # Windows venvs: Lib\site-packages, Scripts
        sp, bindir = os.path.join(venv, "Lib", "site-packages"), os.path.join(venv, "Scripts")
    else:
        sp = os.path.join(venv, "lib", "python%d.%d" % sys.version_info[:2], "site-packages")
        bindir = os.path.join(venv, "bin")
    if sp not in sys.path:
        before = set(sys.path)
        site.addsitedir(sp)  # appends sp and what its .pth files add
        added = [p for p in sys.path if p not in before]
        rest = [p for p in sys.path if p in before]
        # Ahead of the base interpreter's site-packages, as if the kernel had
        # been started with the venv's python.
        at = next((i for i, p in enumerate(rest) if p.endswith("site-packages")), len(rest))
        sys.path[:] = rest[:at] + added + rest[at:]
    path = os.environ.get("PATH", "")
    if bindir not in path.split(os.pathsep):
        os.environ["PATH"] = bindir + (os.pathsep + path if path else "")
    os.environ["VIRTUAL_ENV"] = venv
    importlib.invalidate_caches()
    return {"op": "use_venv", "site_packages": sp}


# --------------------------------------------------------------------- main


def protocol_fds():
    """The protocol's descriptors: fds 3 and 4 on Unix, moved out of the way;
    on Windows three inherited pipe handles named in PYEXEC_KERNEL_HANDLES
    (requests, replies, interrupts; platform_windows.go says why), made
    non-inheritable so that user subprocesses do not hold them."""
    handles = os.environ.pop("PYEXEC_KERNEL_HANDLES", "")
    if not handles:
        req_fd, resp_fd = high_dup(3), high_dup(4)
        os.close(3)
        os.close(4)
        return req_fd, resp_fd
    import msvcrt

    req_h, resp_h, intr_h = (int(h) for h in handles.split(","))
    for h in (req_h, resp_h, intr_h):
        os.set_handle_inheritable(h, False)
    req_fd = msvcrt.open_osfhandle(req_h, os.O_RDONLY)
    resp_fd = msvcrt.open_osfhandle(resp_h, os.O_WRONLY)
    watch_interrupts(msvcrt.open_osfhandle(intr_h, os.O_RDONLY))
    return req_fd, resp_fd


def watch_interrupts(fd):
    """Windows: a byte on fd interrupts the main thread as SIGINT does on Unix
    (a console-less process cannot be sent Ctrl+C). interrupt_main() calls
    the SIGINT handler (on_sigint) from Python 3.10; before, it raises
    KeyboardInterrupt at once."""
    import _thread

    def run():
        while os.read(fd, 1):
            if S.running:  # a late request must not break the request loop
                _thread.interrupt_main()

    _thread.start_new_thread(run, ())


def main():
    if sys.version_info < (3, 8):  # end positions in the AST, top-level await
        sys.stderr.write("pyexec kernel: Python 3.8 or newer is required; this is %s\n" % sys.version.split()[0])
        sys.exit(2)
    req_fd, resp_fd = protocol_fds()
    requests = open(req_fd, "rb")
    replies = open(resp_fd, "wb", buffering=0)

    def send(msg):
        write_all(replies.fileno(), (json.dumps(msg) + "\n").encode("utf-8"))

    signal.signal(signal.SIGINT, on_sigint)
    streams = Streams()
    sys.meta_path.insert(0, PyplotHook())
    main_mod = types.ModuleType("__main__")
    main_mod.__builtins__ = builtins
    sys.modules["__main__"] = main_mod
    ns = main_mod.__dict__
    sys.argv = [""]
    send({"op": "hello", "protocol": PROTOCOL, "pid": os.getpid(),
          "python": "%d.%d.%d" % sys.version_info[:3], "executable": sys.executable, "prefix": sys.prefix})
    while True:
        line = requests.readline()
        if not line:
            return
        req = {}
        try:
            req = json.loads(line)
            op = req.get("op")
            if op == "execute":
                # Re-armed for every cell: user code may have replaced it, and
                # a timeout must still be able to interrupt the next cell.
                signal.signal(signal.SIGINT, on_sigint)
                reply = execute(req, ns)
            elif op == "use_venv":
                reply = use_venv(req)
            elif op == "shutdown":
                send({"id": req.get("id"), "op": "shutdown"})
                return
            else:
                reply = {"op": op, "fault": "unknown op %r" % (op,)}
        except BaseException as e:  # the kernel must answer every request
            S.running = False
            reply = {"op": req.get("op"), "fault": "%s: %s" % (type(e).__name__, e)}
        try:
            streams.restore()
            marker = req.get("marker")
            if marker:
                streams.mark(marker.encode("utf-8"))
        except BaseException as e:
            reply.setdefault("notes", []).append("could not restore output streams: %r" % (e,))
        reply["id"] = req.get("id")
        send(reply)


main()
