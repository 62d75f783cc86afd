package jobstore

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Progress updates are the hot path of a running job, so they do not
// rewrite the record: replacing a file by rename makes ext4 start writeback
// of the new file at once (auto_da_alloc), which costs 0.1–2 ms on a busy
// disk. Instead each update appends one JSON line {"v":version,...} to
// <id>.progress under the job's lock. A reader applies the last complete,
// valid line if its version is the record's version; lines of an older
// version were folded into the record by a later rewrite and are ignored.
// When the file passes progressCompactBytes, SetProgress folds the progress
// into the record (version+1) and replaces the file with a single line of
// the new version; a reader that meets a line newer than the record it read
// reads the record again, so progress never appears to go back.
//
// A torn or zero-filled tail (a crash mid-append, or a power loss) is not a
// valid line and is skipped; the record itself is never at risk from a
// progress update.
const progressCompactBytes = 64 << 10

type progressLine struct {
	V uint64 `json:"v"`
	Progress
}

func (s *Store) progressPath(id string) string { return filepath.Join(s.dir, id+".progress") }

// appendProgress records j.Progress for j (read under the job's lock).
// Called with the job's lock held.
func (s *Store) appendProgress(j *Job) error {
	line, err := json.Marshal(progressLine{V: j.Version, Progress: j.Progress})
	if err != nil {
		return fmt.Errorf("jobstore: encoding progress of job %s: %w", j.ID, err)
	}
	line = append(line, '\n')
	f, err := openFile(s.progressPath(j.ID), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("jobstore: progress: %w", err)
	}
	s.pub.Lock() // the append and the index entry are one step (Store.pub)
	_, err = f.Write(line)
	if err == nil {
		s.indexPut(j)
	}
	s.pub.Unlock()
	var size int64
	if err == nil {
		size, err = f.Seek(0, io.SeekCurrent) // O_APPEND: the end of the file
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("jobstore: progress of job %s: %w", j.ID, err)
	}
	if size > progressCompactBytes {
		return s.compactProgress(j)
	}
	return nil
}

// compactProgress folds j.Progress into the record and replaces the
// progress file with one line of the record's new version.
func (s *Store) compactProgress(j *Job) error {
	if err := s.writeRecord(j, false, false); err != nil {
		return err
	}
	line, err := json.Marshal(progressLine{V: j.Version, Progress: j.Progress})
	if err != nil {
		return fmt.Errorf("jobstore: encoding progress of job %s: %w", j.ID, err)
	}
	tmp := filepath.Join(s.dir, "."+j.ID+"."+randHex(4)+".tmp")
	if err := os.WriteFile(tmp, append(line, '\n'), 0o600); err != nil {
		return fmt.Errorf("jobstore: progress: %w", err)
	}
	if err := replaceFile(tmp, s.progressPath(j.ID)); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("jobstore: progress: %w", err)
	}
	return nil
}

// applyProgress sets j.Progress from the job's progress file when its last
// line belongs to j's version. It reports whether that line is newer than
// j, in which case the caller must read the record again.
func (s *Store) applyProgress(j *Job) (stale bool) {
	f, err := openFile(s.progressPath(j.ID), os.O_RDONLY, 0)
	if err != nil {
		return false // none yet (or unreadable: the record's progress stands)
	}
	defer f.Close()
	pl, ok := lastProgressLine(f)
	switch {
	case !ok || pl.V < j.Version:
		return false
	case pl.V > j.Version:
		return true
	}
	j.Progress = pl.Progress
	return false
}

// lastProgressLine returns the last complete, valid line of a progress file,
// reading backwards from the end in growing windows.
func lastProgressLine(f *os.File) (progressLine, bool) {
	fi, err := f.Stat()
	if err != nil {
		return progressLine{}, false
	}
	size := fi.Size()
	for window := int64(4096); ; window *= 4 {
		start := max(size-window, 0)
		buf := make([]byte, size-start)
		n, err := f.ReadAt(buf, start)
		if err != nil && !errors.Is(err, io.EOF) {
			return progressLine{}, false
		}
		buf = buf[:n]
		if pl, ok := scanProgressLines(buf, start == 0); ok {
			return pl, true
		}
		if start == 0 {
			return progressLine{}, false
		}
	}
}

// scanProgressLines finds the last valid line in buf. Unless whole is set,
// buf may begin mid-line, so its first (partial) line is not considered.
func scanProgressLines(buf []byte, whole bool) (progressLine, bool) {
	end := bytes.LastIndexByte(buf, '\n')
	for end >= 0 {
		begin := bytes.LastIndexByte(buf[:end], '\n') + 1
		if begin == 0 && !whole {
			return progressLine{}, false // may be partial: read a larger window
		}
		var pl progressLine
		if json.Unmarshal(buf[begin:end], &pl) == nil {
			return pl, true
		}
		end = begin - 1
	}
	return progressLine{}, false
}
