package kernel

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

func TestExecuteREPL(t *testing.T) {
	t.Parallel()
	k := start(t, nil)
	tests := []struct {
		name, code     string
		value, stdout  string
		stderrContains string
	}{
		{name: "trailing expression", code: "x = 41\nx + 1", value: "42"},
		{name: "state kept", code: "x", value: "41"},
		{name: "underscore holds the last value", code: "_", value: "41"},
		{name: "None is not shown", code: "None"},
		{name: "assignment has no value", code: "y = 1"},
		{name: "semicolon suppresses", code: "x;  # comment"},
		{name: "repr not str", code: "'a'", value: "'a'"},
		{name: "print", code: "print('hi')", stdout: "hi\n"},
		{name: "stderr", code: "import sys; print('warn', file=sys.stderr)", stderrContains: "warn"},
		{name: "fd 1 write", code: "import os; os.write(1, b'raw\\n');", stdout: "raw\n"},
		{name: "subprocess output", code: "import subprocess; subprocess.run(['echo', 'child']);", stdout: "child\n"},
		{name: "C stdio", code: "import ctypes; ctypes.CDLL(None).printf(b'from C\\n');", stdout: "from C\n"},
		{name: "top-level await", code: "import asyncio\nawait asyncio.sleep(0)\n3", value: "3"},
		{name: "replaced sys.stdout", code: "import sys, io; sys.stdout = io.StringIO(); print('swallowed')"},
		{name: "sys.stdout restored", code: "print('back')", stdout: "back\n"},
		{name: "closed fds 1 and 2", code: "import os; os.close(1); os.close(2)"},
		{name: "fds restored", code: "import os; print('again'); os.write(2, b'err\\n');", stdout: "again\n", stderrContains: "err"},
		{name: "closed sys.stdout", code: "import sys; sys.stdout.close()"},
		{name: "sys.stdout reopened", code: "print('reopened')", stdout: "reopened\n"},
		{name: "protocol fds unreachable", code: "import os\ntry:\n    os.write(3, b'{}\\n'); os.write(4, b'{}\\n')\nexcept OSError: pass\n'ok'", value: "'ok'"},
		{name: "__name__", code: "__name__", value: "'__main__'"},
		{name: "unicode", code: "print('héllo ☃')", stdout: "héllo ☃\n"},
	}
	for _, tc := range tests { // sequential: the cells share one kernel
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, k, tc.code)
			require.Nil(t, res.Error, "%+v", res.Error)
			require.Equal(t, tc.value, res.Value)
			require.Equal(t, tc.stdout, res.Stdout)
			if tc.stderrContains != "" {
				require.Contains(t, res.Stderr, tc.stderrContains)
			}
		})
	}
}

func TestWorkingDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	k := start(t, &Config{Dir: dir})
	res := run(t, k, "import os, sys; (os.getcwd(), sys.path[0])")
	require.Equal(t, "("+pyQuote(dir)+", '')", res.Value)
}

func TestExecuteErrors(t *testing.T) {
	t.Parallel()
	k := start(t, nil)
	run(t, k, "def f():\n    return g()\n\ndef g():\n    raise ValueError('boom')")
	tests := []struct {
		name, code, typ, msg string
		tbContains           []string
	}{
		{name: "through earlier cells", code: "print('before')\nf()", typ: "ValueError", msg: "boom",
			tbContains: []string{`File "<cell-2>", line 2, in <module>`, `File "<cell-1>", line 5, in g`, "raise ValueError('boom')"}},
		{name: "syntax error", code: "x = = 1", typ: "SyntaxError", tbContains: []string{"<cell-3>", "x = = 1"}},
		{name: "SystemExit", code: "import sys; sys.exit(3)", typ: "SystemExit", msg: "3"},
		{name: "qualified type", code: "import json; json.loads('{')", typ: "json.decoder.JSONDecodeError"},
		{name: "broken __str__", code: "class E(Exception):\n    def __str__(self): raise RuntimeError\nraise E()", typ: "E"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, k, tc.code)
			require.NotNil(t, res.Error)
			require.Equal(t, tc.typ, res.Error.Type)
			if tc.msg != "" {
				require.Equal(t, tc.msg, res.Error.Message)
			}
			for _, s := range tc.tbContains {
				require.Contains(t, res.Error.Traceback, s)
			}
			// No frame of the kernel itself.
			require.NotContains(t, res.Error.Traceback, "<string>")
			require.NotContains(t, res.Error.Traceback, "run_maybe_async")
		})
	}
	require.Equal(t, "'still alive'", run(t, k, "'still alive'").Value)
}

// pngCode defines png(w, h), a valid PNG built with the standard library,
// and Pic, an object with _repr_png_ like a PIL image.
const pngCode = `
import struct, zlib
def png(w, h):
    raw = b''.join(b'\x00' + b'\xff\x00\x00' * w for _ in range(h))
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
class Pic:
    def __init__(self, w=2, h=2):
        self.w, self.h = w, h
    def _repr_png_(self):
        return png(self.w, self.h)
    def __repr__(self):
        return 'Pic(%d, %d)' % (self.w, self.h)
`

func TestImagesFromReprPNG(t *testing.T) {
	t.Parallel()
	k := start(t, nil)
	run(t, k, pngCode)
	ctx := context.Background()

	res, err := k.Execute(ctx, "Pic(3, 2)", &ExecOptions{MaxImages: 2, MaxImageBytes: 1 << 20})
	require.NoError(t, err)
	require.Equal(t, "Pic(3, 2)", res.Value)
	require.Len(t, res.Images, 1)
	require.Equal(t, "image/png", res.Images[0].MIME)
	img, err := png.Decode(bytes.NewReader(res.Images[0].Data))
	require.NoError(t, err)
	require.Equal(t, 3, img.Bounds().Dx())

	res, err = k.Execute(ctx, "Pic(400, 400)", &ExecOptions{MaxImages: 2, MaxImageBytes: 100})
	require.NoError(t, err)
	require.Empty(t, res.Images)
	require.Equal(t, 1, res.ImagesOmitted)
	require.NotEmpty(t, res.Notes)
}

func TestUseVenv(t *testing.T) {
	t.Parallel()
	py := testenv.Python(t)
	venv := filepath.Join(t.TempDir(), "venv")
	out, err := testCommand(py, "-m", "venv", "--without-pip", venv).CombinedOutput()
	require.NoError(t, err, "%s", out)
	k := start(t, nil)
	res := run(t, k, "import sys; '%d.%d' % sys.version_info[:2]")
	minor := strings.Trim(res.Value, "'")

	run(t, k, "try:\n    import pyexec_probe\nexcept ImportError:\n    pass")
	sp := filepath.Join(venv, "lib", "python"+minor, "site-packages")
	require.NoError(t, os.WriteFile(filepath.Join(sp, "pyexec_probe.py"), []byte("VALUE = 7\n"), 0o644))

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	got, err := k.UseVenv(ctx, venv)
	require.NoError(t, err)
	require.Equal(t, sp, got)
	res = run(t, k, "import pyexec_probe, os; (pyexec_probe.VALUE, os.environ['VIRTUAL_ENV'] == "+pyQuote(venv)+")")
	require.Nil(t, res.Error, "%+v", res.Error)
	require.Equal(t, "(7, True)", res.Value)
}

func pyQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `\'`) + "'" }

func TestStartFailures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	fake := filepath.Join(dir, "python")
	require.NoError(t, os.WriteFile(fake, []byte("#!/bin/sh\necho 'no such module: encodings' >&2\nexit 1\n"), 0o755))
	tests := []struct {
		name     string
		cfg      *Config
		contains string
	}{
		{name: "no python", cfg: &Config{}, contains: "Config.Python is required"},
		{name: "missing interpreter", cfg: &Config{Python: filepath.Join(dir, "nope")}, contains: "no such file"},
		{name: "exits at once", cfg: &Config{Python: fake}, contains: "no such module: encodings"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Start(context.Background(), tc.cfg)
			require.ErrorIs(t, err, ErrStart)
			require.Contains(t, err.Error(), tc.contains)
		})
	}
}

func TestAllPythonVersions(t *testing.T) {
	t.Parallel()
	versions := testenv.PythonVersions()
	if len(versions) == 0 {
		t.Skip("no pyenv interpreters")
	}
	for minor, py := range versions {
		t.Run(minor, func(t *testing.T) {
			t.Parallel()
			if minor == "3.6" || minor == "3.7" {
				_, err := Start(context.Background(), &Config{Python: py, Dir: t.TempDir()})
				require.ErrorIs(t, err, ErrStart)
				require.Contains(t, err.Error(), "Python 3.8 or newer is required")
				return
			}
			k := start(t, &Config{Python: py})
			require.True(t, strings.HasPrefix(k.Python, minor+"."), k.Python)
			res := run(t, k, "def f(): raise KeyError('k')\nprint('out')\nf()")
			require.Equal(t, "out\n", res.Stdout)
			require.NotNil(t, res.Error)
			require.Equal(t, "KeyError", res.Error.Type)
			require.Equal(t, "2", run(t, k, "1 + 1").Value)
		})
	}
}
