// Package conformance runs the MCP conformance suite
// (npm @modelcontextprotocol/conformance, pinned with the Node it needs in
// package.json and package-lock.json) against pyexec's servers over
// streamable HTTP, for clients of the 2025-11-25 protocol (sessions) and of
// 2026-07-28 (stateless), with the Tasks extension.
//
// It has only tests. TestConformance builds the example server
// (examples/python-executor-mcp), which faces the scenarios that apply to
// any server, and the fixture server (./server), which registers the
// suite's fixture tools, prompts and resources through mcptools and faces
// all of them; each scenario is a subtest that fails with the suite's
// failed checks.
//
//	./scripts/test.sh -run Conformance  # installs Node 22 and the suite into ~/.cache/pyexec/conformance
//
// # Excluded scenarios
//
// A scenario that tests a feature pyexec deliberately does not offer
// (sampling, elicitation, …) is excluded: the list, with each reason, is
// excluded in scenarios_test.go, and the README's "Conformance" section
// lists the same (a test holds them equal).
//
// # Finding the suite
//
// PYEXEC_CONFORMANCE_DIR (set by scripts/test.sh; default
// ~/.cache/pyexec/conformance) holds the npm ci of package-lock.json. When
// it is missing or holds other versions, the test skips, or fails in CI
// (CI=true).
package conformance
