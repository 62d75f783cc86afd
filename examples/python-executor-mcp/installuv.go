package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/pyexec-mcp/pyexec/internal/pyfind"
	"github.com/pyexec-mcp/pyexec/internal/uvcmd"
)

// installTimeout bounds `pip install --user uv`: one wheel from the index,
// which takes seconds; a stalled index must not hang the server's start.
const installTimeout = 5 * time.Minute

// uvDocs is where uv's own installers are described, for a machine where
// pip cannot install it.
const uvDocs = "https://docs.astral.sh/uv/getting-started/installation/"

// uvHint is what to do about a missing uv, in this program's terms.
const uvHint = "rerun with --install-uv (or PYEXEC_INSTALL_UV=1) to install it with `python3 -m pip install --user uv`, " +
	"or install it yourself (" + uvDocs + ") and set -uv (PYEXEC_UV) if it is not on PATH"

// setupUV settles the uv binary of every part of the server: the one
// uvcmd.Find finds (PATH, then ~/.local/bin and ~/.cargo/bin) is written
// into cfg.uv, so that sessions, which look only on PATH, use the same
// one. When there is none and the user asked for it (--install-uv), it
// installs uv with pip and says so in one line on stderr. Without the
// request it installs nothing (the library never does; this program only
// on request) and returns nil: calls that need uv then fail and say why.
func setupUV(ctx context.Context, cfg *config, stderr io.Writer) error {
	p, err := uvcmd.Find(cfg.uv)
	if err == nil {
		cfg.uv = p
		return nil
	}
	if !cfg.installUV {
		return nil
	}
	if cfg.uv != "" {
		// Installing would put uv in ~/.local/bin, not where -uv points.
		return fmt.Errorf("--install-uv: -uv (PYEXEC_UV) is %q, which does not exist; correct it, or unset it to have uv installed", cfg.uv)
	}
	python := cfg.python
	if python == "" {
		python = pyfind.DefaultName
	}
	path, line, err := installUV(ctx, python)
	if err != nil {
		return err
	}
	cfg.uv = path
	fmt.Fprintln(stderr, "python-executor-mcp:", line)
	return nil
}

// installUV installs uv with `python -m pip install --user uv` (what
// scripts/test.sh does) and returns the installed binary and a line that
// says what was installed where. python is resolved to its real path
// first: a pyenv shim would pick an interpreter by the current directory.
func installUV(ctx context.Context, python string) (path, line string, err error) {
	ctx, cancel := context.WithTimeout(ctx, installTimeout)
	defer cancel()
	real, err := pyfind.RealPath(ctx, python, os.Getenv("PATH"))
	if err != nil {
		return "", "", fmt.Errorf("--install-uv: no Python to install uv with (%s: %v); install Python 3, or set -python (PYEXEC_PYTHON) to one", python, err)
	}
	out, err := exec.CommandContext(ctx, real, "-m", "pip", "install", "--user", "--quiet", "--disable-pip-version-check", "uv").CombinedOutput()
	if err != nil {
		return "", "", pipError(real, string(out), err)
	}
	// pip --user puts scripts in the user scheme's scripts directory:
	// ~/.local/bin on Linux (PYTHONUSERBASE moves it), ~/Library/Python/
	// 3.X/bin for a macOS framework build, %APPDATA%\Python\Python3XX\
	// Scripts on Windows. The interpreter knows which (pip asks the same).
	scripts, err := exec.CommandContext(ctx, real, "-c", userScriptsCode).Output()
	if err != nil {
		return "", "", fmt.Errorf("--install-uv: pip installed uv, but asking %s for its user scripts directory failed: %v; run uv from there, or set -uv (PYEXEC_UV)", real, err)
	}
	path = filepath.Join(strings.TrimSpace(string(scripts)), "uv"+exeSuffix())
	ver, err := uvVersion(ctx, path)
	if err != nil {
		return "", "", fmt.Errorf("--install-uv: pip installed uv, but %s does not run (%v); set -uv (PYEXEC_UV) to the installed binary", path, err)
	}
	return path, fmt.Sprintf("installed %s at %s (%s -m pip install --user uv)", ver, path, real), nil
}

// userScriptsCode prints the directory where pip --user installs scripts:
// the preferred user scheme (Python 3.10+), else the platform's.
const userScriptsCode = `import os, sysconfig
f = getattr(sysconfig, "get_preferred_scheme", None)
print(sysconfig.get_path("scripts", f("user") if f else os.name + "_user"))`

// exeSuffix is ".exe" on Windows, where programs have it.
func exeSuffix() string {
	if runtime.GOOS == "windows" {
		return ".exe"
	}
	return ""
}

// uvVersion is what `uv --version` says, as the install and doctor report it.
func uvVersion(ctx context.Context, uv string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, uv, "--version").Output()
	return strings.TrimSpace(string(out)), err
}

// pipError says why pip could not install uv, and what to do instead.
func pipError(python, out string, err error) error {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return fmt.Errorf("--install-uv: %s -m pip install --user uv did not finish within %v; check the network or pip's index settings, or install uv yourself (%s)", python, installTimeout, uvDocs)
	case strings.Contains(out, "No module named pip"):
		return fmt.Errorf("--install-uv: %s has no pip; install it (%s -m ensurepip --user, or the system's python3-pip package) and rerun, or install uv yourself (%s)", python, python, uvDocs)
	case strings.Contains(out, "externally-managed-environment"):
		return fmt.Errorf("--install-uv: %s is managed by the system (PEP 668) and refuses pip --user; install uv with `pipx install uv` or the system's package manager (%s), then set -uv (PYEXEC_UV) if it is not on PATH", python, uvDocs)
	}
	out = strings.TrimSpace(out)
	if len(out) > 2000 {
		out = "…" + out[len(out)-2000:]
	}
	return fmt.Errorf("--install-uv: %s -m pip install --user uv failed (%v): %s; fix that, or install uv yourself (%s)", python, err, out, uvDocs)
}
