package mcptools

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/pyexec-mcp/pyexec/workspace"
)

// Workspace files as MCP resources: workspace:///{path}, readable by any
// client (a cell's result links the files it wrote), confined exactly as
// read_file is: the path is resolved inside the workspace by package
// workspace (os.Root), so ".." and symlinks cannot lead out.

// workspaceTemplate is the URI template of workspace files: the path is
// relative to the workspace, each segment percent-encoded.
const workspaceTemplate = "workspace:///{+path}"

const workspaceScheme = "workspace:///"

// maxResourceBytes bounds a workspace file read as a resource: a resource
// is read whole, and a response must stay far below the clients' 1 MiB
// (base64 grows binary content by a third). read_file pages larger files.
const maxResourceBytes = 384 << 10

// WorkspaceURI is the resource URI of a workspace file (a path relative
// to the workspace, slash-separated).
func WorkspaceURI(path string) string {
	segs := strings.Split(path, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return workspaceScheme + strings.Join(segs, "/")
}

// readWorkspaceResource serves resources/read of a workspace:/// URI.
func (e extraGroups) readWorkspaceResource(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	uri := req.Params.URI
	rest, ok := strings.CutPrefix(uri, workspaceScheme)
	if !ok {
		return nil, mcp.ResourceNotFoundError(uri)
	}
	path, err := url.PathUnescape(rest)
	if err != nil || path == "" {
		return nil, invalidResource(uri, "its path is not a percent-encoded path relative to the workspace, e.g. workspace:///data/out.csv")
	}
	data, info, err := e.workspace.ReadAt(path, 0, maxResourceBytes+1)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, mcp.ResourceNotFoundError(uri)
	case errors.Is(err, workspace.ErrOutside), errors.Is(err, workspace.ErrInvalidPath):
		return nil, invalidResource(uri, strings.TrimPrefix(err.Error(), "workspace: ")+"; workspace resources are confined to the workspace, as read_file is")
	case errors.Is(err, workspace.ErrNotRegular):
		return nil, invalidResource(uri, strings.TrimPrefix(err.Error(), "workspace: ")+"; only regular files are resources (list_files lists a directory)")
	case err != nil:
		return nil, err
	}
	if info.Size > maxResourceBytes {
		return nil, invalidResource(uri, fmt.Sprintf("the file has %d bytes; a resource is read whole, up to %d bytes: read it in pages with read_file (offset)", info.Size, maxResourceBytes))
	}
	c := &mcp.ResourceContents{URI: uri, MIMEType: info.MIME}
	if info.IsText && utf8.Valid(data) {
		c.Text = string(data)
	} else {
		c.Blob = data
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{c}}, nil
}

// invalidResource is the JSON-RPC error of a resource URI that names no
// readable workspace file, with the reason and the fix.
func invalidResource(uri, why string) error {
	return &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("resource %s: %s", uri, why)}
}

// fileLinks are resource links to the workspace files a cell changed, at
// most maxFileLinks of them.
func fileLinks(changes []workspace.Change) []mcp.Content {
	var out []mcp.Content
	for i, c := range changes {
		if i == maxFileLinks {
			break
		}
		size := c.Size
		out = append(out, &mcp.ResourceLink{URI: WorkspaceURI(c.Path), Name: c.Path, Size: &size})
	}
	return out
}

// maxFileLinks bounds the files a cell's result links and lists.
const maxFileLinks = 20
