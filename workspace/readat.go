package workspace

import (
	"errors"
	"fmt"
	"io"

	"github.com/pyexec-mcp/pyexec/internal/headtail"
)

// sniffBytes is how much of a file's start ReadAt reads to judge its type.
const sniffBytes = 8 << 10

// ReadAt returns up to max bytes of the regular file at path from byte
// offset on, with the file's description: Size is the whole file's, and
// IsText and MIME are judged from its first bytes and the part read. It is
// Read for a file read in pages (a large one, for a reader with a budget):
// only what is asked is read, so Options.MaxReadBytes does not apply. An
// offset at or past the end returns no data. Directories, devices and FIFOs
// are refused (ErrNotRegular), as by Read.
func (w *Workspace) ReadAt(path string, offset int64, max int) ([]byte, *FileInfo, error) {
	if offset < 0 || max < 0 {
		return nil, nil, fmt.Errorf("%w: offset %d and length %d of %q must not be negative", ErrInvalidPath, offset, max, path)
	}
	f, c, st, err := w.openRegular(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	head := make([]byte, min(int64(sniffBytes), st.Size()))
	n, err := f.ReadAt(head, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, w.fail(path, err)
	}
	head = head[:n]
	var data []byte
	if offset < st.Size() {
		data = make([]byte, min(int64(max), st.Size()-offset))
		n, err = f.ReadAt(data, offset)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, nil, w.fail(path, err)
		}
		data = data[:n]
	}
	info := describe(c, st)
	if int64(len(head)) < st.Size() { // cut from a longer file: a split character is no binary
		head = headtail.TrimPartialRune(head)
	}
	sniff(info, head)
	if info.IsText && !textPart(data) {
		info.IsText = false
		info.MIME = sniffMIME(info.Path, head, false)
	}
	return data, info, nil
}

// textPart reports whether a part of a text file is text: no NUL bytes
// (its ends may split characters; the caller aligns them).
func textPart(b []byte) bool {
	for _, c := range b {
		if c == 0 {
			return false
		}
	}
	return true
}
