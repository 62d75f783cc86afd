package envload

import (
	"os"
	"syscall"
)

// kernelFS names the kernel file system f is on, or returns "" for any
// other. fstat calls the files of these file systems regular, but they are
// kernel interfaces. The path rule refuses /proc and /sys; this catches them
// mounted elsewhere (a container's /host/proc) and a symlink swapped after
// it was resolved, since it asks the opened descriptor.
func kernelFS(f *os.File) (string, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return "", err
	}
	var st syscall.Statfs_t
	var serr error
	if err := rc.Control(func(fd uintptr) { serr = syscall.Fstatfs(int(fd), &st) }); err != nil {
		return "", err
	}
	if serr != nil {
		return "", &os.PathError{Op: "fstatfs", Path: f.Name(), Err: serr}
	}
	// statfs(2) f_type values from linux/magic.h. The field's type varies by
	// architecture; the magic numbers are 32 bits.
	switch uint32(st.Type) {
	case 0x9fa0:
		return "procfs", nil
	case 0x62656572:
		return "sysfs", nil
	case 0x27e0eb:
		return "cgroupfs", nil
	case 0x63677270:
		return "cgroup2fs", nil
	case 0x64626720:
		return "debugfs", nil
	case 0x74726163:
		return "tracefs", nil
	case 0x73636673:
		return "securityfs", nil
	}
	return "", nil
}
