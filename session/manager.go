package session

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/pyexec-mcp/pyexec/sandbox"
)

// maxIDLen bounds session ids.
const maxIDLen = 128

// Manager runs named sessions, each with its own kernel process. It is safe
// for concurrent use: calls on different sessions run in parallel, calls on
// one session run one at a time in arrival order of their turn (a waiting
// call honours its context). The caller must call Close.
type Manager struct {
	cfg *config

	// ctx is the Manager's lifetime; Close cancels it, which aborts uv runs
	// and kernel starts in progress and stops the reaper.
	ctx    context.Context
	cancel context.CancelFunc
	reaper sync.WaitGroup
	ops    sync.WaitGroup // calls holding a session

	mu       sync.Mutex
	sessions map[string]*session
	closed   bool
}

// NewManager validates opts, creates the workspace and data directories and
// starts the idle reaper. nil opts is invalid (Python is required).
func NewManager(opts *Options) (*Manager, error) {
	cfg, err := resolve(opts)
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, sessions: map[string]*session{}}
	m.ctx, m.cancel = context.WithCancel(context.Background())
	if cfg.IdleTimeout > 0 {
		m.reaper.Add(1)
		go m.reap()
	}
	return m, nil
}

// WorkspaceDir returns the absolute workspace directory, the kernels'
// working directory.
func (m *Manager) WorkspaceDir() string { return m.cfg.WorkspaceDir }

// Python returns the absolute path of the base interpreter.
func (m *Manager) Python() string { return m.cfg.Python }

// Sandbox returns a copy of the policy every kernel runs under, as
// Options.Sandbox gave it plus, under ReadOnlyFS, the workspace in
// WritableDirs; nil when kernels run unconfined. A tool layer compares it
// with its own runs' policy.
func (m *Manager) Sandbox() *sandbox.Policy {
	k := m.cfg.kernelPolicy
	if k == nil {
		return nil
	}
	p := *k
	p.WritableDirs = append([]string(nil), k.WritableDirs...)
	if k.EnvAllowList != nil {
		p.EnvAllowList = append([]string{}, k.EnvAllowList...)
	}
	return &p
}

// CheckID returns an error wrapping ErrInvalidSessionID, saying why, if a
// Manager would refuse id as a session id ("" is DefaultSessionID): for a
// caller that records the name elsewhere first (mcptools, in a job store
// that replicas share).
func CheckID(id string) error {
	_, err := normID(id)
	return err
}

func normID(id string) (string, error) {
	if id == "" {
		return DefaultSessionID, nil
	}
	if len(id) > maxIDLen {
		return "", fmt.Errorf("%w: %d bytes, the limit is %d", ErrInvalidSessionID, len(id), maxIDLen)
	}
	for _, r := range id {
		if unicode.IsControl(r) || r == unicode.ReplacementChar {
			return "", fmt.Errorf("%w: %q holds a control character or invalid UTF-8", ErrInvalidSessionID, id)
		}
	}
	return id, nil
}

// acquire returns session id, created if create is set, once the caller has
// its turn. The caller must release it.
func (m *Manager) acquire(ctx context.Context, id string, create bool) (*session, error) {
	for {
		m.mu.Lock()
		if m.closed {
			m.mu.Unlock()
			return nil, ErrClosed
		}
		s := m.sessions[id]
		if s == nil {
			if !create {
				names := m.namesLocked()
				m.mu.Unlock()
				return nil, fmt.Errorf("%w: %q; live sessions: %s", ErrUnknownSession, id, names)
			}
			if len(m.sessions) >= m.cfg.MaxSessions {
				names := m.namesLocked()
				m.mu.Unlock()
				return nil, fmt.Errorf("%w: the limit is %d; remove or reset one of: %s", ErrTooManySessions, m.cfg.MaxSessions, names)
			}
			now := time.Now()
			s = &session{id: id, m: m, turn: make(chan struct{}, 1), created: now, lastUsed: now}
			m.sessions[id] = s
		}
		m.ops.Add(1)
		m.mu.Unlock()

		select {
		case s.turn <- struct{}{}:
		case <-ctx.Done():
			m.ops.Done()
			return nil, fmt.Errorf("%w while waiting for session %q (a call is running in it): %w", ErrCancelled, id, context.Cause(ctx))
		case <-m.ctx.Done():
			m.ops.Done()
			return nil, ErrClosed
		}
		m.mu.Lock()
		if s.removed || m.closed { // reaped or removed while we waited
			closed := m.closed
			m.mu.Unlock()
			<-s.turn
			m.ops.Done()
			if closed {
				return nil, ErrClosed
			}
			continue
		}
		s.busy, s.lastUsed = true, time.Now()
		m.mu.Unlock()
		return s, nil
	}
}

func (m *Manager) release(s *session) {
	m.mu.Lock()
	s.busy, s.lastUsed = false, time.Now()
	m.mu.Unlock()
	<-s.turn
	m.ops.Done()
}

func (m *Manager) namesLocked() string {
	if len(m.sessions) == 0 {
		return "(none)"
	}
	names := make([]string, 0, len(m.sessions))
	for id := range m.sessions {
		names = append(names, fmt.Sprintf("%q", id))
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Run runs code as one cell of session sessionID ("" means
// DefaultSessionID), creating the session and starting its kernel if
// needed; opts (nil: the zero CellOptions) sets its timeout and live
// writers. At the timeout, or when ctx ends, the cell is interrupted with
// KeyboardInterrupt and the session keeps its state; a cell that does not
// stop within Options.Grace gets its kernel killed, and the result says the
// state was lost. The cell, its outputs included, is added to the session's
// History.
//
// The user code's failures are in the result. Run returns an error when
// the cell could not run (ErrKernelStart, ErrInstall for StartupPackages,
// ErrTooManySessions, ErrInvalidSessionID, ErrClosed), and ErrCancelled
// together with the partial result when ctx ended during the cell.
func (m *Manager) Run(ctx context.Context, sessionID, code string, opts *CellOptions) (*CellResult, error) {
	id, err := normID(sessionID)
	if err != nil {
		return nil, err
	}
	if opts == nil {
		opts = &CellOptions{}
	}
	s, err := m.acquire(ctx, id, true)
	if err != nil {
		return nil, err
	}
	defer m.release(s)
	return s.execute(ctx, code, opts)
}

// Execute is Run with only a timeout (0: none but ctx), as it was before
// CellOptions.
func (m *Manager) Execute(ctx context.Context, sessionID, code string, timeout time.Duration) (*CellResult, error) {
	return m.Run(ctx, sessionID, code, &CellOptions{Timeout: timeout})
}

// History returns the cells session sessionID ("" means DefaultSessionID)
// ran, oldest first, with their outputs, for export as a notebook: at most
// Options.MaxHistory cells and Options.MaxHistoryBytes of code and outputs,
// the latest (HistoryCell.Seq tells whether older ones were forgotten).
// Reset and Remove forget a session's history; Install adds nothing to it.
// It does not wait for a running cell, which appears once it has ended.
// The result is the caller's. An id that names no live session is
// ErrUnknownSession.
func (m *Manager) History(sessionID string) ([]HistoryCell, error) {
	id, err := normID(sessionID)
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, ErrClosed
	}
	s := m.sessions[id]
	if s == nil {
		return nil, fmt.Errorf("%w: %q; live sessions: %s", ErrUnknownSession, id, m.namesLocked())
	}
	return s.hist.snapshot(), nil
}

// Install installs requirements (PEP 508 strings, as pip takes them) into
// session sessionID's virtual environment with `uv pip install`, creating
// the session and the environment if needed, and makes them importable in
// the running kernel at once, without a restart. Modules the session has
// already imported keep their loaded version until Reset.
func (m *Manager) Install(ctx context.Context, sessionID string, reqs []string) (*InstallResult, error) {
	id, err := normID(sessionID)
	if err != nil {
		return nil, err
	}
	if len(reqs) == 0 {
		return nil, fmt.Errorf("%w: no requirement given", ErrInvalidRequirement)
	}
	if err := validateRequirements(reqs); err != nil {
		return nil, err
	}
	if m.cfg.UV == "" {
		return nil, ErrUVNotFound
	}
	s, err := m.acquire(ctx, id, true)
	if err != nil {
		return nil, err
	}
	defer m.release(s)
	return s.install(ctx, reqs)
}

// Reset discards session id's state and history: its kernel is stopped and
// the next call starts a fresh one. Packages installed into the session's virtual
// environment stay (they are environment, not state; Remove drops them).
func (m *Manager) Reset(ctx context.Context, id string) error {
	id, err := normID(id)
	if err != nil {
		return err
	}
	s, err := m.acquire(ctx, id, false)
	if err != nil {
		return err
	}
	defer m.release(s)
	s.stopKernel()
	m.mu.Lock()
	s.hist = history{}
	m.mu.Unlock()
	return nil
}

// Remove ends session id: its kernel is stopped and its virtual
// environment deleted, and its id (and slot under MaxSessions) is free.
func (m *Manager) Remove(ctx context.Context, id string) error {
	id, err := normID(id)
	if err != nil {
		return err
	}
	s, err := m.acquire(ctx, id, false)
	if err != nil {
		return err
	}
	defer m.release(s)
	m.mu.Lock()
	s.removed = true
	delete(m.sessions, id)
	m.mu.Unlock()
	s.stopKernel()
	s.removeDir()
	return nil
}

// List describes the live sessions, sorted by id.
func (m *Manager) List() []Info {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Info, 0, len(m.sessions))
	for _, s := range m.sessions {
		out = append(out, s.infoLocked())
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// reap ends sessions idle for longer than IdleTimeout until Close.
func (m *Manager) reap() {
	defer m.reaper.Done()
	every := min(max(m.cfg.IdleTimeout/4, 10*time.Millisecond), time.Minute)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-m.ctx.Done():
			return
		case now := <-t.C:
			m.reapIdle(now)
		}
	}
}

func (m *Manager) reapIdle(now time.Time) {
	var idle []*session
	m.mu.Lock()
	for id, s := range m.sessions {
		if s.busy || now.Sub(s.lastUsed) < m.cfg.IdleTimeout {
			continue
		}
		select {
		case s.turn <- struct{}{}: // nobody holds or waits for it
			s.removed = true
			delete(m.sessions, id)
			idle = append(idle, s)
		default:
		}
	}
	m.mu.Unlock()
	for _, s := range idle {
		s.stopKernel()
		s.removeDir()
		<-s.turn
	}
}

// Close stops every kernel (a running cell is killed), aborts installs in
// progress, waits for the calls in flight to return (with ErrClosed) and
// removes the sessions' environments, and the data directory if NewManager
// created it. It is idempotent.
func (m *Manager) Close() error {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return nil
	}
	m.closed = true
	all := make([]*session, 0, len(m.sessions))
	for _, s := range m.sessions {
		all = append(all, s)
	}
	m.sessions = map[string]*session{}
	m.mu.Unlock()

	m.cancel()
	var wg sync.WaitGroup
	for _, s := range all {
		if k := s.currentKernel(); k != nil {
			wg.Add(1)
			go func() { defer wg.Done(); _ = k.Close() }()
		}
	}
	wg.Wait()
	m.ops.Wait()
	m.reaper.Wait()
	for _, s := range all {
		s.stopKernel() // one started by a call that lost the race with Close
		s.removeDir()
	}
	if m.cfg.ownDataDir {
		if err := os.RemoveAll(m.cfg.DataDir); err != nil {
			return fmt.Errorf("session: removing %s: %w", m.cfg.DataDir, err)
		}
	}
	return nil
}
