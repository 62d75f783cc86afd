package pyexec

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const mod = "github.com/pyexec-mcp/pyexec/"

// deps lists every package of the module (relative to it) with its
// dependencies, test files left out.
func deps(t *testing.T) map[string]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").CombinedOutput()
	require.NoError(t, err, string(out))
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, " ")
		m[strings.TrimPrefix(pkg, mod)] = " " + deps + " "
	}
	return m
}

// isProgram reports whether rel is one of the module's programs, which may
// pull in anything.
func isProgram(rel string) bool {
	return strings.HasPrefix(rel, "examples/") || strings.HasPrefix(rel, "cmd/")
}

// TestOnlyMCPToolsImportsTheSDK keeps the library usable without the MCP
// SDK: a program that wants executor (or jobs, or sessions) alone must not
// pull it in (docs/design.md §1).
func TestOnlyMCPToolsImportsTheSDK(t *testing.T) {
	t.Parallel()
	const sdk = "github.com/modelcontextprotocol/go-sdk"
	checked := 0
	for rel, deps := range deps(t) {
		// internal/conformance/server is the conformance tests' fixture server, a program.
		if rel == "mcptools" || isProgram(rel) || strings.HasPrefix(rel, "internal/conformance/") {
			continue
		}
		checked++
		require.NotContains(t, deps, " "+sdk, "%s must not depend on the MCP SDK", rel)
		require.NotContains(t, deps, " "+mod+"mcptools ", "%s must not depend on mcptools", rel)
	}
	require.Greater(t, checked, 5, "the library packages were listed")
}

// TestOnlyPGStoreImportsPGX keeps the PostgreSQL driver out of every
// program that does not store jobs in PostgreSQL: only jobstore/pgstore
// (and the programs that offer it) may depend on pgx, and internal/testenv,
// whose private PostgreSQL server the tests share; mcptools takes any
// jobstore.Backend instead.
func TestOnlyPGStoreImportsPGX(t *testing.T) {
	t.Parallel()
	const pgx = "github.com/jackc/pgx/"
	checked := 0
	for rel, deps := range deps(t) {
		if rel == "jobstore/pgstore" || rel == "internal/testenv" || isProgram(rel) {
			continue
		}
		checked++
		require.NotContains(t, deps, " "+pgx, "%s must not depend on pgx: take a jobstore.Backend, which jobstore/pgstore implements", rel)
		require.NotContains(t, deps, " "+mod+"internal/testenv ", "%s must not depend on internal/testenv, which is for tests (and pulls in pgx)", rel)
	}
	require.Greater(t, checked, 5, "the library packages were listed")
}
