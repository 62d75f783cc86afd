package conformance

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/pyexec-mcp/pyexec/internal/testenv"
)

// suitePackage is the npm package of the suite; nodePackage is Node's.
const (
	suitePackage = "@modelcontextprotocol/conformance"
	nodePackage  = "node"
)

// dirEnv names the directory holding the npm ci of package-lock.json.
const dirEnv = "PYEXEC_CONFORMANCE_DIR"

// runTimeout bounds one run of the suite (a whole requirement set; the
// slowest takes ~20 s). The suite's own per-scenario timeout is 30 s.
const runTimeout = 4 * time.Minute

// suite is an installed conformance suite and the Node that runs it.
type suite struct {
	node, cli string // node binary; the suite's entry point
	version   string
}

// findSuite returns the installed suite of the pinned versions. When it is
// missing it skips the test, or fails it in CI.
func findSuite(t *testing.T) *suite {
	t.Helper()
	s, err := locateSuite()
	if err != nil {
		msg := fmt.Sprintf("MCP conformance suite: %v; ./scripts/test.sh installs it (npm ci of internal/conformance/package-lock.json into $%s)", err, dirEnv)
		if testenv.InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return s
}

func locateSuite() (*suite, error) {
	dir := os.Getenv(dirEnv)
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return nil, fmt.Errorf("no $%s and no home directory: %w", dirEnv, err)
		}
		dir = filepath.Join(home, ".cache", "pyexec", "conformance")
	}
	pins, err := pinnedVersions()
	if err != nil {
		return nil, err
	}
	modules := filepath.Join(dir, "node_modules")
	for pkg, want := range pins {
		got, err := packageVersion(filepath.Join(modules, pkg, "package.json"))
		if err != nil {
			return nil, fmt.Errorf("%s is not installed in %s (%v)", pkg, dir, err)
		}
		if got != want {
			return nil, fmt.Errorf("%s %s is installed in %s, package.json pins %s", pkg, got, dir, want)
		}
	}
	s := &suite{
		node:    filepath.Join(modules, ".bin", "node"),
		cli:     filepath.Join(modules, suitePackage, "dist", "index.js"),
		version: pins[suitePackage],
	}
	for _, f := range []string{s.node, s.cli} {
		if _, err := os.Stat(f); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// pinnedVersions reads the exact versions of the suite and of Node from
// package.json, the one place that pins them.
func pinnedVersions() (map[string]string, error) {
	b, err := os.ReadFile("package.json")
	if err != nil {
		return nil, err
	}
	var pkg struct {
		Dependencies map[string]string `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		return nil, fmt.Errorf("package.json: %w", err)
	}
	pins := map[string]string{}
	for _, name := range []string{suitePackage, nodePackage} {
		v := pkg.Dependencies[name]
		if v == "" || strings.ContainsAny(v, "^~<>=* ") {
			return nil, fmt.Errorf("package.json must pin %s to an exact version, not %q", name, v)
		}
		pins[name] = v
	}
	return pins, nil
}

func packageVersion(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	var pkg struct {
		Version string `json:"version"`
	}
	err = json.Unmarshal(b, &pkg)
	return pkg.Version, err
}

// serverScenarios lists every server scenario of the suite.
func (s *suite) serverScenarios(t *testing.T) []string {
	t.Helper()
	out, err := s.command(t.Context(), "list", "--server").CombinedOutput()
	require.NoError(t, err, "conformance list --server:\n%s", out)
	item := regexp.MustCompile(`^\s+- ([a-z0-9-]+)`)
	var names []string
	for line := range strings.Lines(string(out)) {
		if m := item.FindStringSubmatch(line); m != nil {
			names = append(names, m[1])
		}
	}
	require.NotEmpty(t, names, "conformance list --server listed nothing:\n%s", out)
	return names
}

func (s *suite) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, s.node, append([]string{s.cli}, args...)...)
	cmd.Env = append(os.Environ(), "NO_COLOR=1")
	return cmd
}

// A check is one check of a scenario, as the suite records it in
// checks.json.
type check struct {
	ID           string          `json:"id"`
	Name         string          `json:"name"`
	Description  string          `json:"description"`
	Status       string          `json:"status"` // SUCCESS, FAILURE, WARNING, SKIPPED, INFO
	ErrorMessage string          `json:"errorMessage,omitempty"`
	Details      json.RawMessage `json:"details,omitempty"`
}

// A result is what the suite recorded for one scenario.
type result struct {
	Checks []check
}

// failures returns the failed checks.
func (r result) failures() []check {
	return slices.DeleteFunc(slices.Clone(r.Checks), func(c check) bool { return c.Status != "FAILURE" })
}

// report is the suite's output for the failed checks of a scenario.
func (r result) report() string {
	var b strings.Builder
	for _, c := range r.failures() {
		fmt.Fprintf(&b, "check %s (%s): %s\n  %s\n", c.ID, c.Name, c.Description, c.ErrorMessage)
		var compact bytes.Buffer
		if json.Compact(&compact, c.Details) == nil && compact.String() != "null" {
			d := compact.String()
			if len(d) > 2000 {
				d = d[:2000] + "…"
			}
			fmt.Fprintf(&b, "  details: %s\n", d)
		}
	}
	fmt.Fprintf(&b, "(%d of %d checks failed)", len(r.failures()), len(r.Checks))
	return b.String()
}

// resultDir is the name of a scenario's result directory:
// server-<scenario>-<timestamp>.
var resultDir = regexp.MustCompile(`^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$`)

// run runs the scenarios that revision (a wire: 2025-11-25, 2026-07-28)
// requires, with the extension and pending scenarios the suite runs at it,
// against url, and returns their results by scenario. Its exit status is
// not the verdict (excluded scenarios fail): the checks are.
func (s *suite) run(t *testing.T, url, revision string) (map[string]result, string) {
	t.Helper()
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	cmd := s.command(ctx, "server", "--url", url, "--requirements", revision, "-o", out)
	cmd.Dir = out
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	err := cmd.Run()
	t.Logf("conformance %s server --requirements %s: %v (%s)", s.version, revision, time.Since(start).Round(time.Millisecond), exitStatus(err))
	require.NoError(t, ctx.Err(), "the suite did not finish within %s:\n%s", runTimeout, log.String())

	entries, rerr := os.ReadDir(out)
	require.NoError(t, rerr)
	results := map[string]result{}
	for _, e := range entries {
		m := resultDir.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		f := filepath.Join(out, e.Name(), "checks.json")
		b, err := os.ReadFile(f)
		require.NoError(t, err, "suite output:\n%s", log.String())
		var checks []check
		require.NoError(t, json.Unmarshal(b, &checks), "%s", f)
		results[m[1]] = result{Checks: checks}
	}
	require.NotEmpty(t, results, "the suite recorded no scenario (%v):\n%s", err, log.String())
	return results, summary(log.String())
}

// summary is the suite's closing summary, from "=== SUMMARY ===" on.
func summary(log string) string {
	if _, s, ok := strings.Cut(log, "=== SUMMARY ==="); ok {
		return strings.TrimSpace(s)
	}
	sc := bufio.NewScanner(strings.NewReader(log))
	var last []string
	for sc.Scan() {
		last = append(last, sc.Text())
	}
	return strings.Join(last[max(0, len(last)-20):], "\n")
}

func exitStatus(err error) string {
	if err == nil {
		return "exit 0"
	}
	return err.Error()
}
