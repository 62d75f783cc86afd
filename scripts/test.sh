#!/usr/bin/env bash
# The README's test command: installs what the tests need (uv), checks
# formatting and vet, then runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.local/bin:$PATH"
if ! command -v uv >/dev/null 2>&1; then
  echo "installing uv (python3 -m pip install --user uv)…"
  python3 -m pip install --user --quiet --disable-pip-version-check uv
fi
uv --version

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...
go test -race -count=1 -timeout 20m "$@" ./...
