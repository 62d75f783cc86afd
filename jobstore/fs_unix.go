//go:build unix

package jobstore

import (
	"io/fs"
	"os"
	"syscall"
)

// inode returns the inode number of fi, which tells a replaced journal from
// the one a reader has open.
func inode(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Ino) //nolint:unconvert // Ino is uint32 on some platforms
	}
	return 0
}

// syncDir makes the renames in directory d durable.
func syncDir(d *os.File) error { return d.Sync() }
