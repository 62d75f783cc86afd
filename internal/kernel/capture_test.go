package kernel

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestStreamSplitsAtMarker(t *testing.T) {
	t.Parallel()
	marker := []byte("\x00pyexec:tok:1\x00")
	tests := []struct {
		name   string
		chunks []string
		cell   string
		next   string
	}{
		{name: "marker alone", chunks: []string{"out", "\x00pyexec:tok:1\x00"}, cell: "out"},
		{name: "marker split", chunks: []string{"out\x00pye", "xec:tok:1", "\x00later"}, cell: "out", next: "later"},
		{name: "false start", chunks: []string{"a\x00pyexec:tok:2\x00b", "\x00pyexec:tok:1\x00"}, cell: "a\x00pyexec:tok:2\x00b"},
		{name: "byte by byte", chunks: strings.Split("xy\x00pyexec:tok:1\x00z", ""), cell: "xy", next: "z"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := newStream(1 << 10)
			var live bytes.Buffer
			seen := s.expect(marker, &live)
			for _, c := range tc.chunks {
				s.feed([]byte(c))
			}
			<-seen
			got, _ := s.take()
			require.Equal(t, tc.cell, got)
			require.Equal(t, tc.cell, live.String(), "the live writer")
			next, _ := s.take()
			require.Equal(t, tc.next, next)
		})
	}
}

func TestStreamWithoutMarker(t *testing.T) {
	t.Parallel()
	s := newStream(1 << 10)
	var live bytes.Buffer
	s.expect([]byte("\x00end\x00"), &live)
	s.feed([]byte("partial\x00en"))
	require.Equal(t, "partial", live.String(), "a possible marker prefix is held back")
	got, _ := s.take() // the kernel died: everything, held-back bytes included
	require.Equal(t, "partial\x00en", got)
	require.Equal(t, got, live.String())
}

// TestStreamLiveBetweenCells: output read after a cell's marker goes to the
// next cell, whose writer gets it first; the ended cell's writer gets none.
func TestStreamLiveBetweenCells(t *testing.T) {
	t.Parallel()
	s := newStream(1 << 10)
	var first, second bytes.Buffer
	seen := s.expect([]byte("\x00m1\x00"), &first)
	s.feed([]byte("a\x00m1\x00late "))
	<-seen
	got, _ := s.take()
	require.Equal(t, "a", got)
	s.feed([]byte("later "))
	s.expect([]byte("\x00m2\x00"), &second)
	s.feed([]byte("b\x00m2\x00"))
	got, _ = s.take()
	require.Equal(t, "late later b", got)
	require.Equal(t, "a", first.String())
	require.Equal(t, "late later b", second.String())
}

// FuzzStream checks that whatever the chunking, a cell's output is exactly
// the bytes before the marker and the rest goes to the next cell.
func FuzzStream(f *testing.F) {
	f.Add([]byte("hello"), []byte("world"), uint8(3))
	f.Add([]byte("\x00pyexec:"), []byte("\x00"), uint8(1))
	f.Add([]byte(""), []byte(""), uint8(0))
	marker := []byte("\x00pyexec:abc:7\x00")
	f.Fuzz(func(t *testing.T, before, after []byte, chunk uint8) {
		input := append(append(append([]byte{}, before...), marker...), after...)
		if bytes.Index(input, marker) != len(before) || !utf8.Valid(before) || !utf8.Valid(after) {
			t.Skip() // the marker occurs earlier: not a well-formed cell
		}
		size := int(chunk%16) + 1
		s := newStream(1 << 16)
		var live bytes.Buffer
		seen := s.expect(marker, &live)
		for i := 0; i < len(input); i += size {
			s.feed(input[i:min(i+size, len(input))])
		}
		<-seen
		got, _ := s.take()
		require.Equal(t, string(before), got)
		require.Equal(t, string(before), live.String(), "the live writer")
		next, _ := s.take()
		require.Equal(t, string(after), next)
	})
}
