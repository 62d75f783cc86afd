package envload

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// MaxFileBytes is the largest env file [ParseFile] and [Build] read: 1 MiB.
// A real .env file is a few kilobytes; the cap keeps a caller-named file
// (a log, a disk image) from costing the server its memory.
const MaxFileBytes = 1 << 20

// openFlags never block and never change the process: O_NONBLOCK makes the
// open of a FIFO with no writer return at once (a blocking open would park
// an OS thread until a writer comes, one per call), O_NOCTTY keeps a
// terminal from becoming the server's controlling terminal, O_CLOEXEC keeps
// the descriptor out of children started meanwhile. On a regular file, the
// only kind that is read, O_NONBLOCK has no effect.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK | syscall.O_CLOEXEC | syscall.O_NOCTTY

// readFile is the one place envload reads a file: every caller-named path
// goes through it. A server reads the files its callers name, so the path
// must lead to a small regular file that is not a kernel interface and not
// the server's own standard input; anything else is refused before a byte
// is read. The checks on the opened descriptor (fstat) are the ones that
// hold whatever happens to the path meanwhile; the checks on the path come
// first because they catch what fstat cannot (a /proc file is "regular")
// and refuse a device without opening it (opening some devices acts).
func readFile(path string) ([]byte, error) {
	resolved, err := resolve(path)
	if err != nil {
		return nil, err
	}
	return readResolved(path, resolved)
}

// readResolved opens resolved (path as the caller wrote it, for messages)
// and checks and reads the opened file. What the path checks saw may have
// changed since: a regular file swapped for a FIFO or device, or a symlink
// redirected into /proc. The descriptor is what gets read.
func readResolved(path, resolved string) ([]byte, error) {
	f, err := os.OpenFile(resolved, openFlags, 0)
	if err != nil {
		return nil, openError(path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, openError(path, err)
	}
	if err := checkOpened(path, f, fi); err != nil {
		return nil, err
	}
	// Read one byte more than the cap: a file that grows between the fstat
	// and the read is caught too.
	src, err := io.ReadAll(io.LimitReader(f, MaxFileBytes+1))
	if err != nil {
		return nil, openError(path, err)
	}
	if len(src) > MaxFileBytes {
		return nil, tooLarge(path, -1)
	}
	return src, nil
}

// maxLinks bounds the symlinks resolve follows, as the kernel's ELOOP does
// (40 on Linux; 255 is filepath.EvalSymlinks's bound).
const maxLinks = 255

// resolve refuses a path that names, or through symlinks passes through, a
// kernel directory, or that leads to something other than a regular file,
// and returns the resolved path to open. Opening that rather than path
// narrows the window in which a symlink can be swapped; the checks on the
// opened descriptor close it.
//
// It resolves symlinks itself, as filepath.EvalSymlinks does, but checks
// every place it visits, not only the end: /proc/self/fd/0 is a "magic"
// link whose text ("pipe:[123]", "/tmp/x (deleted)") does not resolve, so
// EvalSymlinks of a link to it reports a missing file, or a regular file
// the server holds open but was deleted, while open(2) would follow it into
// the server itself.
func resolve(path string) (string, error) {
	// Not filepath.Abs: it cleans, and "link/.." is not "." when link is a
	// symlink to a directory. The walk below resolves ".." as open(2) does.
	abs := path
	if path == "" { // as open(2): no file, not the working directory
		return "", openError(path, &fs.PathError{Op: "open", Path: path, Err: syscall.ENOENT})
	}
	// On Windows "C:/a/.env" and "C:\a\.env" are one path: the walk
	// below splits on the separator, so slashes become backslashes first
	// (a no-op elsewhere).
	abs = filepath.FromSlash(abs)
	switch {
	case filepath.IsAbs(abs):
	case filepath.VolumeName(abs) != "":
		// "C:.env", relative to drive C's working directory (Windows).
		a, err := filepath.Abs(abs)
		if err != nil {
			return "", openError(path, err)
		}
		abs = a
	default:
		wd, err := os.Getwd()
		if err != nil {
			return "", openError(path, err)
		}
		abs = wd + string(filepath.Separator) + abs
	}
	if dir := kernelDir(abs); dir != "" { // as written, cleaned
		return "", underKernelDir(path, dir)
	}
	if dev := windowsDevice(abs); dev != "" {
		return "", namesDevice(path, dev)
	}
	vol := filepath.VolumeName(abs)
	resolved := vol + string(filepath.Separator)
	todo := abs[len(vol):]
	links := 0
	for todo != "" {
		var name string
		name, todo, _ = strings.Cut(strings.TrimLeft(todo, string(filepath.Separator)), string(filepath.Separator))
		switch name {
		case "", ".":
			continue
		case "..":
			resolved = filepath.Dir(resolved)
			continue
		}
		next := filepath.Join(resolved, name)
		if dir := kernelDir(next); dir != "" {
			return "", underKernelDir(path, dir)
		}
		if dev := windowsDevice(next); dev != "" {
			return "", namesDevice(path, dev)
		}
		fi, err := os.Lstat(next)
		if err != nil {
			return "", openError(path, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			resolved = next
			if todo == "" && !fi.Mode().IsRegular() {
				return "", notRegular(path, fi.Mode()) // not even opened: opening a device can act
			}
			continue
		}
		if links++; links > maxLinks {
			return "", openError(path, &fs.PathError{Op: "resolve", Path: path, Err: syscall.ELOOP})
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", openError(path, err)
		}
		if filepath.IsAbs(target) {
			vol = filepath.VolumeName(target)
			resolved = vol + string(filepath.Separator)
			target = target[len(vol):]
		}
		todo = target + string(filepath.Separator) + todo
	}
	return resolved, nil
}

// kernelDir returns the kernel directory that the absolute path abs is in
// (or is), or "". These hold kernel interfaces that look like files: devices,
// and "regular files" (/proc/self/environ, /proc/self/fd/0 onto a regular
// stdin, /sys/...) that report size 0 and are not configuration; reading
// them leaks the server's state or steals its input.
func kernelDir(abs string) string {
	abs = filepath.Clean(abs)
	for _, dir := range []string{"/proc", "/dev", "/sys"} {
		if abs == dir || strings.HasPrefix(abs, dir+string(filepath.Separator)) {
			return dir
		}
	}
	return ""
}

// checkOpened applies the rules to the opened file itself, so a path that
// changes after the checks above cannot slip something else in.
func checkOpened(path string, f *os.File, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return notRegular(path, fi.Mode())
	}
	if stdin, err := os.Stdin.Stat(); err == nil && os.SameFile(fi, stdin) {
		// The server's stdin may be its MCP transport; a call never reads it.
		return newError(ErrFileNotRegular, nil,
			fmt.Sprintf("env file %q is the server's own standard input; give a .env file", path))
	}
	name, err := kernelFS(f)
	if err != nil {
		return openError(path, err)
	}
	if name != "" {
		return newError(ErrFileNotRegular, nil,
			fmt.Sprintf("env file %q is on %s, a kernel interface, not a regular file; give a .env file", path, name))
	}
	if fi.Size() > MaxFileBytes {
		return tooLarge(path, fi.Size())
	}
	return nil
}

func namesDevice(path, dev string) error {
	return newError(ErrFileNotRegular, nil,
		fmt.Sprintf("env file %q names %s, not a regular file; give a .env file", path, dev))
}

func notRegular(path string, m fs.FileMode) error {
	return newError(ErrFileNotRegular, nil,
		fmt.Sprintf("env file %q is %s, not a regular file; give a .env file", path, kindOf(m)))
}

func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeDir != 0:
		return "a directory"
	case m&fs.ModeNamedPipe != 0:
		return "a FIFO (named pipe)"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	default:
		return "a special file"
	}
}

func underKernelDir(path, dir string) error {
	return newError(ErrFileNotRegular, nil,
		fmt.Sprintf("env file %q is under %s, which holds kernel interfaces, not regular files; give a .env file", path, dir))
}

// tooLarge reports a file over MaxFileBytes; size < 0 means it grew past the
// cap while being read, so only "more than" is known.
func tooLarge(path string, size int64) error {
	is := fmt.Sprintf("more than %s", mib(MaxFileBytes))
	if size >= 0 {
		is = fmt.Sprintf("%s (%d bytes)", mib(size), size)
	}
	return newError(ErrFileTooLarge, nil,
		fmt.Sprintf("env file %q is %s; env files are limited to %s", path, is, mib(MaxFileBytes)))
}

// mib formats n bytes as "1 MiB" or "3.2 MiB".
func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// openError maps a failure to find, open, stat or read path to
// ErrFileNotFound or ErrFileUnreadable, keeping the cause.
func openError(path string, err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return newError(ErrFileNotFound, err,
			fmt.Sprintf("env file %q does not exist; check the path, or give no env file", path))
	}
	return newError(ErrFileUnreadable, err,
		fmt.Sprintf("env file %q cannot be read: %v; it must be a readable regular file", path, unwrapPathError(err)))
}

// unwrapPathError drops the "open /path:" prefix that the message already has.
func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
