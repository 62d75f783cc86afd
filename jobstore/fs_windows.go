package jobstore

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/windows"
)

// fileID returns the identity of the file at path — its volume serial
// number and file index, Windows' inode — which tells a replaced journal
// from the one a reader has open. An fs.FileInfo does not carry it (and its
// creation time is no substitute: Wine reports the inode change time as
// one, which every append moves), so the file is opened for a moment.
func fileID(path string) (uint64, error) {
	f, err := openFile(path, os.O_RDONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return fileIDOf(f)
}

// fileIDOf is fileID of an open file.
func fileIDOf(f *os.File) (uint64, error) {
	var d windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(windows.Handle(f.Fd()), &d); err != nil {
		return 0, &os.PathError{Op: "GetFileInformationByHandle", Path: f.Name(), Err: err}
	}
	// 64 bits of index are unique on a volume; the serial number tells
	// volumes apart (one store directory is on one volume).
	return (uint64(d.FileIndexHigh)<<32 | uint64(d.FileIndexLow)) ^ uint64(d.VolumeSerialNumber)<<32, nil
}

// syncDir does nothing on Windows: a directory cannot be opened for
// flushing the way os.Open opens it (Sync fails with access denied), and
// NTFS journals the metadata a rename changes itself. What a crash can
// lose there is the last renames, not a half-written record (the record
// file itself is flushed before its rename).
func syncDir(*os.File) error { return nil }

// openFile opens a file of the store as os.OpenFile does, but shares it
// for deletion too (FILE_SHARE_DELETE), for the flags the store uses.
// os.OpenFile shares reading and writing only, and Windows then refuses to
// rename over, or remove, a file while any process has it open: a record
// replaced while another server reads it, the journal rotated while every
// server keeps it open, would fail with "Access denied". With the share,
// the replacement goes ahead and the open handle keeps reading the file it
// opened, as on Unix.
func openFile(name string, flag int, perm os.FileMode) (*os.File, error) {
	p, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	var access uint32
	switch flag & (os.O_RDONLY | os.O_WRONLY | os.O_RDWR) {
	case os.O_RDONLY:
		access = windows.GENERIC_READ
	case os.O_WRONLY:
		access = windows.GENERIC_WRITE
	case os.O_RDWR:
		access = windows.GENERIC_READ | windows.GENERIC_WRITE
	}
	if flag&os.O_APPEND != 0 {
		// Appends at the end, atomically, as O_APPEND: no FILE_WRITE_DATA
		// (syscall.Open does the same).
		access &^= windows.GENERIC_WRITE
		access |= windows.FILE_APPEND_DATA | windows.FILE_WRITE_ATTRIBUTES | windows.SYNCHRONIZE
	}
	create := uint32(windows.OPEN_EXISTING)
	switch {
	case flag&(os.O_CREATE|os.O_EXCL) == os.O_CREATE|os.O_EXCL:
		create = windows.CREATE_NEW
	case flag&os.O_CREATE != 0:
		create = windows.OPEN_ALWAYS
	}
	if flag&os.O_TRUNC != 0 {
		return nil, &os.PathError{Op: "open", Path: name, Err: syscall.EINVAL} // not used by the store
	}
	attrs := uint32(windows.FILE_ATTRIBUTE_NORMAL)
	if perm&0o200 == 0 && flag&os.O_CREATE != 0 {
		attrs = windows.FILE_ATTRIBUTE_READONLY
	}
	h, err := windows.CreateFile(p, access,
		windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, create, attrs, 0) // nil: not inherited by children
	if err != nil {
		if errors.Is(err, windows.ERROR_FILE_EXISTS) {
			err = fs.ErrExist
		} else if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) || errors.Is(err, windows.ERROR_PATH_NOT_FOUND) {
			err = fs.ErrNotExist
		}
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(h), name), nil
}

// canRotate is false on Windows: every Store of every server process holds
// the journal open for as long as it runs (one handle to append, one to
// read), and Windows refuses to replace a file that is open — with
// FILE_SHARE_DELETE too, short of POSIX rename semantics, which Wine does
// not have and CI could not test. So the journal is never rotated there and
// grows by one short line per record write (about 30 bytes); readers read
// it incrementally, so only a full load (Open) pays for its size.
const canRotate = false

// replaceFile renames tmp over dst, retrying while another process has
// dst open: Windows refuses to replace an open file (see canRotate), and
// a record, progress file or log is held open only for one read, so a
// retry soon succeeds. It gives up after replaceWait.
func replaceFile(tmp, dst string) error {
	delay := 100 * time.Microsecond
	deadline := time.Now().Add(replaceWait)
	for {
		err := os.Rename(tmp, dst)
		if err == nil || !(errors.Is(err, windows.ERROR_ACCESS_DENIED) || errors.Is(err, windows.ERROR_SHARING_VIOLATION)) ||
			time.Now().After(deadline) {
			return err
		}
		time.Sleep(delay) // a back-off while a reader finishes, bounded by replaceWait
		delay = min(2*delay, 10*time.Millisecond)
	}
}

// replaceWait bounds replaceFile's retries: far longer than any reader
// holds a record open.
const replaceWait = 2 * time.Second
