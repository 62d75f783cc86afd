package jobstore

import (
	"io/fs"
	"os"
	"syscall"
)

// inode returns an identity of the file fi describes that changes when the
// journal is replaced: its creation time. Windows has file indexes, but an
// fs.FileInfo does not carry them (os.SameFile reads them from the path);
// a journal is always made as a new file and renamed into place, so a
// replacement has a creation time of its own (100 ns resolution).
func inode(fi fs.FileInfo) uint64 {
	if d, ok := fi.Sys().(*syscall.Win32FileAttributeData); ok {
		return uint64(d.CreationTime.Nanoseconds())
	}
	return 0
}

// syncDir does nothing on Windows: a directory cannot be opened for
// flushing the way os.Open opens it (Sync fails with access denied), and
// NTFS journals the metadata a rename changes itself. What a crash can
// lose there is the last renames, not a half-written record (the record
// file itself is flushed before its rename).
func syncDir(*os.File) error { return nil }
