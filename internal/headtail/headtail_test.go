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
		{"small writes", 10, []string{"abc", "defgh", "ijklmnop", "qrstuvwxyz"}, "abcde" + Marker(16) + "vwxyz", 16},
		{"one big write", 10, []string{strings.Repeat("x", 5) + strings.Repeat("-", 100) + "12345"}, "xxxxx" + Marker(100) + "12345", 100},
		{"ring wraps", 6, []string{"abc", "1", "2", "3", "4", "5", "6", "7"}, "abc" + Marker(4) + "567", 4},
		{"zero limit", 0, []string{"abc"}, Marker(3), 3},
		{"invalid utf-8", 100, []string{"ok \xff"}, "ok \uFFFD", 0},
		{"byte by byte", 6, strings.Split("abcdefghij", ""), "abc" + Marker(4) + "hij", 4},
		{"tail wraps unevenly", 4, []string{"ab", "cde", "fg", "h"}, "ab" + Marker(4) + "gh", 4},
		{"no head", 1, []string{"abc"}, Marker(2) + "c", 2},
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
	require.Equal(t, "éé"+Marker(cut)+"ééé", s)
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
		// The head and the tail are exactly the input's.
		h, tl := limit/2, limit-limit/2
		want := strings.ToValidUTF8(string(data[:h])+Marker(cut)+string(data[len(data)-tl:]), "\uFFFD")
		require.Equal(t, want, got)
		require.Equal(t, int64(len(data)-limit), cut)
	})
}
