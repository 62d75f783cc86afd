package headtail

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// A Span is what is kept of a stream: its first bytes (Head) and its last
// (Tail), with the bytes between them omitted. Positions are exact, so a
// reader that has the whole stream elsewhere (a job's log) can fetch the
// omitted bytes: they are [Head length, Total - Tail length).
type Span struct {
	Head, Tail []byte
	Total      int64 // the stream's length
}

// Span returns what b keeps, as written (see Span.Cut to fit a limit).
func (b *Buffer) Span() Span {
	tail := b.tail
	if b.tfull {
		tail = append(append(make([]byte, 0, b.tailCap), b.tail[b.tpos:]...), b.tail[:b.tpos]...)
	}
	return Span{Head: b.head, Tail: tail, Total: b.total}
}

// SpanOf is the span of a whole string.
func SpanOf(s string) Span { return Span{Head: []byte(s), Total: int64(len(s))} }

// Kept is the number of bytes kept.
func (s Span) Kept() int { return len(s.Head) + len(s.Tail) }

// Omitted returns the offset of the first omitted byte and how many were
// omitted (0: the span is the whole stream).
func (s Span) Omitted() (from, n int64) {
	return int64(len(s.Head)), s.Total - int64(s.Kept())
}

// Text is the span as valid UTF-8 text: the head, the marker of the
// omitted bytes (if any), the tail.
func (s Span) Text() string {
	from, n := s.Omitted()
	var b strings.Builder
	b.Grow(s.Kept() + 64)
	b.Write(s.Head)
	if n > 0 {
		b.WriteString(RangeMarker(from, n))
	}
	b.Write(s.Tail)
	return strings.ToValidUTF8(b.String(), "\uFFFD")
}

// RangeMarker is the text put where n bytes from offset from were dropped.
func RangeMarker(from, n int64) string {
	return fmt.Sprintf("\n… %d bytes omitted (bytes %d–%d) …\n", n, from, from+n)
}

// Cut returns the span within limit kept bytes, half head and half tail
// (one side takes what the other does not need). Where bytes are omitted
// the cuts fall on line boundaries: the head ends after a newline and the
// tail starts after one, as long as that keeps at least half of each side;
// a side without such a newline is cut at a character boundary. A span
// that fits is returned as it is.
func (s Span) Cut(limit int) Span {
	limit = max(limit, 0)
	if s.Kept() <= limit && s.Total == int64(s.Kept()) {
		return s
	}
	if s.Total == int64(s.Kept()) {
		// The whole stream: its head and tail come from one sequence.
		data := s.Head
		if len(s.Tail) > 0 {
			data = append(append(make([]byte, 0, s.Kept()), s.Head...), s.Tail...)
		}
		s = Span{Head: data[:limit/2], Tail: data[len(data)-(limit-limit/2):], Total: s.Total}
		return Span{Head: lineHead(s.Head), Tail: lineTail(s.Tail), Total: s.Total}
	}
	h := min(len(s.Head), limit/2)
	t := min(len(s.Tail), limit-h)
	h = min(len(s.Head), limit-t) // the tail may not need its half
	return Span{Head: lineHead(s.Head[:h]), Tail: lineTail(s.Tail[len(s.Tail)-t:]), Total: s.Total}
}

// lineHead shortens a head to end after its last newline, if that keeps at
// least half of it, else to end on a character boundary.
func lineHead(b []byte) []byte { return EndOnLine(b) }

// EndOnLine shortens b, a part cut from a longer text, to end after its
// last newline if that keeps at least half of it, else on a character
// boundary (TrimPartialRune): the next part then starts a line, or at least
// a character. Pages of a log or a file end this way.
func EndOnLine(b []byte) []byte {
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 && i+1 >= len(b)/2 {
		return b[:i+1]
	}
	return TrimPartialRune(b)
}

// TrimPartialRune drops an incomplete UTF-8 sequence at the end of b, a
// part cut from a longer text.
func TrimPartialRune(b []byte) []byte {
	for k := 1; k <= utf8.UTFMax && k <= len(b); k++ {
		if utf8.RuneStart(b[len(b)-k]) {
			if !utf8.FullRune(b[len(b)-k:]) {
				return b[:len(b)-k]
			}
			break
		}
	}
	return b
}

// lineTail shortens a tail to start after its first newline, if that keeps
// at least half of it, else to start on a character boundary.
func lineTail(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 && i+1 <= len(b)-len(b)/2 {
		return b[i+1:]
	}
	start := 0
	for start < len(b) && start < utf8.UTFMax && !utf8.RuneStart(b[start]) {
		start++
	}
	return b[start:]
}

// Fit cuts two spans (stdout and stderr) to limit kept bytes together:
// the smaller keeps all it can up to half the limit, the larger takes the
// rest.
func Fit(a, b Span, limit int) (Span, Span) {
	if a.Kept()+b.Kept() <= limit {
		return a.Cut(a.Kept()), b.Cut(b.Kept())
	}
	if a.Kept() <= b.Kept() {
		a = a.Cut(min(a.Kept(), limit/2))
		return a, b.Cut(limit - a.Kept())
	}
	b = b.Cut(min(b.Kept(), limit/2))
	return a.Cut(limit - b.Kept()), b
}
