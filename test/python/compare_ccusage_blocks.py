#!/usr/bin/env python3
"""Compare claude_usage.blocks(path) with ccusage's `blocks --json --offline`.

Usage::

    python test/python/compare_ccusage_blocks.py --extension build/release/claude_usage.duckdb_extension \
        --ccusage /tmp/ccu-reports/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage \
        [--hours 5] DIR [DIR ...]

Each DIR holds project folders (``DIR/<project>/<session>.jsonl``), as ``projects/`` does. It is
copied into a temporary ``projects/`` for ccusage (which wants that name and follows no links),
ccusage runs with an empty HOME so only these files count, and every block is compared field by
field: start, end, last activity, gap, active, requests, the four token counts, total, models and
cost (within 1e-9 relative). Exit code 1 on any difference.

``--live`` adds a generated tree with requests 90 and 30 minutes ago (an active block: burn rate
and projection compared too). With ``--stand-in`` the requests come from read_json over the same
files instead of read_claude_usage, de-duplicated on (message.id, requestId) and priced by the
sonnet/haiku 4.5 prices: that checks the block rule of claude_block_starts / usage_blocks alone.

Known differences that are not the block rule: ccusage prices no web search (read_claude_usage
does), and its blocks leave out agent_progress copies and lines it skips (see
/work/notes/ccusage_rules.md), which read_claude_usage counts.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

import duckdb

STAND_IN = """
CREATE OR REPLACE TEMP TABLE cu_requests AS
WITH lines AS (
    SELECT * FROM read_json(?, format := 'newline_delimited', columns := {
        timestamp: 'VARCHAR', requestId: 'VARCHAR', sessionId: 'VARCHAR',
        message: 'STRUCT(id VARCHAR, model VARCHAR, usage STRUCT(input_tokens BIGINT, output_tokens BIGINT,
            cache_creation_input_tokens BIGINT, cache_read_input_tokens BIGINT))'}))
SELECT DISTINCT ON (message.id, requestId)
    sessionId AS session_id, CAST(CAST(timestamp AS TIMESTAMPTZ) AT TIME ZONE 'UTC' AS TIMESTAMP) AS occurred_at,
    message.model AS model, message.usage.input_tokens AS input_tokens, message.usage.output_tokens AS output_tokens,
    message.usage.cache_creation_input_tokens AS cache_creation_tokens,
    message.usage.cache_read_input_tokens AS cache_read_tokens, true AS kept,
    (CASE WHEN message.model LIKE 'claude-sonnet-4-5%' THEN [3, 15, 3.75, 0.3] ELSE [1, 5, 1.25, 0.1] END) AS p
FROM lines ORDER BY message.id, requestId, occurred_at;
CREATE OR REPLACE TEMP TABLE cu_requests AS
SELECT * EXCLUDE (p), (input_tokens * p[1] + output_tokens * p[2] + cache_creation_tokens * p[3]
    + cache_read_tokens * p[4]) / 1e6 AS cost_usd FROM cu_requests;
"""


def ours(con, directory, hours, stand_in):
    pattern = os.path.join(directory, "**", "*.jsonl")
    if stand_in:
        first, second = STAND_IN.strip().rstrip(";").split(";\nCREATE", 1)
        con.execute(first, [pattern])
        con.execute("CREATE" + second)
        rel = con.sql("FROM claude_usage.usage_blocks('cu_requests', hours := %r)" % hours)
    else:
        rel = con.sql("FROM claude_usage.blocks(%s, hours := %r)" % ("'" + pattern.replace("'", "''") + "'", hours))
    cols = rel.columns
    return [dict(zip(cols, row)) for row in rel.fetchall()]


def iso(ts):
    return None if ts is None else ts.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (ts.microsecond // 1000)


def theirs(binary, directory, hours):
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copytree(directory, os.path.join(tmp, "config", "projects"))
        os.mkdir(os.path.join(tmp, "home"))
        env = dict(os.environ, HOME=os.path.join(tmp, "home"), CLAUDE_CONFIG_DIR=os.path.join(tmp, "config"))
        out = subprocess.run([binary, "blocks", "--json", "--offline", "-n", str(hours)], env=env,
                             capture_output=True, text=True, timeout=120, check=True).stdout
    return json.loads(out)["blocks"]


def compare(mine, peer):
    problems = []
    if len(mine) != len(peer):
        problems.append("%d blocks here, %d in ccusage" % (len(mine), len(peer)))
    for i, (a, b) in enumerate(zip(mine, peer)):
        t = b["tokenCounts"]
        pairs = {
            "start": (iso(a["block_start"]), b["startTime"]),
            "end": (iso(a["block_end"]), b["endTime"]),
            "last_activity": (iso(a["last_activity"]), b.get("actualEndTime")),
            "is_gap": (a["is_gap"], b["isGap"]),
            "is_active": (a["is_active"], b["isActive"]),
            "requests": (a["requests"], b["entries"]),
            "input": (a["input_tokens"], t["inputTokens"]),
            "output": (a["output_tokens"], t["outputTokens"]),
            "cache_creation": (a["cache_creation_tokens"], t["cacheCreationInputTokens"]),
            "cache_read": (a["cache_read_tokens"], t["cacheReadInputTokens"]),
            "total": (a["total_tokens"], b["totalTokens"]),
            "models": (list(a["models"]), b["models"]),
        }
        for name, (x, y) in pairs.items():
            if x != y:
                problems.append("block %d %s: %r here, %r in ccusage" % (i, name, x, y))
        if abs(a["cost_usd"] - b["costUSD"]) > 1e-9 * max(1.0, abs(b["costUSD"])):
            problems.append("block %d cost: %r here, %r in ccusage" % (i, a["cost_usd"], b["costUSD"]))
        # ccusage gives a burn rate and a projection for the active block only
        rate, projection = b.get("burnRate"), b.get("projection")
        if rate is not None:
            for name, x, y in (("tokens_per_minute", a["tokens_per_minute"], rate["tokensPerMinute"]),
                               ("cost_per_hour", a["cost_per_hour"], rate["costPerHour"])):
                if x is None or abs(x - y) > 1e-9 * max(1.0, abs(y)):
                    problems.append("block %d %s: %r here, %r in ccusage" % (i, name, x, y))
        # the two runs see a different now: a minute's cost of difference at most
        mine_projected = a["projected_cost_usd"]
        if (projection is None) != (mine_projected is None) or (
                projection is not None and abs(mine_projected - projection["totalCost"])
                > 0.01 + (a["cost_per_hour"] or 0) / 60):
            problems.append("block %d projection: %r here, %r in ccusage" % (i, mine_projected, projection))
    return problems


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--extension", required=True)
    ap.add_argument("--ccusage", required=True)
    ap.add_argument("--hours", type=float, action="append")
    ap.add_argument("--stand-in", action="store_true", help="read the files with read_json instead of read_claude_usage")
    ap.add_argument("--live", action="store_true",
                    help="also compare a generated tree with requests 90 and 30 minutes ago (an active block)")
    ap.add_argument("dirs", nargs="*")
    args = ap.parse_args()
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute("LOAD '%s'" % args.extension)
    con.execute("SET TimeZone = 'UTC'")
    failed = 0
    dirs = list(args.dirs)
    live = tempfile.mkdtemp() if args.live else None
    if live:
        import datetime
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        os.makedirs(os.path.join(live, "p1"))
        with open(os.path.join(live, "p1", "s1.jsonl"), "w") as f:
            for n, minutes in enumerate((90, 30)):
                ts = (now - datetime.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
                f.write(json.dumps({"type": "assistant", "sessionId": "s1", "timestamp": ts, "requestId": "r%d" % n,
                                    "cwd": "/w/p1", "version": "2.0.30", "message": {
                                        "id": "m%d" % n, "model": "claude-sonnet-4-5-20250929", "usage": {
                                            "input_tokens": 1000, "output_tokens": 20000,
                                            "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1800}}},
                                   separators=(",", ":")) + "\n")
        dirs.append(live)
    for directory in dirs:
        for hours in args.hours or [5.0]:
            hours = int(hours) if hours == int(hours) else hours
            mine, peer = ours(con, directory, hours, args.stand_in), theirs(args.ccusage, directory, hours)
            problems = compare(mine, peer)
            print("%s %s hours=%s: %d blocks" % ("FAIL" if problems else "same", directory, hours, len(peer)))
            for p in problems:
                print("    " + p)
            failed += bool(problems)
    if live:
        shutil.rmtree(live)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
