// Package uvcmd is how pyexec starts uv: finding the binary, the environment
// it runs in (docs/design.md §3: no inherited virtualenv or conda environment, no
// interpreter downloads unless allowed, no progress bars), running it in its
// own process group, activating a virtual environment for a child, and the
// check that a requirement is one PEP 508 string and not an option. executor
// (one-shot environments) and session (per-session venvs) share it.
package uvcmd
