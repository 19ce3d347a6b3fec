#!/usr/bin/env bash
# Installs the pinned ccusage (the npm launcher and its static linux-x64 binary) into build/peer/.
# Idempotent: nothing is fetched when the pinned binary is already there. Never fails the build:
# without npm, or when the install does not work, it says so and exits 0 (compare_ccusage.py
# then reports "skipped").
set -u
cd "$(dirname "$0")/../.."
VERSION=20.0.24
PREFIX=build/peer
BIN=$PREFIX/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage
STAMP=$PREFIX/.installed-$VERSION

if [ -f "$STAMP" ] && [ -f "$BIN" ]; then
    echo "install_ccusage: ccusage $VERSION already in $PREFIX"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "install_ccusage: skipped (npm not found)"
    exit 0
fi
if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
    echo "install_ccusage: skipped (the pinned native package is linux-x64 only, this is $(uname -s)-$(uname -m))"
    exit 0
fi
mkdir -p "$PREFIX"
if ! npm install --prefix "$PREFIX" --no-audit --no-fund --no-save --loglevel=error \
        "ccusage@$VERSION" "@ccusage/ccusage-linux-x64@$VERSION" >"$PREFIX/npm.log" 2>&1; then
    echo "install_ccusage: skipped (npm install failed; see $PREFIX/npm.log)"
    tail -5 "$PREFIX/npm.log" | sed 's/^/  /'
    exit 0
fi
if [ ! -f "$BIN" ]; then
    echo "install_ccusage: skipped (npm install did not provide $BIN)"
    exit 0
fi
chmod 755 "$BIN"
if ! "$BIN" --version >/dev/null 2>&1; then
    echo "install_ccusage: skipped ($BIN does not run here)"
    exit 0
fi
touch "$STAMP"
echo "install_ccusage: installed $("$BIN" --version 2>/dev/null | head -1) into $PREFIX"
