package kernel

import (
	"bytes"
	"io"
	"sync"

	"github.com/pyexec-mcp/pyexec/internal/headtail"
)

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
//
// A cell's live writer (ExecOptions.Stdout, Stderr) gets exactly the bytes
// that go into the cell's buffer, when they go there: never the held-back
// carry until it is known not to be the marker, never the marker, nothing
// after it.
type stream struct {
	limit int

	mu     sync.Mutex
	cur    *headtail.Buffer // output since the last marker
	marker []byte           // the marker awaited, nil if none
	carry  []byte           // a suffix of the input that may start the marker
	done   *headtail.Buffer // the cell's output, once its marker was seen
	live   io.Writer        // the running cell's writer, nil if none or after its marker
	seen   chan struct{}    // closed when marker was seen
	eof    chan struct{}    // closed when the pipe reached EOF
}

func newStream(limit int) *stream {
	return &stream{limit: limit, cur: headtail.New(limit), eof: make(chan struct{})}
}

// expect starts a cell that ends with marker and returns a channel closed
// when the marker has been read. live, if not nil, gets the cell's output
// as it is read, beginning with what arrived since the last marker (the
// output of background threads that goes with this cell).
func (s *stream) expect(marker []byte, live io.Writer) <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.marker = marker
	s.done = nil
	s.seen = make(chan struct{})
	s.live = live
	if live != nil {
		if early, _ := s.cur.Text(); early != "" {
			_, _ = io.WriteString(live, early)
		}
	}
	return s.seen
}

// keep adds p to the running cell's output and hands it to its writer.
func (s *stream) keep(p []byte) {
	if len(p) == 0 {
		return
	}
	_, _ = s.cur.Write(p)
	if s.live != nil {
		_, _ = s.live.Write(p)
	}
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
			s.keep(data[:len(data)-keep])
			s.carry = append([]byte(nil), data[len(data)-keep:]...)
			return
		}
		s.keep(data[:i])
		s.done, s.cur = s.cur, headtail.New(s.limit)
		data = data[i+len(s.marker):]
		s.marker, s.live = nil, nil
		close(s.seen)
	}
	// Between cells (no marker awaited, so no writer): kept for the next.
	s.keep(data)
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
		// No marker will come: the held-back bytes are the cell's.
		s.keep(s.carry)
		c = s.cur
		s.carry = nil
		s.cur = headtail.New(s.limit)
	}
	s.marker, s.done, s.live = nil, nil, nil
	return c.Text()
}

// reset drops everything read so far (the interpreter's start-up noise).
func (s *stream) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur, s.carry, s.done, s.marker, s.live = headtail.New(s.limit), nil, nil, nil, nil
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
			s.keep(s.carry) // the pipe ended: no marker can follow
			s.carry = nil
			s.mu.Unlock()
			return
		}
	}
}
