package mcptools_test

import (
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/tools.golden.json from the current tools/list")

// TestToolsGolden pins the MCP contract: every tool's name, parameters,
// defaults, descriptions and output schema, and the resource templates. An
// intended change is recorded with `go test ./mcptools -run TestToolsGolden
// -update` and reviewed in the diff.
func TestToolsGolden(t *testing.T) {
	h, _ := sessionHarness(t, true) // every group
	ctx := context.Background()
	var tools []*mcp.Tool
	for tool, err := range h.cs.Tools(ctx, nil) {
		require.NoError(t, err)
		tools = append(tools, tool)
	}
	var templates []*mcp.ResourceTemplate
	for tmpl, err := range h.cs.ResourceTemplates(ctx, nil) {
		require.NoError(t, err)
		templates = append(templates, tmpl)
	}
	got, err := json.MarshalIndent(map[string]any{"tools": tools, "resourceTemplates": templates}, "", "  ")
	require.NoError(t, err)
	got = append(got, '\n')
	path := filepath.Join("testdata", "tools.golden.json")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create the golden file")
	require.JSONEq(t, string(want), string(got), "tools/list changed: the MCP contract (docs/design.md §4) is affected; if intended, run with -update and review the diff")
}
