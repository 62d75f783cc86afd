package pyexec

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOnlyMCPToolsImportsTheSDK keeps the library usable without the MCP
// SDK: a program that wants executor (or jobs, or sessions) alone must not
// pull it in (docs/design.md §1).
func TestOnlyMCPToolsImportsTheSDK(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").CombinedOutput()
	require.NoError(t, err, string(out))
	const sdk = "github.com/modelcontextprotocol/go-sdk"
	const mod = "github.com/pyexec-mcp/pyexec/"
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		rel := strings.TrimPrefix(pkg, mod)
		// internal/conformance/server is the conformance tests' fixture server, a program.
		if rel == "mcptools" || strings.HasPrefix(rel, "examples/") || strings.HasPrefix(rel, "cmd/") || strings.HasPrefix(rel, "internal/conformance/") {
			continue
		}
		checked++
		require.NotContains(t, " "+deps+" ", " "+sdk, "%s must not depend on the MCP SDK", pkg)
		require.NotContains(t, " "+deps+" ", " "+mod+"mcptools ", "%s must not depend on mcptools", pkg)
	}
	require.Greater(t, checked, 5, "the library packages were listed")
}
