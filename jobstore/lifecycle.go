package jobstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// CreateJob creates a pending job of the given kind (the tool or function
// that runs it) and label, owned by this process, and returns its id.
func (s *Store) CreateJob(ctx context.Context, kind, label string) (string, error) {
	if err := s.writable("CreateJob"); err != nil {
		return "", err
	}
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := s.begin(); err != nil {
		return "", err
	}
	id, err := s.create(ctx, kind, label)
	s.end()
	if err != nil {
		return "", err
	}
	s.enforceCap(ctx)
	return id, nil
}

func (s *Store) create(ctx context.Context, kind, label string) (string, error) {
	const attempts = 16 // collisions need the same millisecond and 20 random bits
	for range attempts {
		now := time.Now().UTC()
		j := &Job{ID: s.ids.next(now), Kind: kind, Label: label, State: StatePending, CreatedAt: now, Owner: s.self}
		st := s.stripes[stripeOf(j.ID)]
		if err := st.lock(ctx); err != nil {
			return "", err
		}
		err := s.writeRecord(j, false, true) // not durable: see "Crash safety"
		if err == nil {
			s.committed(j)
		}
		st.unlock()
		if !errors.Is(err, errIDTaken) {
			return j.ID, err
		}
	}
	return "", fmt.Errorf("jobstore: could not allocate a job id in %d attempts", attempts)
}

// Get returns the current record of job id, read from disk, so it reflects
// every update completed by any process.
func (s *Store) Get(ctx context.Context, id string) (*Job, error) {
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := s.begin(); err != nil {
		return nil, err
	}
	defer s.end()
	s.pub.RLock() // a version on disk is in the index too (Store.pub)
	defer s.pub.RUnlock()
	return s.readRecord(id)
}

// Update applies fn to job id under its cross-process lock and writes the
// result durably: a locked read-modify-write in which no concurrent update,
// from any process, is lost. fn must not keep j; if it returns an error,
// nothing is written and Update returns that error. The id and version
// cannot be changed, and the state must remain valid. Update returns the new record.
func (s *Store) Update(ctx context.Context, id string, fn func(j *Job) error) (*Job, error) {
	if err := s.writable("Update"); err != nil {
		return nil, err
	}
	return s.mutate(ctx, id, true, fn)
}

// SetRunning marks job id running and records its start time. It is a no-op
// for a job already running and returns ErrFinished for a finished one.
func (s *Store) SetRunning(ctx context.Context, id string) error {
	if err := s.writable("SetRunning"); err != nil {
		return err
	}
	_, err := s.mutate(ctx, id, false, func(j *Job) error { // not durable: see "Crash safety"
		switch {
		case j.State.Final():
			return finished(id, j.State)
		case j.State == StateRunning:
			return errNoChange
		}
		j.State = StateRunning
		j.StartedAt = time.Now().UTC()
		return nil
	})
	return err
}

// SetProgress records the progress of job id. It appends one line to the
// job's progress file instead of rewriting the record, and does not fsync
// (see the package documentation), which keeps it far below a millisecond.
// It returns ErrFinished for a finished job.
func (s *Store) SetProgress(ctx context.Context, id string, current, total float64, message string) error {
	if err := s.writable("SetProgress"); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	st := s.stripes[stripeOf(id)]
	if err := st.lock(ctx); err != nil {
		return err
	}
	defer st.unlock()
	j, err := s.readRecordFile(id)
	if err != nil {
		return err
	}
	if j.State.Final() {
		return finished(id, j.State)
	}
	j.Progress = Progress{Current: current, Total: total, Message: message}
	if err := s.appendProgress(j); err != nil {
		return err
	}
	s.committed(j)
	return nil
}

// FinishJob moves job id to the final state ("completed", "failed" or
// "cancelled"; the State constants converted to string), with its result
// (JSON; may be nil) and error message, and sets its completion time. A job
// already in a final state is left unchanged and ErrFinished is returned, so
// the first of two racing finishers (say, a cancel and the job's own end)
// wins. All output should be appended to the logs before FinishJob, so that
// ReadLog can report the end of a finished job's logs.
func (s *Store) FinishJob(ctx context.Context, id string, st State, result json.RawMessage, errMsg string) error {
	if err := s.writable("FinishJob"); err != nil {
		return err
	}
	if !st.Final() {
		return invalidState(string(st))
	}
	if len(result) > 0 && !json.Valid(result) {
		return fmt.Errorf("jobstore: result of job %s is not valid JSON", id)
	}
	_, err := s.mutate(ctx, id, true, func(j *Job) error {
		if j.State.Final() {
			return finished(id, j.State)
		}
		j.State = st
		j.CompletedAt = time.Now().UTC()
		j.Result = result
		j.Error = errMsg
		return nil
	})
	return err
}

// SetProcess records p as the process that runs job id: its pid, its process
// group (PGID; 0 if it has none of its own), and what else holds the job's
// processes (Cgroups, PIDNamespace). The start time is p.StartTime, or, when
// that is 0, read from /proc now; the boot id is the kernel's. Call it after
// the process is started and before it is waited for, so that the pid cannot
// have been reused.
//
// For a job already finished — cancelled by another process while this one
// started it — SetProcess records nothing and returns ErrFinished: the caller
// must then stop the process itself, as nobody else will.
func (s *Store) SetProcess(ctx context.Context, id string, p Process) error {
	if err := s.writable("SetProcess"); err != nil {
		return err
	}
	p, err := s.host.Complete(p)
	if err != nil {
		return err
	}
	_, err = s.mutate(ctx, id, false, func(j *Job) error {
		if j.State.Final() {
			return finished(id, j.State)
		}
		j.Process = &p
		return nil
	})
	return err
}

// SetExitCode records the exit code of job id's process. It is accepted in
// any state, because the process may be reaped after another process has
// already cancelled the job.
func (s *Store) SetExitCode(ctx context.Context, id string, code int) error {
	if err := s.writable("SetExitCode"); err != nil {
		return err
	}
	_, err := s.mutate(ctx, id, true, func(j *Job) error {
		j.ExitCode = &code
		return nil
	})
	return err
}

// DiscardJob deletes job id's record and logs, whatever its state. It is for
// a job whose caller got the result directly, such as a smart-async call that
// finished within its budget.
func (s *Store) DiscardJob(ctx context.Context, id string) error {
	if err := s.writable("DiscardJob"); err != nil {
		return err
	}
	if err := checkID(id); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := s.begin(); err != nil {
		return err
	}
	defer s.end()
	ok, err := s.removeIf(ctx, id, func(*Job) bool { return true })
	if err == nil && !ok {
		err = notFound(id)
	}
	return err
}

// removeIf removes job id and its logs if remove(record) is true, under the
// job's lock. The side files go first: a crash in between leaves a record
// without logs, never logs without a record.
func (s *Store) removeIf(ctx context.Context, id string, remove func(*Job) bool) (bool, error) {
	st := s.stripes[stripeOf(id)]
	if err := st.lock(ctx); err != nil {
		return false, err
	}
	defer st.unlock()
	j, err := s.readRecord(id)
	if errors.Is(err, ErrNotFound) {
		s.mu.Lock()
		s.idx.del(id)
		s.mu.Unlock()
		return false, nil
	}
	if err == nil && !remove(j) {
		return false, nil
	}
	// A corrupt record (err != nil here) is removed too: it can never be read.
	for _, p := range []string{s.logPath(id, Stdout), s.logPath(id, Stderr), s.progressPath(id), s.recordPath(id)} {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return false, fmt.Errorf("jobstore: removing job %s: %w", id, err)
		}
	}
	s.removed(id)
	return true, nil
}
