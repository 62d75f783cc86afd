//go:build !linux

package jobstore

import (
	"errors"
	"syscall"
)

// Without /proc, start times are unknown (0). Liveness falls back to a
// signal-0 probe, and no process is ever killed by Recover or Kill, because a
// reused pid cannot be told apart.

func readProc(pid int) (procInfo, error) {
	err := syscall.Kill(pid, 0)
	if err == nil || errors.Is(err, syscall.EPERM) {
		return procInfo{state: 'S'}, nil
	}
	return procInfo{}, err
}

func readBootID() string { return "" }

func groupMembers(int) ([]procInfo, error) { return nil, errors.ErrUnsupported }

const procSupported = false
