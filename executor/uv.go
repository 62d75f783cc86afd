package executor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
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

// uvEnv adapts a child environment for uv (see uvcmd.Env).
func (e *Executor) uvEnv(env []string) []string {
	return uvcmd.Env(env, e.opts.AllowPythonDownloads, e.opts.UVCacheDir)
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
	stdout, _, err := uvcmd.Run(ctx, uvcmd.Cmd{UV: uv, Args: args, Env: e.uvEnv(env), Stdin: strings.Join(norm, "\n") + "\n", Grace: e.opts.Grace})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %v", ErrCancelled, context.Cause(ctx))
		}
		var ue *uvcmd.Error
		if errors.As(err, &ue) {
			return nil, fmt.Errorf("%w: %s", ErrResolution, ue.Message)
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
		if !uvcmd.IsPinned(r) {
			return false
		}
	}
	return true
}
