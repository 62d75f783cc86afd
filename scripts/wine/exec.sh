#!/usr/bin/env bash
# go test -exec for windows/amd64 test binaries: runs one under Wine in the
# prefix scripts/wine/setup.sh made ($WINEPREFIX), with Wine's own messages
# off, so the output is the test's.
set -euo pipefail
: "${WINEPREFIX:?set WINEPREFIX to the prefix scripts/wine/setup.sh prints}"
export WINEDEBUG=-all
exec /usr/lib/wine/wine64 "$@"
