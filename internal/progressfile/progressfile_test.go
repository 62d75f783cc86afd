package progressfile_test

import (
	"io/fs"
	"os"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pyexec-mcp/pyexec/internal/progressfile"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestParse(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		line string
		ok   bool
		want progressfile.Report
	}{
		{"full", `{"current": 5, "total": 10, "message": "half"}`, true, progressfile.Report{Current: 5, Total: 10, Message: "half"}},
		{"spaces", `  {"current": 1.5}  `, true, progressfile.Report{Current: 1.5}},
		{"object message", `{"current": 2, "message": {"epoch": 2}}`, true, progressfile.Report{Current: 2, Message: `{"epoch":2}`}},
		{"no current", `{"total": 3}`, false, progressfile.Report{}},
		{"string current", `{"current": "5"}`, false, progressfile.Report{}},
		{"negative total", `{"current": 1, "total": -1}`, false, progressfile.Report{}},
		{"not json", `progress 5/10`, false, progressfile.Report{}},
		{"empty", ``, false, progressfile.Report{}},
		{"array", `[1,2]`, false, progressfile.Report{}},
		{"too long", `{"current": 1, "message": "` + strings.Repeat("x", progressfile.LineMax) + `"}`, false, progressfile.Report{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := progressfile.Parse([]byte(tc.line))
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.want, got)
		})
	}
}

func TestParseCutsMessage(t *testing.T) {
	t.Parallel()
	r, ok := progressfile.Parse([]byte(`{"current": 1, "message": "` + strings.Repeat("é", progressfile.MessageMax) + `"}`))
	require.True(t, ok)
	require.True(t, utf8.ValidString(r.Message))
	require.True(t, strings.HasSuffix(r.Message, "…"))
	require.LessOrEqual(t, len(r.Message), progressfile.MessageMax+len("…"))
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{`{"current": 5, "total": 10, "message": "x"}`, `{"current": 1e308}`, `{`, "{\"current\":1,\"message\":\"\xff\"}"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		r, ok := progressfile.Parse(line)
		if !ok {
			return
		}
		require.False(t, r.Total < 0)
		require.True(t, utf8.ValidString(r.Message))
		require.LessOrEqual(t, len(r.Message), progressfile.MessageMax+len("…"))
	})
}

// TestFile: the last valid line wins, writes that split a line are
// joined, an over-long line is skipped, and Close reads what the last poll
// missed, then removes the file.
func TestFile(t *testing.T) {
	t.Parallel()
	var (
		mu  sync.Mutex
		got []progressfile.Report
	)
	pf, err := progressfile.Create(t.TempDir(), func(r progressfile.Report) {
		mu.Lock()
		got = append(got, r)
		mu.Unlock()
	})
	require.NoError(t, err)
	w, err := os.OpenFile(pf.Path(), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, _ = w.WriteString(`{"current": 1, "total": 3}` + "\n" + strings.Repeat("x", progressfile.LineMax+10) + "\n" + `{"current": 2, "to`)
	_, _ = w.WriteString(`tal": 3, "message": "two"}` + "\nnot json\n")
	require.NoError(t, w.Close())
	require.NoError(t, pf.Close())
	require.NoError(t, pf.Close(), "Close is idempotent")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, got)
	require.Equal(t, progressfile.Report{Current: 2, Total: 3, Message: "two"}, got[len(got)-1])
	_, err = os.Stat(pf.Dir())
	require.ErrorIs(t, err, fs.ErrNotExist, "Close removes the directory")
}
