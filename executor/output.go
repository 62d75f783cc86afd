package executor

import (
	"fmt"
	"io"
	"strings"
	"sync"
)

// DefaultOutputCap is the number of bytes of each stream kept in memory.
const DefaultOutputCap = 1 << 20

// capture keeps the head and the tail of a stream within a fixed budget and
// counts what falls between them. It never grows past its cap, so a child
// that prints gigabytes costs the server the cap and no more.
type capture struct {
	mu    sync.Mutex
	head  []byte // first headCap bytes
	tail  []byte // ring buffer of the last tailCap bytes
	tpos  int    // next write position in tail once it is full
	tfull bool
	total int64

	headCap, tailCap int
}

func newCapture(limit int) *capture {
	h := limit / 2
	return &capture{headCap: h, tailCap: limit - h, head: make([]byte, 0, min(h, 64<<10))}
}

func (c *capture) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := len(p)
	c.total += int64(n)
	if room := c.headCap - len(c.head); room > 0 {
		k := min(room, len(p))
		c.head = append(c.head, p[:k]...)
		p = p[k:]
	}
	if len(p) == 0 || c.tailCap == 0 {
		return n, nil
	}
	if len(p) >= c.tailCap {
		// Only the last tailCap bytes of p can survive.
		if c.tail == nil {
			c.tail = make([]byte, c.tailCap)
		}
		c.tail = c.tail[:c.tailCap]
		copy(c.tail, p[len(p)-c.tailCap:])
		c.tpos, c.tfull = 0, true
		return n, nil
	}
	if !c.tfull {
		if c.tail == nil {
			c.tail = make([]byte, 0, min(c.tailCap, 64<<10))
		}
		if room := c.tailCap - len(c.tail); len(p) <= room {
			c.tail = append(c.tail, p...)
			if len(c.tail) == c.tailCap {
				c.tfull, c.tpos = true, 0
			}
			return n, nil
		}
		// Switch to ring mode: grow to full size, then wrap.
		room := c.tailCap - len(c.tail)
		c.tail = append(c.tail, p[:room]...)
		p = p[room:]
		c.tfull, c.tpos = true, 0
	}
	for len(p) > 0 {
		k := copy(c.tail[c.tpos:], p)
		p = p[k:]
		c.tpos = (c.tpos + k) % c.tailCap
	}
	return n, nil
}

// result returns the kept text, with a marker where bytes were omitted and
// invalid UTF-8 replaced, and the number of omitted bytes.
func (c *capture) result() (string, int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var tail []byte
	if c.tfull {
		tail = make([]byte, 0, c.tailCap)
		tail = append(tail, c.tail[c.tpos:]...)
		tail = append(tail, c.tail[:c.tpos]...)
	} else {
		tail = c.tail
	}
	omitted := c.total - int64(len(c.head)) - int64(len(tail))
	var b strings.Builder
	b.Grow(len(c.head) + len(tail) + 48)
	b.Write(c.head)
	if omitted > 0 {
		fmt.Fprintf(&b, "\n… %d bytes omitted …\n", omitted)
	}
	b.Write(tail)
	return strings.ToValidUTF8(b.String(), "\uFFFD"), omitted
}

// DefaultForwardBuffer bounds the bytes queued for a caller's writer.
const DefaultForwardBuffer = 8 << 20

// forwarder hands a stream's bytes to the caller's writer on its own
// goroutine, so a slow writer never stalls the pipe drain (and so the
// child). What cannot be queued within the bound is dropped and counted, and
// the writer is told so in-band once it catches up.
type forwarder struct {
	w     io.Writer
	limit int

	mu      sync.Mutex
	cond    *sync.Cond
	queue   [][]byte
	queued  int
	dropped int64 // not yet reported to w
	lost    int64 // all bytes ever dropped
	closed  bool
	done    chan struct{}
	werr    error
}

func newForwarder(w io.Writer, limit int) *forwarder {
	f := &forwarder{w: w, limit: limit, done: make(chan struct{})}
	f.cond = sync.NewCond(&f.mu)
	go f.loop()
	return f
}

func (f *forwarder) Write(p []byte) (int, error) {
	f.mu.Lock()
	if f.werr == nil {
		if f.queued+len(p) > f.limit {
			f.dropped += int64(len(p))
			f.lost += int64(len(p))
		} else {
			f.queue = append(f.queue, append([]byte(nil), p...))
			f.queued += len(p)
			f.cond.Signal()
		}
	}
	f.mu.Unlock()
	return len(p), nil
}

func (f *forwarder) loop() {
	defer close(f.done)
	for {
		f.mu.Lock()
		for len(f.queue) == 0 && f.dropped == 0 && !f.closed {
			f.cond.Wait()
		}
		if len(f.queue) == 0 && f.dropped == 0 && f.closed {
			f.mu.Unlock()
			return
		}
		q, d := f.queue, f.dropped
		f.queue, f.queued, f.dropped = nil, 0, 0
		f.mu.Unlock()
		for _, b := range q {
			if _, err := f.w.Write(b); err != nil {
				f.fail(err)
				return
			}
		}
		if d > 0 {
			msg := fmt.Sprintf("\n[pyexec: %d bytes not delivered to this writer: it was too slow]\n", d)
			if _, err := io.WriteString(f.w, msg); err != nil {
				f.fail(err)
				return
			}
		}
	}
}

func (f *forwarder) fail(err error) {
	f.mu.Lock()
	f.werr, f.queue, f.queued = err, nil, 0
	f.mu.Unlock()
}

// close flushes what is queued, stops the goroutine and returns the bytes
// the writer did not get.
func (f *forwarder) close() (lost int64, err error) {
	f.mu.Lock()
	f.closed = true
	f.cond.Signal()
	f.mu.Unlock()
	<-f.done
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lost, f.werr
}
