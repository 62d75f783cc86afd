package mcptools

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/internal/headtail"
	"github.com/pyexec-mcp/pyexec/jobstore"
	"github.com/pyexec-mcp/pyexec/sandbox"
	"github.com/pyexec-mcp/pyexec/session"
	"github.com/pyexec-mcp/pyexec/workspace"
)

// The session and workspace groups: the tools of the second seed server
// (mcp-executor), backed by packages session and workspace.
const (
	// GroupSession: execute_python, install_package. Needs Options.Sessions.
	GroupSession Group = "session"
	// GroupWorkspace: read_file, write_file, list_files. Needs
	// Options.Workspace.
	GroupWorkspace Group = "workspace"
)

// extraGroups are the session and workspace groups: the Options fields
// they need, which groups they make available, and their tools.
type extraGroups struct {
	sessions  *session.Manager
	workspace *workspace.Workspace
	tokens    int // the response budget, Options.ResponseTokens
}

func (o *Options) extraGroups() extraGroups {
	return extraGroups{sessions: o.Sessions, workspace: o.Workspace, tokens: cmpOr(o.ResponseTokens, DefaultResponseTokens)}
}

func (e extraGroups) defaultGroups() []Group {
	var out []Group
	if e.sessions != nil {
		out = append(out, GroupSession)
	}
	if e.workspace != nil {
		out = append(out, GroupWorkspace)
	}
	return out
}

func (e extraGroups) check(g Group) error {
	switch g {
	case GroupRun, GroupJobs, GroupScripts:
		return nil
	case GroupSession:
		if e.sessions == nil {
			return fmt.Errorf("%w: group %q needs Options.Sessions (a *session.Manager)", ErrInvalidOptions, g)
		}
		return nil
	case GroupWorkspace:
		if e.workspace == nil {
			return fmt.Errorf("%w: group %q needs Options.Workspace (a *workspace.Workspace)", ErrInvalidOptions, g)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown tool group %q; use run, jobs, scripts, session or workspace", ErrInvalidOptions, g)
}

// ExecutePythonArgs are the arguments of execute_python.
type ExecutePythonArgs struct {
	Code           string  `json:"code"`
	SessionID      string  `json:"session_id,omitempty" default:"default"`
	TimeoutSeconds float64 `json:"timeout_seconds,omitempty" default:"300"`
	Markdown       bool    `json:"markdown_output,omitempty" default:"true"`
	AsyncMode      bool    `json:"async_mode,omitempty" default:"false"`
	ResponseArgs
}

// CellOutput is the result of execute_python.
type CellOutput struct {
	SessionID string `json:"session_id"`
	Status    string `json:"status" jsonschema:"completed, or running/pending: the cell continues as job job_id."`
	JobID     string `json:"job_id,omitempty"`
	Stdout    string `json:"stdout"`
	Stderr    string `json:"stderr"`
	Value     string `json:"value,omitempty" jsonschema:"The repr of the trailing expression's value."`
	// ValueMarkdown is the value's markdown form (its _repr_markdown_; a
	// pandas DataFrame's bounded table), when it has one: what a model
	// reads best. Every form is kept for save_notebook.
	ValueMarkdown string   `json:"value_markdown,omitempty"`
	Error         *CellErr `json:"error,omitempty"`
	Images        int      `json:"images" jsonschema:"PNG images returned as image content."`
	ImagesOmitted int      `json:"images_omitted,omitempty"`
	TimedOut      bool     `json:"timed_out"`
	StateLost     bool     `json:"state_lost" jsonschema:"The session's variables are gone (its kernel was restarted)."`
	KernelDied    bool     `json:"kernel_died"`
	KernelExit    string   `json:"kernel_exit,omitempty"`
	LimitExceeded string   `json:"limit_exceeded,omitempty" jsonschema:"Which sandbox limit the cell's processes hit (the session's kernel, if it died of it); empty if none."`
	Notes         []string `json:"notes,omitempty"`
	// Files are the workspace files the cell created or changed (at most
	// 20), each also a resource_link of the result.
	Files          []workspace.Change `json:"files,omitempty"`
	ExecutionCount int                `json:"execution_count"`
	ElapsedSeconds float64            `json:"elapsed_seconds"`
}

// CellErr is an exception raised by a cell.
type CellErr struct {
	Type      string `json:"type"`
	Message   string `json:"message"`
	Traceback string `json:"traceback"`
}

// InstallPackageArgs are the arguments of install_package.
type InstallPackageArgs struct {
	Package   string   `json:"package,omitempty" jsonschema:"A PEP 508 requirement, e.g. \"numpy==2.1.*\"."`
	Packages  []string `json:"packages,omitempty"`
	SessionID string   `json:"session_id,omitempty" default:"default"`
}

// schemaExtra says in the schema what the handler checks: package,
// packages or both must be given. Neither has a default, which the SDK
// would fill in before it checks "required".
func (InstallPackageArgs) schemaExtra() map[string]any {
	return map[string]any{"anyOf": []any{
		map[string]any{"required": []string{"package"}},
		map[string]any{"required": []string{"packages"}},
	}}
}

// InstallOutput is the result of install_package.
type InstallOutput struct {
	SessionID string            `json:"session_id"`
	Requested []session.Package `json:"requested" jsonschema:"Each requirement with the exact version now installed."`
	Installed []session.Package `json:"installed,omitempty"`
	Removed   []session.Package `json:"removed,omitempty"`
	Notes     []string          `json:"notes,omitempty"`
}

// ReadFileArgs are the arguments of read_file.
type ReadFileArgs struct {
	Path     string `json:"path" jsonschema:"Relative to the workspace."`
	Offset   int64  `json:"offset,omitempty" default:"0" jsonschema:"next_offset of the last call: the next page."`
	MaxBytes int    `json:"max_bytes,omitempty" default:"0" jsonschema:"At most 126000."`
}

// FileOutput describes a file that was read or written.
type FileOutput struct {
	Path          string `json:"path"`
	Size          int64  `json:"size"`
	MIME          string `json:"mime,omitempty"`
	IsText        bool   `json:"is_text"`
	Content       string `json:"content,omitempty" jsonschema:"The text, for a text file."`
	ContentBase64 string `json:"content_base64,omitempty" jsonschema:"The bytes in base64, for a binary file that is not an image (images are returned as image content)."`
	Offset        int64  `json:"offset,omitempty" jsonschema:"read_file: where this part starts."`
	NextOffset    int64  `json:"next_offset,omitempty" jsonschema:"read_file: where the next part starts (offset of the next call)."`
	More          bool   `json:"more,omitempty" jsonschema:"read_file: the file goes on past this part; call again from next_offset."`
}

// MaxImageResponseBytes bounds an image read_file returns as image content:
// base64 makes it a third larger, and a response must stay far below the
// clients' 1 MiB.
const MaxImageResponseBytes = 384 << 10

// WriteFileArgs are the arguments of write_file.
type WriteFileArgs struct {
	Path     string `json:"path" jsonschema:"Relative to the workspace."`
	Content  string `json:"content"`
	Encoding string `json:"encoding,omitempty" default:"text" jsonschema:"text or base64"`
	Append   bool   `json:"append,omitempty" default:"false"`
}

// ListFilesArgs are the arguments of list_files.
type ListFilesArgs struct {
	Path      string `json:"path,omitempty" default:"" jsonschema:"Relative to the workspace."`
	Recursive bool   `json:"recursive,omitempty" default:"false"`
}

// ListFilesOutput is the result of list_files.
type ListFilesOutput struct {
	Entries   []FileEntry `json:"entries"`
	Truncated bool        `json:"truncated"`
}

// FileEntry is one entry of list_files.
type FileEntry struct {
	Path    string `json:"path"`
	Type    string `json:"type" jsonschema:"file, dir, symlink or other"`
	Size    *int64 `json:"size,omitempty" jsonschema:"A file's size in bytes; absent for directories, symlinks and other entries, which have none to report."`
	Target  string `json:"target,omitempty"`
	Outside bool   `json:"outside,omitempty" jsonschema:"A symlink leading outside the workspace (not readable)."`
}

// defs are the tools of the groups whose Options field is set.
// defs are the workspace tools, when Options.Workspace is set (the session
// tools are the Toolset's: cells are jobs, see cells.go).
func (e extraGroups) defs() []toolDef {
	if e.workspace == nil {
		return nil
	}
	return e.workspaceDefs()
}

// sessionDefs are the tools of the session group.
func (t *Toolset) sessionDefs() []toolDef {
	if t.extra.sessions == nil {
		return nil
	}
	e := t.extra
	return append([]toolDef{
		t.executePythonDef(),
		def(GroupSession, &mcp.Tool{
			Name:        "install_package",
			Title:       "Install Python packages into a session",
			Description: "Install packages into a session's environment, importable at once; returns the exact versions.",
			Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(false), IdempotentHint: true}, // open world: the default
		}, func(ctx context.Context, req *mcp.CallToolRequest, in InstallPackageArgs) (*mcp.CallToolResult, *InstallOutput, error) {
			reqs := append([]string(nil), in.Packages...)
			if in.Package != "" {
				reqs = append([]string{in.Package}, reqs...)
			}
			if len(reqs) == 0 {
				return nil, nil, argError("package", "give a requirement in package (or several in packages), e.g. \"pandas\"")
			}
			if err := t.claimSession(ctx, in.SessionID); err != nil {
				return nil, nil, err
			}
			res, err := e.sessions.Install(ctx, in.SessionID, reqs)
			if err != nil {
				return nil, nil, sessionError(err)
			}
			out := &InstallOutput{SessionID: sessionName(in.SessionID), Requested: exactVersions(res), Installed: res.Installed, Removed: res.Removed, Notes: res.Notes}
			return textResult(markdownInstall(out)), out, nil
		}),
	}, t.notebookDefs()...)
}

// exactVersions returns the requested packages, taking a version that the
// freeze did not give (a requirement by URL) from uv's list of changes.
func exactVersions(res *session.InstallResult) []session.Package {
	out := make([]session.Package, 0, len(res.Requested))
	for _, p := range res.Requested {
		if p.Version == "" {
			for _, ins := range res.Installed {
				if strings.EqualFold(normName(ins.Name), normName(p.Name)) {
					p.Version = ins.Version
				}
			}
		}
		out = append(out, p)
	}
	return out
}

// normName normalises a distribution name (PEP 503).
func normName(s string) string {
	return strings.NewReplacer("_", "-", ".", "-").Replace(strings.ToLower(s))
}

func sessionName(id string) string {
	if id == "" {
		return session.DefaultSessionID
	}
	return id
}

// claimSession makes sure session id lives on this replica when the job
// store is shared by replicas (jobstore.SessionHomes): a session is a
// kernel in one process's memory, and a call that reaches another replica
// must fail naming where it lives, not start a second kernel of that name.
func (t *Toolset) claimSession(ctx context.Context, id string) error {
	h, ok := t.store.(jobstore.SessionHomes)
	if !ok {
		return nil
	}
	// A name the manager refuses is refused before it is recorded.
	if err := session.CheckID(id); err != nil {
		return sessionError(err)
	}
	err := h.ClaimSession(ctx, sessionName(id))
	if errors.Is(err, jobstore.ErrSessionElsewhere) {
		return &ArgumentError{Argument: "session_id", Message: err.Error()}
	}
	return err
}

// sessionError maps session errors to tool errors naming the argument.
func sessionError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "session: ")
	var re *session.RefusedError
	switch {
	case errors.As(err, &re):
		return &ArgumentError{Argument: "packages", Message: refusalMessage(re, "session")}
	case errors.Is(err, session.ErrInvalidSessionID), errors.Is(err, session.ErrTooManySessions):
		return &ArgumentError{Argument: "session_id", Message: msg}
	case errors.Is(err, session.ErrInvalidRequirement), errors.Is(err, session.ErrInstall):
		return &ArgumentError{Argument: "packages", Message: msg}
	}
	return errors.New(msg)
}

// sessionsConfined checks that the session kernels are confined at least as
// tightly as runs: every switch runs has on is on for sessions, with a limit
// no higher, an allow-list no wider and no other writable directories than
// runs' and the workspaces. Otherwise execute_python would be a way around
// the server's promises.
func sessionsConfined(runs *sandbox.Policy, writable []string, m *session.Manager) error {
	if !runs.Enabled() {
		return nil
	}
	ses := m.Sandbox()
	if ses == nil {
		ses = &sandbox.Policy{}
	}
	refuse := func(sw, how string) error {
		return fmt.Errorf("%w: Sandbox %s, but the session manager's policy (session.Options.Sandbox) %s: safety promises are absolute: a switch that is on holds on every path; give the session manager the same policy", ErrInvalidOptions, sw, how)
	}
	limits := []struct {
		name      string
		run, sess int64
	}{
		{"memory_bytes", runs.MemoryBytes, ses.MemoryBytes},
		{"cpu_seconds", int64(runs.CPUSeconds), int64(ses.CPUSeconds)},
		{"max_processes", int64(runs.MaxProcesses), int64(ses.MaxProcesses)},
		{"max_file_bytes", runs.MaxFileBytes, ses.MaxFileBytes},
	}
	for _, l := range limits {
		switch {
		case l.run == 0:
		case l.sess == 0:
			return refuse(fmt.Sprintf("limits %s to %d", l.name, l.run), "has no "+l.name)
		case l.sess > l.run:
			return refuse(fmt.Sprintf("limits %s to %d", l.name, l.run), fmt.Sprintf("allows %d", l.sess))
		}
	}
	switches := []struct {
		name      string
		run, sess bool
	}{
		{"no_network", runs.NoNetwork, ses.NoNetwork},
		{"read_only_fs", runs.ReadOnlyFS, ses.ReadOnlyFS},
		{"pid_namespace", runs.PIDNamespace, ses.PIDNamespace},
		{"env_allow_list", runs.EnvAllowList != nil, ses.EnvAllowList != nil},
	}
	for _, sw := range switches {
		if sw.run && !sw.sess {
			return refuse("turns on "+sw.name, "does not")
		}
	}
	if runs.EnvAllowList != nil {
		for _, name := range ses.EnvAllowList {
			if !envCovered(name, runs.EnvAllowList) {
				return refuse(fmt.Sprintf("allows the variables %q", runs.EnvAllowList), fmt.Sprintf("also allows %q", name))
			}
		}
	}
	if runs.ReadOnlyFS {
		allowed := append(append([]string(nil), writable...), m.WorkspaceDir())
		for _, d := range ses.WritableDirs {
			if !slices.ContainsFunc(allowed, func(w string) bool { return sandbox.Inside(d, w) }) {
				return refuse("turns on read_only_fs", fmt.Sprintf("also makes %s writable", d))
			}
		}
	}
	return nil
}

// envCovered reports whether allow-list entry name (a name or a PREFIX*)
// lets through nothing that list does not.
func envCovered(name string, list []string) bool {
	p, isPrefix := strings.CutSuffix(name, "*")
	for _, a := range list {
		if ap, ok := strings.CutSuffix(a, "*"); ok {
			if strings.HasPrefix(p, ap) {
				return true
			}
		} else if !isPrefix && a == name {
			return true
		}
	}
	return false
}

// fit cuts a cell's texts to show bytes together, as runs are cut: the
// value and the traceback to a quarter each at most, the streams share the
// rest. A cell's output is not kept elsewhere: a cell that prints more
// than a model can read should write it to a file (read_file pages).
func (c *CellOutput) fit(show int) {
	clip := func(s string, limit int) string {
		if len(s) <= limit {
			return s
		}
		return headtail.SpanOf(s).Cut(limit).Text()
	}
	if c.ValueMarkdown != "" {
		c.ValueMarkdown = clip(c.ValueMarkdown, show/2)
		c.Value = clip(c.Value, show/8)
	} else {
		c.Value = clip(c.Value, show/4)
	}
	rest := show - len(c.Value) - len(c.ValueMarkdown)
	if c.Error != nil {
		c.Error.Traceback = clip(c.Error.Traceback, show/4)
		rest -= len(c.Error.Traceback) + len(c.Error.Message)
	}
	o, e := fitOutput(headtail.SpanOf(c.Stdout), headtail.SpanOf(c.Stderr), max(rest, show/4))
	c.Stdout, c.Stderr = o.Text(), e.Text()
}

func cellOutput(id string, res *session.CellResult) *CellOutput {
	out := &CellOutput{
		ValueMarkdown: res.Data["text/markdown"],
		SessionID:     sessionName(id), Status: string(jobstore.StateCompleted), Stdout: res.Stdout, Stderr: res.Stderr, Value: res.Value,
		Images: len(res.Images), ImagesOmitted: res.ImagesOmitted, TimedOut: res.TimedOut,
		StateLost: res.StateLost, KernelDied: res.KernelDied, KernelExit: res.KernelExit, LimitExceeded: res.LimitExceeded, Notes: res.Notes,
		ExecutionCount: res.ExecutionCount, ElapsedSeconds: res.Elapsed.Seconds(),
	}
	if res.Error != nil {
		out.Error = &CellErr{Type: res.Error.Type, Message: res.Error.Message, Traceback: res.Error.Traceback}
	}
	return out
}

func (e extraGroups) workspaceDefs() []toolDef {
	ws := e.workspace
	readOnly := &mcp.ToolAnnotations{ReadOnlyHint: true, OpenWorldHint: ptr(false)}
	return []toolDef{
		def(GroupWorkspace, &mcp.Tool{
			Name:        "read_file",
			Title:       "Read a workspace file",
			Description: "Read a workspace file: text as text, binary as base64, an image as image content.",
			Annotations: readOnly,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in ReadFileArgs) (*mcp.CallToolResult, *FileOutput, error) {
			return e.readFile(in)
		}),
		def(GroupWorkspace, &mcp.Tool{
			Name:        "write_file",
			Title:       "Write a workspace file",
			Description: "Write a workspace file, creating its directories.",
			Annotations: &mcp.ToolAnnotations{OpenWorldHint: ptr(false)}, // destructive: the default
		}, func(ctx context.Context, req *mcp.CallToolRequest, in WriteFileArgs) (*mcp.CallToolResult, *FileOutput, error) {
			data := []byte(in.Content)
			switch in.Encoding {
			case "", "text":
			case "base64":
				var err error
				if data, err = base64.StdEncoding.DecodeString(in.Content); err != nil {
					return nil, nil, argError("content", "is not valid base64: %v", err)
				}
			default:
				return nil, nil, argError("encoding", "%q is not an encoding; use \"text\" or \"base64\"", in.Encoding)
			}
			info, err := ws.Write(in.Path, data, &workspace.WriteOptions{Append: in.Append})
			if err != nil {
				return nil, nil, workspaceError(err)
			}
			out := &FileOutput{Path: info.Path, Size: info.Size, MIME: info.MIME, IsText: info.IsText}
			return textResult(markdownWrote(out)), out, nil
		}),
		def(GroupWorkspace, &mcp.Tool{
			Name:        "list_files",
			Title:       "List workspace files",
			Description: "List a workspace directory with sizes; symlinks leading out are marked.",
			Annotations: readOnly,
		}, func(ctx context.Context, req *mcp.CallToolRequest, in ListFilesArgs) (*mcp.CallToolResult, *ListFilesOutput, error) {
			l, err := ws.List(in.Path, &workspace.ListOptions{Recursive: in.Recursive})
			if err != nil {
				return nil, nil, workspaceError(err)
			}
			out := &ListFilesOutput{Entries: []FileEntry{}, Truncated: l.Truncated}
			for _, f := range l.Entries {
				e := FileEntry{Path: f.Path, Type: f.Type, Target: f.Target, Outside: f.Outside}
				if f.Type == "file" {
					e.Size = ptr(f.Size)
				}
				out.Entries = append(out.Entries, e)
			}
			return textResult(markdownFiles(out)), out, nil
		}),
	}
}

// readFile is read_file: a text file in pages of the response budget, cut
// on lines; a binary one in base64 pages; an image whole, as image content.
func (e extraGroups) readFile(in ReadFileArgs) (*mcp.CallToolResult, *FileOutput, error) {
	if in.Offset < 0 || in.MaxBytes < 0 {
		return nil, nil, argError("offset", "offset and max_bytes must not be negative; start at 0")
	}
	limit := pageBytes(e.tokens, in.MaxBytes)
	data, info, err := e.workspace.ReadAt(in.Path, in.Offset, limit)
	if err != nil {
		return nil, nil, workspaceError(err)
	}
	out := &FileOutput{Path: info.Path, Size: info.Size, MIME: info.MIME, IsText: info.IsText, Offset: in.Offset}
	image := !info.IsText && info.IsImage()
	switch {
	case image:
		if in.Offset != 0 {
			return nil, nil, argError("offset", "%q is an image, returned whole as image content: read it from offset 0", in.Path)
		}
		if info.Size > MaxImageResponseBytes {
			return nil, nil, argError("path", "%q is a %d-byte image; read_file returns images of up to %d bytes (a response must stay small): save a smaller copy with execute_python (e.g. PIL's Image.thumbnail) and read that", in.Path, info.Size, MaxImageResponseBytes)
		}
		if data, _, err = e.workspace.ReadAt(in.Path, 0, int(info.Size)); err != nil {
			return nil, nil, workspaceError(err)
		}
		out.NextOffset = int64(len(data))
	case info.IsText:
		more := in.Offset+int64(len(data)) < info.Size
		data = data[:pageLen(data, limit, more)]
		out.Content = decodeText(data)
		out.NextOffset = in.Offset + int64(len(data))
	default:
		data = data[:min(len(data), limit/4*3)] // base64 grows it by a third
		out.ContentBase64 = base64.StdEncoding.EncodeToString(data)
		out.NextOffset = in.Offset + int64(len(data))
	}
	out.More = out.NextOffset < info.Size
	r := textResult(markdownFile(out, image))
	if image {
		r.Content = append(r.Content, &mcp.ImageContent{MIMEType: info.MIME, Data: data})
	}
	return r, out, nil
}

// workspaceError maps workspace errors to tool errors about the path.
func workspaceError(err error) error {
	msg := strings.TrimPrefix(err.Error(), "workspace: ")
	switch {
	case errors.Is(err, workspace.ErrOutside), errors.Is(err, workspace.ErrInvalidPath),
		errors.Is(err, workspace.ErrNotRegular), errors.Is(err, workspace.ErrTooLarge):
		return &ArgumentError{Argument: "path", Message: msg}
	}
	return errors.New(msg)
}
