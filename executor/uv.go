package executor

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/proc"
)

// uvPath finds the uv binary.
func (e *Executor) uvPath() (string, error) {
	if e.opts.UV != "" {
		if strings.ContainsRune(e.opts.UV, '/') {
			if _, err := os.Stat(e.opts.UV); err != nil {
				return "", fmt.Errorf("%w (Options.UV %q: %v)", ErrUVNotFound, e.opts.UV, err)
			}
			return e.opts.UV, nil
		}
		p, err := exec.LookPath(e.opts.UV)
		if err != nil {
			return "", fmt.Errorf("%w (Options.UV %q is not on PATH)", ErrUVNotFound, e.opts.UV)
		}
		return p, nil
	}
	if p, err := exec.LookPath("uv"); err == nil {
		return p, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		for _, p := range []string{filepath.Join(home, ".local", "bin", "uv"), filepath.Join(home, ".cargo", "bin", "uv")} {
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	return "", ErrUVNotFound
}

// uvEnv adapts a child environment for uv: no inherited virtualenv or conda
// environment, no interpreter downloads unless allowed, no progress bars.
func (e *Executor) uvEnv(env []string) []string {
	out := make([]string, 0, len(env)+4)
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "VIRTUAL_ENV", "CONDA_PREFIX", "UV_PYTHON_DOWNLOADS", "UV_NO_PROGRESS":
			continue
		case "UV_CACHE_DIR":
			if e.opts.UVCacheDir != "" {
				continue
			}
		}
		out = append(out, kv)
	}
	if e.opts.AllowPythonDownloads {
		out = append(out, "UV_PYTHON_DOWNLOADS=automatic")
	} else {
		out = append(out, "UV_PYTHON_DOWNLOADS=never")
	}
	out = append(out, "UV_NO_PROGRESS=1")
	if e.opts.UVCacheDir != "" {
		out = append(out, "UV_CACHE_DIR="+e.opts.UVCacheDir)
	}
	return out
}

type resolution struct {
	pins []string
	at   time.Time
}

// resolve turns requirements into exact pins of every distribution to be
// installed (`uv pip compile`), so that what is reported is what runs.
// Results are cached: requirement sets that are all pinned forever, others
// for ResolveTTL.
func (e *Executor) resolve(ctx context.Context, uv, python string, reqs []string, env []string) ([]string, error) {
	norm := make([]string, len(reqs))
	for i, r := range reqs {
		norm[i] = strings.TrimSpace(r)
	}
	sort.Strings(norm)
	key := python + "\x00" + strings.Join(e.opts.UVArgs, "\x01") + "\x00" + strings.Join(norm, "\n")
	e.mu.Lock()
	r, ok := e.resolved[key]
	e.mu.Unlock()
	if ok && (allPinned(norm) || (e.opts.ResolveTTL > 0 && time.Since(r.at) < e.opts.ResolveTTL)) {
		return r.pins, nil
	}
	args := []string{"pip", "compile", "-", "--python", python, "--no-header", "--no-annotate", "--quiet", "--no-config"}
	args = append(args, e.opts.UVArgs...)
	stdout, stderr, err := runQuiet(ctx, uv, args, e.uvEnv(env), strings.Join(norm, "\n")+"\n", e.opts.Grace)
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %v", ErrCancelled, context.Cause(ctx))
		}
		msg := strings.TrimSpace(stderr)
		if msg == "" {
			msg = err.Error()
		}
		return nil, fmt.Errorf("%w: %s", ErrResolution, msg)
	}
	var pins []string
	for _, line := range strings.Split(stdout, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "-") {
			continue
		}
		pins = append(pins, line)
	}
	e.mu.Lock()
	e.resolved[key] = resolution{pins: pins, at: time.Now()}
	e.mu.Unlock()
	return pins, nil
}

// allPinned reports whether every requirement is a plain name==version, so
// a resolution can never change (transitive pins included, since the index
// content of a given version is immutable).
func allPinned(reqs []string) bool {
	for _, r := range reqs {
		name, ver, ok := strings.Cut(r, "==")
		if !ok || strings.ContainsAny(ver, "*,;<>!~ ") || !reqNameRe.MatchString(name) || reqNameRe.FindString(name) != name {
			return false
		}
	}
	return true
}

// runQuiet runs a helper command (uv) in its own process group, bounded by
// ctx, and returns its output.
func runQuiet(ctx context.Context, name string, args, env []string, stdin string, grace time.Duration) (string, string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.WaitDelay = time.Second
	p, err := proc.Start(cmd, grace)
	if err != nil {
		return "", "", err
	}
	err = p.Wait(ctx)
	return out.String(), errb.String(), err
}
