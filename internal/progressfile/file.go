package progressfile

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// pollInterval is how often a File is checked for new lines. A stat of an
// unchanged file costs about a microsecond.
const pollInterval = 100 * time.Millisecond

// File is the progress file of one run: an empty file in a private
// directory, followed from its creation until Close. Create it with Create;
// the caller must Close it. Path and Dir are safe for concurrent use.
type File struct {
	dir, path string
	f         *os.File
	on        func(Report)
	stop      chan struct{} // closed by Close
	done      chan struct{} // closed when the follower returns
	once      sync.Once
	closeErr  error

	// Touched only by the follower goroutine.
	off     int64
	partial []byte
	skip    bool // discarding the rest of an over-long line
}

// Create makes an empty progress file in a new private directory under
// tempDir ("" means os.TempDir) and follows it: on is called, from the
// follower goroutine, with the last valid report among the lines that
// arrived since the previous call.
func Create(tempDir string, on func(Report)) (*File, error) {
	dir, err := os.MkdirTemp(tempDir, "pyexec-progress-")
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "progress.jsonl")
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, err
	}
	pf := &File{dir: dir, path: path, f: f, on: on, stop: make(chan struct{}), done: make(chan struct{})}
	go pf.follow()
	return pf, nil
}

// Path is the file a script appends its reports to: the value of Env.
func (f *File) Path() string { return f.path }

// Dir is the file's private directory, which a run confined to a
// read-only file system must be able to write.
func (f *File) Dir() string { return f.dir }

// Close reads what the file holds beyond the last poll (so a final report
// is never lost), stops the follower, waits for it and removes the
// directory. It is idempotent.
func (f *File) Close() error {
	f.once.Do(func() {
		close(f.stop)
		<-f.done
		f.closeErr = errors.Join(f.f.Close(), os.RemoveAll(f.dir))
	})
	return f.closeErr
}

func (f *File) follow() {
	defer close(f.done)
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		select {
		case <-f.stop:
			f.read()
			return
		case <-tick.C:
			f.read()
		}
	}
}

// read consumes the new bytes of the file, 64 KiB at a time, and reports
// the last valid line among them.
func (f *File) read() {
	var (
		last  Report
		found bool
		buf   = make([]byte, 64<<10)
	)
	for range 64 { // at most 4 MiB a poll: a flooding script cannot stall us
		n, err := f.f.ReadAt(buf, f.off)
		f.off += int64(n)
		data := buf[:n]
		for len(data) > 0 {
			i := bytes.IndexByte(data, '\n')
			if i < 0 {
				f.keep(data)
				break
			}
			line := data[:i]
			data = data[i+1:]
			if f.skip {
				f.skip = false
				continue
			}
			if len(f.partial) > 0 {
				line = append(f.partial, line...)
				f.partial = f.partial[:0]
			}
			if r, ok := Parse(line); ok {
				last, found = r, true
			}
		}
		if err == io.EOF || n < len(buf) {
			break
		}
	}
	if found {
		f.on(last)
	}
}

// keep holds an unfinished line, or starts skipping it if it is too long.
func (f *File) keep(data []byte) {
	if f.skip {
		return
	}
	if len(f.partial)+len(data) > LineMax {
		f.partial, f.skip = f.partial[:0], true
		return
	}
	f.partial = append(f.partial, data...)
}
