package jobstore

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// orphanAge is how old a temporary file or a log without a record must
// be before Open removes it, so as not to race a writer in progress.
const orphanAge = time.Minute

// index is a Store's in-memory view of all records, for List, Prune and
// retention: one compact entry per record, oldest first (ids sort by
// creation time, so a new job is appended at the end). List filters on the entries alone, which sit contiguously
// in memory, and touches a record only to copy it out; an update finds its
// slot by binary search. Records are never modified, only replaced, so they
// may be read after s.mu is released. Guarded by Store.mu.
type index struct {
	jobs     []entry           // by id: oldest first
	finished int               // jobs in a final state
	kinds    map[string]string // interned kinds, so entries share their bytes

	jr    *os.File // journal being read
	jrIno uint64
	jrGen uint64
	jrOff int64 // offset of the next unread line
	buf   []byte
}

type entry struct {
	id    string
	kind  string
	job   *Job
	state uint8 // stateBit(job.State)
}

func (x *index) entry(j *Job) entry {
	k, ok := x.kinds[j.Kind]
	if !ok {
		if x.kinds == nil {
			x.kinds = map[string]string{}
		}
		k = j.Kind
		x.kinds[k] = k
	}
	return entry{id: j.ID, kind: k, job: j, state: stateBit(j.State)}
}

func (x *index) find(id string) (int, bool) {
	return slices.BinarySearchFunc(x.jobs, id, func(e entry, id string) int { return strings.Compare(e.id, id) })
}

func (x *index) has(id string) bool {
	_, ok := x.find(id)
	return ok
}

func (x *index) put(j *Job) {
	e := x.entry(j)
	i, ok := x.find(j.ID)
	if ok {
		if x.jobs[i].state&finalBits != 0 {
			x.finished--
		}
		x.jobs[i] = e
	} else {
		x.jobs = slices.Insert(x.jobs, i, e)
	}
	if e.state&finalBits != 0 {
		x.finished++
	}
}

func (x *index) del(id string) {
	i, ok := x.find(id)
	if !ok {
		return
	}
	if x.jobs[i].state&finalBits != 0 {
		x.finished--
	}
	x.jobs = slices.Delete(x.jobs, i, i+1)
}

// reload re-reads one record into the index. Called with s.mu held.
func (s *Store) reload(id string) {
	j, err := s.readRecord(id)
	switch {
	case err == nil:
		s.idx.put(j)
	case errors.Is(err, ErrNotFound):
		s.idx.del(id)
	default:
		s.log.Warn("jobstore: skipping unreadable record", "job", id, "err", err)
		s.idx.del(id)
	}
}

// fullLoad rebuilds the index from every record file. The journal position
// is taken first, so that writes racing the scan are picked up by the next
// refresh. With cleanup, stale temporary files and logs without a record are
// removed. Called with s.mu held (or before the Store is shared).
func (s *Store) fullLoad(cleanup bool) error {
	x := &s.idx
	if x.jr != nil {
		_ = x.jr.Close()
		x.jr = nil
	}
	f, gen, ino, err := s.openJournal()
	switch {
	case errors.Is(err, errNoJournal):
		// Read-only, with no journal to follow (yet): every refresh loads
		// every record until a writer makes one.
	case err != nil:
		return err
	default:
		off, err := journalEnd(f)
		if err != nil {
			_ = f.Close()
			return err
		}
		x.jr, x.jrIno, x.jrGen, x.jrOff = f, ino, gen, off
	}

	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("jobstore: %w", err)
	}
	s.fullLoads++
	x.jobs = make([]entry, 0, len(entries)/2)
	x.finished = 0
	for _, e := range entries {
		name := e.Name()
		if id, ok := strings.CutSuffix(name, ".json"); ok && ValidID(id) {
			j, err := s.readRecord(id)
			if err != nil {
				s.log.Warn("jobstore: skipping unreadable record", "job", id, "err", err)
				continue
			}
			x.jobs = append(x.jobs, x.entry(j))
			if j.State.Final() {
				x.finished++
			}
		}
	}
	slices.SortFunc(x.jobs, func(a, b entry) int { return strings.Compare(a.id, b.id) })
	if cleanup {
		s.removeOrphans(entries)
	}
	return nil
}

// removeOrphans deletes temporary files and logs whose record is gone, once
// they are older than orphanAge. Called with s.mu held.
func (s *Store) removeOrphans(entries []os.DirEntry) {
	cutoff := time.Now().Add(-orphanAge)
	for _, e := range entries {
		name := e.Name()
		orphan := strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".tmp")
		if base, ext, ok := strings.Cut(name, "."); ok && (ext == string(Stdout) || ext == string(Stderr) || ext == "progress") && ValidID(base) {
			orphan = !s.idx.has(base) && !fileExists(s.recordPath(base))
		}
		if !orphan {
			continue
		}
		if fi, err := e.Info(); err == nil && fi.ModTime().Before(cutoff) {
			if err := os.Remove(filepath.Join(s.dir, name)); err == nil {
				s.log.Info("jobstore: removed orphaned file", "file", name)
			}
		}
	}
}

func fileExists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// ListOptions filters List. The zero value lists every job.
type ListOptions struct {
	// States keeps jobs in any of these states; empty keeps all.
	States []State
	// Kind keeps jobs of this kind; empty keeps all.
	Kind string
	// Limit caps the number of jobs returned (the newest); 0 means no limit.
	Limit int
}

// List returns the jobs that match opts, newest first, and the number that
// match before the limit. It reads an in-memory index that it first brings
// up to date with every other process's writes, so its cost is that of the
// filter plus the records changed since the last call.
func (s *Store) List(ctx context.Context, opts *ListOptions) (jobs []*Job, total int, err error) {
	if opts == nil {
		opts = &ListOptions{}
	}
	for _, st := range opts.States {
		if !st.Valid() {
			return nil, 0, invalidState(string(st))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, 0, err
	}
	if err := s.begin(); err != nil {
		return nil, 0, err
	}
	defer s.end()
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return nil, 0, err
	}
	var states uint8 // bit set of opts.States
	for _, st := range opts.States {
		states |= stateBit(st)
	}
	for i := len(s.idx.jobs) - 1; i >= 0; i-- { // newest first
		e := &s.idx.jobs[i]
		if (states != 0 && states&e.state == 0) || (opts.Kind != "" && e.kind != opts.Kind) {
			continue
		}
		total++
		if opts.Limit <= 0 || len(jobs) < opts.Limit {
			jobs = append(jobs, e.job.Clone())
		}
	}
	return jobs, total, nil
}

// snapshot returns the current index entries, refreshed, for callers that
// must then take job locks (which cannot be taken under s.mu).
func (s *Store) snapshot(ctx context.Context, keep func(*Job) bool) ([]*Job, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.refresh(); err != nil {
		return nil, err
	}
	var out []*Job
	for i := len(s.idx.jobs) - 1; i >= 0; i-- { // newest first
		if e := &s.idx.jobs[i]; keep(e.job) {
			out = append(out, e.job)
		}
	}
	return out, nil
}

// finalBits are the stateBits of the final states.
const finalBits = 4 | 8 | 16

func stateBit(st State) uint8 {
	switch st {
	case StatePending:
		return 1
	case StateRunning:
		return 2
	case StateCompleted:
		return 4
	case StateFailed:
		return 8
	case StateCancelled:
		return 16
	}
	return 0
}
