package session_test

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/executor"
	"github.com/pyexec-mcp/pyexec/internal/headtail"
	"github.com/pyexec-mcp/pyexec/session"
	"github.com/pyexec-mcp/pyexec/workspace"
)

// TestWorkspaceSharedWithKernel checks that code and the file tools see the
// same files, and that links out of the workspace made by code are refused.
func TestWorkspaceSharedWithKernel(t *testing.T) {
	t.Parallel()
	outside := filepath.Join(t.TempDir(), "outside.txt")
	require.NoError(t, os.WriteFile(outside, []byte("secret"), 0o644))
	m := newManager(t, nil)
	ws, err := workspace.Open(m.WorkspaceDir(), nil)
	require.NoError(t, err)
	defer ws.Close()

	t.Run("code writes, tool reads", func(t *testing.T) {
		execute(t, m, "", "with open('from_code.txt', 'w') as f:\n    f.write('hello from code')")
		data, info, err := ws.Read("from_code.txt")
		require.NoError(t, err)
		require.Equal(t, "hello from code", string(data))
		require.True(t, info.IsText)
	})
	t.Run("tool writes, code reads", func(t *testing.T) {
		_, err := ws.Write("in/data.csv", []byte("a,b\n1,2\n"), nil)
		require.NoError(t, err)
		require.Equal(t, "['a,b', '1,2']", value(t, m, "", "open('in/data.csv').read().split()"))
	})
	t.Run("binary round trip", func(t *testing.T) {
		execute(t, m, "", "open('all.bin', 'wb').write(bytes(range(256)))")
		data, info, err := ws.Read("all.bin")
		require.NoError(t, err)
		require.False(t, info.IsText)
		require.Len(t, data, 256)
		for i, b := range data {
			require.Equal(t, byte(i), b)
		}
		rev := make([]byte, 256)
		for i := range rev {
			rev[i] = byte(255 - i)
		}
		_, err = ws.Write("rev.bin", rev, nil)
		require.NoError(t, err)
		require.Equal(t, "True", value(t, m, "", "open('rev.bin', 'rb').read() == bytes(reversed(range(256)))"))
	})
	t.Run("symlinks made by code", func(t *testing.T) {
		execute(t, m, "", "import os\nos.symlink("+pyQuote(outside)+", 'leak.txt')\nos.symlink('..', 'up')\nos.symlink('/etc', 'etc')\nos.symlink('all.bin', 'alias.bin')")
		for _, p := range []string{"leak.txt", "up/outside.txt", "etc/passwd"} {
			_, _, err := ws.Read(p)
			require.ErrorIs(t, err, workspace.ErrOutside, p)
			require.Contains(t, err.Error(), "symbolic link")
			_, err = ws.Write(p, []byte("overwritten"), nil)
			require.ErrorIs(t, err, workspace.ErrOutside, p)
		}
		got, err := os.ReadFile(outside)
		require.NoError(t, err)
		require.Equal(t, "secret", string(got))
		data, _, err := ws.Read("alias.bin") // a link that stays inside works
		require.NoError(t, err)
		require.Len(t, data, 256)
		l, err := ws.List("", nil)
		require.NoError(t, err)
		outsideLinks := map[string]bool{}
		for _, e := range l.Entries {
			if e.Type == "symlink" {
				outsideLinks[e.Path] = e.Outside
			}
		}
		require.Equal(t, map[string]bool{"leak.txt": true, "up": true, "etc": true, "alias.bin": false}, outsideLinks)
	})
	t.Run("relative and absolute paths out", func(t *testing.T) {
		_, _, err := ws.Read("../outside.txt")
		require.ErrorIs(t, err, workspace.ErrOutside)
		_, _, err = ws.Read(outside)
		require.ErrorIs(t, err, workspace.ErrOutside)
	})
	t.Run("plot saved by code is an image file", func(t *testing.T) {
		execute(t, m, "", pngCode+"\nopen('pic.png', 'wb').write(png(5, 4))")
		data, info, err := ws.Read("pic.png")
		require.NoError(t, err)
		require.True(t, info.IsImage())
		img, err := png.Decode(bytes.NewReader(data))
		require.NoError(t, err)
		require.Equal(t, 5, img.Bounds().Dx())
	})
}

// pngCode defines png(w, h), a valid PNG built with the standard library,
// and Pic, an object with _repr_png_ as a PIL image has.
const pngCode = `
import struct, zlib
def png(w, h):
    raw = b''.join(b'\x00' + b'\x00\x80\xff' * w for _ in range(h))
    def chunk(t, d):
        return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
            + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))
class Pic:
    def __init__(self, w, h):
        self.w, self.h = w, h
    def _repr_png_(self):
        return png(self.w, self.h)
    def __repr__(self):
        return '<Pic %dx%d>' % (self.w, self.h)
`

func TestValueWithReprPNGIsAnImage(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{MaxImageBytes: 2000})
	execute(t, m, "", pngCode)
	res := execute(t, m, "", "Pic(7, 3)")
	require.Equal(t, "<Pic 7x3>", res.Value)
	require.Len(t, res.Images, 1)
	img, err := png.Decode(bytes.NewReader(res.Images[0].Data))
	require.NoError(t, err)
	require.Equal(t, 7, img.Bounds().Dx())

	res = execute(t, m, "", "Pic(1000, 1000)") // ~3 KB, over MaxImageBytes
	require.Empty(t, res.Images)
	require.Equal(t, 1, res.ImagesOmitted)
	require.NotEmpty(t, res.Notes)
}

func TestOutputCapture(t *testing.T) {
	t.Parallel()
	m := newManager(t, &session.Options{OutputCap: 4096})
	tests := []struct {
		name, code, stdout, stderr string
	}{
		{name: "print and stderr", code: "import sys\nprint('out')\nprint('err', file=sys.stderr)", stdout: "out\n", stderr: "err\n"},
		{name: "fd 1 and a subprocess", code: "import os, subprocess\nos.write(1, b'fd\\n')\nsubprocess.run('echo sub; echo suberr >&2', shell=True);", stdout: "fd\nsub\n", stderr: "suberr\n"},
		{name: "sys.stdout replaced", code: "import io, sys\nsys.stdout = io.StringIO()\nprint('hidden')\nimport os\nos.write(1, b'visible\\n');", stdout: "visible\n"},
		{name: "restored", code: "print('restored')", stdout: "restored\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := execute(t, m, "", tc.code)
			require.Nil(t, res.Error, "%+v", res.Error)
			require.Equal(t, tc.stdout, res.Stdout)
			require.Equal(t, tc.stderr, res.Stderr)
		})
	}
	res := execute(t, m, "", "print('x' * 100000)")
	require.Contains(t, res.Stdout, "bytes omitted")
	require.EqualValues(t, 100001-4096, res.StdoutOmitted)
}

// TestOneOutputCapRule: a cell keeps what a one-shot run keeps, and its
// value is cut as its streams are (headtail: head and tail around the
// "… N bytes omitted …" marker, on character boundaries).
func TestOneOutputCapRule(t *testing.T) {
	t.Parallel()
	require.Equal(t, executor.DefaultOutputCap, session.DefaultOutputCap)
	m := newManager(t, &session.Options{OutputCap: 4096})
	res := execute(t, m, "", "'é' * 5000 + 'x'")
	want, omitted := headtail.Clip("'"+strings.Repeat("é", 5000)+"x'", 4096)
	require.Positive(t, omitted)
	require.Equal(t, want, res.Value)
	res = execute(t, m, "", "raise ValueError('é' * 5000)")
	require.NotNil(t, res.Error)
	require.LessOrEqual(t, len(res.Error.Message), 4096+len(headtail.RangeMarker(2048, 6000)))
	require.Contains(t, res.Error.Message, "bytes omitted")
}
