#!/usr/bin/env bash
# Smoke test: load the claude_usage extension into a DuckDB CLI and count the
# events that read_claude_session() reads from test/data/sample/*.jsonl.
#
# Usage: test/smoke_cli.sh <duckdb-cli> <claude_usage.duckdb_extension>
# Prints "cli smoke: ok (<cli version>)" and exits 0, or explains and exits 1.
set -euo pipefail

if [ "$#" -ne 2 ]; then
    echo "usage: $0 <duckdb-cli> <extension>" >&2
    exit 2
fi

fail() {
    echo "cli smoke: FAILED: $*" >&2
    exit 1
}

cli=$1
ext=$2
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

command -v "$cli" >/dev/null 2>&1 || fail "no DuckDB CLI at '$cli'"
[ -f "$ext" ] || fail "no extension file at '$ext'"
ext_abs=$(cd "$(dirname "$ext")" && pwd)/$(basename "$ext")

# SQL string literals: double any single quote
sql_ext=${ext_abs//\'/\'\'}
sql_glob=${repo//\'/\'\'}/test/data/sample/*.jsonl

version=$("$cli" -version 2>/dev/null | head -n 1) || version=""
[ -n "$version" ] || version="unknown version"

status=0
output=$("$cli" -unsigned -noheader -list -c \
    "LOAD '$sql_ext'; SELECT count(*) FROM read_claude_session('$sql_glob');" 2>&1) || status=$?
if [ "$status" -ne 0 ]; then
    printf '%s\n' "$output" >&2
    fail "the CLI exited with status $status"
fi

count=$(printf '%s\n' "$output" | tr -d '\r' | sed -e '/^[[:space:]]*$/d' | tail -n 1 | tr -d '[:space:]')
if ! [[ "$count" =~ ^[0-9]+$ ]]; then
    printf '%s\n' "$output" >&2
    fail "expected a row count, got '$count'"
fi

echo "cli smoke: read_claude_session returned $count rows"
echo "cli smoke: ok ($version)"
