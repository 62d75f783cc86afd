package cgroup

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/procfs"
)

const (
	// Prefix starts the name of every cgroup pyexec creates.
	Prefix = "pyexec-"
	// Root is where cgroup file systems are mounted; Validate accepts
	// nothing outside it.
	Root = "/sys/fs/cgroup"
	// KillTimeout bounds how long Kill waits for a cgroup to stop
	// forking and Remove waits for it to empty.
	KillTimeout = 5 * time.Second
)

// ErrInvalid is returned by Validate for a path that is not a pyexec cgroup
// (wrapped with the reason).
var ErrInvalid = errors.New("cgroup: not a pyexec cgroup")

// Owner is the server process that created a cgroup, as its name records it.
type Owner struct {
	PID int
	// StartTime is the owner's start time in clock ticks since boot; 0 in
	// names of the earlier form, which did not record it.
	StartTime uint64
}

// randLen is the length of a name's random part (64 bits in hex).
const randLen = 16

// NewName returns a fresh cgroup name owned by this process:
// "pyexec-<pid>-<start time>-<16 hex digits>".
func NewName() (string, error) {
	var b [randLen / 2]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("cgroup: name: %w", err)
	}
	pid := os.Getpid()
	st, err := procfs.ReadStat(pid)
	if err != nil {
		return "", fmt.Errorf("cgroup: name: the start time of this process: %w", err)
	}
	return Prefix + strconv.Itoa(pid) + "-" + strconv.FormatUint(st.StartTime, 10) + "-" + hex.EncodeToString(b[:]), nil
}

// ParseName returns the owner recorded in a cgroup's base name, and false if
// name is not a pyexec cgroup name.
func ParseName(name string) (Owner, bool) {
	rest, ok := strings.CutPrefix(name, Prefix)
	if !ok {
		return Owner{}, false
	}
	f := strings.Split(rest, "-")
	if len(f) < 2 || len(f) > 3 || !isHex(f[len(f)-1]) {
		return Owner{}, false
	}
	pid, err := strconv.Atoi(f[0])
	if err != nil || pid <= 0 || strconv.Itoa(pid) != f[0] {
		return Owner{}, false
	}
	o := Owner{PID: pid}
	if len(f) == 3 {
		if o.StartTime, err = strconv.ParseUint(f[1], 10, 64); err != nil || o.StartTime == 0 {
			return Owner{}, false
		}
	}
	return o, true
}

func isHex(s string) bool {
	if len(s) != randLen {
		return false
	}
	for i := range len(s) {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
