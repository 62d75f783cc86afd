package main

import (
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/mcptools"
)

// TestReadmeWindowsConfig checks the README's Windows client configuration
// (under "### Windows" of "## Platforms"), which TestReadmeClientConfigs
// cannot start on Linux: it is valid JSON of the shape clients read, it
// starts python-executor-mcp.exe, its arguments parse, and its groups leave
// out the sessions that Windows refuses.
func TestReadmeWindowsConfig(t *testing.T) {
	t.Parallel()
	snippets := jsonFences(readmeSection(t, readmePath, "### Windows"))
	require.Len(t, snippets, 1)
	dec := json.NewDecoder(strings.NewReader(snippets[0]))
	dec.DisallowUnknownFields()
	var cfg clientConfig
	require.NoError(t, dec.Decode(&cfg))
	s, ok := cfg.MCPServers["python"]
	require.True(t, ok, "a Claude Desktop configuration (mcpServers)")
	require.True(t, strings.HasSuffix(s.Command, `\python-executor-mcp.exe`), s.Command)
	require.Regexp(t, `^[A-Z]:\\`, s.Command, "an absolute Windows path")
	for k, v := range s.Env {
		require.Regexp(t, `^[A-Z]:\\`, v, k)
	}
	c, _, err := parseConfig("python-executor-mcp", s.Args, io.Discard)
	require.NoError(t, err)
	known := []mcptools.Group{mcptools.GroupRun, mcptools.GroupJobs, mcptools.GroupScripts, mcptools.GroupSession, mcptools.GroupWorkspace}
	require.NotEmpty(t, c.groups)
	for _, g := range c.groups {
		require.Contains(t, known, g)
	}
	require.False(t, slices.Contains(c.groups, mcptools.GroupSession), "sessions are refused on Windows")
}
