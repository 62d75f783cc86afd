package mcptools

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// RedactedValue replaces the value of every env_vars entry in an autosaved
// parameters sidecar: variables often carry secrets (API keys, tokens).
const RedactedValue = "[redacted]"

// maxScriptName bounds a script name (a file name on every common system).
const maxScriptName = 255

// maxViewBytes bounds the script content py_view_script returns.
const maxViewBytes = 1 << 20

// scripts is the saved-scripts directory and the autosave directory.
type scripts struct {
	dir         string // saved scripts (read-only for the tools)
	autosaveDir string
	keep        int // autosaved scripts kept; <0 disables autosaving
	log         *slog.Logger

	mu    sync.Mutex
	count int // autosaved scripts believed present; -1 until first counted
}

// validScriptName reports whether name is a plain file name that
// py_view_script may open: no separators, no "..", no hidden files, no
// control characters. The directory itself is opened through os.Root as
// well, so a symlink inside it cannot lead out either.
func validScriptName(name string) error {
	switch {
	case name == "":
		return argError("script_name", "is empty; give a name as py_list_scripts shows it")
	case len(name) > maxScriptName:
		return argError("script_name", "is longer than %d bytes", maxScriptName)
	case strings.ContainsAny(name, `/\`) || name == "." || name == "..":
		return argError("script_name", "%q contains a path; give a plain file name as py_list_scripts shows it (scripts cannot be read from other directories)", name)
	case strings.HasPrefix(name, "."):
		return argError("script_name", "%q is a hidden file name; give a name as py_list_scripts shows it", name)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return argError("script_name", "%q contains a control character", name)
		}
	}
	return nil
}

// autosave stores code and the call's parameters (env_vars values redacted)
// and returns the script's name; "" when autosaving is disabled or fails
// (a failure is logged: it never fails the run).
func (s *scripts) autosave(tool string, code string, params any) string {
	if s.keep < 0 {
		return ""
	}
	name, err := s.writeAutosave(tool, code, params)
	if err != nil {
		s.log.Warn("mcptools: autosaving the inline script failed", "tool", tool, "err", err)
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Listing hundreds of files on every call cost more than the rest of
	// the autosave (0.6 ms with 500 kept), so the directory is scanned only
	// once this process has added keep/8 scripts past the limit; retention
	// stays bounded (keep + keep/8 per server process sharing the directory).
	if s.count < 0 {
		s.count = s.prune() // counts the script just written
	} else {
		s.count++
	}
	if s.count > s.keep+max(1, s.keep/8) {
		s.count = s.prune()
	}
	return name
}

func (s *scripts) writeAutosave(tool, code string, params any) (string, error) {
	if err := os.MkdirAll(s.autosaveDir, 0o700); err != nil {
		return "", err
	}
	var r [3]byte
	_, _ = rand.Read(r[:])
	// UTC time first: names sort by age, which prune and listing rely on.
	base := time.Now().UTC().Format("20060102T150405.000000Z") + "-" + hex.EncodeToString(r[:])
	name := base + ".py"
	sidecar := struct {
		Tool    string    `json:"tool"`
		SavedAt time.Time `json:"saved_at"`
		Params  any       `json:"params"`
	}{tool, time.Now().UTC(), params}
	meta, err := json.MarshalIndent(sidecar, "", "  ")
	if err != nil {
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(s.autosaveDir, base+".json"), meta); err != nil {
		return "", err
	}
	if err := writeFileAtomic(filepath.Join(s.autosaveDir, name), []byte(code)); err != nil {
		return "", err
	}
	return name, nil
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so a concurrent reader (another server process) never sees a
// partial file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return err
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return nil
}

// prune removes the oldest autosaved scripts (and their sidecars) beyond
// keep and returns how many remain. Several processes may prune at once;
// removing a file another one already removed is harmless.
func (s *scripts) prune() int {
	names, err := s.autosavedNames()
	if err != nil {
		return 0
	}
	if len(names) <= s.keep {
		return len(names)
	}
	for _, n := range names[s.keep:] { // names are newest first
		base := strings.TrimSuffix(n, ".py")
		_ = os.Remove(filepath.Join(s.autosaveDir, n))
		_ = os.Remove(filepath.Join(s.autosaveDir, base+".json"))
	}
	return s.keep
}

// autosavedNames lists the autosaved scripts, newest first.
func (s *scripts) autosavedNames() ([]string, error) {
	ents, err := os.ReadDir(s.autosaveDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if n := e.Name(); e.Type().IsRegular() && strings.HasSuffix(n, ".py") && !strings.HasPrefix(n, ".") {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	slices.Reverse(names)
	return names, nil
}

func (s *scripts) list(includeAutosaved bool) (*ListScriptsResult, error) {
	out := &ListScriptsResult{Scripts: []ScriptInfo{}, ScriptsDir: s.dir}
	ents, err := os.ReadDir(s.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("reading the scripts directory %s: %w", s.dir, err)
	}
	for _, e := range ents {
		if validScriptName(e.Name()) != nil || !e.Type().IsRegular() {
			continue
		}
		if fi, err := e.Info(); err == nil {
			out.Scripts = append(out.Scripts, ScriptInfo{Name: e.Name(), SizeBytes: fi.Size(), ModifiedAt: fi.ModTime().UTC()})
		}
	}
	if !includeAutosaved {
		return out, nil
	}
	names, err := s.autosavedNames()
	if err != nil {
		return nil, fmt.Errorf("reading the autosave directory %s: %w", s.autosaveDir, err)
	}
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(s.autosaveDir, n)); err == nil {
			out.Scripts = append(out.Scripts, ScriptInfo{Name: n, Autosaved: true, SizeBytes: fi.Size(), ModifiedAt: fi.ModTime().UTC()})
		}
	}
	return out, nil
}

func (s *scripts) view(name string, autosaved bool) (*ViewScriptResult, error) {
	if err := validScriptName(name); err != nil {
		return nil, err
	}
	dir := s.dir
	if autosaved {
		dir = s.autosaveDir
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, s.notFound(name, autosaved)
	}
	defer root.Close()
	content, err := readCapped(root, name)
	if err != nil && !strings.HasSuffix(name, ".py") {
		name += ".py"
		content, err = readCapped(root, name)
	}
	if err != nil {
		return nil, s.notFound(name, autosaved)
	}
	out := &ViewScriptResult{Name: name, Autosaved: autosaved, Content: content}
	if autosaved {
		if b, err := root.ReadFile(strings.TrimSuffix(name, ".py") + ".json"); err == nil {
			var meta any
			if json.Unmarshal(b, &meta) == nil {
				out.Params = meta
			}
		}
	}
	return out, nil
}

func (s *scripts) notFound(name string, autosaved bool) error {
	where := "saved scripts"
	if autosaved {
		where = "autosaved scripts"
	}
	return argError("script_name", "%q is not among the %s; py_list_scripts (include_autosaved=%t) lists them", name, where, autosaved)
}

// readCapped reads a regular file of root, at most maxViewBytes of it.
func readCapped(root *os.Root, name string) (string, error) {
	f, err := root.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return "", fs.ErrNotExist
	}
	buf := make([]byte, min(fi.Size(), maxViewBytes))
	n, _ := f.Read(buf)
	text := strings.ToValidUTF8(string(buf[:n]), "\uFFFD")
	if fi.Size() > maxViewBytes {
		text += fmt.Sprintf("\n… %d more bytes not shown …\n", fi.Size()-maxViewBytes)
	}
	return text, nil
}

func (t *Toolset) scriptDefs() []toolDef {
	return []toolDef{
		def(GroupScripts, &mcp.Tool{
			Name:        "py_list_scripts",
			Title:       "List saved Python scripts",
			Description: "List the scripts in the server's saved-scripts directory and, with include_autosaved=true, the autosaved copies of inline script_content from earlier runs (newest first). View one with py_view_script.",
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
			Description: "Show a saved script by name (as py_list_scripts lists it), or with autosaved=true an autosaved inline script together with the parameters of the call that ran it (env_vars values redacted). Names are plain file names; paths are refused.",
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
