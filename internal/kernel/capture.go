package kernel

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"sync"
)

// capture keeps the head and the tail of a stream within a fixed budget and
// counts what falls between them, so a cell that prints gigabytes costs the
// server the cap and no more. It is not safe for concurrent use; stream
// guards it.
type capture struct {
	head  []byte
	tail  []byte // ring of the last tailCap bytes once tfull
	tpos  int
	tfull bool
	total int64

	headCap, tailCap int
}

func newCapture(limit int) *capture {
	h := limit / 2
	return &capture{headCap: h, tailCap: limit - h}
}

func (c *capture) write(p []byte) {
	c.total += int64(len(p))
	if room := c.headCap - len(c.head); room > 0 {
		k := min(room, len(p))
		c.head = append(c.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 || c.tailCap == 0 {
		return
	}
	if !c.tfull {
		room := c.tailCap - len(c.tail)
		if len(p) < room {
			c.tail = append(c.tail, p...)
			return
		}
		// Fill up, then continue as a ring whose oldest byte is at 0.
		c.tail = append(c.tail, p[:room]...)
		p = p[room:]
		c.tfull, c.tpos = true, 0
		if len(p) == 0 {
			return
		}
	}
	if len(p) >= c.tailCap {
		copy(c.tail, p[len(p)-c.tailCap:])
		c.tpos = 0
		return
	}
	for len(p) > 0 {
		k := copy(c.tail[c.tpos:], p)
		p = p[k:]
		c.tpos = (c.tpos + k) % c.tailCap
	}
}

// text returns the kept bytes with a "… N bytes omitted …" marker where the
// middle was dropped (invalid UTF-8 replaced), and the number omitted.
func (c *capture) text() (string, int64) {
	var tail []byte
	if c.tfull {
		tail = append(append(make([]byte, 0, c.tailCap), c.tail[c.tpos:]...), c.tail[:c.tpos]...)
	} else {
		tail = c.tail
	}
	omitted := c.total - int64(len(c.head)) - int64(len(tail))
	var b strings.Builder
	b.Grow(len(c.head) + len(tail) + 40)
	b.Write(c.head)
	if omitted > 0 {
		fmt.Fprintf(&b, "\n… %d bytes omitted …\n", omitted)
	}
	b.Write(tail)
	return strings.ToValidUTF8(b.String(), "\uFFFD"), omitted
}

// stream splits one output pipe of the kernel (fd 1 or fd 2) into cells.
//
// After a cell the kernel writes the request's end marker to the pipe; what
// came before it is the cell's output. The marker holds a random token of
// this kernel and the request id, so user output cannot end a cell by
// accident. Bytes that might be the start of a marker are held back until
// the next read decides. Output that arrives after a marker (a background
// thread or subprocess still printing) is kept and reported with the next
// cell. It is safe for concurrent use: the pipe's reader goroutine feeds it
// while Execute waits on it.
type stream struct {
	limit int

	mu     sync.Mutex
	cur    *capture      // output since the last marker
	marker []byte        // the marker awaited, nil if none
	carry  []byte        // a suffix of the input that may start the marker
	done   *capture      // the cell's output, once its marker was seen
	seen   chan struct{} // closed when marker was seen
	eof    chan struct{} // closed when the pipe reached EOF
}

func newStream(limit int) *stream {
	return &stream{limit: limit, cur: newCapture(limit), eof: make(chan struct{})}
}

// expect starts a cell that ends with marker and returns a channel closed
// when the marker has been read.
func (s *stream) expect(marker []byte) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.marker = marker
	s.done = nil
	s.seen = make(chan struct{})
	return s.seen
}

func (s *stream) feed(p []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	data := p
	if len(s.carry) > 0 {
		data = append(s.carry, p...)
		s.carry = nil
	}
	if s.marker != nil {
		i := bytes.Index(data, s.marker)
		if i < 0 {
			keep := prefixSuffix(data, s.marker)
			s.cur.write(data[:len(data)-keep])
			s.carry = append([]byte(nil), data[len(data)-keep:]...)
			return
		}
		s.cur.write(data[:i])
		s.done, s.cur = s.cur, newCapture(s.limit)
		data = data[i+len(s.marker):]
		s.marker = nil
		close(s.seen)
	}
	s.cur.write(data)
}

// prefixSuffix returns the length of the longest suffix of data that is a
// proper prefix of marker.
func prefixSuffix(data, marker []byte) int {
	for k := min(len(data), len(marker)-1); k > 0; k-- {
		if bytes.HasSuffix(data, marker[:k]) {
			return k
		}
	}
	return 0
}

// take ends the cell and returns its output: up to the marker if it was
// seen, else everything read so far.
func (s *stream) take() (string, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.done
	if c == nil {
		c = s.cur
		c.write(s.carry)
		s.carry = nil
		s.cur = newCapture(s.limit)
	}
	s.marker, s.done = nil, nil
	return c.text()
}

// reset drops everything read so far (the interpreter's start-up noise).
func (s *stream) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur, s.carry, s.done, s.marker = newCapture(s.limit), nil, nil, nil
}

// drain copies r into s until EOF or a read error (the pipe closed by Close).
func (s *stream) drain(r io.Reader) {
	defer close(s.eof)
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			s.feed(buf[:n])
		}
		if err != nil {
			s.mu.Lock()
			s.cur.write(s.carry)
			s.carry = nil
			s.mu.Unlock()
			return
		}
	}
}
