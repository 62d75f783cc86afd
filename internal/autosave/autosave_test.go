package autosave_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/autosave"
)

func newStore(t testing.TB, keep int) *autosave.Store {
	t.Helper()
	s, err := autosave.New(&autosave.Options{Dir: filepath.Join(t.TempDir(), "autosaved"), Keep: keep})
	require.NoError(t, err)
	return s
}

func TestNew(t *testing.T) {
	t.Parallel()
	_, err := autosave.New(nil)
	require.Error(t, err)
	_, err = autosave.New(&autosave.Options{})
	require.Error(t, err)
}

// TestSaveAndRead: a saved script is listed and read back, by name with or
// without ".py", with its sidecar.
func TestSaveAndRead(t *testing.T) {
	t.Parallel()
	s := newStore(t, 0)
	list, err := s.List()
	require.NoError(t, err)
	require.Empty(t, list, "a directory not yet created is empty")

	name, err := s.Save("run_script_in_dir", "print(1)\n", map[string]any{"job_label": "lbl"})
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(name, ".py"))
	list, err = s.List()
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, name, list[0].Name)
	require.Equal(t, int64(len("print(1)\n")), list[0].Size)

	for _, n := range []string{name, strings.TrimSuffix(name, ".py")} {
		sc, err := s.Read(n)
		require.NoError(t, err, n)
		require.Equal(t, name, sc.Name)
		require.Equal(t, "print(1)\n", sc.Content)
		meta := sc.Params.(map[string]any)
		require.Equal(t, "run_script_in_dir", meta["tool"])
		require.Equal(t, map[string]any{"job_label": "lbl"}, meta["params"])
		require.NotEmpty(t, meta["saved_at"])
	}
}

// TestRetention: the newest Keep scripts (and their sidecars) remain once
// the Store has saved enough past the limit to scan.
func TestRetention(t *testing.T) {
	t.Parallel()
	s := newStore(t, 3)
	var names []string
	for i := range 5 {
		n, err := s.Save("t", "print("+string(rune('0'+i))+")", nil)
		require.NoError(t, err)
		names = append(names, n)
	}
	list, err := s.List()
	require.NoError(t, err)
	var got []string
	for _, in := range list {
		got = append(got, in.Name)
	}
	require.Equal(t, []string{names[4], names[3], names[2]}, got, "newest first")
	ents, err := os.ReadDir(s.Dir())
	require.NoError(t, err)
	require.Len(t, ents, 6, "three scripts and their sidecars")
}

func TestSaveDisabled(t *testing.T) {
	t.Parallel()
	s := newStore(t, -1)
	name, err := s.Save("t", "print(1)", nil)
	require.NoError(t, err)
	require.Empty(t, name)
	_, err = os.Stat(s.Dir())
	require.ErrorIs(t, err, os.ErrNotExist, "nothing is written")
}

// TestReadSaved: a saved-scripts directory is read by plain name only;
// nothing outside it is reachable, not even through a symlink.
func TestReadSaved(t *testing.T) {
	t.Parallel()
	dir, outside := t.TempDir(), t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "analysis.py"), []byte("print('analysis')\n"), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, ".hidden.py"), nil, 0o600))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "sub"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(outside, "secret.py"), []byte("SECRET\n"), 0o600))
	require.NoError(t, os.Symlink(filepath.Join(outside, "secret.py"), filepath.Join(dir, "link.py")))

	list, err := autosave.ListSaved(dir)
	require.NoError(t, err)
	require.Len(t, list, 1)
	require.Equal(t, "analysis.py", list[0].Name)
	sc, err := autosave.ReadSaved(dir, "analysis")
	require.NoError(t, err)
	require.Equal(t, &autosave.Script{Name: "analysis.py", Content: "print('analysis')\n"}, sc)

	cases := []struct {
		name    string
		invalid bool // a *NameError, else ErrNotFound
	}{
		{"../" + filepath.Base(outside) + "/secret.py", true},
		{"/etc/passwd", true},
		{"..", true},
		{"", true},
		{".hidden.py", true},
		{"a/b.py", true},
		{`..\x.py`, true},
		{"x\x00y", true},
		{strings.Repeat("a", autosave.MaxNameBytes+1), true},
		{"link.py", false},
		{"sub", false},
		{"nope.py", false},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, "/", "_"), func(t *testing.T) {
			t.Parallel()
			_, err := autosave.ReadSaved(dir, tc.name)
			var ne *autosave.NameError
			require.Equal(t, tc.invalid, errors.As(err, &ne), "%v", err)
			if !tc.invalid {
				require.ErrorIs(t, err, autosave.ErrNotFound)
			}
		})
	}
	_, err = autosave.ReadSaved(filepath.Join(dir, "missing"), "analysis.py")
	require.ErrorIs(t, err, autosave.ErrNotFound)
}

func TestReadCapsContent(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "big.py"), []byte(strings.Repeat("x", autosave.MaxContentBytes+10)), 0o600))
	sc, err := autosave.ReadSaved(dir, "big.py")
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(sc.Content, "\n… 10 more bytes not shown …\n"))
	require.Len(t, sc.Content, autosave.MaxContentBytes+len("\n… 10 more bytes not shown …\n"))
}

func BenchmarkSave(b *testing.B) {
	s := newStore(b, autosave.DefaultKeep)
	params := map[string]any{"directory": "/tmp", "use_uv": false}
	for b.Loop() {
		if _, err := s.Save("run_script_in_dir", "print(1)", params); err != nil {
			b.Fatal(err)
		}
	}
}
