package workspace

import (
	"bytes"
	"errors"
	"io/fs"
	"mime"
	"path"
	"path/filepath"
	"strings"
)

// ListOptions changes what List returns; nil means the defaults: the
// directory's own entries, at most Options.MaxEntries of them.
type ListOptions struct {
	Recursive  bool // walk subdirectories too (symlinked ones are not followed)
	MaxEntries int  // 0 means the workspace's Options.MaxEntries
}

// Listing is the result of List.
type Listing struct {
	Entries   []FileInfo // in lexical order of Path
	Truncated bool       // more entries exist than were returned
}

// List describes the entries of the directory at path ("" or "." for the
// workspace itself), or the single file that path names. Symlinks are
// listed, not followed; those that lead outside the workspace are marked.
func (w *Workspace) List(path string, opts *ListOptions) (*Listing, error) {
	if opts == nil {
		opts = &ListOptions{}
	}
	limit := opts.MaxEntries
	if limit <= 0 {
		limit = w.opts.MaxEntries
	}
	c, err := clean(path)
	if err != nil {
		return nil, err
	}
	st, err := w.root.Stat(c)
	if err != nil {
		return nil, w.fail(path, err)
	}
	out := &Listing{}
	if !st.IsDir() {
		out.Entries = append(out.Entries, *describe(c, st))
		return out, nil
	}
	errStop := errors.New("stop")
	fsys := w.root.FS()
	err = fs.WalkDir(fsys, filepath.ToSlash(c), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if p == filepath.ToSlash(c) {
				return err
			}
			return nil // an unreadable subdirectory: list what can be read
		}
		if p == filepath.ToSlash(c) {
			return nil
		}
		if len(out.Entries) == limit {
			out.Truncated = true
			return errStop
		}
		out.Entries = append(out.Entries, w.entry(p, d))
		if d.IsDir() && !opts.Recursive {
			return fs.SkipDir
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, w.fail(path, err)
	}
	return out, nil
}

func (w *Workspace) entry(p string, d fs.DirEntry) FileInfo {
	var info *FileInfo
	if st, err := d.Info(); err == nil {
		info = describe(p, st)
	} else {
		info = &FileInfo{Path: p, Type: "other"}
	}
	if info.Type == "symlink" {
		info.Target, _ = w.root.Readlink(p)
		if _, err := w.root.Stat(p); err != nil && w.escape != nil && errors.Is(err, w.escape) {
			info.Outside = true
		}
	}
	return *info
}

// sniffMIME recognises the image formats that can be returned as image
// content by their magic bytes, and otherwise guesses from the name.
func sniffMIME(name string, data []byte, text bool) string {
	switch {
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		return "image/jpeg"
	case bytes.HasPrefix(data, []byte("GIF87a")), bytes.HasPrefix(data, []byte("GIF89a")):
		return "image/gif"
	case len(data) >= 12 && bytes.Equal(data[:4], []byte("RIFF")) && bytes.Equal(data[8:12], []byte("WEBP")):
		return "image/webp"
	}
	if t := mime.TypeByExtension(strings.ToLower(path.Ext(name))); t != "" {
		if !text && strings.HasPrefix(t, "text/") {
			return "application/octet-stream"
		}
		if text && strings.HasPrefix(t, "image/") && t != "image/svg+xml" {
			return "text/plain; charset=utf-8" // a ".png" that holds text
		}
		return t
	}
	if text {
		return "text/plain; charset=utf-8"
	}
	return "application/octet-stream"
}
