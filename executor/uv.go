package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
	"github.com/pyexec-mcp/pyexec/sandbox"
)

// uvPath finds the uv binary, once it is there.
func (e *Executor) uvPath() (string, error) {
	e.mu.Lock()
	p := e.uv
	e.mu.Unlock()
	if p != "" {
		return p, nil
	}
	p, err := uvcmd.Find(e.opts.UV)
	if err != nil {
		if e.opts.UV != "" {
			return "", fmt.Errorf("%w (Options.UV %q)", ErrUVNotFound, e.opts.UV)
		}
		return "", ErrUVNotFound
	}
	e.mu.Lock()
	e.uv = p
	e.mu.Unlock()
	return p, nil
}

// How a run's environment may be built (see installPlan).
const (
	buildAny      = "build"          // unconfined: uv builds what it must
	buildNone     = "no-build"       // confined: pre-built wheels only
	buildConfined = "confined-build" // confined, builds allowed: inside the sandbox
)

// installPlan is how uv resolves and installs for one run: with the
// server's environment only, never the call's (a call's UV_FIND_LINKS or
// UV_INDEX_URL would choose what lands in a shared cached environment), and
// under the rules of confined installs when the run is confined.
type installPlan struct {
	uv     string
	python string   // the base interpreter
	env    []string // uv's environment, from the executor's base
	mode   string   // buildAny, buildNone or buildConfined
	policy *sandbox.Policy
}

func (e *Executor) plan(uv string, in Interpreter, req *Request) *installPlan {
	base := e.opts.BaseEnv
	if base == nil {
		base = os.Environ()
	}
	p := &installPlan{uv: uv, python: in.Path, env: uvcmd.Env(base, e.opts.AllowPythonDownloads, e.opts.UVCacheDir), mode: buildAny}
	if req.Sandbox.Enabled() {
		p.mode, p.policy = buildNone, req.Sandbox
		if e.opts.AllowSourceBuilds {
			p.mode = buildConfined
		}
	}
	return p
}

// key is what, besides the requirements and the interpreter, decides what
// uv produces: the server's uv settings, its index options, the build mode.
func (p *installPlan) key(uvArgs []string) string {
	return p.mode + "\x00" + strings.Join(uvArgs, "\x01") + "\x00" + uvcmd.SettingsKey(p.env)
}

// run runs uv with args. A confined plan first runs uv outside the sandbox
// with --no-build: installing and resolving pre-built wheels runs no
// package code, and needs the network that the sandbox may withhold. When
// that fails for want of a build, buildNone refuses (a *RefusedError) and
// buildConfined runs uv again inside the run's sandbox, with a private uv
// cache (a build must not write into the shared one) and writable, the
// directories it installs into, as the only other writable places.
func (e *Executor) uvRun(ctx context.Context, p *installPlan, args []string, stdin string, writable ...string) (string, error) {
	first := args
	if p.mode != buildAny {
		first = append(append([]string(nil), args...), uvcmd.NoBuildArg)
	}
	stdout, _, err := uvcmd.Run(ctx, uvcmd.Cmd{UV: p.uv, Args: first, Env: p.env, Stdin: stdin, Grace: e.opts.Grace})
	if err == nil || p.mode == buildAny || ctx.Err() != nil {
		return stdout, err
	}
	var ue *uvcmd.Error
	if !errors.As(err, &ue) {
		return stdout, err
	}
	refused := uvcmd.BuildRefused(ue.Message)
	if refused == nil {
		return stdout, err
	}
	if p.mode == buildNone {
		return "", refused
	}
	cache, err := os.MkdirTemp(e.opts.TempDir, "pyexec-build-cache-")
	if err != nil {
		return "", fmt.Errorf("executor: private uv cache for a confined build: %w", err)
	}
	defer os.RemoveAll(cache)
	pol := *p.policy
	if pol.ReadOnlyFS {
		pol.WritableDirs = append(append(append([]string(nil), pol.WritableDirs...), cache), writable...)
	}
	env := uvcmd.Env(p.env, e.opts.AllowPythonDownloads, cache)
	confine := func(ctx context.Context, cmd *exec.Cmd) (uvcmd.Confinement, error) {
		box, err := sandbox.Prepare(ctx, cmd, &pol, &sandbox.Options{Python: p.python, ExplicitEnv: uvcmd.ConfinedEnvNames(env), TempDir: e.opts.TempDir})
		if err != nil {
			return nil, err
		}
		return box, nil
	}
	stdout, _, err = uvcmd.Run(ctx, uvcmd.Cmd{UV: p.uv, Args: args, Env: env, Stdin: stdin, Grace: e.opts.Grace, Confine: confine})
	if err != nil && ctx.Err() == nil && pol.NoNetwork && errors.As(err, &ue) {
		ue.Message += "\n(the build ran inside the run's sandbox, which has no network (no_network): serve the packages from a local index, e.g. UVArgs --find-links DIR, or build without no_network)"
	}
	return stdout, err
}

type resolution struct {
	pins []string
	at   time.Time
}

// resolve turns requirements into exact pins of every distribution to be
// installed (`uv pip compile`), so that what is reported is what runs.
// Results are cached: requirement sets that are all pinned forever, others
// for ResolveTTL.
func (e *Executor) resolve(ctx context.Context, p *installPlan, reqs []string) ([]string, error) {
	norm := make([]string, len(reqs))
	for i, r := range reqs {
		norm[i] = strings.TrimSpace(r)
	}
	sort.Strings(norm)
	key := p.python + "\x00" + p.key(e.opts.UVArgs) + "\x00" + strings.Join(norm, "\n")
	e.mu.Lock()
	r, ok := e.resolved[key]
	e.mu.Unlock()
	if ok && (allPinned(norm) || (e.opts.ResolveTTL > 0 && time.Since(r.at) < e.opts.ResolveTTL)) {
		return r.pins, nil
	}
	args := []string{"pip", "compile", "-", "--python", p.python, "--no-header", "--no-annotate", "--quiet", "--no-config"}
	args = append(args, e.opts.UVArgs...)
	stdout, err := e.uvRun(ctx, p, args, strings.Join(norm, "\n")+"\n")
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %v", ErrCancelled, context.Cause(ctx))
		}
		if re := refusal(err); re != nil {
			return nil, re
		}
		if ie := e.unreachable(err, p, norm); ie != nil {
			return nil, ie
		}
		var ue *uvcmd.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("%w: %s\n%s", ErrResolution, ue.Message, resolutionFix)
		}
		return nil, fmt.Errorf("%w: %v", ErrResolution, err)
	}
	var pins []string
	for _, line := range strings.Split(stdout, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") {
			continue
		}
		pins = append(pins, line)
	}
	if p.mode != buildAny {
		// A transitive direct reference is as foreign as a direct one.
		if err := uvcmd.CheckConfined(pins, e.opts.AllowDirectReferences); err != nil {
			return nil, refusal(err)
		}
	}
	e.mu.Lock()
	e.resolved[key] = resolution{pins: pins, at: time.Now()}
	e.mu.Unlock()
	return pins, nil
}

// resolutionFix follows uv's explanation of requirements it cannot satisfy,
// which names them.
const resolutionFix = "(fix or drop the requirement uv names: its package name, version specifier or URL)"

// unreachable returns err as the *IndexError it is when uv could not reach
// a package index, or nil when uv reached it (the requirements are then at
// fault) or err is no uv failure. A URL that one of reqs names itself
// ("name @ url") is that requirement's, not the index's.
func (e *Executor) unreachable(err error, p *installPlan, reqs []string) error {
	var ue *uvcmd.Error
	if !errors.As(err, &ue) {
		return nil
	}
	url, cause, ok := uvcmd.Unreachable(ue.Message)
	if !ok {
		return nil
	}
	for _, r := range reqs {
		if _, ref, found := strings.Cut(r, "@"); found && url != "" && strings.HasPrefix(url, strings.TrimSpace(ref)) {
			return nil
		}
	}
	return &IndexError{URL: url, Index: uvcmd.IndexOf(url, uvcmd.IndexURLs(e.opts.UVArgs, p.env)),
		Offline: uvcmd.Offline(e.opts.UVArgs, p.env), Cause: cause, Message: ue.Message}
}

// refusal returns err as the *RequestError for "dependencies" a refused
// confined install is, or nil when err is no refusal.
func refusal(err error) error {
	var re *RefusedError
	if !errors.As(err, &re) {
		return nil
	}
	return &RequestError{Field: "Dependencies", Reason: re.Error(), Err: re}
}

// allPinned reports whether every requirement is a plain name==version, so
// a resolution can never change (transitive pins included, since the index
// content of a given version is immutable).
func allPinned(reqs []string) bool {
	for _, r := range reqs {
		if !uvcmd.IsPinned(r) {
			return false
		}
	}
	return true
}
