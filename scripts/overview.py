#!/usr/bin/env python3
"""Print an overview of Claude Code sessions with the freshly built extension.

    overview.py --extension build/release/claude_usage.duckdb_extension [PATTERN]
    overview.py --set-variable [PATTERN]    # prints the SET VARIABLE statement (for make run's shell)

PATTERN defaults to the user's sessions ($CLAUDE_CONFIG_DIR/projects or
~/.claude/projects, **/*.jsonl) when any exist, else the sample sessions in test/data/sample
and test/data/sample-usage. The figures are the queries of sql/overview.sql, each after its
`-- name:` line. A figure prints as a fixed-width table (numbers right-aligned, text cut at
40 characters), or as name/value lines (NULLs left out) when it has one row.
"""
import argparse
import glob
import os
import re
import sys
from datetime import datetime
from decimal import Decimal

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def default_pattern() -> tuple[str | list[str], str]:
    config = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.expanduser("~/.claude")
    mine = os.path.join(config, "projects", "**", "*.jsonl")
    if glob.glob(mine, recursive=True):
        return mine, "your sessions"
    samples = [os.path.join(REPO, "test", "data", d, "**", "*.jsonl") for d in ("sample", "sample-usage")]
    return samples, "the bundled sample sessions (no ~/.claude/projects found)"


def figures(path: str) -> list[tuple[str, str]]:
    """(title, query) for each `-- name: title` section of the file."""
    parts = re.split(r"^-- name: *(.*)$", open(path).read(), flags=re.M)
    return [(title.strip(), body.strip()) for title, body in zip(parts[1::2], parts[2::2])]


def cell(value, cut: int = 40) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(" ", "seconds" if value.microsecond == 0 else "milliseconds")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    text = str(value)
    return text if len(text) <= cut else text[: cut - 1] + "…"


def table(columns: list[str], rows: list[tuple]) -> str:
    right = [all(isinstance(r[i], (int, float, Decimal)) or r[i] is None for r in rows) for i in range(len(columns))]
    texts = [[cell(v) for v in r] for r in rows]
    widths = [max([len(c)] + [len(t[i]) for t in texts]) for i, c in enumerate(columns)]
    def line(values):
        return "  " + "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)).rstrip()
    return "\n".join([line(columns), line(["-" * w for w in widths])] + [line(t) for t in texts])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extension")
    ap.add_argument("--set-variable", action="store_true", help="print the SET VARIABLE sessions statement and exit")
    ap.add_argument("--sql", default=os.path.join(REPO, "sql", "overview.sql"))
    ap.add_argument("pattern", nargs="?")
    args = ap.parse_args()
    pattern, what = (args.pattern, args.pattern) if args.pattern else default_pattern()
    if args.set_variable:
        quote = lambda p: "'" + p.replace("'", "''") + "'"
        value = quote(pattern) if isinstance(pattern, str) else "[" + ", ".join(map(quote, pattern)) + "]"
        print(f"SET VARIABLE sessions = {value};")
        return 0
    if not args.extension:
        ap.error("--extension is required")

    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{os.path.abspath(args.extension)}'")
    con.execute("SET VARIABLE sessions = ?", [pattern])
    shown = pattern if isinstance(pattern, str) else "\n  ".join(os.path.relpath(p) for p in pattern)
    print(f"claude_usage overview of {what}\n  {shown}\n"
          f"Each figure is a query in sql/overview.sql: paste it into the shell (make run's shell has\n"
          f"the variable set to these files; elsewhere SET VARIABLE sessions = '<glob>' first).\n")
    for title, query in figures(args.sql):
        print(f"== {title}")
        rel = con.sql(query)
        rows = rel.fetchall()
        if not rows:
            print("  (no rows)")
        elif len(rows) == 1:
            pad = max(len(c) for c in rel.columns)
            for name, value in zip(rel.columns, rows[0]):
                if value is not None:
                    print(f"  {name:<{pad}}  {cell(value, 1000)}")
        else:
            print(table(rel.columns, rows))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
