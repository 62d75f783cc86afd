package workspace

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Defaults applied by Open.
const (
	// DefaultMaxReadBytes is the largest file Read returns.
	DefaultMaxReadBytes = 10 << 20
	// DefaultMaxWriteBytes is the largest content Write accepts.
	DefaultMaxWriteBytes = 10 << 20
	// DefaultMaxEntries is the most entries List returns.
	DefaultMaxEntries = 1000
)

// Options configures a Workspace; nil or zero fields mean the defaults.
type Options struct {
	MaxReadBytes  int64 // 0 means DefaultMaxReadBytes
	MaxWriteBytes int64 // 0 means DefaultMaxWriteBytes
	MaxEntries    int   // 0 means DefaultMaxEntries
}

// Workspace is a directory that files are read from and written to by
// relative paths only. It is safe for concurrent use. The caller must Close
// it.
type Workspace struct {
	dir    string
	root   *os.Root
	escape error // os.Root's "path escapes from parent" error; see Open
	opts   Options
}

// Open opens dir as a workspace, creating it (and its parents) if missing.
// dir is made absolute.
func Open(dir string, opts *Options) (*Workspace, error) {
	o := Options{}
	if opts != nil {
		o = *opts
	}
	if o.MaxReadBytes < 0 || o.MaxWriteBytes < 0 || o.MaxEntries < 0 {
		return nil, fmt.Errorf("%w: limits must not be negative", ErrInvalidOptions)
	}
	if o.MaxReadBytes == 0 {
		o.MaxReadBytes = DefaultMaxReadBytes
	}
	if o.MaxWriteBytes == 0 {
		o.MaxWriteBytes = DefaultMaxWriteBytes
	}
	if o.MaxEntries == 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if dir == "" {
		return nil, fmt.Errorf("%w: the workspace directory is required", ErrInvalidOptions)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("workspace: %q: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return nil, fmt.Errorf("workspace: creating %q: %w", abs, err)
	}
	root, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("workspace: %q: %w", abs, err)
	}
	// os.Root reports an escape (through "..", an absolute path or a
	// symlink) with an unexported error value. Provoking one here gives us
	// that value to compare with errors.Is instead of matching its text.
	var escape error
	var pe *fs.PathError
	if _, err := root.Stat(".."); errors.As(err, &pe) {
		escape = pe.Err
	}
	return &Workspace{dir: abs, root: root, escape: escape, opts: o}, nil
}

// Dir returns the workspace's absolute directory.
func (w *Workspace) Dir() string { return w.dir }

// Close releases the workspace's directory handle.
func (w *Workspace) Close() error { return w.root.Close() }

// FileInfo describes a file or directory of the workspace.
type FileInfo struct {
	Path    string    // relative to the workspace, slash-separated
	Type    string    // "file", "dir", "symlink" or "other"
	Size    int64     // bytes; 0 for directories
	ModTime time.Time //
	// Target is a symlink's target as written; Outside reports that it
	// leads outside the workspace (reading through it is refused).
	Target  string
	Outside bool
	// IsText and MIME are set by Read and Write: IsText when the content is
	// valid UTF-8 without NUL bytes (binary content is meant to be sent as
	// base64); MIME is sniffed from the content (PNG, JPEG, GIF and WebP
	// images) or else guessed from the name.
	IsText bool
	MIME   string
}

// IsImage reports whether the file is a raster image that can be returned
// as image content.
func (f *FileInfo) IsImage() bool {
	switch f.MIME {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// CheckPath reports whether path is a workspace-relative path that stays
// inside the workspace by its letters (ErrOutside, ErrInvalidPath
// otherwise), without touching the file system: a caller checks an
// argument before it does work whose result would go there. Symlinks are
// checked when the path is used.
func CheckPath(path string) error {
	_, err := clean(path)
	return err
}

// clean validates a workspace-relative path and returns it cleaned. "" and
// "." name the workspace itself.
func clean(path string) (string, error) {
	switch {
	case strings.IndexByte(path, 0) >= 0:
		return "", fmt.Errorf("%w: %q contains a NUL byte", ErrInvalidPath, path)
	case filepath.IsAbs(path):
		return "", fmt.Errorf("%w: %q is absolute; use a path relative to the workspace", ErrOutside, path)
	}
	c := filepath.Clean(path)
	if !filepath.IsLocal(c) && c != "." {
		return "", fmt.Errorf("%w: %q climbs out of the workspace with \"..\"; use a path inside it", ErrOutside, path)
	}
	return c, nil
}

// fail turns an os.Root error about path into one that names the path and
// says why it was refused.
func (w *Workspace) fail(path string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	switch {
	case w.escape != nil && errors.Is(err, w.escape):
		return fmt.Errorf("%w: %q goes through a symbolic link that leads outside the workspace", ErrOutside, path)
	case errors.Is(err, syscall.ELOOP):
		return fmt.Errorf("workspace: %q: too many levels of symbolic links: %w", path, err)
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("workspace: %q does not exist: %w", path, err)
	}
	return fmt.Errorf("workspace: %q: %w", path, err)
}

// Read returns the content of the regular file at path and its description.
// Directories, devices and FIFOs are refused (ErrNotRegular), as are files
// larger than Options.MaxReadBytes (ErrTooLarge). File I/O on a local
// directory cannot be cancelled, so Read takes no context.
func (w *Workspace) Read(path string) ([]byte, *FileInfo, error) {
	f, c, st, err := w.openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	if st.Size() > w.opts.MaxReadBytes {
		return nil, nil, fmt.Errorf("%w: %q has %d bytes, the limit is %d", ErrTooLarge, path, st.Size(), w.opts.MaxReadBytes)
	}
	data, err := io.ReadAll(io.LimitReader(f, w.opts.MaxReadBytes+1))
	if err != nil {
		return nil, nil, w.fail(path, err)
	}
	if int64(len(data)) > w.opts.MaxReadBytes {
		return nil, nil, fmt.Errorf("%w: %q grew past the limit of %d bytes while being read", ErrTooLarge, path, w.opts.MaxReadBytes)
	}
	info := describe(c, st)
	info.Size = int64(len(data))
	sniff(info, data)
	return data, info, nil
}

// openRegular opens the regular file at path for reading and returns it,
// its cleaned path and its stat; anything else is refused (ErrNotRegular).
func (w *Workspace) openRegular(path string) (*os.File, string, fs.FileInfo, error) {
	c, err := clean(path)
	if err != nil {
		return nil, "", nil, err
	}
	// O_NONBLOCK: opening a FIFO must not block; it is refused just below.
	f, err := w.root.OpenFile(c, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, "", nil, w.fail(path, err)
	}
	st, err := f.Stat()
	if err == nil {
		err = regular(path, st)
	} else {
		err = w.fail(path, err)
	}
	if err != nil {
		_ = f.Close()
		return nil, "", nil, err
	}
	return f, c, st, nil
}

func regular(path string, st fs.FileInfo) error {
	switch {
	case st.IsDir():
		return fmt.Errorf("%w: %q is a directory; list it instead", ErrNotRegular, path)
	case !st.Mode().IsRegular():
		return fmt.Errorf("%w: %q is a %s", ErrNotRegular, path, kind(st.Mode()))
	}
	return nil
}

func kind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// WriteOptions changes how Write writes; nil means the defaults: create
// missing parent directories, replace an existing file.
type WriteOptions struct {
	Append    bool // add to the end of an existing file instead of replacing it
	Exclusive bool // fail with fs.ErrExist if the file exists
	NoMkdir   bool // do not create missing parent directories
}

// Write writes data to the file at path (mode 0644) and returns its
// description. Content larger than Options.MaxWriteBytes is refused
// (ErrTooLarge); so is a path that names a directory or special file.
// The write is not atomic: a reader may see a partial file.
func (w *Workspace) Write(path string, data []byte, opts *WriteOptions) (*FileInfo, error) {
	if opts == nil {
		opts = &WriteOptions{}
	}
	c, err := clean(path)
	if err != nil {
		return nil, err
	}
	if c == "." {
		return nil, fmt.Errorf("%w: a file name is required", ErrInvalidPath)
	}
	if int64(len(data)) > w.opts.MaxWriteBytes {
		return nil, fmt.Errorf("%w: %d bytes for %q, the limit is %d", ErrTooLarge, len(data), path, w.opts.MaxWriteBytes)
	}
	if dir := filepath.Dir(c); dir != "." && !opts.NoMkdir {
		if err := w.root.MkdirAll(dir, 0o755); err != nil {
			return nil, w.fail(path, err)
		}
	}
	flags := os.O_WRONLY | os.O_CREATE | syscall.O_NONBLOCK
	switch {
	case opts.Append:
		flags |= os.O_APPEND
	default:
		flags |= os.O_TRUNC
	}
	if opts.Exclusive {
		flags |= os.O_EXCL
	}
	f, err := w.root.OpenFile(c, flags, 0o644)
	if err != nil {
		return nil, w.fail(path, err)
	}
	st, err := f.Stat()
	if err == nil {
		err = regular(path, st)
	}
	if err == nil {
		_, err = f.Write(data)
	}
	if cerr := f.Close(); err == nil && cerr != nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, ErrNotRegular) {
			return nil, err
		}
		return nil, w.fail(path, err)
	}
	st, err = w.root.Stat(c)
	if err != nil {
		return nil, w.fail(path, err)
	}
	info := describe(c, st)
	sniff(info, data)
	if opts.Append {
		info.MIME, info.IsText = "", false // describes data, not the whole file
	}
	return info, nil
}

func describe(path string, st fs.FileInfo) *FileInfo {
	info := &FileInfo{Path: filepath.ToSlash(path), Size: st.Size(), ModTime: st.ModTime()}
	switch m := st.Mode(); {
	case m.IsRegular():
		info.Type = "file"
	case m.IsDir():
		info.Type, info.Size = "dir", 0
	case m&fs.ModeSymlink != 0:
		info.Type = "symlink"
	default:
		info.Type = "other"
	}
	return info
}

func sniff(info *FileInfo, data []byte) {
	info.IsText = utf8.Valid(data) && bytes.IndexByte(data, 0) < 0
	info.MIME = sniffMIME(info.Path, data, info.IsText)
}
