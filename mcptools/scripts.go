package mcptools

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/internal/autosave"
)

// RedactedValue replaces the value of every env_vars entry in an autosaved
// parameters sidecar: variables often carry secrets (API keys, tokens).
const RedactedValue = "[redacted]"

// scripts serves py_list_scripts and py_view_script: the saved-scripts
// directory (read-only for the tools) and the autosaved inline scripts.
type scripts struct {
	dir  string
	auto *autosave.Store
	log  *slog.Logger
}

// newScripts creates the saved-scripts directory, so that a user sees
// where to put scripts, and opens the autosave store.
func newScripts(cfg *config) (*scripts, error) {
	if err := os.MkdirAll(cfg.scriptsDir, 0o700); err != nil {
		return nil, fmt.Errorf("scripts directory: %w", err)
	}
	auto, err := autosave.New(&autosave.Options{Dir: cfg.autosaveDir, Keep: cfg.autosaveKeep})
	if err != nil {
		return nil, err
	}
	return &scripts{dir: cfg.scriptsDir, auto: auto, log: cfg.log}, nil
}

// autosave stores inline code and the call's parameters (env_vars values
// redacted by the caller) and returns the script's name; "" when
// autosaving is disabled or fails (a failure is logged: it never fails the
// run).
func (s *scripts) autosave(tool string, code string, params any) string {
	name, err := s.auto.Save(tool, code, params)
	if err != nil {
		s.log.Warn("mcptools: autosaving the inline script failed", "tool", tool, "err", err)
	}
	return name
}

func (s *scripts) list(includeAutosaved bool) (*ListScriptsResult, error) {
	out := &ListScriptsResult{Scripts: []ScriptInfo{}, ScriptsDir: s.dir}
	saved, err := autosave.ListSaved(s.dir)
	if err != nil {
		return nil, err
	}
	for _, in := range saved {
		out.Scripts = append(out.Scripts, ScriptInfo{Name: in.Name, SizeBytes: in.Size, ModifiedAt: in.ModTime})
	}
	if !includeAutosaved {
		return out, nil
	}
	auto, err := s.auto.List()
	if err != nil {
		return nil, err
	}
	for _, in := range auto {
		out.Scripts = append(out.Scripts, ScriptInfo{Name: in.Name, Autosaved: true, SizeBytes: in.Size, ModifiedAt: in.ModTime})
	}
	return out, nil
}

func (s *scripts) view(name string, autosaved bool) (*ViewScriptResult, error) {
	var (
		sc  *autosave.Script
		err error
	)
	if autosaved {
		sc, err = s.auto.Read(name)
	} else {
		sc, err = autosave.ReadSaved(s.dir, name)
	}
	var ne *autosave.NameError
	switch {
	case errors.As(err, &ne):
		return nil, argError("script_name", "%q %s; give a plain file name as py_list_scripts shows it (scripts cannot be read from other directories)", ne.Name, ne.Reason)
	case errors.Is(err, autosave.ErrNotFound):
		where := "saved scripts"
		if autosaved {
			where = "autosaved scripts"
		}
		return nil, argError("script_name", "%q is not among the %s; py_list_scripts (include_autosaved=%t) lists them", name, where, autosaved)
	case err != nil:
		return nil, err
	}
	return &ViewScriptResult{Name: sc.Name, Autosaved: autosaved, Content: sc.Content, Params: sc.Params}, nil
}

func (t *Toolset) scriptDefs() []toolDef {
	return []toolDef{
		def(GroupScripts, &mcp.Tool{
			Name:        "py_list_scripts",
			Title:       "List saved Python scripts",
			Description: "List the saved scripts and, with include_autosaved, the autosaved script_content of earlier runs.",
			Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: ptr(false)},
		}, func(ctx context.Context, req *mcp.CallToolRequest, in ListScriptsArgs) (*mcp.CallToolResult, *ListScriptsResult, error) {
			out, err := t.scripts.list(in.IncludeAutosaved)
			if err != nil {
				return nil, nil, err
			}
			return textResult(markdownScripts(out)), out, nil
		}),
		def(GroupScripts, &mcp.Tool{
			Name:        "py_view_script",
			Title:       "View a saved Python script",
			Description: "Show a saved script, or an autosaved one with its call's parameters (env_vars redacted).",
			Annotations: &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: ptr(false)},
		}, func(ctx context.Context, req *mcp.CallToolRequest, in ViewScriptArgs) (*mcp.CallToolResult, *ViewScriptResult, error) {
			out, err := t.scripts.view(in.ScriptName, in.Autosaved)
			if err != nil {
				return nil, nil, err
			}
			return textResult(markdownViewScript(out)), out, nil
		}),
	}
}

func ptr[T any](v T) *T { return &v }
