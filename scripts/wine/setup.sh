#!/usr/bin/env bash
# Prepares Wine to run Go's windows/amd64 test binaries (scripts/test.sh):
# installs Debian's wine64 (and binutils-mingw-w64-x86-64, to build the
# bcryptprimitives.dll that Wine 8 lacks) with apt-get when missing, makes
# a Wine prefix owned by this user in $PYEXEC_WINEPREFIX (Wine refuses a
# prefix of another user, so as root it must not be someone's ~/.wine), and
# prints the prefix. The first start of a prefix (wineboot) takes seconds;
# later runs reuse it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
wine=/usr/lib/wine/wine64
if [ ! -x "$wine" ] || ! command -v x86_64-w64-mingw32-as >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "wine64 and binutils-mingw-w64-x86-64 are missing; install them: sudo apt-get install wine64 binutils-mingw-w64-x86-64" >&2
    exit 1
  fi
  echo "installing wine64 and binutils-mingw-w64-x86-64 (apt-get)…" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wine64 binutils-mingw-w64-x86-64 >&2
fi
prefix="${PYEXEC_WINEPREFIX:-${XDG_CACHE_HOME:-$HOME/.cache}/pyexec/wine}"
dll="$prefix/drive_c/windows/system32/bcryptprimitives.dll"
if [ ! -f "$dll" ] || [ "$here/bcryptprimitives.s" -nt "$dll" ]; then
  mkdir -p "$prefix"
  export WINEPREFIX="$prefix" WINEDEBUG=-all
  # wineboot makes the prefix; without 32-bit Wine it warns about syswow64,
  # which 64-bit programs do not need.
  "$wine" wineboot --init >/dev/null 2>&1 || true
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  printf 'LIBRARY advapi32.dll\nEXPORTS\nSystemFunction036\n' >"$tmp/advapi32.def"
  printf 'LIBRARY bcryptprimitives.dll\nEXPORTS\nProcessPrng\n' >"$tmp/bcryptprimitives.def"
  x86_64-w64-mingw32-dlltool -d "$tmp/advapi32.def" -l "$tmp/libadvapi32.a"
  x86_64-w64-mingw32-as -o "$tmp/prng.o" "$here/bcryptprimitives.s"
  x86_64-w64-mingw32-ld -shared -e DllEntry -o "$tmp/bcryptprimitives.dll" \
    "$tmp/bcryptprimitives.def" "$tmp/prng.o" "$tmp/libadvapi32.a"
  mkdir -p "$(dirname "$dll")"
  mv "$tmp/bcryptprimitives.dll" "$dll"
fi
echo "$prefix"
