#!/usr/bin/env bash
# The README's test command: installs what the tests need (uv; Node 22 and
# the MCP conformance suite; Wine), checks formatting and vet, cross-builds
# and vets for macOS and Windows, runs the Windows unit tests under Wine,
# then runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.local/bin:$PATH"
# The same install as python-executor-mcp --install-uv (the README's first
# command), so that either command sets up a fresh machine.
if ! command -v uv >/dev/null 2>&1; then
  echo "installing uv (python3 -m pip install --user uv)…"
  python3 -m pip install --user --quiet --disable-pip-version-check uv
fi
uv --version

# PostgreSQL's server binaries, for the PostgreSQL job store's tests: they
# start a private server per test binary (internal/testenv), so nothing is
# started or configured here, and the cluster that Debian's package may
# create and start on port 5432 is not used. pg_bindir looks where
# internal/testenv does.
pg_bindir() {
  local d
  if [ -n "${PYEXEC_TEST_PG_BINDIR:-}" ]; then
    echo "$PYEXEC_TEST_PG_BINDIR"
    return
  fi
  for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r) "$(pg_config --bindir 2>/dev/null)" \
    "$(dirname "$(command -v postgres 2>/dev/null || echo .)")"; do
    if [ -x "$d/initdb" ] && [ -x "$d/postgres" ]; then
      echo "$d"
      return
    fi
  done
  return 1
}
if ! pg_bindir >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing PostgreSQL (apt-get install postgresql)…"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  else
    echo "PostgreSQL's server binaries (initdb, postgres) not found: install them" \
      "(Debian/Ubuntu: sudo apt-get install postgresql) or set PYEXEC_TEST_PG_BINDIR;" \
      "until then the PostgreSQL tests skip" >&2
    if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then exit 1; fi
  fi
fi
if pg_bindir >/dev/null; then
  echo "PostgreSQL: $(pg_bindir)"
elif [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
  echo "PostgreSQL was installed but its server binaries are still not found" >&2
  exit 1
fi

# The MCP conformance suite (internal/conformance): Node 22 and the suite,
# pinned by internal/conformance/package-lock.json, installed with npm ci
# into a cache directory, again only when the lock file changes. A failed
# install stops CI; elsewhere the conformance test then skips and says why.
export PYEXEC_CONFORMANCE_DIR="${PYEXEC_CONFORMANCE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pyexec/conformance}"
conformance_installed() {
  cmp -s internal/conformance/package-lock.json "$PYEXEC_CONFORMANCE_DIR/package-lock.json" &&
    [ -x "$PYEXEC_CONFORMANCE_DIR/node_modules/.bin/node" ] &&
    [ -f "$PYEXEC_CONFORMANCE_DIR/node_modules/@modelcontextprotocol/conformance/package.json" ]
}
install_conformance() {
  conformance_installed && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "npm not found: cannot install the MCP conformance suite" >&2
    return 1
  fi
  mkdir -p "$(dirname "$PYEXEC_CONFORMANCE_DIR")"
  # One installer at a time (flock, where there is one); a second one
  # finds the first one's result.
  (
    command -v flock >/dev/null 2>&1 && flock 9
    conformance_installed && exit 0
    echo "installing Node 22 and the MCP conformance suite (npm ci) into $PYEXEC_CONFORMANCE_DIR…"
    tmp=$(mktemp -d "$PYEXEC_CONFORMANCE_DIR.XXXXXX")
    cp internal/conformance/package.json internal/conformance/package-lock.json "$tmp/"
    if ! (cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error >&2) ||
      ! "$tmp/node_modules/.bin/node" --version >/dev/null; then
      rm -rf "$tmp"
      exit 1
    fi
    rm -rf "$PYEXEC_CONFORMANCE_DIR"
    mv "$tmp" "$PYEXEC_CONFORMANCE_DIR"
  ) 9>"$PYEXEC_CONFORMANCE_DIR.lock"
}
if ! install_conformance; then
  echo "installing the MCP conformance suite failed" >&2
  if [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then exit 1; fi
fi

unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:" >&2
  echo "$unformatted" >&2
  exit 1
fi
go vet ./...

# Windows and macOS (issue 14): the whole module, test files included,
# must build and vet for both, on amd64 and arm64, so that a Go MCP server
# for either can import it.
start=$SECONDS
for target in darwin/amd64 darwin/arm64 windows/amd64 windows/arm64; do
  GOOS=${target%/*} GOARCH=${target#*/} go build ./...
  GOOS=${target%/*} GOARCH=${target#*/} go vet ./...
done
echo "cross builds and vet (darwin, windows × amd64, arm64): $((SECONDS - start)) s"

# Windows unit tests under Wine, where Wine implements what they test
# (scripts/wine/setup.sh installs it): job-object trees, file locks, .env
# paths, interpreter discovery. Linux/amd64 hosts only (Wine runs amd64).
if [ "$(go env GOHOSTOS)/$(go env GOHOSTARCH)" = linux/amd64 ]; then
  start=$SECONDS
  if prefix=$(scripts/wine/setup.sh); then
    echo "Wine prefix ready: $((SECONDS - start)) s"
    start=$SECONDS
    export WINEPREFIX="$prefix"
    wine_test() { GOOS=windows GOARCH=amd64 go test -count=1 -timeout 5m -exec "$PWD/scripts/wine/exec.sh" "$@"; }
    wine_test ./internal/proc/ ./internal/filelock/ ./envload/ ./internal/pyfind/
    # jobstore but for its concurrent two-process test, which fails about
    # one run in ten under Wine, and the store suite's concurrent appends
    # from two handles, which interleave there (README, "Platforms"); of the
    # next packages
    # only the tests about Windows: the rest need Python or uv.
    wine_test -skip '^TestTwoProcessesConcurrent$|^TestBackendSuite/LogSeveralWriters$' ./jobstore/
    wine_test -run '^TestActivateWindowsPath$' ./internal/uvcmd/
    wine_test -run '^(TestPassProtocol|TestSourceFitsAWindowsCommandLine)$' ./internal/kernel/
    echo "Windows tests under Wine: $((SECONDS - start)) s"
    unset WINEPREFIX
  elif [ "${CI:-}" = true ] || [ "${CI:-}" = 1 ]; then
    echo "setting up Wine failed" >&2
    exit 1
  else
    echo "Wine is not set up: the Windows tests did not run (CI runs them)" >&2
  fi
fi

go test -race -count=1 -timeout 20m "$@" ./...
# The tool suite once more on the other job-store backend, PostgreSQL
# (docs/scale-out.md): the same tests through mcptools, jobs kept in a
# private database instead of the data directory.
PYEXEC_TEST_JOB_STORE=postgres go test -race -count=1 -timeout 20m "$@" ./mcptools/
