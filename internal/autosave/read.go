package autosave

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"
)

// MaxNameBytes bounds a script name (a file name on every common system).
const MaxNameBytes = 255

// MaxContentBytes bounds the content Read and ReadSaved return; the rest is
// replaced by a line that counts it.
const MaxContentBytes = 1 << 20

// Info describes one script file.
type Info struct {
	Name    string
	Size    int64
	ModTime time.Time // UTC
}

// Script is a script read by Read or ReadSaved.
type Script struct {
	// Name is the file name, ".py" added if the name was given without.
	Name string
	// Content is the source as valid UTF-8, at most MaxContentBytes of it.
	Content string
	// Params is the decoded sidecar of an autosaved script ({"tool",
	// "saved_at", "params"}); nil for a saved script or a missing sidecar.
	Params any
}

// checkName accepts a plain file name that may be opened: no separators,
// no "..", no hidden files, no control characters. The directory itself is
// opened through os.Root as well, so a symlink inside it cannot lead out.
func checkName(name string) error {
	reason := ""
	switch {
	case name == "":
		reason = "is empty"
	case len(name) > MaxNameBytes:
		reason = fmt.Sprintf("is longer than %d bytes", MaxNameBytes)
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		reason = "contains a path"
	case strings.HasPrefix(name, "."):
		reason = "is a hidden file name"
	case strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		reason = "contains a control character"
	default:
		return nil
	}
	return &NameError{Name: name, Reason: reason}
}

// ListSaved describes the regular files of a saved-scripts directory
// whose names Read would accept, in name order; a missing directory has
// none.
func ListSaved(dir string) ([]Info, error) {
	ents, err := readDir(dir)
	if err != nil {
		return nil, fmt.Errorf("autosave: reading the scripts directory %s: %w", dir, err)
	}
	var out []Info
	for _, e := range ents {
		if checkName(e.Name()) != nil || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil {
			out = append(out, Info{Name: e.Name(), Size: fi.Size(), ModTime: fi.ModTime().UTC()})
		}
	}
	return out, nil
}

// ReadSaved returns a script of a saved-scripts directory, with the errors
// of Store.Read.
func ReadSaved(dir, name string) (*Script, error) {
	return read(dir, name, false)
}

func read(dir, name string, sidecar bool) (*Script, error) {
	if err := checkName(name); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, ErrNotFound
	}
	defer root.Close()
	content, err := readCapped(root, name)
	if err != nil && !strings.HasSuffix(name, ".py") {
		name += ".py"
		content, err = readCapped(root, name)
	}
	if err != nil {
		return nil, ErrNotFound
	}
	sc := &Script{Name: name, Content: content}
	if sidecar {
		if b, err := root.ReadFile(strings.TrimSuffix(name, ".py") + ".json"); err == nil {
			var meta any
			if json.Unmarshal(b, &meta) == nil {
				sc.Params = meta
			}
		}
	}
	return sc, nil
}

// readCapped reads a regular file of root, at most MaxContentBytes of it.
func readCapped(root *os.Root, name string) (string, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return "", fs.ErrNotExist
	}
	buf := make([]byte, min(fi.Size(), MaxContentBytes))
	n, _ := io.ReadFull(f, buf)
	text := strings.ToValidUTF8(string(buf[:n]), "\uFFFD")
	if fi.Size() > MaxContentBytes {
		text += fmt.Sprintf("\n… %d more bytes not shown …\n", fi.Size()-MaxContentBytes)
	}
	return text, nil
}

// readDir is os.ReadDir, a missing directory being empty.
func readDir(dir string) ([]os.DirEntry, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return ents, err
}
