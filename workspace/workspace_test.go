package workspace_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/workspace"
)

// setup returns a workspace in <tmp>/ws next to <tmp>/secret.txt, with
// symlinks that lead out (abs, rel, etcdir) and one that stays in (inside).
func setup(t *testing.T, opts *workspace.Options) (*workspace.Workspace, string) {
	t.Helper()
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "ws")
	require.NoError(t, os.WriteFile(filepath.Join(tmp, "secret.txt"), []byte("secret"), 0o644))
	ws, err := workspace.Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, ws.Close()) })
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "f.txt"), []byte("inside"), 0o644))
	require.NoError(t, os.Symlink(filepath.Join(tmp, "secret.txt"), filepath.Join(dir, "abs")))
	require.NoError(t, os.Symlink("../secret.txt", filepath.Join(dir, "rel")))
	require.NoError(t, os.Symlink(tmp, filepath.Join(dir, "updir")))
	require.NoError(t, os.Symlink("sub/f.txt", filepath.Join(dir, "inside")))
	return ws, tmp
}

func TestReadRefusesPathsOutside(t *testing.T) {
	t.Parallel()
	ws, tmp := setup(t, nil)
	tests := []struct {
		name, path, why string
	}{
		{name: "parent", path: "..", why: "climbs out"},
		{name: "parent file", path: "../secret.txt", why: "climbs out"},
		{name: "climbs out after a detour", path: "sub/../../secret.txt", why: "climbs out"},
		{name: "absolute", path: filepath.Join(tmp, "secret.txt"), why: "is absolute"},
		{name: "absolute system file", path: "/etc/passwd", why: "is absolute"},
		{name: "absolute symlink out", path: "abs", why: "symbolic link"},
		{name: "relative symlink out", path: "rel", why: "symbolic link"},
		{name: "through a symlinked directory", path: "updir/secret.txt", why: "symbolic link"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := ws.Read(tc.path)
			require.ErrorIs(t, err, workspace.ErrOutside)
			require.Contains(t, err.Error(), tc.why)
			require.Contains(t, err.Error(), tc.path)
			_, err = ws.Write(tc.path, []byte("x"), nil)
			require.ErrorIs(t, err, workspace.ErrOutside)
		})
	}
	got, err := os.ReadFile(filepath.Join(tmp, "secret.txt"))
	require.NoError(t, err)
	require.Equal(t, "secret", string(got), "a refused write changed the file outside")
}

func TestReadInside(t *testing.T) {
	t.Parallel()
	ws, _ := setup(t, nil)
	for _, p := range []string{"sub/f.txt", "inside", "sub/../sub/f.txt", "./sub/f.txt"} {
		data, info, err := ws.Read(p)
		require.NoError(t, err, p)
		require.Equal(t, "inside", string(data))
		require.True(t, info.IsText)
		require.Equal(t, "file", info.Type)
		require.EqualValues(t, 6, info.Size)
	}
}

func TestBinaryRoundTrip(t *testing.T) {
	t.Parallel()
	ws, _ := setup(t, nil)
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	info, err := ws.Write("bin/all.bytes", all, nil) // creates bin/
	require.NoError(t, err)
	require.False(t, info.IsText)
	require.Equal(t, "application/octet-stream", info.MIME)
	data, info, err := ws.Read("bin/all.bytes")
	require.NoError(t, err)
	require.Equal(t, all, data)
	require.False(t, info.IsText)
	require.Equal(t, "bin/all.bytes", info.Path)
}

func TestWriteOptions(t *testing.T) {
	t.Parallel()
	ws, _ := setup(t, nil)
	_, err := ws.Write("log.txt", []byte("a\n"), nil)
	require.NoError(t, err)
	_, err = ws.Write("log.txt", []byte("b\n"), &workspace.WriteOptions{Append: true})
	require.NoError(t, err)
	data, _, err := ws.Read("log.txt")
	require.NoError(t, err)
	require.Equal(t, "a\nb\n", string(data))

	_, err = ws.Write("log.txt", []byte("c"), &workspace.WriteOptions{Exclusive: true})
	require.ErrorIs(t, err, fs.ErrExist)
	_, err = ws.Write("new/dir/x.txt", []byte("c"), &workspace.WriteOptions{NoMkdir: true})
	require.ErrorIs(t, err, fs.ErrNotExist)
	_, err = ws.Write("sub", []byte("c"), nil)
	require.Error(t, err)
	_, err = ws.Write("", []byte("c"), nil)
	require.ErrorIs(t, err, workspace.ErrInvalidPath)
	_, err = ws.Write("a\x00b", []byte("c"), nil)
	require.ErrorIs(t, err, workspace.ErrInvalidPath)
}

func TestLimits(t *testing.T) {
	t.Parallel()
	ws, _ := setup(t, &workspace.Options{MaxReadBytes: 10, MaxWriteBytes: 20})
	_, err := ws.Write("big.txt", bytes.Repeat([]byte("x"), 21), nil)
	require.ErrorIs(t, err, workspace.ErrTooLarge)
	require.Contains(t, err.Error(), "big.txt")
	_, err = ws.Write("mid.txt", bytes.Repeat([]byte("x"), 15), nil)
	require.NoError(t, err)
	_, _, err = ws.Read("mid.txt")
	require.ErrorIs(t, err, workspace.ErrTooLarge)
	require.Contains(t, err.Error(), "15 bytes")

	_, err = workspace.Open(t.TempDir(), &workspace.Options{MaxReadBytes: -1})
	require.ErrorIs(t, err, workspace.ErrInvalidOptions)
}

func TestImageDetection(t *testing.T) {
	t.Parallel()
	ws, _ := setup(t, nil)
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	_, err := ws.Write("plot.bin", buf.Bytes(), nil) // the content decides, not the name
	require.NoError(t, err)
	data, info, err := ws.Read("plot.bin")
	require.NoError(t, err)
	require.Equal(t, "image/png", info.MIME)
	require.True(t, info.IsImage())
	require.Equal(t, buf.Bytes(), data)

	_, err = ws.Write("notes.png", []byte("not an image"), nil)
	require.NoError(t, err)
	_, info, err = ws.Read("notes.png")
	require.NoError(t, err)
	require.False(t, info.IsImage())
	require.True(t, info.IsText)
}

func TestList(t *testing.T) {
	t.Parallel()
	ws, _ := setup(t, nil)
	l, err := ws.List("", nil)
	require.NoError(t, err)
	require.False(t, l.Truncated)
	byPath := map[string]workspace.FileInfo{}
	var paths []string
	for _, e := range l.Entries {
		byPath[e.Path] = e
		paths = append(paths, e.Path)
	}
	require.Equal(t, []string{"abs", "inside", "rel", "sub", "updir"}, paths)
	require.Equal(t, "dir", byPath["sub"].Type)
	require.Equal(t, "symlink", byPath["abs"].Type)
	require.True(t, byPath["abs"].Outside)
	require.True(t, byPath["rel"].Outside)
	require.Equal(t, "../secret.txt", byPath["rel"].Target)
	require.False(t, byPath["inside"].Outside)

	l, err = ws.List(".", &workspace.ListOptions{Recursive: true})
	require.NoError(t, err)
	require.Len(t, l.Entries, 6)
	require.Equal(t, "sub/f.txt", l.Entries[4].Path)
	require.EqualValues(t, 6, l.Entries[4].Size)

	l, err = ws.List("", &workspace.ListOptions{Recursive: true, MaxEntries: 2})
	require.NoError(t, err)
	require.True(t, l.Truncated)
	require.Len(t, l.Entries, 2)

	l, err = ws.List("sub/f.txt", nil)
	require.NoError(t, err)
	require.Len(t, l.Entries, 1)

	_, err = ws.List("..", nil)
	require.ErrorIs(t, err, workspace.ErrOutside)
	_, err = ws.List("updir", nil)
	require.ErrorIs(t, err, workspace.ErrOutside)
}

// FuzzWrite checks that no path makes Write or Read touch anything outside
// the workspace.
func FuzzWrite(f *testing.F) {
	for _, s := range []string{"a.txt", "../x", "/tmp/x", "sub/../../x", "abs", "rel", "updir/y", "..\\x", "a/./b/../c", "", ".", "sub/", "x\x00y"} {
		f.Add(s)
	}
	tmp := f.TempDir()
	dir := filepath.Join(tmp, "ws")
	ws, err := workspace.Open(dir, nil)
	require.NoError(f, err)
	f.Cleanup(func() { _ = ws.Close() })
	require.NoError(f, os.Symlink(filepath.Join(tmp, "out"), filepath.Join(dir, "abs")))
	require.NoError(f, os.Symlink("../out", filepath.Join(dir, "rel")))
	require.NoError(f, os.Symlink(tmp, filepath.Join(dir, "updir")))
	f.Fuzz(func(t *testing.T, p string) {
		if _, err := ws.Write(p, []byte("fuzz"), nil); err == nil {
			_, _, err := ws.Read(p)
			require.NoError(t, err, "wrote %q but cannot read it back", p)
		}
		entries, err := os.ReadDir(tmp)
		require.NoError(t, err)
		for _, e := range entries {
			require.Equal(t, "ws", e.Name(), "path %q created %q outside the workspace", p, e.Name())
		}
	})
}

// TestReadAt: a part of a file, with the whole file's description; a part
// that splits a character keeps the file text; FIFOs and paths that lead
// out are refused as by Read.
func TestReadAt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := workspace.Open(dir, &workspace.Options{MaxReadBytes: 10})
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Close() })
	text := strings.Repeat("é", 20_000) // larger than MaxReadBytes: ReadAt reads parts
	require.NoError(t, os.WriteFile(filepath.Join(dir, "t.txt"), []byte(text), 0o600))
	data, info, err := w.ReadAt("t.txt", 3, 100)
	require.NoError(t, err)
	require.Equal(t, []byte(text[3:103]), data)
	require.Equal(t, int64(len(text)), info.Size)
	require.True(t, info.IsText, "a part that splits a character is still of a text file")
	data, _, err = w.ReadAt("t.txt", int64(len(text)), 100)
	require.NoError(t, err)
	require.Empty(t, data, "past the end: nothing")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "b.bin"), []byte("ab\x00cd"), 0o600))
	_, info, err = w.ReadAt("b.bin", 0, 2)
	require.NoError(t, err)
	require.False(t, info.IsText)
	_, _, err = w.ReadAt("../x", 0, 1)
	require.ErrorIs(t, err, workspace.ErrOutside)
	_, _, err = w.ReadAt("t.txt", -1, 1)
	require.Error(t, err)
}

// TestSnapshotChanges: files created and modified between two snapshots,
// not those left alone or removed.
func TestSnapshotChanges(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	w, err := workspace.Open(dir, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.Close() })
	for _, name := range []string{"same.txt", "grows.txt", "gone.txt"} {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte("x"), 0o600))
	}
	before, err := w.Snapshot(0)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "grows.txt"), []byte("xyz"), 0o600))
	require.NoError(t, os.Remove(filepath.Join(dir, "gone.txt")))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "out"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "out", "new.csv"), []byte("a,b\n"), 0o600))
	after, err := w.Snapshot(0)
	require.NoError(t, err)
	require.Equal(t, []workspace.Change{{Path: "grows.txt", Size: 3}, {Path: "out/new.csv", Size: 4, Created: true}}, before.Changes(after))
	small, err := w.Snapshot(1)
	require.NoError(t, err)
	require.True(t, small.Truncated)
}

// TestCheckPath: a path is judged by its letters, before any file exists.
func TestCheckPath(t *testing.T) {
	t.Parallel()
	require.NoError(t, workspace.CheckPath("out/new.ipynb"))
	require.ErrorIs(t, workspace.CheckPath("../x"), workspace.ErrOutside)
	require.ErrorIs(t, workspace.CheckPath("/etc/passwd"), workspace.ErrOutside)
	require.ErrorIs(t, workspace.CheckPath("a\x00b"), workspace.ErrInvalidPath)
}
