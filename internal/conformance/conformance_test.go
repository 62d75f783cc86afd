package conformance

import (
	"encoding/json"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The wires, each the revision whose requirement set runs on it: sessions
// (initialize, Mcp-Session-Id) and stateless (a version and capabilities
// on every request; the Tasks extension).
const (
	wireSessions  = "2025-11-25"
	wireStateless = "2026-07-28"
)

var (
	servers = []string{serverExample, serverFixtures}
	wires   = []string{wireSessions, wireStateless}
)

// TestConformance runs the suite's server scenarios of each wire against
// each server and makes every scenario a subtest:
// TestConformance/<server>/<wire>/<scenario>. The fixture server faces
// every scenario, the example server the generic ones. A scenario fails
// with the checks the suite failed; excluded ones are logged with their
// reason and judged by no subtest.
func TestConformance(t *testing.T) {
	s := findSuite(t)
	all := s.serverScenarios(t)
	checkLists(t, all)
	bins := buildServers(t)

	var mu sync.Mutex
	ran := map[string]map[string]bool{} // server → scenarios judged
	t.Run("servers", func(t *testing.T) {
		for _, server := range servers {
			t.Run(server, func(t *testing.T) {
				t.Parallel()
				var python, uv string
				if server == serverExample {
					python, uv = testenv.Python(t), testenv.UV(t)
				}
				for _, wire := range wires {
					t.Run(wire, func(t *testing.T) {
						t.Parallel()
						var url string
						if server == serverExample {
							url = startExample(t, bins[server], python, uv)
						} else {
							url = startFixtures(t, bins[server])
						}
						results, summary := s.run(t, url, wire)
						judged := judge(t, server, wire, results)
						if t.Failed() {
							t.Logf("the suite's summary (excluded scenarios fail too):\n%s", summary)
						}
						mu.Lock()
						defer mu.Unlock()
						if ran[server] == nil {
							ran[server] = map[string]bool{}
						}
						for _, name := range judged {
							ran[server][name] = true
						}
					})
				}
			})
		}
	})
	if t.Failed() {
		return
	}
	// A scenario the pinned suite adds must be decided on: run (it is in
	// a requirement set) or excluded.
	for _, name := range all {
		if ran[serverFixtures] != nil && !ran[serverFixtures][name] && excluded[name] == "" {
			t.Errorf("scenario %s ran against no server and is not excluded: a new scenario of the suite? Decide whether it applies (scenarios_test.go)", name)
		}
	}
	for _, name := range generic {
		if ran[serverExample] != nil && !ran[serverExample][name] {
			t.Errorf("generic scenario %s ran against %s on no wire", name, serverExample)
		}
	}
}

// judge makes a subtest of every scenario in results that server faces and
// returns their names.
func judge(t *testing.T, server, wire string, results map[string]result) []string {
	var judged []string
	for _, name := range slices.Sorted(maps.Keys(results)) {
		if server == serverExample && !slices.Contains(generic, name) {
			continue // needs fixtures: the fixture server's
		}
		if reason := excluded[name]; reason != "" {
			// Not a subtest: it tests what pyexec does not offer (README).
			t.Logf("%s not judged (excluded: %s)", name, reason)
			continue
		}
		judged = append(judged, name)
		r := results[name]
		t.Run(name, func(t *testing.T) {
			for _, c := range r.Checks {
				if c.Status == "WARNING" {
					t.Logf("warning: %s (%s): %s", c.ID, c.Name, c.ErrorMessage)
				}
			}
			if len(r.failures()) > 0 {
				t.Errorf("%s on %s (%s) failed:\n%s", name, server, wire, r.report())
			}
		})
	}
	return judged
}

// checkLists fails the test when a list of scenarios_test.go names a
// scenario the suite does not have (a typo, or one the suite dropped).
func checkLists(t *testing.T, all []string) {
	t.Helper()
	known := func(list, name string) {
		if !slices.Contains(all, name) {
			t.Errorf("%s names scenario %q, which suite %s does not have", list, name, strings.Join(all, ", "))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(excluded)) {
		known("excluded", name)
	}
	for _, name := range generic {
		known("generic", name)
	}
	if t.Failed() {
		t.FailNow()
	}
}

// TestPinnedVersions keeps package.json's pins exact, so that the lock
// file and the test agree on what runs.
func TestPinnedVersions(t *testing.T) {
	pins, err := pinnedVersions()
	require.NoError(t, err)
	b, err := os.ReadFile("package-lock.json")
	require.NoError(t, err, "run npm install --package-lock-only in internal/conformance")
	var lock struct {
		Packages map[string]struct {
			Version      string            `json:"version"`
			Dependencies map[string]string `json:"dependencies"`
		} `json:"packages"`
	}
	require.NoError(t, json.Unmarshal(b, &lock))
	for pkg, v := range pins {
		require.Equal(t, v, lock.Packages[""].Dependencies[pkg], "package-lock.json is not package.json's: run npm install --package-lock-only in internal/conformance")
		require.Equal(t, v, lock.Packages["node_modules/"+pkg].Version, "package-lock.json locks another %s", pkg)
	}
}
