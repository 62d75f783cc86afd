//go:build !linux

package procfs

import "fmt"

// Without Linux /proc, every function reports ErrUnsupported, naming what
// was asked for.

// ReadStat returns an error wrapping ErrUnsupported here.
func ReadStat(pid int) (Stat, error) {
	return Stat{}, fmt.Errorf("procfs: reading the stat of process %d: %w", pid, ErrUnsupported)
}

// ReadStatus returns an error wrapping ErrUnsupported here.
func ReadStatus(pid int) (Status, error) {
	return Status{}, fmt.Errorf("procfs: reading the status of process %d: %w", pid, ErrUnsupported)
}

// Alive returns an error wrapping ErrUnsupported here: it cannot tell.
func Alive(pid int, _ uint64) (bool, error) {
	return false, fmt.Errorf("procfs: checking process %d: %w", pid, ErrUnsupported)
}

// Group returns an error wrapping ErrUnsupported here.
func Group(pgid int) ([]Stat, error) {
	return nil, fmt.Errorf("procfs: listing process group %d: %w", pgid, ErrUnsupported)
}

// BootID returns an error wrapping ErrUnsupported here.
func BootID() (string, error) {
	return "", fmt.Errorf("procfs: reading the boot id: %w", ErrUnsupported)
}
