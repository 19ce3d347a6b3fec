#!/usr/bin/env python3
"""Print a short overview of Claude Code sessions with the freshly built extension.

    overview.py --extension build/release/claude_usage.duckdb_extension [PATTERN]

PATTERN defaults to the user's sessions ($CLAUDE_CONFIG_DIR/projects or
~/.claude/projects, **/*.jsonl) when any exist, else the sample sessions in test/data/sample.
"""
import argparse
import glob
import os
import sys

import duckdb


def default_pattern() -> tuple[str, str]:
    config = os.environ.get("CLAUDE_CONFIG_DIR") or os.path.expanduser("~/.claude")
    mine = os.path.join(config, "projects", "**", "*.jsonl")
    if glob.glob(mine, recursive=True):
        return mine, "your sessions"
    here = os.path.dirname(os.path.abspath(__file__))
    sample = os.path.join(here, "..", "test", "data", "sample", "**", "*.jsonl")
    return os.path.normpath(sample), "the bundled sample sessions (no ~/.claude/projects found)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extension", required=True)
    ap.add_argument("pattern", nargs="?")
    args = ap.parse_args()
    pattern, what = (args.pattern, args.pattern) if args.pattern else default_pattern()

    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{os.path.abspath(args.extension)}'")
    con.execute("SET VARIABLE sessions = ?", [pattern])
    print(f"claude_usage overview of {what}\n  {pattern}\n")
    totals = con.sql("""
        SELECT count(*) AS sessions,
               sum(user_messages)::BIGINT AS "user messages",
               sum(tool_calls + subagent_dispatches + mcp_calls)::BIGINT AS "tool calls",
               sum(tool_errors)::BIGINT AS "tool errors",
               round(sum(active_seconds) / 3600, 1) AS "active hours",
               sum(input_tokens_dedup + cache_read_tokens_dedup + cache_creation_tokens_dedup)::BIGINT
                   AS "input tokens (billed, incl. cache)",
               sum(output_tokens_dedup)::BIGINT AS "output tokens (billed)",
               min(started_at) AS "first activity", max(ended_at) AS "last activity"
        FROM session_summary(getvariable('sessions'))""")
    width = max(len(c) for c in totals.columns)
    for name, value in zip(totals.columns, totals.fetchall()[0]):
        print(f"  {name:<{width}}  {value}")
    print()
    print(con.sql("""
        SELECT event_type, count(*) AS events, count(DISTINCT session_id) AS sessions
        FROM read_claude_session(getvariable('sessions')) GROUP BY ALL ORDER BY events DESC"""))
    print(con.sql("""
        SELECT tool_name, count(*) AS calls, count(*) FILTER (is_error) AS errors,
               round(100 * avg(is_error::INT), 1) AS error_pct
        FROM read_claude_session(getvariable('sessions'))
        WHERE tool_name IS NOT NULL GROUP BY ALL ORDER BY calls DESC, tool_name LIMIT 15"""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
