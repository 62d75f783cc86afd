package forward

import (
	"fmt"
	"io"
	"sync"
)

// DefaultLimit is the queue bound of the Writers of packages executor and
// session: a writer that keeps up on average never loses a byte of a burst
// this size.
const DefaultLimit = 8 << 20

// Writer hands the bytes written to it to an underlying writer on its own
// goroutine, so a slow writer never stalls the pipe drain (and so the
// child). What cannot be queued within the bound is dropped and counted, and
// the writer is told so in-band once it catches up. A lossless Writer waits
// for room instead: the drain, and then the child on its full pipe, wait for
// the writer. Write never fails. The creator must call Close, which stops
// the goroutine; Write must not be called after Close.
type Writer struct {
	w        io.Writer
	limit    int
	lossless bool

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

// New starts a Writer to w that queues at most limit bytes.
func New(w io.Writer, limit int, lossless bool) *Writer {
	f := &Writer{w: w, limit: limit, lossless: lossless, done: make(chan struct{})}
	f.cond = sync.NewCond(&f.mu)
	go f.loop()
	return f
}

// Write queues a copy of p, or drops it (counted) when the queue is full
// and the Writer is not lossless. It always reports len(p), nil: the
// caller's stream goes on whatever the writer does.
func (f *Writer) Write(p []byte) (int, error) {
	f.mu.Lock()
	for f.lossless && f.werr == nil && f.queued > 0 && f.queued+len(p) > f.limit {
		f.cond.Wait() // the loop broadcasts once it has taken the queue
	}
	if f.werr == nil {
		if f.queued+len(p) > f.limit {
			f.dropped += int64(len(p))
			f.lost += int64(len(p))
		} else {
			f.queue = append(f.queue, append([]byte(nil), p...))
			f.queued += len(p)
			f.cond.Broadcast()
		}
	}
	f.mu.Unlock()
	return len(p), nil
}

func (f *Writer) loop() {
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
		f.cond.Broadcast() // room for a waiting lossless Write
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

func (f *Writer) fail(err error) {
	f.mu.Lock()
	f.werr, f.queue, f.queued = err, nil, 0
	f.cond.Broadcast()
	f.mu.Unlock()
}

// Close hands what is queued to the writer, stops the goroutine and returns
// the bytes the writer did not get and the writer's first error (after
// which it got nothing more). It waits for the writer.
func (f *Writer) Close() (lost int64, err error) {
	f.mu.Lock()
	f.closed = true
	f.cond.Broadcast()
	f.mu.Unlock()
	<-f.done
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.lost, f.werr
}
