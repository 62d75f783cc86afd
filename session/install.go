package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/headtail"
	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// uvOutputCap bounds the uv log kept in InstallResult.Output.
const uvOutputCap = 16 << 10

// install runs Install for the turn's holder.
func (s *session) install(ctx context.Context, reqs []string) (*InstallResult, error) {
	ctx, cancel := s.opContext(ctx)
	defer cancel()
	res, err := s.installLocked(ctx, reqs)
	if err != nil {
		return res, err
	}
	k := s.currentKernel()
	if k == nil || k.Exited() {
		return res, nil // the next kernel starts from the venv's python
	}
	if _, err := k.UseVenv(ctx, res.Venv); err != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("the running kernel could not be pointed at the environment (%v); Reset the session to use the packages", err))
	}
	if len(res.Removed) > 0 {
		res.Notes = append(res.Notes, "modules the session had already imported keep their old version until Reset")
	}
	return res, nil
}

// installLocked creates the session's venv if needed and installs reqs.
func (s *session) installLocked(ctx context.Context, reqs []string) (*InstallResult, error) {
	start := time.Now()
	res := &InstallResult{}
	if s.m.cfg.Sandbox != nil {
		if err := uvcmd.CheckConfined(reqs, s.m.cfg.AllowDirectReferences); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrInstall, err)
		}
	}
	venv, created, err := s.ensureVenv(ctx)
	if err != nil {
		return nil, err
	}
	res.Venv, res.VenvCreated = venv, created
	py := pyfind.VenvPython(venv)
	stdout, stderr, err := s.pipInstall(ctx, py, reqs)
	res.Output = capText(strings.TrimSpace(stdout+"\n"+stderr), uvOutputCap)
	res.Elapsed = time.Since(start)
	if err != nil {
		var refused *RefusedError
		switch {
		case ctx.Err() != nil:
			return res, s.cancelled(ctx, "installing")
		case errors.As(err, &refused):
			return res, fmt.Errorf("%w: %w", ErrInstall, err)
		}
		return res, fmt.Errorf("%w: %s: %s", ErrInstall, strings.Join(reqs, " "), lastLines(stderr, 20))
	}
	res.Installed, res.Removed = parseChanges(stdout + "\n" + stderr)
	freeze, _, err := s.m.uv(ctx, "pip", "freeze", "--python", py)
	if err != nil && ctx.Err() != nil {
		return res, s.cancelled(ctx, "installing")
	}
	versions := parseFreeze(freeze)
	for _, r := range reqs {
		name := requirementName(r)
		p := Package{Name: name, Requirement: r}
		if v, ok := versions[normName(name)]; ok {
			p.Name, p.Version = v.Name, v.Version
		}
		res.Requested = append(res.Requested, p)
	}
	s.m.mu.Lock()
	if s.packages == nil {
		s.packages = map[string]Package{}
	}
	for _, p := range res.Requested {
		if p.Version != "" {
			s.packages[normName(p.Name)] = Package{Name: p.Name, Version: p.Version}
		}
	}
	s.m.mu.Unlock()
	res.Elapsed = time.Since(start)
	return res, nil
}

func (s *session) cancelled(ctx context.Context, doing string) error {
	if errors.Is(context.Cause(ctx), ErrClosed) {
		return ErrClosed
	}
	return fmt.Errorf("%w while %s: %w", ErrCancelled, doing, context.Cause(ctx))
}

// ensureVenv returns the session's virtual environment, creating it with
// `uv venv --system-site-packages`: the base interpreter's packages stay
// visible, so a session sees the same packages before and after its
// environment is created lazily.
func (s *session) ensureVenv(ctx context.Context) (venv string, created bool, err error) {
	if v := s.venvDir(); v != "" {
		return v, false, nil
	}
	if s.m.cfg.UV == "" {
		return "", false, ErrUVNotFound
	}
	if s.dir == "" {
		d, err := os.MkdirTemp(s.m.cfg.DataDir, "session-"+safeName(s.id)+"-")
		if err != nil {
			return "", false, fmt.Errorf("session %q: creating its directory: %w", s.id, err)
		}
		s.dir = d
	}
	venv = filepath.Join(s.dir, "venv")
	_ = os.RemoveAll(venv) // the remains of a failed attempt
	_, stderr, err := s.m.uv(ctx, "venv", "--no-config", "--no-project", "--quiet",
		"--python", s.m.cfg.Python, "--system-site-packages", venv)
	if err != nil {
		if ctx.Err() != nil {
			return "", false, s.cancelled(ctx, "creating the virtual environment")
		}
		return "", false, fmt.Errorf("%w: creating the virtual environment: %s", ErrInstall, lastLines(stderr, 20))
	}
	s.m.mu.Lock()
	s.venv = venv
	s.m.mu.Unlock()
	return venv, true, nil
}

func safeName(id string) string {
	var b strings.Builder
	for _, r := range id {
		if b.Len() >= 32 {
			break
		}
		if r < 128 && (r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// pipInstall runs `uv pip install` of reqs into the environment of
// interpreter py. Unconfined sessions let uv do as it likes. Under
// Options.Sandbox uv first runs outside the sandbox with --no-build:
// installing pre-built wheels runs no package code, and it needs the
// network the sandbox may withhold. If a package needs building, that is
// a *RefusedError, unless AllowSourceBuilds: then uv runs again inside the
// sandbox, where the build backend runs (see buildConfined).
func (s *session) pipInstall(ctx context.Context, py string, reqs []string) (stdout, stderr string, err error) {
	c := s.m.cfg
	args := append([]string{"pip", "install", "--python", py}, c.UVArgs...)
	if c.Sandbox == nil {
		return s.m.uv(ctx, append(args, reqs...)...)
	}
	stdout, stderr, err = s.m.uv(ctx, append(append(args, uvcmd.NoBuildArg), reqs...)...)
	if err == nil || ctx.Err() != nil {
		return stdout, stderr, err
	}
	refused := uvcmd.BuildRefused(stderr)
	if refused == nil {
		return stdout, stderr, err
	}
	if !c.AllowSourceBuilds {
		return stdout, stderr, refused
	}
	return s.buildConfined(ctx, py, reqs)
}

// buildConfined runs `uv pip install` inside the session's sandbox, so a
// build backend is confined like a kernel: the writable places are the
// session's environment, a private uv cache (a build must not write into
// the shared cache that later installs read wheels from) and uv's working
// and temporary directories, all but the environment removed afterwards.
// A --cache-dir among UVArgs is replaced by the private cache.
func (s *session) buildConfined(ctx context.Context, py string, reqs []string) (stdout, stderr string, err error) {
	c := s.m.cfg
	tmp, err := os.MkdirTemp("", "pyexec-session-build-")
	if err != nil {
		return "", "", fmt.Errorf("session: private directory for a confined build: %w", err)
	}
	defer os.RemoveAll(tmp)
	cache := filepath.Join(tmp, "uv-cache")
	if err := os.Mkdir(cache, 0o700); err != nil {
		return "", "", fmt.Errorf("session: private uv cache for a confined build: %w", err)
	}
	pol := *c.Sandbox
	if pol.ReadOnlyFS {
		pol.WritableDirs = append(append([]string(nil), c.Sandbox.WritableDirs...), filepath.Dir(filepath.Dir(py)), tmp)
	}
	args := append([]string{"pip", "install", "--python", py}, withoutCacheDir(c.UVArgs)...)
	args = append(append(args, "--cache-dir", cache), reqs...)
	env := uvcmd.Env(os.Environ(), false, cache)
	confine := func(ctx context.Context, cmd *exec.Cmd) (uvcmd.Confinement, error) {
		return sandbox.Prepare(ctx, cmd, &pol, &sandbox.Options{Python: c.Python, ExplicitEnv: uvcmd.ConfinedEnvNames(env), TempDir: tmp})
	}
	stdout, stderr, err = uvcmd.Run(ctx, uvcmd.Cmd{UV: c.UV, Args: args, Env: env, Dir: tmp, Grace: c.Grace, Confine: confine})
	if err != nil && ctx.Err() == nil && pol.NoNetwork {
		stderr += "\n(the build ran inside the session's sandbox, which has no network (no_network): serve the packages from a local index, e.g. UVArgs --find-links DIR)"
	}
	return stdout, stderr, err
}

// withoutCacheDir returns args without --cache-dir and its value.
func withoutCacheDir(args []string) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--cache-dir":
			i++
		case strings.HasPrefix(a, "--cache-dir="):
		default:
			out = append(out, a)
		}
	}
	return out
}

// uv runs uv with args in the data directory (no project or config
// discovery from the server's cwd), in its own process group, with
// VIRTUAL_ENV and CONDA_PREFIX removed and interpreter downloads and progress
// bars off (docs/design.md §3).
func (m *Manager) uv(ctx context.Context, args ...string) (stdout, stderr string, err error) {
	if m.cfg.UV == "" {
		return "", "", ErrUVNotFound
	}
	return uvcmd.Run(ctx, uvcmd.Cmd{UV: m.cfg.UV, Args: args, Env: uvcmd.Env(os.Environ(), false, ""), Dir: m.cfg.DataDir, Grace: m.cfg.Grace})
}

// validateRequirements refuses what uv would not read as one requirement:
// empty strings, several lines, and anything that starts like an option.
func validateRequirements(reqs []string) error {
	for _, r := range reqs {
		if err := uvcmd.CheckRequirement(r); err != nil {
			return fmt.Errorf("%w: %v", ErrInvalidRequirement, err)
		}
	}
	return nil
}

var (
	reqNameRe = regexp.MustCompile(`^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)`)
	changeRe  = regexp.MustCompile(`^\s*([-+~])\s+([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)`)
	normRe    = regexp.MustCompile(`[-_.]+`)
)

// requirementName returns the distribution name a PEP 508 requirement
// starts with, "" for a bare URL or path.
func requirementName(req string) string {
	t := strings.TrimSpace(req)
	if i := strings.Index(t, "://"); i >= 0 {
		// "name @ https://…" names itself; "git+https://…@main" does not.
		if at := strings.IndexByte(t, '@'); at < 0 || at > i {
			return ""
		}
	}
	if strings.HasPrefix(t, ".") || strings.HasPrefix(t, "/") {
		return ""
	}
	m := reqNameRe.FindStringSubmatch(t)
	if m == nil {
		return ""
	}
	return m[1]
}

// normName is the PEP 503 normalised form of a distribution name.
func normName(name string) string {
	return normRe.ReplaceAllString(strings.ToLower(name), "-")
}

// parseChanges reads uv's " + name==version" and " - name==version" lines
// (" ~ " is a reinstall: both).
func parseChanges(log string) (installed, removed []Package) {
	for _, line := range strings.Split(log, "\n") {
		m := changeRe.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		p := Package{Name: m[2], Version: m[3]}
		switch m[1] {
		case "+":
			installed = append(installed, p)
		case "-":
			removed = append(removed, p)
		case "~":
			installed, removed = append(installed, p), append(removed, p)
		}
	}
	return installed, removed
}

// parseFreeze maps normalised names to the name==version lines of `uv pip
// freeze`; "name @ url" lines have no version and are skipped.
func parseFreeze(out string) map[string]Package {
	m := map[string]Package{}
	for _, line := range strings.Split(out, "\n") {
		name, version, ok := strings.Cut(strings.TrimSpace(line), "==")
		if !ok || name == "" || version == "" {
			continue
		}
		m[normName(name)] = Package{Name: name, Version: version}
	}
	return m
}

func sortPackages(ps []Package) {
	sort.Slice(ps, func(i, j int) bool { return normName(ps[i].Name) < normName(ps[j].Name) })
}

func formatPackages(ps []Package) string {
	parts := make([]string, 0, len(ps))
	for _, p := range ps {
		if p.Version != "" {
			parts = append(parts, p.Name+"=="+p.Version)
		} else {
			parts = append(parts, p.Requirement)
		}
	}
	return strings.Join(parts, ", ")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return capText(strings.Join(lines, "\n"), uvOutputCap)
}

func capText(s string, limit int) string {
	c, _ := headtail.Clip(s, limit)
	return strings.ToValidUTF8(c, "\uFFFD")
}
