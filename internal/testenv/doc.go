// Package testenv finds the external tools (a Python interpreter, uv) that
// tests need, and decides what a test does when one is missing: outside CI it
// skips, in CI (CI=true) it fails, so a missing install step cannot hide
// behind a green run.
package testenv
