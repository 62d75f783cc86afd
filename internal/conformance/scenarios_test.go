package conformance

import (
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// excluded are the server scenarios that test what pyexec deliberately does
// not offer, with the reason: they run (the suite runs a whole requirement
// set) but are not judged. This is the one list; the README's
// "Conformance" section repeats it (TestREADMEListsExclusions).
var excluded = map[string]string{
	// pyexec's servers never ask the client for anything.
	"tools-call-sampling":          "pyexec never sends sampling/createMessage",
	"tools-call-elicitation":       "pyexec never sends elicitation/create",
	"elicitation-sep1034-defaults": "pyexec never sends elicitation/create",
	"elicitation-sep1330-enums":    "pyexec never sends elicitation/create",
	// SEP-2322 (multi round-trip requests): a tool answering
	// input_required with in-band elicitation, sampling or roots requests.
	"input-required-result-basic-elicitation":       "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-basic-sampling":          "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-basic-list-roots":        "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-request-state":           "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-multiple-input-requests": "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-multi-round":             "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-missing-input-response":  "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-non-tool-request":        "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-result-type":             "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-unsupported-methods":     "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-tampered-state":          "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-capability-check":        "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-ignore-extra-params":     "no tool asks for input (SEP-2322 input_required)",
	"input-required-result-validate-input":          "no tool asks for input (SEP-2322 input_required)",
	// Tasks extension: pyexec's tasks are its jobs.
	"tasks-mrtr-input":          "pyexec's tasks never ask for input (input_required, tasks/update with answers)",
	"tasks-mrtr-composition":    "no tool asks for input before it becomes a task (SEP-2322 with SEP-2663)",
	"tasks-required-task-error": "no tool requires a task: without the extension a long call continues as a job the job tools follow",
	// Not in the 2025-11-25 or 2026-07-28 requirement sets.
	"sep-2640-skills-directory":   "the Skills extension (SEP-2640) is not offered",
	"sep-2640-skills-enumeration": "the Skills extension (SEP-2640) is not offered",
	"sep-2640-skills-manifest":    "the Skills extension (SEP-2640) is not offered",
}

// generic are the scenarios that apply to any server, with no fixture: the
// example server faces these (the fixture server faces every scenario).
var generic = []string{
	"server-initialize",
	"server-session-lifecycle",
	"logging-set-level",
	"ping",
	"tools-list", // pyexec's real tool schemas
	"resources-list",
	"prompts-list",
	"server-sse-multiple-streams",
	"dns-rebinding-protection", // the example server's own guard
	"sep-2164-resource-not-found",
	"caching",
	"http-header-validation",
}

// TestREADMEListsExclusions holds the README's table of excluded scenarios
// to excluded.
func TestREADMEListsExclusions(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(b), "\n### Conformance\n")
	require.True(t, ok, `README.md has no "### Conformance" section`)
	if i := strings.Index(section, "\n#"); i >= 0 {
		section = section[:i]
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z0-9-]+)` \\|")
	var listed []string
	for _, m := range row.FindAllStringSubmatch(section, -1) {
		listed = append(listed, m[1])
	}
	slices.Sort(listed)
	require.Equal(t, slices.Sorted(maps.Keys(excluded)), listed,
		"the README's Conformance table must list exactly the excluded scenarios of scenarios_test.go")
}
