#!/usr/bin/env python3
"""End to end: sql/schema.sql + sql/ingest.sql against the reference, over the upstream fixtures.

    e2e_ingest.py --extension build/release/claude_usage.duckdb_extension [--shared ../shared]

1. A fresh DuckDB with the extension: sql/schema.sql, attribution rows, then sql/ingest.sql
   (as documented: ``con.execute(open('sql/ingest.sql').read())``) over a temporary copy of
   <shared>/fixtures/upstream laid out as <root>/<user>/*.jsonl (the files dealt to two users),
   with the default username (the first directory below the root) and a fixed since_day.
2. The oracle (<shared>/tools/reference_oracle.py) on the same files: the multiset of its event
   ids must equal the ids in usage_events.
3. A second DuckDB connection (no extension) with the same schema and attribution rows, whose
   usage_events is filled from the oracle's events, attributed by the reference's own
   ``usage_lib.AttributionLookup`` (``attribute`` on ``ParsedEvent`` objects), same usernames;
   then the reference's ``rebuild_rollups(conn, since_day=...)``. usage_tool_daily and
   usage_plugin_daily must equal the extension's rows exactly (multisets), and so must every
   event's (source, ref_id).

Prints ``e2e: ... exact`` lines (or what differs) and exits 1 on any mismatch; when the shared
folder is absent prints ``e2e: skipped ...`` and exits 0.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import os
import shutil
import sys
import tempfile

import duckdb

from conformance import oracle  # test/ is this script's folder, first on sys.path

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCHEMA_SQL = os.path.join(REPO, "sql", "schema.sql")
INGEST_SQL = os.path.join(REPO, "sql", "ingest.sql")
USERS = ("alice", "bob")
SINCE = dt.date(2026, 5, 1)

ATTRIBUTION_SQL = """
INSERT INTO usage_attribution_skills VALUES
    ('curated', 'cur-my-skill', 'my-skill'), ('flea', 'flea-my-skill', 'my-skill'),
    ('flea', 'flea-skill-pkg', 'flea-skill'), ('curated', 'cur-my-skill', 'my-skill');
INSERT INTO usage_attribution_agents VALUES
    ('flea', 'flea-agents', 'my-agent');
INSERT INTO usage_attribution_commands VALUES
    ('curated', 'cur-compound', 'compound:debug'), ('flea', 'flea-compound', 'compound:debug');
"""

TOOL_SQL = ("SELECT CAST(day AS VARCHAR), tool_name, source, invocations, error_count, distinct_users, "
            "distinct_sessions FROM usage_tool_daily")
PLUGIN_SQL = ("SELECT CAST(day AS VARCHAR), source, ref_id, invocations, distinct_users, distinct_sessions "
              "FROM usage_plugin_daily")


def layout(upstream: str, root: str) -> dict[str, str]:
    """Copy the fixtures as <root>/<user>/<name>.jsonl, dealt round robin; return path -> user."""
    names = sorted(n for n in os.listdir(upstream) if n.endswith(".jsonl"))
    users = {}
    for i, name in enumerate(names):
        user = USERS[i % len(USERS)]
        os.makedirs(os.path.join(root, user), exist_ok=True)
        dest = os.path.join(root, user, name)
        shutil.copyfile(os.path.join(upstream, name), dest)
        users[dest] = user
    return users


def extension_side(ext: str, root: str):
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{ext}'")
    con.execute(open(SCHEMA_SQL, encoding="utf-8").read())
    con.execute(ATTRIBUTION_SQL)
    con.execute("SET VARIABLE claude_sessions = ?", [root + "/**/*.jsonl"])
    con.execute("SET VARIABLE claude_since_day = ?", [SINCE])
    con.execute(open(INGEST_SQL, encoding="utf-8").read())
    events = con.execute("SELECT id, filename, username, source, ref_id FROM usage_events").fetchall()
    tool = con.execute(TOOL_SQL).fetchall()
    plugin = con.execute(PLUGIN_SQL).fetchall()
    con.close()
    return events, tool, plugin


def reference_side(shared: str, rows: list[dict], users: dict[str, str]):
    sys.path.insert(0, os.path.join(shared, "reference"))
    import usage_lib  # noqa: E402  (the reference module itself)

    con = duckdb.connect()
    con.execute(open(SCHEMA_SQL, encoding="utf-8").read())  # tables only: no extension needed
    con.execute(ATTRIBUTION_SQL)
    lookup = usage_lib.AttributionLookup(con)
    fields = [f.name for f in usage_lib.ParsedEvent.__dataclass_fields__.values()]
    attributed = []
    for row in rows:
        if row["kind"] != "event":
            continue
        occurred = dt.datetime.strptime(row["occurred_at"], "%Y-%m-%d %H:%M:%S.%f") if row["occurred_at"] else None
        event = usage_lib.ParsedEvent(**{f: (occurred if f == "occurred_at" else row[f]) for f in fields})
        source, ref_id = lookup.attribute(event)
        username = users[row["filename"]]
        con.execute(
            "INSERT OR IGNORE INTO usage_events (id, filename, session_id, event_uuid, parent_uuid, tool_id, "
            "event_type, tool_name, skill_name, subagent_type, command_name, is_error, model, cwd, occurred_at, "
            "username, source, ref_id, processor_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [row["id"], row["filename"], row["session_id"], event.event_uuid, event.parent_uuid, event.tool_id,
             event.event_type, event.tool_name, event.skill_name, event.subagent_type, event.command_name,
             event.is_error, event.model, event.cwd, occurred, username, source, ref_id,
             usage_lib.USAGE_PROCESSOR_VERSION])
        attributed.append((row["id"], row["filename"], username, source, ref_id))
    usage_lib.rebuild_rollups(con, since_day=SINCE)
    tool = con.execute(TOOL_SQL).fetchall()
    plugin = con.execute(PLUGIN_SQL).fetchall()
    con.close()
    return attributed, tool, plugin


def compare(label: str, actual, expected) -> bool:
    a, e = collections.Counter(map(tuple, actual)), collections.Counter(map(tuple, expected))
    if a == e:
        print(f"e2e: {label}: {sum(e.values())} rows exact")
        return True
    print(f"e2e: {label}: MISMATCH ({sum(a.values())} rows, expected {sum(e.values())})")
    for row in sorted((e - a).elements(), key=repr):
        print(f"  missing: {row!r}")
    for row in sorted((a - e).elements(), key=repr):
        print(f"  extra:   {row!r}")
    return False


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extension", default=os.path.join(REPO, "build", "release", "claude_usage.duckdb_extension"))
    ap.add_argument("--shared", default=os.path.join(REPO, "..", "shared"))
    args = ap.parse_args()

    shared = os.path.abspath(args.shared)
    upstream = os.path.join(shared, "fixtures", "upstream")
    needed = [os.path.join(shared, "tools", "reference_oracle.py"),
              os.path.join(shared, "reference", "usage_lib.py")]
    if not (os.path.isdir(upstream) and all(os.path.isfile(p) for p in needed)):
        print(f"e2e: skipped ({shared} with fixtures/upstream, tools/reference_oracle.py and "
              "reference/usage_lib.py is absent)")
        return 0
    ext = os.path.abspath(args.extension)
    if not os.path.isfile(ext):
        print(f"e2e: no extension at {ext}")
        return 1

    tmp = tempfile.mkdtemp(prefix="cu-e2e-")
    try:
        root = os.path.join(tmp, "sessions")
        users = layout(upstream, root)
        if not users:
            print(f"e2e: no *.jsonl in {upstream}")
            return 1
        rows = oracle(shared, sorted(users))
        failed = [r for r in rows if r["kind"] == "reference_error"]
        if failed:
            print(f"e2e: the reference cannot process {len(failed)} file(s): "
                  + ", ".join(os.path.basename(r["filename"]) for r in failed))
            return 1

        ext_events, ext_tool, ext_plugin = extension_side(ext, root)
        ref_events, ref_tool, ref_plugin = reference_side(shared, rows, users)

        ok = compare(f"event ids of {len(users)} files (oracle)",
                     [(r[0],) for r in ext_events], [(r["id"],) for r in rows if r["kind"] == "event"])
        ok &= compare("events (id, file, username, source, ref_id) vs AttributionLookup", ext_events, ref_events)
        ok &= compare(f"usage_tool_daily vs rebuild_rollups since {SINCE}", ext_tool, ref_tool)
        ok &= compare(f"usage_plugin_daily vs rebuild_rollups since {SINCE}", ext_plugin, ref_plugin)
        if not ext_plugin:
            print("e2e: usage_plugin_daily is empty: the check would prove nothing")
            ok = False
        print("e2e: all exact" if ok else "e2e: FAILED")
        return 0 if ok else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
