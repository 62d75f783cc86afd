package jobstore

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
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

// Process identifies the process (group) that runs a job, and what else holds
// its processes (cgroups, a PID namespace), so that any server process can
// later find every process of the job and kill it without hitting an
// unrelated process that reuses the pid.
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
	// Cgroups are the job's own cgroup directories (a sandboxed run with a
	// memory or process limit: sandbox.Box.CgroupDirs), which hold every
	// process of the job, including those that left its process group.
	// Only pyexec run cgroups of the job's owner are ever acted on (see
	// "Killing safely").
	Cgroups []string `json:"cgroups,omitempty"`
	// PIDNamespace means PID is the outside end of a PID namespace of the
	// job's own (sandbox.Box.PIDNamespace): killing it kills the namespace
	// and every process in it.
	PIDNamespace bool `json:"pid_namespace,omitempty"`
}

// Owner identifies the server process that created a job. A pending or
// running job whose owner is dead is failed by Recover.
type Owner struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"start_time"`
	BootID    string `json:"boot_id,omitempty"`
	// Replica names the server replica, for a backend that replicas on
	// several machines share (jobstore/pgstore); empty otherwise.
	Replica string `json:"replica,omitempty"`
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
		p.Cgroups = slices.Clone(p.Cgroups)
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

// newID returns a fresh time-sortable job id: the milliseconds, then 20
// random bits.
func newID(now time.Time) string {
	var r [3]byte
	_, _ = rand.Read(r[:]) // crypto/rand.Read never fails on supported platforms
	return formatID(uint64(now.UnixMilli()), uint32(r[0])<<12|uint32(r[1])<<4|uint32(r[2])>>4)
}

func formatID(ms uint64, low uint32) string {
	return fmt.Sprintf("%011x%05x", ms&(1<<44-1), low&(1<<20-1))
}

// idSeq makes the ids of one process strictly increasing, so that jobs
// created in the same millisecond still list newest first: within a
// millisecond the low bits count up from a random start (other processes
// start elsewhere, and a collision is caught by the hard link in create).
type idSeq struct {
	mu     sync.Mutex
	lastMS uint64
	low    uint32
}

func (q *idSeq) next(now time.Time) string {
	q.mu.Lock()
	defer q.mu.Unlock()
	ms := uint64(now.UnixMilli())
	if ms > q.lastMS || q.low >= 1<<20-1 {
		if ms <= q.lastMS {
			ms = q.lastMS + 1 // 2^20 ids in one millisecond: borrow the next
		}
		var r [2]byte
		_, _ = rand.Read(r[:])
		q.lastMS, q.low = ms, uint32(r[0])<<8|uint32(r[1]) // leaves 2^20-2^16 ids of room
		return formatID(ms, q.low)
	}
	q.low++
	return formatID(q.lastMS, q.low)
}

// processIDs makes NewID's ids.
var processIDs idSeq

// NewID returns a fresh job id of the form ValidID accepts, for a backend
// kept elsewhere (jobstore/pgstore): time first, so that ids sort by
// creation, and strictly increasing within this process. Ids made by
// other processes may collide, rarely: a backend must refuse a duplicate
// and take another.
func NewID() string { return processIDs.next(time.Now()) }

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
