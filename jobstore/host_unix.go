//go:build unix

package jobstore

import "syscall"

// ownGroup is this process's group, which a record must never make Kill
// signal.
func ownGroup() int { return syscall.Getpgrp() }
