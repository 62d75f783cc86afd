package mcptools_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/session"
	"github.com/pyexec-mcp/pyexec/workspace"
)

// sessionHarness is a harness with the session and workspace groups only,
// as examples/mcp-executor serves them, or with every group when all is set.
// Its sessions install offline, from a wheel the test writes.
func sessionHarness(t *testing.T, all bool, options ...func(*mcptools.Options)) (*harness, string) {
	t.Helper()
	wheels := t.TempDir()
	writeWheel(t, wheels, "pyexecdemo", "1.5.0")
	return sessionsHarness(t, []string{"--offline", "--no-index", "--find-links", wheels, "--cache-dir", t.TempDir()}, all, options...)
}

// sessionsHarness is sessionHarness whose sessions' installs take uvArgs.
func sessionsHarness(t *testing.T, uvArgs []string, all bool, options ...func(*mcptools.Options)) (*harness, string) {
	t.Helper()
	wsDir := filepath.Join(t.TempDir(), "workspace")
	m, err := session.NewManager(&session.Options{
		Python: testenv.Python(t), UV: testenv.UV(t), WorkspaceDir: wsDir, DataDir: t.TempDir(),
		Grace: time.Second, UVArgs: uvArgs,
	})
	require.NoError(t, err)
	ws, err := workspace.Open(wsDir, nil)
	require.NoError(t, err)
	t.Cleanup(func() {
		require.NoError(t, ws.Close())
		require.NoError(t, m.Close())
	})
	h := newHarness(t, &harnessOptions{options: func(o *mcptools.Options) {
		o.Sessions, o.Workspace = m, ws
		if !all {
			o.Groups = []mcptools.Group{mcptools.GroupSession, mcptools.GroupWorkspace}
		}
		for _, f := range options {
			f(o)
		}
	}})
	return h, wsDir
}

// tinyPNG is Python that builds a valid 1×1 PNG with the standard library.
const tinyPNG = `import struct, zlib
def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
class Pixel:
    def _repr_png_(self):
        ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
        return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + _chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + _chunk(b"IEND", b"")
`

func TestSessionTools(t *testing.T) {
	t.Parallel()
	h, _ := sessionHarness(t, false)
	exec := func(code string, extra map[string]any) (mcptools.CellOutput, *mcp.CallToolResult) {
		t.Helper()
		args := map[string]any{"code": code}
		for k, v := range extra {
			args[k] = v
		}
		var out mcptools.CellOutput
		res := h.callOK("execute_python", args, &out)
		return out, res
	}
	t.Run("state survives between calls", func(t *testing.T) {
		exec("x = 20", nil)
		out, res := exec("x + 22", nil)
		require.Equal(t, "42", out.Value)
		require.Equal(t, "default", out.SessionID)
		require.Contains(t, text(res), "### value")
	})
	t.Run("sessions are separate", func(t *testing.T) {
		out, _ := exec("'x' in dir()", map[string]any{"session_id": "other"})
		require.Equal(t, "False", out.Value)
	})
	t.Run("exception with traceback, session survives", func(t *testing.T) {
		out, res := exec("def f():\n    raise ValueError('bad value')\nf()", nil)
		require.NotNil(t, out.Error)
		require.Equal(t, "ValueError", out.Error.Type)
		require.Contains(t, out.Error.Traceback, "bad value")
		require.Contains(t, text(res), "### traceback")
		out, _ = exec("x", nil)
		require.Equal(t, "20", out.Value)
	})
	t.Run("timeout interrupts and keeps state", func(t *testing.T) {
		out, _ := exec("import time\nwhile True: time.sleep(0.01)", map[string]any{"timeout_seconds": 0.3})
		require.True(t, out.TimedOut)
		require.False(t, out.StateLost)
		out, _ = exec("x", nil)
		require.Equal(t, "20", out.Value)
	})
	t.Run("image content", func(t *testing.T) {
		out, res := exec(tinyPNG+"Pixel()", nil)
		require.Equal(t, 1, out.Images)
		var imgs []*mcp.ImageContent
		for _, c := range res.Content {
			if img, ok := c.(*mcp.ImageContent); ok {
				imgs = append(imgs, img)
			}
		}
		require.Len(t, imgs, 1)
		require.Equal(t, "image/png", imgs[0].MIMEType)
		_, err := png.Decode(bytes.NewReader(imgs[0].Data))
		require.NoError(t, err)
	})
	t.Run("install then import in the live session", func(t *testing.T) {
		var inst mcptools.InstallOutput
		res := h.callOK("install_package", map[string]any{"package": "pyexecdemo"}, &inst)
		require.Len(t, inst.Requested, 1)
		require.Equal(t, "1.5.0", inst.Requested[0].Version)
		require.Contains(t, text(res), "pyexecdemo==1.5.0")
		out, _ := exec("import pyexecdemo; pyexecdemo.__version__", nil)
		require.Equal(t, "'1.5.0'", out.Value)
	})
	t.Run("argument errors", func(t *testing.T) {
		require.Contains(t, h.callErr("execute_python", map[string]any{"code": " "}), "code")
		// Neither: the schema's anyOf refuses it, naming both.
		msg := h.callErr("install_package", map[string]any{})
		require.Contains(t, msg, `"package"`)
		require.Contains(t, msg, `"packages"`)
		// Both empty: the handler's own error, naming them.
		msg = h.callErr("install_package", map[string]any{"package": "", "packages": []string{}})
		require.Contains(t, msg, "give a requirement in package (or several in packages)")
		require.Contains(t, h.callErr("install_package", map[string]any{"packages": []string{"--index-url=x"}}), "packages")
		// Refused before anything records the name (with a job store shared
		// by replicas, before its home is claimed in the database, which
		// would refuse a NUL itself with an error naming no argument).
		for _, bad := range []string{"bad\nid", "nul\x00id", strings.Repeat("x", 10_000)} {
			require.Contains(t, h.callErr("execute_python", map[string]any{"code": "1", "session_id": bad}), "session_id")
			require.Contains(t, h.callErr("install_package", map[string]any{"package": "six", "session_id": bad}), "session_id")
		}
	})
}

func TestWorkspaceTools(t *testing.T) {
	t.Parallel()
	h, wsDir := sessionHarness(t, false)
	t.Run("text round trip, seen by session code", func(t *testing.T) {
		var f mcptools.FileOutput
		h.callOK("write_file", map[string]any{"path": "data/in.csv", "content": "a,b\n1,2\n"}, &f)
		require.Equal(t, int64(8), f.Size)
		var out mcptools.CellOutput
		h.callOK("execute_python", map[string]any{"code": "open('data/in.csv').read()"}, &out)
		require.Equal(t, `'a,b\n1,2\n'`, out.Value)
		h.callOK("read_file", map[string]any{"path": "data/in.csv"}, &f)
		require.True(t, f.IsText)
		require.Equal(t, "a,b\n1,2\n", f.Content)
	})
	t.Run("binary round trip", func(t *testing.T) {
		blob := []byte{0, 1, 2, 0xff, 0xfe, 0}
		h.callOK("write_file", map[string]any{"path": "b.bin", "content": base64.StdEncoding.EncodeToString(blob), "encoding": "base64"}, nil)
		var f mcptools.FileOutput
		h.callOK("read_file", map[string]any{"path": "b.bin"}, &f)
		require.False(t, f.IsText)
		got, err := base64.StdEncoding.DecodeString(f.ContentBase64)
		require.NoError(t, err)
		require.Equal(t, blob, got)
	})
	t.Run("an image file is image content", func(t *testing.T) {
		h.callOK("execute_python", map[string]any{"code": tinyPNG + "open('p.png', 'wb').write(Pixel()._repr_png_())"}, nil)
		res := h.callOK("read_file", map[string]any{"path": "p.png"}, nil)
		require.Len(t, res.Content, 2)
		img, ok := res.Content[1].(*mcp.ImageContent)
		require.True(t, ok)
		require.Equal(t, "image/png", img.MIMEType)
	})
	t.Run("list", func(t *testing.T) {
		var l mcptools.ListFilesOutput
		h.callOK("list_files", map[string]any{"recursive": true}, &l)
		var paths []string
		for _, e := range l.Entries {
			paths = append(paths, e.Path)
		}
		require.Subset(t, paths, []string{"data", "data/in.csv", "b.bin"})
	})
	t.Run("a large text file in pages within the budget", func(t *testing.T) {
		var want strings.Builder
		for i := 0; want.Len() < 900_000; i++ {
			fmt.Fprintf(&want, "row %d, é\n", i)
		}
		require.NoError(t, os.WriteFile(filepath.Join(wsDir, "big.txt"), []byte(want.String()), 0o600))
		var got strings.Builder
		off, pages := int64(0), 0
		for {
			var f mcptools.FileOutput
			res := h.callOK("read_file", map[string]any{"path": "big.txt", "offset": off}, &f)
			pages++
			require.LessOrEqual(t, len(text(res)), mcptools.DefaultResponseTokens*mcptools.BytesPerToken)
			require.Equal(t, int64(want.Len()), f.Size)
			require.True(t, f.Content == "" || strings.HasSuffix(f.Content, "\n"), "pages end on lines")
			got.WriteString(f.Content)
			require.Equal(t, off+int64(len(f.Content)), f.NextOffset)
			off = f.NextOffset
			if !f.More {
				break
			}
		}
		require.True(t, want.String() == got.String(), "the pages are the file")
		require.Greater(t, pages, 20)
		var f mcptools.FileOutput
		h.callOK("read_file", map[string]any{"path": "big.txt", "max_bytes": 100}, &f)
		require.LessOrEqual(t, len(f.Content), 100)
		require.True(t, f.More)
	})
	t.Run("a large cell output within the budget", func(t *testing.T) {
		var out mcptools.CellOutput
		res := h.callOK("execute_python", map[string]any{"code": "for i in range(100000): print(i)\n'x' * 200000"}, &out)
		require.LessOrEqual(t, len(text(res)), mcptools.DefaultResponseTokens*mcptools.BytesPerToken)
		require.True(t, strings.HasPrefix(out.Stdout, "0\n1\n"))
		require.True(t, strings.HasSuffix(out.Stdout, "99999\n"))
		require.Contains(t, out.Stdout, "bytes omitted")
		require.NotEmpty(t, out.JobID, "the job that keeps the whole output")
		var o mcptools.JobOutput
		h.callOK("get_job_output", map[string]any{"job_id": out.JobID, "stdout_offset": 100_000}, &o)
		var all strings.Builder
		for i := range 100000 {
			fmt.Fprintf(&all, "%d\n", i)
		}
		require.NotEmpty(t, o.Stdout)
		require.True(t, all.String()[100_000:100_000+len(o.Stdout)] == o.Stdout, "the middle is readable: %.20q", o.Stdout)
		require.Less(t, len(out.Value), 10_000)
		h.callOK("execute_python", map[string]any{"code": "for i in range(100000): print(i)", "max_response_tokens": 20000}, &out)
		require.Greater(t, len(out.Stdout), 60_000, "a call may ask for more")
	})
	t.Run("a directory is shown as one, without a size", func(t *testing.T) {
		var l mcptools.ListFilesOutput
		res := h.callOK("list_files", nil, &l)
		byPath := map[string]mcptools.FileEntry{}
		for _, e := range l.Entries {
			byPath[e.Path] = e
		}
		require.Equal(t, "dir", byPath["data"].Type)
		require.Nil(t, byPath["data"].Size, "a directory has no size")
		require.Equal(t, "file", byPath["b.bin"].Type)
		require.NotNil(t, byPath["b.bin"].Size)
		require.EqualValues(t, 6, *byPath["b.bin"].Size)
		md := text(res)
		require.Contains(t, md, "- `data/`\n")
		require.Contains(t, md, "- `b.bin` (6 bytes)\n")
		require.NotContains(t, md, "(dir")
		// The structured entry of a directory has no size member at all.
		var raw struct {
			Entries []map[string]any `json:"entries"`
		}
		decode(t, res, &raw)
		for _, e := range raw.Entries {
			if e["path"] == "data" {
				require.NotContains(t, e, "size")
			}
		}
	})
	t.Run("confinement", func(t *testing.T) {
		h.callOK("execute_python", map[string]any{"code": "import os; os.symlink('/etc/passwd', 'escape')"}, nil)
		for _, p := range []string{"../x", "/etc/passwd", "escape", "data/../../x"} {
			msg := h.callErr("read_file", map[string]any{"path": p})
			require.Contains(t, msg, "path", p)
			require.NotContains(t, msg, "root:", p)
		}
		msg := h.callErr("write_file", map[string]any{"path": "../outside.txt", "content": "x"})
		require.True(t, strings.Contains(msg, "outside"), msg)
		require.NoFileExists(t, filepath.Join(filepath.Dir(wsDir), "outside.txt"))
	})
}

// TestCellAsJob: a cell past the budget becomes a job; its output reaches
// the job's logs; it completes with its value, which py_job_status and the
// task result show; cancelling a long cell interrupts it and keeps the
// session's earlier variables; async_mode makes a job at once; a call to a
// busy session waits its turn.
func TestCellAsJob(t *testing.T) {
	t.Parallel()
	h, _ := sessionHarness(t, false, func(o *mcptools.Options) { o.Budget = 300 * time.Millisecond })
	h.callOK("execute_python", map[string]any{"code": "kept = 42"}, nil)

	var out mcptools.CellOutput
	h.callOK("execute_python", map[string]any{"code": "import time\nprint('started', flush=True)\ntime.sleep(1.5)\nprint('done')\n6 * 7"}, &out)
	require.Equal(t, "running", out.Status)
	require.NotEmpty(t, out.JobID)
	info := h.waitJob(out.JobID)
	require.Equal(t, "completed", info.Status)
	var o mcptools.JobOutput
	h.callOK("get_job_output", map[string]any{"job_id": out.JobID}, &o)
	require.Equal(t, "started\ndone\n", o.Stdout)
	b, err := json.Marshal(info.Result)
	require.NoError(t, err)
	require.Contains(t, string(b), `"value":"42"`)

	// Cancelling a long cell: interrupted, the session's state is kept.
	h.callOK("execute_python", map[string]any{"code": "import time\ntime.sleep(60)", "async_mode": true}, &out)
	require.NotEmpty(t, out.JobID, "async_mode: a job at once")
	testenv.PollUntil(t, "the cell to run", func() bool { return h.jobStatus(out.JobID).Status == "running" })
	var c mcptools.CancelResult
	h.callOK("py_cancel_job", map[string]any{"job_id": out.JobID}, &c)
	require.Equal(t, "cancelled", c.Status)
	h.callOK("execute_python", map[string]any{"code": "kept"}, &out)
	require.Equal(t, "42", out.Value, "the session's state survived the cancel")
	require.False(t, out.StateLost)

	// A busy session: a call waits for the running cell to end.
	var first mcptools.CellOutput
	h.callOK("execute_python", map[string]any{"code": "import time\ntime.sleep(2)\norder = ['first']", "async_mode": true}, &first)
	testenv.PollUntil(t, "the first cell to run", func() bool { return h.jobStatus(first.JobID).Status == "running" })
	var second mcptools.CellOutput
	h.callOK("execute_python", map[string]any{"code": "order.append('second'); order"}, &second)
	if second.JobID != "" && second.Status != "completed" { // past the budget: a job of its own
		h.waitJob(second.JobID)
		second = mcptools.CellOutput{}
		h.callOK("execute_python", map[string]any{"code": "order"}, &second)
	}
	require.Equal(t, "['first', 'second']", second.Value)
}

// TestCellFilesOut: a cell's result lists the workspace files it created or
// changed and links them as resources, which read back through
// resources/read; a resource URI that leads out of the workspace is
// refused, as read_file refuses the path.
func TestCellFilesOut(t *testing.T) {
	t.Parallel()
	h, _ := sessionHarness(t, false)
	ctx := context.Background()
	h.callOK("execute_python", map[string]any{"code": "open('old.txt', 'w').write('1')"}, nil)
	var out mcptools.CellOutput
	res := h.callOK("execute_python", map[string]any{"code": "import os\nos.makedirs('out', exist_ok=True)\nopen('out/r é.csv', 'w').write('a,b\\n1,2\\n')\nopen('old.txt', 'a').write('2')"}, &out)
	require.Len(t, out.Files, 2)
	require.Equal(t, "old.txt", out.Files[0].Path)
	require.False(t, out.Files[0].Created)
	require.Equal(t, "out/r é.csv", out.Files[1].Path)
	require.True(t, out.Files[1].Created)
	require.EqualValues(t, 8, out.Files[1].Size)
	require.Contains(t, text(res), "out/r é.csv")
	var links []*mcp.ResourceLink
	for _, c := range res.Content {
		if l, ok := c.(*mcp.ResourceLink); ok {
			links = append(links, l)
		}
	}
	require.Len(t, links, 2)
	rr, err := h.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: links[1].URI})
	require.NoError(t, err)
	require.Equal(t, "a,b\n1,2\n", rr.Contents[0].Text)

	// A cell that writes nothing lists nothing.
	out = mcptools.CellOutput{}
	h.callOK("execute_python", map[string]any{"code": "1 + 1"}, &out)
	require.Empty(t, out.Files)

	// Confined as read_file: no way out.
	h.callOK("execute_python", map[string]any{"code": "import os; os.symlink('/etc/passwd', 'escape')"}, nil)
	for _, uri := range []string{"workspace:///../x", "workspace:///%2E%2E/%2E%2E/etc/passwd", "workspace:////etc/passwd", "workspace:///escape"} {
		_, err := h.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: uri})
		require.Error(t, err, uri)
		require.NotContains(t, err.Error(), "root:", uri)
	}
	_, err = h.cs.ReadResource(ctx, &mcp.ReadResourceParams{URI: "workspace:///nothing-here.txt"})
	require.Error(t, err)
	tmpl, err := h.cs.ListResourceTemplates(ctx, nil)
	require.NoError(t, err)
	var uris []string
	for _, rt := range tmpl.ResourceTemplates {
		uris = append(uris, rt.URITemplate)
	}
	require.Contains(t, uris, "workspace:///{+path}")
}
