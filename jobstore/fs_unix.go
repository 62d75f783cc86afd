//go:build unix

package jobstore

import (
	"io/fs"
	"os"
	"syscall"
)

// fileID returns the inode number of the file at path, which tells a
// replaced journal from the one a reader has open.
func fileID(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return inode(fi), nil
}

// fileIDOf is fileID of an open file.
func fileIDOf(f *os.File) (uint64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return inode(fi), nil
}

func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino) //nolint:unconvert // Ino is uint32 on some platforms
	}
	return 0
}

// syncDir makes the renames in directory d durable.
func syncDir(d *os.File) error { return d.Sync() }

// openFile is os.OpenFile: on Unix a file can be renamed over or removed
// while others have it open (fs_windows.go says why it differs there).
func openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	return os.OpenFile(name, flag, perm)
}

// canRotate: a journal can be replaced while other processes hold it open.
const canRotate = true

// replaceFile renames tmp over dst.
func replaceFile(tmp, dst string) error { return os.Rename(tmp, dst) }
