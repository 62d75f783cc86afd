package autosave

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// DefaultKeep is how many autosaved scripts a Store keeps by default.
const DefaultKeep = 500

// Options configure a Store.
type Options struct {
	// Dir is the autosave directory, created on the first Save. Required.
	Dir string
	// Keep is how many scripts are kept, oldest removed first. 0 means
	// DefaultKeep; negative disables Save (List and Read still read what
	// the directory holds).
	Keep int
}

// Store is an autosave directory. Create it with New; it is safe for
// concurrent use, also by several processes sharing the directory, and
// holds nothing to close.
type Store struct {
	dir  string
	keep int

	mu    sync.Mutex
	count int // scripts believed present; -1 until first counted
}

// New returns the Store of opts.Dir.
func New(opts *Options) (*Store, error) {
	if opts == nil || opts.Dir == "" {
		return nil, errors.New("autosave: Options.Dir is required")
	}
	keep := opts.Keep
	if keep == 0 {
		keep = DefaultKeep
	}
	return &Store{dir: opts.Dir, keep: keep, count: -1}, nil
}

// Dir is the autosave directory.
func (s *Store) Dir() string { return s.dir }

// Save stores code with a sidecar of the call's tool name and params (which
// the caller must have stripped of secrets) and returns the script's name;
// "" and no error when saving is disabled.
func (s *Store) Save(tool, code string, params any) (string, error) {
	if s.keep < 0 {
		return "", nil
	}
	name, err := s.write(tool, code, params)
	if err != nil {
		return "", fmt.Errorf("autosave: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Listing hundreds of files on every call cost more than the rest of
	// the save (0.6 ms with 500 kept), so the directory is scanned only
	// once this Store has added keep/8 scripts past the limit.
	if s.count < 0 {
		s.count = s.prune() // counts the script just written
	} else {
		s.count++
	}
	if s.count > s.keep+max(1, s.keep/8) {
		s.count = s.prune()
	}
	return name, nil
}

func (s *Store) write(tool, code string, params any) (string, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", err
	}
	var r [3]byte
	_, _ = rand.Read(r[:])
	now := time.Now().UTC()
	// UTC time first: names sort by age, which prune and List rely on.
	base := now.Format("20060102T150405.000000Z") + "-" + hex.EncodeToString(r[:])
	sidecar := struct {
		Tool    string    `json:"tool"`
		SavedAt time.Time `json:"saved_at"`
		Params  any       `json:"params"`
	}{tool, now, params}
	meta, err := json.MarshalIndent(sidecar, "", "  ")
	if err != nil {
		return "", err
	}
	// The sidecar first: a script that is listed has its parameters.
	if err := writeFileAtomic(filepath.Join(s.dir, base+".json"), meta); err != nil {
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(s.dir, base+".py"), []byte(code)); err != nil {
		return "", err
	}
	return base + ".py", nil
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so a concurrent reader (another server process) never sees a
// partial file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// prune removes the oldest scripts (and their sidecars) beyond keep and
// returns how many remain. Several processes may prune at once; removing a
// file another one already removed is harmless.
func (s *Store) prune() int {
	names, err := s.names()
	if err != nil {
		return 0
	}
	if len(names) <= s.keep {
		return len(names)
	}
	for _, n := range names[s.keep:] { // names are newest first
		_ = os.Remove(filepath.Join(s.dir, n))
		_ = os.Remove(filepath.Join(s.dir, strings.TrimSuffix(n, ".py")+".json"))
	}
	return s.keep
}

// names lists the scripts, newest first.
func (s *Store) names() ([]string, error) {
	ents, err := readDir(s.dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); e.Type().IsRegular() && strings.HasSuffix(n, ".py") && !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	slices.Reverse(names)
	return names, nil
}

// List describes the autosaved scripts, newest first.
func (s *Store) List() ([]Info, error) {
	names, err := s.names()
	if err != nil {
		return nil, fmt.Errorf("autosave: reading %s: %w", s.dir, err)
	}
	out := make([]Info, 0, len(names))
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(s.dir, n)); err == nil {
			out = append(out, Info{Name: n, Size: fi.Size(), ModTime: fi.ModTime().UTC()})
		}
	}
	return out, nil
}

// Read returns an autosaved script (name with or without ".py") and, in
// Params, its sidecar. It returns a *NameError for a name that is not a
// plain file name, ErrNotFound for one that is not there.
func (s *Store) Read(name string) (*Script, error) {
	return read(s.dir, name, true)
}
