package jobstore

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strconv"
	"time"
)

// State is the lifecycle state of a job. The zero value is not a valid state.
type State string

// The job states. A job starts pending, becomes running, and ends in exactly
// one final state; a final state never changes again.
const (
	StatePending   State = "pending"
	StateRunning   State = "running"
	StateCompleted State = "completed"
	StateFailed    State = "failed"
	StateCancelled State = "cancelled"
)

// Final reports whether s is completed, failed or cancelled.
func (s State) Final() bool {
	return s == StateCompleted || s == StateFailed || s == StateCancelled
}

// Valid reports whether s is one of the five job states.
func (s State) Valid() bool {
	return s == StatePending || s == StateRunning || s.Final()
}

// Live reports whether s is pending or running.
func (s State) Live() bool { return s == StatePending || s == StateRunning }

// Progress is a job's last reported progress. Total zero means unknown.
type Progress struct {
	Current float64 `json:"current"`
	Total   float64 `json:"total"`
	Message string  `json:"message"`
}

// Process identifies the process (group) that runs a job, so that any server
// process can later find it and kill it without hitting an unrelated process
// that reuses the pid.
type Process struct {
	// PID is the job's main process, normally also its group leader.
	PID int `json:"pid"`
	// PGID is its process group; 0 means the process has no group of its own
	// and only PID is ever signalled.
	PGID int `json:"pgid"`
	// StartTime is the start time of PID in clock ticks since boot, field 22
	// of /proc/<pid>/stat; 0 means unknown, and then nothing is ever killed.
	StartTime uint64 `json:"start_time"`
	// BootID is the kernel boot id when the process was recorded; a different
	// boot id means the process is gone.
	BootID string `json:"boot_id,omitempty"`
}

// Owner identifies the server process that created a job. A pending or
// running job whose owner is dead is failed by Recover.
type Owner struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
	BootID    string `json:"boot_id,omitempty"`
}

// Job is one job record as stored on disk (one JSON file) and returned by the
// Store. Times are UTC; unset times are omitted from the JSON. A *Job returned
// by the Store is the caller's copy.
type Job struct {
	ID          string          `json:"id"`
	Label       string          `json:"label"`
	Kind        string          `json:"kind"`
	State       State           `json:"state"`
	Progress    Progress        `json:"progress"`
	CreatedAt   time.Time       `json:"created_at"`
	StartedAt   time.Time       `json:"started_at,omitzero"`
	CompletedAt time.Time       `json:"completed_at,omitzero"`
	Result      json.RawMessage `json:"result,omitempty"`
	Error       string          `json:"error,omitempty"`
	ExitCode    *int            `json:"exit_code,omitempty"`
	Process     *Process        `json:"process,omitempty"`
	Owner       Owner           `json:"owner"`
	// Version counts the rewrites of the record file, starting at 1. Progress
	// updates, which go to a side file, do not change it.
	Version uint64 `json:"version"`
}

// Clone returns a deep copy of j.
func (j *Job) Clone() *Job {
	if j == nil {
		return nil
	}
	c := *j
	c.Result = slices.Clone(j.Result)
	if j.ExitCode != nil {
		v := *j.ExitCode
		c.ExitCode = &v
	}
	if j.Process != nil {
		p := *j.Process
		c.Process = &p
	}
	return &c
}

// idLen is the length of a job id: 11 hex digits of Unix milliseconds (good
// until the year 2527) then 5 random hex digits. Ids sort by creation time,
// which gives List its newest-first order for free.
const (
	idLen     = 16
	idTimeLen = 11
)

// newID returns a fresh time-sortable job id.
func newID(now time.Time) string {
	var b [idLen]byte
	ms := strconv.FormatUint(uint64(now.UnixMilli())&(1<<44-1), 16)
	for i := range idTimeLen - len(ms) {
		b[i] = '0'
	}
	copy(b[idTimeLen-len(ms):], ms)
	var r [3]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails on supported platforms
	var h [6]byte
	hex.Encode(h[:], r[:])
	copy(b[idTimeLen:], h[:idLen-idTimeLen])
	return string(b[:])
}

// ValidID reports whether id has the form of an id made by CreateJob. Every
// method validates ids before building a path, so a caller-supplied id cannot
// name a file outside the store.
func ValidID(id string) bool {
	if len(id) != idLen {
		return false
	}
	for i := range len(id) {
		c := id[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func checkID(id string) error {
	if !ValidID(id) {
		return invalidID(id)
	}
	return nil
}

// randHex returns n random bytes as 2n hex digits.
func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
