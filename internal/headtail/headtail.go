package headtail

// DefaultLimit is the bytes of each output stream kept in memory by default,
// by a one-shot run (executor.DefaultOutputCap) and by a session cell
// (session.DefaultOutputCap) alike: one rule, so a script keeps the same
// output whichever tool runs it (issue 16).
//
// 256 KiB (about 64k tokens) is more than a model reads of one stream; what
// it is shown is clipped further by the tools. The binding constraint is a
// cell's response, which carries its images too (up to 8 of 1 MiB by
// default, 10.7 MiB as base64) and every text twice (markdown and
// structured content): stdout, stderr, the value and the traceback at this
// cap keep it below MCP's 16 MiB stdio message. A run's complete output is
// in its job's logs. Memory is bounded by it too: two streams per running
// script or cell.
const DefaultLimit = 256 << 10

// Buffer keeps the first half of its limit and the last half of what is
// written to it. The zero value keeps nothing; use New. It is not safe for
// concurrent use.
type Buffer struct {
	head  []byte
	tail  []byte // a ring of the last tailCap bytes once full
	tpos  int    // the oldest byte of the ring
	tfull bool
	total int64

	headCap, tailCap int
}

// New returns a Buffer that keeps at most limit bytes.
func New(limit int) *Buffer {
	h := limit / 2
	return &Buffer{headCap: h, tailCap: limit - h}
}

// Write keeps what fits of p; it never fails.
func (b *Buffer) Write(p []byte) (int, error) {
	n := len(p)
	b.total += int64(n)
	if room := b.headCap - len(b.head); room > 0 {
		k := min(room, len(p))
		b.head = append(b.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 || b.tailCap == 0 {
		return n, nil
	}
	if !b.tfull {
		room := b.tailCap - len(b.tail)
		if len(p) < room {
			b.tail = append(b.tail, p...)
			return n, nil
		}
		// Fill up, then continue as a ring whose oldest byte is at 0.
		b.tail = append(b.tail, p[:room]...)
		p = p[room:]
		b.tfull, b.tpos = true, 0
		if len(p) == 0 {
			return n, nil
		}
	}
	if len(p) >= b.tailCap {
		copy(b.tail, p[len(p)-b.tailCap:])
		b.tpos = 0
		return n, nil
	}
	for len(p) > 0 {
		k := copy(b.tail[b.tpos:], p)
		p = p[k:]
		b.tpos = (b.tpos + k) % b.tailCap
	}
	return n, nil
}

// Total is the number of bytes written.
func (b *Buffer) Total() int64 { return b.total }

// Text returns the kept bytes with the marker of the omitted range where
// the middle was dropped (cut on line boundaries, see Span.Cut) and invalid
// UTF-8 replaced, and the number of bytes dropped.
func (b *Buffer) Text() (string, int64) {
	sp := b.Span()
	sp = sp.Cut(sp.Kept())
	_, n := sp.Omitted()
	return sp.Text(), n
}

// Clip caps s at limit bytes, keeping its head and tail around the marker
// of what it omits (see Span.Cut: line boundaries where it can, character
// boundaries else), and returns the number of bytes dropped.
func Clip(s string, limit int) (string, int64) {
	if len(s) <= limit {
		return s, 0
	}
	sp := SpanOf(s).Cut(limit)
	_, n := sp.Omitted()
	return sp.Text(), n
}
