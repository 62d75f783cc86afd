package jobstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
)

// Defaults applied by Open for zero Options fields.
const (
	// DefaultDirName is the data directory under the user's home directory.
	DefaultDirName = ".python_mcp"
	// JobsSubdir is the subdirectory of the data directory that holds the
	// records, logs, journal and lock files.
	JobsSubdir = "jobs"
	// DefaultMaxJobs is how many finished jobs are kept; older ones are
	// removed, with their logs, as new jobs are created.
	DefaultMaxJobs = 1000
	// DefaultMaxLogBytes caps each stdout or stderr log (256 MiB): a
	// response shows a run's output within a budget of tokens and points
	// to the logs for the rest, so the logs must hold what a script
	// prints — a 64 MiB flood whole — while one runaway job cannot fill
	// the disk.
	DefaultMaxLogBytes = 256 << 20
)

// OwnerDiedMessage is the error recorded on a pending or running job whose
// owner process is gone when Recover runs.
const OwnerDiedMessage = "server stopped while the job was running"

// Options configures Open. A nil *Options, like every zero field, means the
// defaults.
type Options struct {
	// Dir is the data directory; jobs live in Dir/jobs. Default
	// ~/<DefaultDirName>. Every process that shares a Dir sees one job system.
	Dir string
	// MaxJobs is the number of finished (completed, failed, cancelled) jobs
	// kept; when it is exceeded, the oldest finished jobs and their logs are
	// removed. Pending and running jobs are never removed. 0 means
	// DefaultMaxJobs; negative means no cap.
	MaxJobs int
	// MaxLogBytes caps each log stream of a job; output beyond it is dropped
	// and a one-line marker says so. 0 means DefaultMaxLogBytes; negative
	// means no cap.
	MaxLogBytes int64
	// Logger receives warnings about recovered jobs, unreadable records and
	// retention. Nil discards them.
	Logger *slog.Logger
	// ReadOnly opens an existing store for reading only, for a tool that
	// lists or inspects jobs (issue 11: a plain Open recovers, and so may
	// fail jobs and SIGKILL process groups, and creates a store at a
	// mistyped path). Open then creates nothing — a missing directory is
	// an error wrapping fs.ErrNotExist that names it —, runs no Recover,
	// removes nothing and writes no file; every method that would change
	// the store or signal a job's processes returns an error wrapping
	// ErrReadOnly. Get, List, LogSize and ReadLog see what writing
	// processes do, as in any Store: List follows their journal without
	// writing to it. MaxJobs and MaxLogBytes do not apply.
	//
	// It is an option, as in bbolt (Options.ReadOnly), rather than a
	// second constructor or type, so that code written against *Store or
	// against a consumer's interface of it takes either kind.
	ReadOnly bool
}

// Store is a directory of durable job records and logs, shared safely by any
// number of processes and goroutines. Its methods are safe for concurrent
// use. Create it with Open; the caller must Close it.
type Store struct {
	ids         idSeq
	dir         string
	maxJobs     int
	maxLogBytes int64
	log         *slog.Logger
	readOnly    bool // Options.ReadOnly: no stripes, no dirf, no journal writes
	host        *Host
	self        Owner  // host.Self()
	bootID      string // host.BootID()
	tag         string // this Store's mark on its journal lines
	dirf        *os.File
	stripes     []*stripe
	journalMax  int64 // maxJournalBytes; smaller in tests
	rotateEvery int   // rotateCheck; smaller in tests

	// closeMu is held shared by every operation and exclusively by Close, so
	// Close never closes a file under a running operation.
	closeMu sync.RWMutex
	closed  bool

	jmu       sync.Mutex
	jw        *os.File // journal, opened for appending
	jwIno     uint64
	jwAppends int

	// pub makes a write and its index entry one step for this process's
	// readers: a writer holds it from the moment a new version becomes
	// visible on disk (rename, link, progress append) until the index has
	// it; Get reads records under its read lock. Without it Get could see a
	// job completed that List still listed running (issue 11). Lock order:
	// a job's stripe, then pub, then mu.
	pub sync.RWMutex

	mu        sync.Mutex
	idx       index
	fullLoads int // how often the index was rebuilt from every record (for tests)
}

// Open opens (creating if needed) the job store in opts.Dir, loads its index,
// and runs Recover, so that jobs left pending or running by a dead server are
// failed and their leftover process groups killed before Open returns. With
// opts.ReadOnly it only opens an existing store and loads its index (see
// Options.ReadOnly).
func Open(ctx context.Context, opts *Options) (*Store, error) {
	if opts == nil {
		opts = &Options{}
	}
	s := &Store{
		maxJobs: opts.MaxJobs, maxLogBytes: opts.MaxLogBytes, log: opts.Logger, tag: randHex(4),
		journalMax: maxJournalBytes, rotateEvery: rotateCheck, readOnly: opts.ReadOnly,
	}
	dataDir := opts.Dir
	if dataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("jobstore: no home directory for the default data directory; set Options.Dir: %w", err)
		}
		dataDir = filepath.Join(home, DefaultDirName)
	}
	dataDir, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("jobstore: data directory %q: %w", opts.Dir, err)
	}
	s.dir = filepath.Join(dataDir, JobsSubdir)
	if s.maxJobs == 0 {
		s.maxJobs = DefaultMaxJobs
	}
	if s.maxLogBytes == 0 {
		s.maxLogBytes = DefaultMaxLogBytes
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	s.host = NewHost(s.log)
	s.self, s.bootID = s.host.Self(), s.host.BootID()
	if s.readOnly {
		if err := s.openReadOnly(dataDir); err != nil {
			return nil, err
		}
		return s, nil
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return nil, fmt.Errorf("jobstore: %w", err)
	}
	if s.dirf, err = os.Open(s.dir); err != nil {
		return nil, fmt.Errorf("jobstore: %w", err)
	}
	if s.stripes, err = openStripes(s.dir); err != nil {
		_ = s.dirf.Close()
		return nil, err
	}
	s.mu.Lock()
	err = s.fullLoad(true)
	s.mu.Unlock()
	if err != nil {
		_ = s.Close()
		return nil, err
	}
	if n, err := s.Recover(ctx); err != nil {
		s.log.Warn("jobstore: recovering jobs of dead servers", "recovered", n, "err", err)
	}
	s.enforceCap(ctx)
	return s, nil
}

// openReadOnly finishes Open for Options.ReadOnly: the store must exist
// already, and only its index is loaded (no cleanup, no Recover, no
// retention). dataDir is the directory the caller named.
func (s *Store) openReadOnly(dataDir string) error {
	fi, err := os.Stat(s.dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("jobstore: no job store in %s (%w); a read-only open creates nothing: check Options.Dir, or open the store once without ReadOnly", dataDir, err)
	case err != nil:
		return fmt.Errorf("jobstore: %w", err)
	case !fi.IsDir():
		return fmt.Errorf("jobstore: %s is not a job store directory; check Options.Dir", s.dir)
	}
	s.mu.Lock()
	err = s.fullLoad(false)
	s.mu.Unlock()
	if err != nil {
		_ = s.Close()
	}
	return err
}

// writable returns an error wrapping ErrReadOnly, naming op, if s was opened
// with Options.ReadOnly. Every method that changes the store or signals a
// process calls it first.
func (s *Store) writable(op string) error {
	if !s.readOnly {
		return nil
	}
	return &jobError{
		msg: fmt.Sprintf("jobstore: %s: the store in %s was opened read-only (Options.ReadOnly); open it without ReadOnly to change jobs", op, s.dir),
		err: ErrReadOnly,
	}
}

// Dir returns the directory that holds the job records and logs.
func (s *Store) Dir() string { return s.dir }

// Close releases the Store's files. Records and logs stay on disk; running
// jobs are not touched. Close is idempotent; other methods return ErrClosed
// afterwards.
func (s *Store) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	closeStripes(s.stripes)
	if s.dirf != nil {
		_ = s.dirf.Close()
	}
	if s.jw != nil {
		_ = s.jw.Close()
	}
	if s.idx.jr != nil {
		_ = s.idx.jr.Close()
	}
	return nil
}

func (s *Store) begin() error {
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (s *Store) end() { s.closeMu.RUnlock() }

func (s *Store) recordPath(id string) string { return filepath.Join(s.dir, id+".json") }

// readRecord reads a job as it stands: its record file with the latest
// progress line applied (see progress.go).
func (s *Store) readRecord(id string) (*Job, error) {
	for range 8 {
		j, err := s.readRecordFile(id)
		if err != nil {
			return nil, err
		}
		if !s.applyProgress(j) {
			return j, nil
		}
		// The progress file is ahead of the record we read: the record was
		// rewritten in between. Read it again.
	}
	return s.readRecordFile(id)
}

// readRecordFile reads a job's record file. Records are replaced by rename,
// so a read sees one whole version, never a torn one.
func (s *Store) readRecordFile(id string) (*Job, error) {
	b, err := readFile(s.recordPath(id))
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, notFound(id)
		}
		return nil, fmt.Errorf("jobstore: %w", err)
	}
	j := new(Job)
	if err := json.Unmarshal(b, j); err != nil {
		return nil, fmt.Errorf("jobstore: record %s is corrupt: %w", id, err)
	}
	if j.ID != id {
		return nil, fmt.Errorf("jobstore: record %s holds id %q", id, j.ID)
	}
	return j, nil
}

var errIDTaken = errors.New("jobstore: id taken")

// writeRecord writes j to a temporary file and renames it over the record
// (or, for a new job, hard-links it, which fails instead of replacing an id
// another process just took). With durable, the file and the directory are
// fsynced, so the new version survives a power loss once this returns.
// It increments j.Version and puts the new version into the index in the
// same step as it becomes visible (see Store.pub); the caller announces it.
func (s *Store) writeRecord(j *Job, durable, create bool) error {
	j.Version++
	data, err := json.Marshal(j)
	if err != nil {
		return fmt.Errorf("jobstore: encoding job %s: %w", j.ID, err)
	}
	data = append(data, '\n')
	tmp := filepath.Join(s.dir, "."+j.ID+"."+randHex(4)+".tmp")
	f, err := openFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("jobstore: %w", err)
	}
	_, err = f.Write(data)
	if err == nil && durable {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		s.pub.Lock()
		if create {
			err = os.Link(tmp, s.recordPath(j.ID))
		} else {
			err = replaceFile(tmp, s.recordPath(j.ID))
		}
		if err == nil {
			s.indexPut(j)
		}
		s.pub.Unlock()
		if create {
			_ = os.Remove(tmp)
			if errors.Is(err, fs.ErrExist) {
				return errIDTaken
			}
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("jobstore: writing job %s: %w", j.ID, err)
	}
	if durable {
		if err := syncDir(s.dirf); err != nil {
			return fmt.Errorf("jobstore: syncing %s: %w", s.dir, err)
		}
	}
	return nil
}

// errNoChange, returned by a mutate function, ends the update without
// writing and without error.
var errNoChange = errors.New("jobstore: no change")

// mutate is the read-modify-write path of every change but progress: under
// the job's cross-process lock it reads the current record, applies fn, and
// writes the result back durably.
func (s *Store) mutate(ctx context.Context, id string, durable bool, fn func(*Job) error) (*Job, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	st := s.stripes[stripeOf(id)]
	if err := st.lock(ctx); err != nil {
		return nil, err
	}
	defer st.unlock()
	j, err := s.readRecord(id)
	if err != nil {
		return nil, err
	}
	version := j.Version
	if err := fn(j); err != nil {
		if errors.Is(err, errNoChange) {
			return j, nil
		}
		return nil, err
	}
	j.ID, j.Version = id, version
	if !j.State.Valid() {
		return nil, invalidState(string(j.State))
	}
	if err := s.writeRecord(j, durable, false); err != nil {
		return nil, err
	}
	s.committed(j)
	return j, nil
}

// indexPut puts a copy of j into this Store's index. Writers call it under
// pub, in the step that makes j visible.
func (s *Store) indexPut(j *Job) {
	c := j.Clone()
	s.mu.Lock()
	s.idx.put(c)
	s.mu.Unlock()
}

// committed publishes a write made under the job's lock, already in this
// Store's index (writeRecord), to other processes through the journal.
func (s *Store) committed(j *Job) {
	s.announce(j.ID)
}

// removed publishes the removal of a job made under its lock.
func (s *Store) removed(id string) {
	s.mu.Lock()
	s.idx.del(id)
	s.mu.Unlock()
	s.announce(id)
}

// announce appends id to the journal. A failure does not undo the write,
// which is durable; other processes then see it at their next full reload.
func (s *Store) announce(id string) {
	if err := s.journalAppend(id); err != nil {
		s.log.Error("jobstore: journal append failed; other processes may list a stale record", "job", id, "err", err)
	}
}

// readFile is os.ReadFile through openFile.
func readFile(name string) ([]byte, error) {
	f, err := openFile(name, os.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}
