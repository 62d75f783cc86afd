package main

import "syscall"

// freeBytes is the space an unprivileged user may still use on dir's file
// system; 0 if it cannot be read.
func freeBytes(dir string) int64 {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0
	}
	return int64(st.Bavail) * int64(st.Bsize)
}
