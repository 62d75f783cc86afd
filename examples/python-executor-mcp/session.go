package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"

	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/mcptools"
	"github.com/pyexec-mcp/pyexec/session"
	"github.com/pyexec-mcp/pyexec/workspace"
)

// addSessionTools configures the session and workspace groups (stateful
// Python sessions and the workspace files) unless the group selection
// leaves them out. The session manager and the workspace are closed after
// the Toolset (server.closers), so running work is cancelled first.
func addSessionTools(ctx context.Context, cfg *config, opts *mcptools.Options, s *server) error {
	wantSession := cfg.groups == nil || slices.Contains(cfg.groups, mcptools.GroupSession)
	wantWorkspace := cfg.groups == nil || slices.Contains(cfg.groups, mcptools.GroupWorkspace)
	if !wantSession && !wantWorkspace {
		return nil
	}
	dataDir := cfg.dataDir
	if dataDir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return err
		}
		dataDir = filepath.Join(home, jobstore.DefaultDirName)
	}
	// Not ./workspace: a client starts a stdio server in a directory of its
	// choosing (often / or the client's own), so the default lives with the
	// rest of the data.
	dir := cfg.workspace
	if dir == "" {
		dir = filepath.Join(dataDir, "workspace")
	}
	if wantSession {
		python := cfg.python
		if python == "" {
			python = pyfind.DefaultName
		}
		so := &session.Options{
			Python:          python,
			UV:              cfg.uv,
			WorkspaceDir:    dir,
			DataDir:         filepath.Join(dataDir, "sessions"),
			MaxSessions:     cfg.maxSessions,
			StartupPackages: cfg.sessionPackages,
			// The server's sandbox holds for kernels and their installs as
			// for runs (mcptools.New refuses anything looser).
			AllowDirectReferences: cfg.allowDirectRefs,
			AllowSourceBuilds:     cfg.allowBuilds,
		}
		if cfg.sandbox.Enabled() {
			p := cfg.sandbox
			so.Sandbox = &p
		}
		m, err := session.NewManager(so)
		if err != nil {
			return err
		}
		opts.Sessions = m
		s.closers = append(s.closers, m.Close)
	}
	if wantWorkspace {
		ws, err := workspace.Open(dir, nil)
		if err != nil {
			return err // the caller closes s.closers
		}
		opts.Workspace = ws
		s.closers = append(s.closers, ws.Close)
	}
	return nil
}
