package session

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/headtail"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
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
	venv, created, err := s.ensureVenv(ctx)
	if err != nil {
		return nil, err
	}
	res.Venv, res.VenvCreated = venv, created
	py := filepath.Join(venv, "bin", "python")
	args := append([]string{"pip", "install", "--python", py}, s.m.cfg.UVArgs...)
	stdout, stderr, err := s.m.uv(ctx, append(args, reqs...)...)
	res.Output = capText(strings.TrimSpace(stdout+"\n"+stderr), uvOutputCap)
	res.Elapsed = time.Since(start)
	if err != nil {
		if ctx.Err() != nil {
			return res, s.cancelled(ctx, "installing")
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

// uv runs uv with args in the data directory (no project or config
// discovery from the server's cwd), in its own process group, with
// VIRTUAL_ENV and CONDA_PREFIX removed and interpreter downloads and progress
// bars off (DESIGN §3).
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
