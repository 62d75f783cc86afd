// Package pyfind resolves a Python interpreter name or path to the
// interpreter's own absolute path, once. A pyenv shim is a shell script that
// re-discovers the interpreter on every start (~55 ms here, docs/design.md §3);
// executing the path it resolves to instead costs nothing per run.
package pyfind
