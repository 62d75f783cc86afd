package workspace

import (
	"slices"
	"strings"
	"time"
)

// DefaultSnapshotEntries bounds the entries a Snapshot records: a cell's
// result lists what it changed without walking a huge tree for it.
const DefaultSnapshotEntries = 5000

// A Snapshot records the workspace's regular files (path, size,
// modification time) at one moment, so that Changes can tell which were
// created or modified since.
type Snapshot struct {
	files map[string]stamp
	// Truncated is set when the workspace had more entries than the
	// snapshot records: changes beyond them are not seen.
	Truncated bool
}

type stamp struct {
	size int64
	mod  time.Time
}

// Change is a file created or modified between two snapshots.
type Change struct {
	Path    string `json:"path"` // relative to the workspace, slash-separated
	Size    int64  `json:"size"`
	Created bool   `json:"created,omitempty"` // false: it existed and was modified
}

// Snapshot records the workspace's regular files, walking at most
// maxEntries entries (0: DefaultSnapshotEntries). Symlinks are not
// followed.
func (w *Workspace) Snapshot(maxEntries int) (*Snapshot, error) {
	if maxEntries <= 0 {
		maxEntries = DefaultSnapshotEntries
	}
	l, err := w.List("", &ListOptions{Recursive: true, MaxEntries: maxEntries})
	if err != nil {
		return nil, err
	}
	s := &Snapshot{files: make(map[string]stamp, len(l.Entries)), Truncated: l.Truncated}
	for _, e := range l.Entries {
		if e.Type == "file" {
			s.files[e.Path] = stamp{size: e.Size, mod: e.ModTime}
		}
	}
	return s, nil
}

// Changes lists the files of later that are not in s or differ from it in
// size or modification time, in path order. Removed files are not listed.
func (s *Snapshot) Changes(later *Snapshot) []Change {
	var out []Change
	for p, st := range later.files {
		was, ok := s.files[p]
		switch {
		case !ok:
			out = append(out, Change{Path: p, Size: st.size, Created: true})
		case was.size != st.size || !was.mod.Equal(st.mod):
			out = append(out, Change{Path: p, Size: st.size})
		}
	}
	slices.SortFunc(out, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return out
}
