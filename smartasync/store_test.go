package smartasync_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"sync"

	"github.com/pyexec-mcp/pyexec/smartasync"
)

// memStore is an in-memory smartasync.Store for tests and examples. The real
// one is *jobstore.Store.
type memStore struct {
	mu   sync.Mutex
	next int
	jobs map[string]*record
	// Errors to return from the corresponding methods (nil = succeed).
	failCreate, failRunning, failProgress, failFinish, failDiscard error
	discarded                                                      int
}

// record is one job as memStore keeps it.
type record struct {
	Kind, Label    string
	State          jobstore.State
	Current, Total float64
	Message        string
	ProgressWrites int
	Result         json.RawMessage
	Err            string
	Finishes       int
}

var _ smartasync.Store = (*memStore)(nil)

var errUnknownJob = errors.New("memstore: unknown job")

func newMemStore() *memStore { return &memStore{jobs: make(map[string]*record)} }

func (s *memStore) CreateJob(_ context.Context, kind, label string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failCreate != nil {
		return "", s.failCreate
	}
	s.next++
	id := fmt.Sprintf("job-%d", s.next)
	s.jobs[id] = &record{Kind: kind, Label: label, State: jobstore.StatePending}
	return id, nil
}

func (s *memStore) update(id string, fail error, f func(*record)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if fail != nil {
		return fail
	}
	rec, ok := s.jobs[id]
	if !ok {
		return fmt.Errorf("%w %q", errUnknownJob, id)
	}
	f(rec)
	return nil
}

func (s *memStore) SetRunning(_ context.Context, id string) error {
	return s.update(id, s.failRunning, func(r *record) { r.State = jobstore.StateRunning })
}

func (s *memStore) SetProgress(_ context.Context, id string, current, total float64, message string) error {
	return s.update(id, s.failProgress, func(r *record) {
		r.Current, r.Total, r.Message = current, total, message
		r.ProgressWrites++
	})
}

func (s *memStore) FinishJob(_ context.Context, id string, state jobstore.State, result json.RawMessage, errMsg string) error {
	return s.update(id, s.failFinish, func(r *record) {
		r.State, r.Result, r.Err = state, result, errMsg
		r.Finishes++
	})
}

func (s *memStore) DiscardJob(_ context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failDiscard != nil {
		return s.failDiscard
	}
	if _, ok := s.jobs[id]; !ok {
		return fmt.Errorf("%w %q", errUnknownJob, id)
	}
	delete(s.jobs, id)
	s.discarded++
	return nil
}

// get returns a copy of the record id.
func (s *memStore) get(id string) (record, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rec, ok := s.jobs[id]
	if !ok {
		return record{}, false
	}
	return *rec, true
}

// len returns how many records exist.
func (s *memStore) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.jobs)
}

// ids returns the ids of the records.
func (s *memStore) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.jobs))
	for id := range s.jobs {
		ids = append(ids, id)
	}
	return ids
}
