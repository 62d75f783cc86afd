package jobstore

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/pyexec-mcp/pyexec/internal/filelock"
)

// The journal is how a Store learns, in O(changes), which records other
// processes wrote since it last looked: every write or removal of a record
// appends one line "<id> <tag>\n" (tag: the writing Store) with O_APPEND,
// which the kernel serialises between processes. A reader keeps an offset
// and re-reads only the records named after it, skipping its own lines,
// which it applied to its index already.
//
// The journal is replaced once it exceeds maxJournalBytes. Its header holds a
// generation number; a reader that sees a new inode drains the old file
// through its open descriptor, then continues in the new one if its
// generation is exactly one more, and otherwise reloads every record. A
// writer that finds after appending that the path names a new inode appends
// again, so no line is lost across a replacement. Lines are hints, not data:
// a lost or corrupt journal costs a full reload, never a record.
const (
	journalName     = "journal"
	journalLock     = "journal.lock"
	journalMagic    = "jobstore-journal v1 "
	journalHdrLen   = len(journalMagic) + 16 + 1
	journalLineLen  = idLen + 1 + 8 + 1
	maxJournalBytes = 1 << 20
	rotateCheck     = 256 // appends between size checks
)

func (s *Store) journalPath() string { return filepath.Join(s.dir, journalName) }

// refresh brings the index up to date with the journal. Called with s.mu held.
func (s *Store) refresh() error {
	x := &s.idx
	ino, err := fileID(s.journalPath())
	if err != nil {
		return s.fullLoad(false)
	}
	if x.jr == nil || ino != x.jrIno {
		return s.switchJournal()
	}
	return s.readJournal()
}

// switchJournal follows a journal replacement. Called with s.mu held.
func (s *Store) switchJournal() error {
	x := &s.idx
	if x.jr != nil {
		// Every line of the old file was written before the rename we just
		// observed, or was appended again to the new file by its writer.
		if err := s.readJournal(); err != nil {
			return s.fullLoad(false)
		}
		_ = x.jr.Close()
		x.jr = nil
	}
	oldGen := x.jrGen
	f, gen, ino, err := s.openJournal()
	if err != nil || gen != oldGen+1 {
		if f != nil {
			_ = f.Close()
		}
		return s.fullLoad(false)
	}
	x.jr, x.jrIno, x.jrGen, x.jrOff = f, ino, gen, int64(journalHdrLen)
	return s.readJournal()
}

// readJournal reads the journal from x.jrOff and reloads every record named
// by another Store. Called with s.mu held.
func (s *Store) readJournal() error {
	x := &s.idx
	if x.buf == nil {
		x.buf = make([]byte, 64<<10)
	}
	changed := map[string]struct{}{}
	corrupt := false
	for {
		n, err := x.jr.ReadAt(x.buf, x.jrOff)
		data := x.buf[:n]
		end := bytes.LastIndexByte(data, '\n')
		if end < 0 {
			if err != nil && !errors.Is(err, io.EOF) {
				return fmt.Errorf("jobstore: reading journal: %w", err)
			}
			break // nothing complete yet: a writer may be mid-line
		}
		for line := range bytes.Lines(data[:end+1]) {
			id, tag, ok := parseJournalLine(line)
			if !ok {
				corrupt = true
				continue
			}
			if tag != s.tag {
				changed[id] = struct{}{}
			}
		}
		x.jrOff += int64(end + 1)
		if n < len(x.buf) {
			break
		}
	}
	if corrupt {
		s.log.Warn("jobstore: journal has malformed lines; reloading all records", "dir", s.dir)
		return s.fullLoad(false)
	}
	for id := range changed {
		s.reload(id)
	}
	return nil
}

// parseJournalLine parses "<id> <tag>\n".
func parseJournalLine(line []byte) (id, tag string, ok bool) {
	if len(line) != journalLineLen || line[idLen] != ' ' || line[len(line)-1] != '\n' {
		return "", "", false
	}
	id, tag = string(line[:idLen]), string(line[idLen+1:len(line)-1])
	if !ValidID(id) {
		return "", "", false
	}
	return id, tag, true
}

// journalEnd returns the offset just past the last complete line.
func journalEnd(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, fmt.Errorf("jobstore: journal: %w", err)
	}
	size := fi.Size()
	if size <= int64(journalHdrLen) {
		return int64(journalHdrLen), nil
	}
	tail := make([]byte, min(size-int64(journalHdrLen), 4096))
	if _, err := f.ReadAt(tail, size-int64(len(tail))); err != nil {
		return 0, fmt.Errorf("jobstore: journal: %w", err)
	}
	i := bytes.LastIndexByte(tail, '\n')
	if i < 0 {
		return int64(journalHdrLen), nil
	}
	return size - int64(len(tail)) + int64(i) + 1, nil
}

// errNoJournal is openJournal's answer on a read-only Store when there is
// no readable journal to follow: it may not create or replace one.
var errNoJournal = errors.New("jobstore: no readable journal")

// openJournal opens the journal for reading, creating it if it is missing
// and replacing it if its header is unreadable; a read-only Store does
// neither and gets errNoJournal.
func (s *Store) openJournal() (f *os.File, gen, ino uint64, err error) {
	for range 4 {
		f, err = openFile(s.journalPath(), os.O_RDONLY, 0)
		if errors.Is(err, fs.ErrNotExist) {
			if s.readOnly {
				return nil, 0, 0, errNoJournal
			}
			if err = s.createJournal(randGen(), false); err != nil {
				return nil, 0, 0, err
			}
			continue
		}
		if err != nil {
			return nil, 0, 0, fmt.Errorf("jobstore: journal: %w", err)
		}
		id, serr := fileIDOf(f)
		hdr := make([]byte, journalHdrLen)
		_, rerr := f.ReadAt(hdr, 0)
		g, ok := parseJournalHeader(hdr)
		if serr == nil && rerr == nil && ok {
			return f, g, id, nil
		}
		_ = f.Close()
		if s.readOnly {
			return nil, 0, 0, errNoJournal // a writer replaces it
		}
		s.log.Warn("jobstore: replacing unreadable journal", "dir", s.dir)
		if err = s.createJournal(randGen(), true); err != nil {
			return nil, 0, 0, err
		}
	}
	return nil, 0, 0, fmt.Errorf("jobstore: journal %s keeps changing", s.journalPath())
}

func parseJournalHeader(hdr []byte) (uint64, bool) {
	if len(hdr) != journalHdrLen || !bytes.HasPrefix(hdr, []byte(journalMagic)) || hdr[len(hdr)-1] != '\n' {
		return 0, false
	}
	g, err := strconv.ParseUint(string(hdr[len(journalMagic):len(hdr)-1]), 16, 64)
	return g, err == nil
}

// randGen returns a random generation for a journal created from nothing, so
// that a reader of a previous journal never takes it for the next one.
func randGen() uint64 {
	g, _ := strconv.ParseUint(randHex(7), 16, 64)
	return g
}

// createJournal writes a fresh journal with generation gen. With replace it
// renames over the current one; otherwise it only creates a missing one.
func (s *Store) createJournal(gen uint64, replace bool) error {
	tmp := filepath.Join(s.dir, ".journal."+randHex(4)+".tmp")
	hdr := fmt.Sprintf("%s%016x\n", journalMagic, gen)
	if err := os.WriteFile(tmp, []byte(hdr), 0o600); err != nil {
		return fmt.Errorf("jobstore: journal: %w", err)
	}
	var err error
	if replace {
		err = os.Rename(tmp, s.journalPath())
	} else {
		err = os.Link(tmp, s.journalPath())
		_ = os.Remove(tmp)
		if errors.Is(err, fs.ErrExist) {
			err = nil
		}
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("jobstore: journal: %w", err)
	}
	return nil
}

// journalAppend appends id's line to the journal.
func (s *Store) journalAppend(id string) error {
	line := make([]byte, 0, journalLineLen)
	line = append(append(append(append(line, id...), ' '), s.tag...), '\n')
	s.jmu.Lock()
	defer s.jmu.Unlock()
	for range 8 {
		if s.jw == nil {
			f, err := openFile(s.journalPath(), os.O_WRONLY|os.O_APPEND, 0)
			if errors.Is(err, fs.ErrNotExist) {
				if err := s.createJournal(randGen(), false); err != nil {
					return err
				}
				continue
			}
			if err != nil {
				return fmt.Errorf("jobstore: journal: %w", err)
			}
			id, err := fileIDOf(f)
			if err != nil {
				_ = f.Close()
				return fmt.Errorf("jobstore: journal: %w", err)
			}
			s.jw, s.jwIno = f, id
		}
		if _, err := s.jw.Write(line); err != nil {
			_ = s.jw.Close()
			s.jw = nil
			return fmt.Errorf("jobstore: journal: %w", err)
		}
		if id, err := fileID(s.journalPath()); err == nil && id == s.jwIno {
			s.jwAppends++
			if s.jwAppends%s.rotateEvery == 0 {
				s.maybeRotate()
			}
			return nil
		}
		// Replaced while we appended: the line may be in the old file only.
		_ = s.jw.Close()
		s.jw = nil
	}
	return fmt.Errorf("jobstore: journal %s keeps changing", s.journalPath())
}

// maybeRotate replaces the journal with an empty one of the next generation
// once it is larger than s.journalMax. One process at a time rotates,
// under a non-blocking file lock; the others just carry on. Called with s.jmu held.
func (s *Store) maybeRotate() {
	if !canRotate {
		return
	}
	fi, err := s.jw.Stat()
	if err != nil || fi.Size() < s.journalMax {
		return
	}
	lf, err := os.OpenFile(filepath.Join(s.dir, journalLock), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer lf.Close()
	if ok, err := filelock.TryLock(lf, true); err != nil || !ok {
		return
	}
	defer filelock.Unlock(lf) //nolint:errcheck // closing releases it anyway
	f, gen, _, err := s.openJournal()
	if err != nil {
		return
	}
	cur, err := f.Stat()
	_ = f.Close()
	if err != nil || cur.Size() < s.journalMax {
		return // someone else rotated it
	}
	if err := s.createJournal(gen+1, true); err != nil {
		s.log.Warn("jobstore: rotating journal", "err", err)
	}
}
