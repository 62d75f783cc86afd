package headtail

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestBuffer(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		limit  int
		writes []string
		want   string
		cut    int64
	}{
		{"fits", 100, []string{"short"}, "short", 0},
		{"exact", 10, []string{"abcde", "fghij"}, "abcdefghij", 0},
		{"small writes", 10, []string{"abc", "defgh", "ijklmnop", "qrstuvwxyz"}, "abcde" + RangeMarker(5, 16) + "vwxyz", 16},
		{"one big write", 10, []string{strings.Repeat("x", 5) + strings.Repeat("-", 100) + "12345"}, "xxxxx" + RangeMarker(5, 100) + "12345", 100},
		{"ring wraps", 6, []string{"abc", "1", "2", "3", "4", "5", "6", "7"}, "abc" + RangeMarker(3, 4) + "567", 4},
		{"zero limit", 0, []string{"abc"}, RangeMarker(0, 3), 3},
		{"invalid utf-8", 100, []string{"ok \xff"}, "ok \uFFFD", 0},
		{"byte by byte", 6, strings.Split("abcdefghij", ""), "abc" + RangeMarker(3, 4) + "hij", 4},
		{"tail wraps unevenly", 4, []string{"ab", "cde", "fg", "h"}, "ab" + RangeMarker(2, 4) + "gh", 4},
		{"no head", 1, []string{"abc"}, RangeMarker(0, 2) + "c", 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := New(tc.limit)
			var total int64
			for _, w := range tc.writes {
				n, err := b.Write([]byte(w))
				require.NoError(t, err)
				require.Equal(t, len(w), n)
				total += int64(len(w))
			}
			got, cut := b.Text()
			require.Equal(t, tc.want, got)
			require.Equal(t, tc.cut, cut)
			require.Equal(t, total, b.Total())
		})
	}
}

func TestClip(t *testing.T) {
	t.Parallel()
	s, cut := Clip("short", 10)
	require.Equal(t, "short", s)
	require.Zero(t, cut)
	s, cut = Clip(strings.Repeat("é", 20), 11) // 40 bytes of 2-byte runes
	require.True(t, utf8.ValidString(s), s)
	require.Equal(t, int64(40-4-6), cut)
	require.Equal(t, "éé"+RangeMarker(4, cut)+"ééé", s)
}

func FuzzBuffer(f *testing.F) {
	f.Add([]byte("hello world"), 4, 3)
	f.Fuzz(func(t *testing.T, data []byte, limit, chunk int) {
		if limit < 0 || limit > 1<<12 || chunk <= 0 {
			return
		}
		b := New(limit)
		for p := data; len(p) > 0; {
			k := min(chunk, len(p))
			_, _ = b.Write(p[:k])
			p = p[k:]
		}
		got, cut := b.Text()
		if cut == 0 {
			require.Equal(t, strings.ToValidUTF8(string(data), "\uFFFD"), got)
			return
		}
		// The head and the tail are exactly the input's, within the
		// limit, and the marker names the omitted range.
		sp := b.Span()
		sp = sp.Cut(sp.Kept())
		require.True(t, strings.HasPrefix(string(data), string(sp.Head)))
		require.True(t, strings.HasSuffix(string(data), string(sp.Tail)))
		require.LessOrEqual(t, sp.Kept(), limit)
		from, n := sp.Omitted()
		require.Equal(t, cut, n)
		require.Equal(t, int64(len(data)), from+n+int64(len(sp.Tail)))
		require.Equal(t, strings.ToValidUTF8(string(sp.Head)+RangeMarker(from, n)+string(sp.Tail), "\uFFFD"), got)
	})
}

// TestSpanCutsLines: where bytes are omitted, the head ends and the tail
// starts on a line boundary, and the positions stay exact.
func TestSpanCutsLines(t *testing.T) {
	t.Parallel()
	var in strings.Builder
	for i := range 1000 {
		in.WriteString(strings.Repeat("x", i%7) + "181275\n")
	}
	s := in.String()
	sp := SpanOf(s).Cut(100)
	require.LessOrEqual(t, sp.Kept(), 100)
	require.True(t, strings.HasSuffix(string(sp.Head), "181275\n"), "the head ends after a whole line: %q", sp.Head)
	require.True(t, strings.HasSuffix(string(sp.Tail), "181275\n"))
	require.True(t, strings.HasPrefix(s[len(s)-len(sp.Tail):], string(sp.Tail)))
	for _, line := range strings.Split(strings.TrimSuffix(string(sp.Tail), "\n"), "\n") {
		require.True(t, strings.HasSuffix(line, "181275"), "no line of the tail is cut: %q", line)
	}
	from, n := sp.Omitted()
	require.Equal(t, int64(len(sp.Head)), from)
	require.Equal(t, s[from:from+n], s[len(sp.Head):len(s)-len(sp.Tail)])

	// One long line: cut at a character boundary.
	long := strings.Repeat("é", 100)
	sp = SpanOf(long).Cut(11)
	require.True(t, utf8.Valid(sp.Head) && utf8.Valid(sp.Tail))

	// Fit: the smaller stream keeps what it has, the larger the rest.
	a, b := Fit(SpanOf("short\n"), SpanOf(s), 100)
	require.Equal(t, "short\n", string(a.Head))
	require.LessOrEqual(t, a.Kept()+b.Kept(), 100)
	_, n = b.Omitted()
	require.Positive(t, n)
}

// TestTrimPartialRune: a text cut at every byte is left valid UTF-8, and
// only an incomplete character is dropped.
func TestTrimPartialRune(t *testing.T) {
	t.Parallel()
	s := []byte("aé漢😀")
	for cut := 0; cut <= len(s); cut++ {
		b := TrimPartialRune(s[:cut])
		require.True(t, utf8.Valid(b), "cut %d", cut)
		require.True(t, len(b) == cut || !utf8.Valid(s[:cut]), "cut %d", cut)
	}
	require.Equal(t, "ab\ncd\n", string(EndOnLine([]byte("ab\ncd\nef"))))
	require.Equal(t, "abcdef", string(EndOnLine([]byte("abcdef"))))
}
