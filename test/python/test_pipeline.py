#!/usr/bin/env python3
"""The SQL pipeline end to end: sql/schema.sql + sql/ingest.sql + the claude_usage macros.

    test_pipeline.py [--extension build/release/claude_usage.duckdb_extension]
                     [--cli .venv/bin/duckdb]

Runs sql/ingest.sql exactly as documented (``con.execute(open('sql/ingest.sql').read())`` in
Python, ``.read sql/ingest.sql`` in the DuckDB shell) over temporary copies of the fixtures in
test/data/ingest/<user>/<project>/*.jsonl (2 users, 4 sessions, 22 events, 2026-05-10..12 UTC)
and checks exact rows: first ingest, idempotence, a changed file (shrunk, same size with a new
mtime, grown) re-ingested without stale rows, since_day (explicit, and NULL = today - 7), an empty
folder, rollback on a failing statement, ids repeated in one batch, username derivation, a file
database reopened read-only + LOAD, no macro of ours stored in the file, the macros from a second
cursor and with a CTE as table argument, and the DuckDB CLI (a database file made by the CLI).

Prints ``FAIL <test>: <check>`` with details for every failing check, one ``ok``/``FAIL`` line per
test, then ``N passed, M failed`` (checks). Exit code 1 when anything failed. Only the standard
library and the ``duckdb`` package (+ pytz for TIMESTAMPTZ values) are used.
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import traceback

import duckdb

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(REPO, "test", "data", "ingest")
SCHEMA_SQL = os.path.join(REPO, "sql", "schema.sql")
INGEST_SQL = os.path.join(REPO, "sql", "ingest.sql")
SINCE = "2026-05-01"  # before every fixture day: a full rebuild of the rollups
TABLES = [
    "usage_attribution_skills", "usage_attribution_agents", "usage_attribution_commands",
    "usage_events", "usage_session_summary", "usage_tool_daily", "usage_plugin_daily",
    "usage_ingested_files",
]
MACROS = ("attribute_events", "tool_daily", "plugin_daily",
          "attribute_usage", "subagent_cost_daily", "plugin_cost_daily",
          "usage_rollup", "usage_sessions", "usage_blocks", "daily", "weekly", "monthly", "sessions", "blocks",
          "token_sum", "row_tokens", "usage_totals")

A1 = "alice/webapp/sess-a1.jsonl"
A2 = "alice/infra/sess-a2.jsonl"
B1 = "bob/webapp/sess-b1.jsonl"
B2 = "bob/cli/sess-b2.jsonl"

ATTRIBUTION_SQL = """
INSERT INTO usage_attribution_skills VALUES
    ('curated', 'plug-my-skill', 'my-skill'), ('flea', 'flea-my-skill', 'my-skill'),
    ('flea', 'flea-skill-pkg', 'flea-skill'), ('curated', 'plug-my-skill', 'my-skill');
INSERT INTO usage_attribution_agents VALUES
    ('flea', 'flea-agents', 'my-agent'), ('flea', 'flea-agents', 'my-agent');
INSERT INTO usage_attribution_commands VALUES
    ('curated', 'plug-compound', 'compound:debug'), ('flea', 'flea-compound', 'compound:debug'),
    ('curated', 'plug-review', 'review-pr');
"""

# (file, line_number, event_type, tool_name, skill/agent/command name, is_error, occurred_at UTC,
#  source, ref_id) of every fixture event, attributed with ATTRIBUTION_SQL.
EVENTS = [
    (A2, 1, "slash_command", None, "compound:debug", False, "2026-05-11 23:30:00", "curated", "plug-compound"),
    (A2, 2, "tool_use", "Skill", "flea-skill", False, "2026-05-11 23:59:59", "flea", "flea-skill-pkg"),
    (A2, 4, "subagent", "Agent", "unknown-agent", False, "2026-05-12 00:00:00", "builtin", None),
    (A2, 5, "tool_use", "Grep", None, True, "2026-05-12 02:01:00", "builtin", None),
    (A2, 7, "tool_use", "Bash", None, False, "2026-05-12 02:02:00", "builtin", None),
    (A1, 1, "slash_command", None, "review-pr", False, "2026-05-10 09:00:00", "curated", "plug-review"),
    (A1, 2, "tool_use", "Skill", "my-skill", False, "2026-05-10 09:00:05", "curated", "plug-my-skill"),
    (A1, 4, "tool_use", "Bash", None, True, "2026-05-10 09:01:00", "builtin", None),
    (A1, 6, "tool_use", "Read", None, False, "2026-05-11 10:00:00", "builtin", None),
    (A1, 6, "subagent", "Task", "my-agent", False, "2026-05-11 10:00:00", "flea", "flea-agents"),
    (A1, 8, "mcp_call", "mcp__github__create_issue", None, True, "2026-05-11 10:05:00", "builtin", None),
    (B2, 1, "slash_command", None, "my-skill", False, "2026-05-12 20:00:00", "builtin", None),
    (B2, 2, "tool_use", "Skill", "my-skill", False, "2026-05-12 20:00:02", "curated", "plug-my-skill"),
    (B2, 4, "tool_use", "WebFetch", None, False, "2026-05-12 20:00:10", "builtin", None),
    (B1, 1, "slash_command", None, "compound:debug", False, "2026-05-11 08:00:00", "curated", "plug-compound"),
    (B1, 2, "tool_use", "Skill", "my-skill", False, "2026-05-11 08:00:05", "curated", "plug-my-skill"),
    (B1, 4, "tool_use", "Bash", None, False, "2026-05-11 08:01:00", "builtin", None),
    (B1, 7, "subagent", "Task", "general-purpose", False, "2026-05-12 08:00:00", "builtin", None),
    (B1, 8, "tool_use", "Edit", None, True, "2026-05-12 08:01:00", "builtin", None),
    (B1, 10, "mcp_call", "mcp__linear__list_issues", None, False, "2026-05-12 08:02:00", "builtin", None),
    (B1, 11, "tool_use", "Bash", None, True, "2026-05-12 08:02:30", "builtin", None),
    (B1, 11, "tool_use", "Skill", "my-skill", False, "2026-05-12 08:02:30", "curated", "plug-my-skill"),
]

# usage_tool_daily / usage_plugin_daily over all fixture days.
TOOL_DAILY = [
    ("2026-05-10", "Bash", "builtin", 1, 1, 1, 1),
    ("2026-05-10", "Skill", "curated", 1, 0, 1, 1),
    ("2026-05-11", "Bash", "builtin", 1, 0, 1, 1),
    ("2026-05-11", "Read", "builtin", 1, 0, 1, 1),
    ("2026-05-11", "Skill", "curated", 1, 0, 1, 1),
    ("2026-05-11", "Skill", "flea", 1, 0, 1, 1),
    ("2026-05-11", "Task", "flea", 1, 0, 1, 1),
    ("2026-05-11", "mcp__github__create_issue", "builtin", 1, 1, 1, 1),
    ("2026-05-12", "Agent", "builtin", 1, 0, 1, 1),
    ("2026-05-12", "Bash", "builtin", 2, 1, 2, 2),
    ("2026-05-12", "Edit", "builtin", 1, 1, 1, 1),
    ("2026-05-12", "Grep", "builtin", 1, 1, 1, 1),
    ("2026-05-12", "Skill", "curated", 2, 0, 1, 2),
    ("2026-05-12", "Task", "builtin", 1, 0, 1, 1),
    ("2026-05-12", "WebFetch", "builtin", 1, 0, 1, 1),
    ("2026-05-12", "mcp__linear__list_issues", "builtin", 1, 0, 1, 1),
]
PLUGIN_DAILY = [
    ("2026-05-10", "curated", "plug-my-skill", 1, 1, 1),
    ("2026-05-10", "curated", "plug-review", 1, 1, 1),
    ("2026-05-11", "curated", "plug-compound", 2, 2, 2),
    ("2026-05-11", "curated", "plug-my-skill", 1, 1, 1),
    ("2026-05-11", "flea", "flea-agents", 1, 1, 1),
    ("2026-05-11", "flea", "flea-skill-pkg", 1, 1, 1),
    ("2026-05-12", "curated", "plug-my-skill", 2, 1, 2),
]
# usage_session_summary: session_id, tool_calls, tool_errors, skill_invocations,
# subagent_dispatches, mcp_calls, slash_commands, malformed_lines, processor_version
SUMMARIES = {
    A1: ("sess-a1", 3, 2, 1, 1, 1, 1, 0, 2),
    A2: ("sess-a2", 3, 1, 1, 1, 0, 1, 0, 2),
    B1: ("sess-b1", 5, 2, 2, 1, 1, 1, 1, 2),
    B2: ("sess-b2", 2, 0, 1, 0, 0, 1, 0, 2),
}

TOOL_SQL = ("SELECT CAST(day AS VARCHAR), tool_name, source, invocations, error_count, distinct_users, "
            "distinct_sessions FROM {}")
PLUGIN_SQL = ("SELECT CAST(day AS VARCHAR), source, ref_id, invocations, distinct_users, distinct_sessions "
              "FROM {}")


# --------------------------------------------------------------------------------------------
# Harness
# --------------------------------------------------------------------------------------------

class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.test = ""
        self.test_failed = 0
        self.test_passed = 0

    def ok(self, name: str, cond: bool, detail: str = "") -> bool:
        if cond:
            self.passed += 1
            self.test_passed += 1
        else:
            self.failed += 1
            self.test_failed += 1
            print(f"FAIL {self.test}: {name}" + (f"\n{detail}" if detail else ""), flush=True)
        return cond

    def eq(self, name: str, actual, expected) -> bool:
        if isinstance(actual, list) and isinstance(expected, list):
            actual, expected = sort_rows(actual), sort_rows(expected)
        if actual == expected:
            return self.ok(name, True)
        detail = [f"  expected: {expected!r}", f"  actual:   {actual!r}"]
        if isinstance(actual, list) and isinstance(expected, list):
            detail = ["  missing: " + repr(r) for r in expected if r not in actual]
            detail += ["  extra:   " + repr(r) for r in actual if r not in expected]
            if not detail:
                detail = [f"  expected: {expected!r}", f"  actual:   {actual!r}"]
        return self.ok(name, False, "\n".join(detail))

    def raises(self, name: str, fn, *args) -> str | None:
        try:
            fn(*args)
        except duckdb.Error as e:
            self.ok(name, True)
            return str(e)
        self.ok(name, False, "  no error was raised")
        return None


def sort_key(row):
    row = row if isinstance(row, tuple) else (row,)
    return tuple((v is None, str(v)) for v in row)


def sort_rows(rows):
    return sorted(rows, key=sort_key)


def connect(ext: str, path: str = ":memory:", read_only: bool = False, load: bool = True):
    con = duckdb.connect(path, read_only=read_only, config={"allow_unsigned_extensions": "true"})
    if load:
        con.execute(f"LOAD '{ext}'")
    return con


def setup_schema(con, attribution: bool = True):
    con.execute(open(SCHEMA_SQL, encoding="utf-8").read())
    if attribution:
        con.execute(ATTRIBUTION_SQL)


def ingest(con, glob: str, since: str | None = SINCE, username: str | None = None, set_vars: bool = True):
    if set_vars:
        con.execute("SET VARIABLE claude_sessions = ?", [glob])
        con.execute("SET VARIABLE claude_since_day = CAST(? AS DATE)", [since])
        con.execute("SET VARIABLE claude_username = CAST(? AS VARCHAR)", [username])
    con.execute(open(INGEST_SQL, encoding="utf-8").read())


def summary_columns(con, glob: str) -> str:
    """session_summary's columns in its order (the table appends later columns at the end)."""
    return ", ".join(r[0] for r in con.execute("SELECT column_name FROM (DESCRIBE SELECT * FROM session_summary(?))",
                                               [glob]).fetchall())


def fetch(con, sql: str, params=None) -> list[tuple]:
    return [tuple(r) for r in con.execute(sql, params or []).fetchall()]


def snapshot(con, tables=TABLES) -> dict:
    return {t: sort_rows(fetch(con, f"SELECT * FROM {t}")) for t in tables}


def rel(root: str, path: str) -> str | None:
    if path is None:
        return None
    prefix = root.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else path


def events(con, root: str) -> list[tuple]:
    rows = fetch(con, """
        SELECT filename, line_number, event_type, tool_name,
               coalesce(skill_name, subagent_type, command_name), is_error,
               CAST(occurred_at AS VARCHAR), source, ref_id, username, processor_version
        FROM usage_events""")
    return [(rel(root, r[0]),) + r[1:] for r in rows]


def expected_events(files=None, user_of=None, exclude=()) -> list[tuple]:
    user_of = user_of or (lambda f: f.split("/")[0])
    return [e + (user_of(e[0]), 2) for e in EVENTS
            if (files is None or e[0] in files) and (e[0], e[1], e[3]) not in exclude]


def summaries(con, root: str) -> dict:
    rows = fetch(con, """
        SELECT filename, username, session_id, tool_calls, tool_errors, skill_invocations,
               subagent_dispatches, mcp_calls, slash_commands, malformed_lines, processor_version
        FROM usage_session_summary""")
    return {rel(root, r[0]): r[1:] for r in rows}


def expected_summaries(files=None, user_of=None) -> dict:
    user_of = user_of or (lambda f: f.split("/")[0])
    return {f: (user_of(f),) + s for f, s in SUMMARIES.items() if files is None or f in files}


def copy_fixtures(tmp: str, name: str = "root") -> str:
    root = os.path.join(tmp, name)
    shutil.copytree(FIXTURES, root)
    return root


def rewrite(path: str, text: str, mtime_delta: float = 100.0):
    """Rewrite a file and move its mtime by whole seconds (read_blob has second precision)."""
    old = os.stat(path).st_mtime
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    os.utime(path, (old + mtime_delta, old + mtime_delta))


def lines_of(path: str) -> list[str]:
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines(keepends=True)


def minus(rows, removed):
    return [r for r in rows if r not in removed]


def in_tx(con) -> bool:
    """True when the connection has an open transaction (BEGIN would fail)."""
    try:
        con.execute("BEGIN TRANSACTION")
    except duckdb.Error:
        return True
    con.execute("ROLLBACK")
    return False


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------

def test_first_ingest(c: Checks, ext: str, tmp: str):
    con, root, glob = ingested_copy(ext, tmp)
    c.ok("no open transaction after the script", not in_tx(con))
    c.eq("usage_events rows", events(con, root), expected_events())
    c.eq("usage_events ids = read_claude_session ids",
         fetch(con, "SELECT id FROM usage_events"),
         fetch(con, "SELECT id FROM read_claude_session(?)", [glob]))
    c.eq("every read_claude_session column stored",
         fetch(con, "SELECT count(*) FROM (SELECT * EXCLUDE (username, source, ref_id, processor_version) "
                    "FROM usage_events EXCEPT ALL SELECT * FROM read_claude_session(?))", [glob]),
         [(0,)])
    c.eq("usage_session_summary rows", summaries(con, root), expected_summaries())
    c.eq("usage_session_summary = session_summary()",
         fetch(con, "SELECT count(*) FROM (SELECT COLUMNS(c -> c <> 'username') FROM usage_session_summary "
                    "EXCEPT ALL SELECT * FROM session_summary(?))".replace(
                        "COLUMNS(c -> c <> 'username')", summary_columns(con, glob)), [glob]),
         [(0,)])
    c.eq("usage_tool_daily rows", fetch(con, TOOL_SQL.format("usage_tool_daily")), TOOL_DAILY)
    c.eq("usage_plugin_daily rows", fetch(con, PLUGIN_SQL.format("usage_plugin_daily")), PLUGIN_DAILY)
    files = fetch(con, "SELECT filename, size, epoch(modified_at), ingested_at IS NOT NULL FROM usage_ingested_files")
    want = [(os.path.join(root, f), os.path.getsize(os.path.join(root, f)),
             float(int(os.stat(os.path.join(root, f)).st_mtime)), True) for f in SUMMARIES]
    c.eq("usage_ingested_files rows", files, want)
    # the macros agree with what the script stored
    c.eq("tool_daily macro = usage_tool_daily",
         fetch(con, TOOL_SQL.format("claude_usage.tool_daily('usage_events')")), TOOL_DAILY)
    c.eq("attribute_events over usage_events keeps the stored attribution",
         fetch(con, "SELECT id, source, ref_id FROM claude_usage.attribute_events('usage_events')"),
         fetch(con, "SELECT id, source, ref_id FROM usage_events"))
    con.close()


def ingested_copy(ext: str, tmp: str):
    """A fresh database with the schema, the fixtures copied to tmp, and one ingest done."""
    root = copy_fixtures(tmp)
    glob = root + "/**/*.jsonl"
    con = connect(ext)
    setup_schema(con)
    ingest(con, glob)
    return con, root, glob


def test_idempotence(c: Checks, ext: str, tmp: str):
    con, root, glob = ingested_copy(ext, tmp)
    before = snapshot(con)
    for run in (2, 3):
        ingest(con, glob)
        after = snapshot(con)
        for t in TABLES:
            c.eq(f"run {run}: {t} unchanged (ingested_at included)", after[t], before[t])
    c.eq("no file is pending", fetch(con, "SELECT count(*) FROM claude_ingest_changed"), [(0,)])
    con.close()


def test_changed_files(c: Checks, ext: str, tmp: str):
    con, root, glob = ingested_copy(ext, tmp)
    before = snapshot(con)
    others = fetch(con, "SELECT filename, ingested_at FROM usage_ingested_files WHERE filename NOT LIKE ?",
                   ["%/" + A1])

    # 1. sess-a1 shrinks to its first 5 lines (3 events): no stale rows of the old content.
    a1 = os.path.join(root, A1)
    rewrite(a1, "".join(lines_of(a1)[:5]))
    ingest(con, glob)
    gone = [(A1, 6, "Read"), (A1, 6, "Task"), (A1, 8, "mcp__github__create_issue")]
    c.eq("shrunk file: usage_events", events(con, root), expected_events(exclude=gone))
    c.eq("shrunk file: ids = read_claude_session ids",
         fetch(con, "SELECT id FROM usage_events"), fetch(con, "SELECT id FROM read_claude_session(?)", [glob]))
    c.eq("shrunk file: summary", summaries(con, root)[A1], ("alice", "sess-a1", 2, 1, 1, 0, 0, 1, 0, 2))
    c.eq("shrunk file: other summaries unchanged",
         {k: v for k, v in summaries(con, root).items() if k != A1},
         {k: v for k, v in expected_summaries().items() if k != A1})
    c.eq("shrunk file: usage_ingested_files size",
         fetch(con, "SELECT size FROM usage_ingested_files WHERE filename = ?", [a1]), [(os.path.getsize(a1),)])
    c.eq("shrunk file: other files not re-ingested",
         fetch(con, "SELECT filename, ingested_at FROM usage_ingested_files WHERE filename NOT LIKE ?",
               ["%/" + A1]), others)
    tool = minus(TOOL_DAILY, [("2026-05-11", "Read", "builtin", 1, 0, 1, 1),
                              ("2026-05-11", "Task", "flea", 1, 0, 1, 1),
                              ("2026-05-11", "mcp__github__create_issue", "builtin", 1, 1, 1, 1)])
    plugin = minus(PLUGIN_DAILY, [("2026-05-11", "flea", "flea-agents", 1, 1, 1)])
    c.eq("shrunk file: usage_tool_daily", fetch(con, TOOL_SQL.format("usage_tool_daily")), tool)
    c.eq("shrunk file: usage_plugin_daily", fetch(con, PLUGIN_SQL.format("usage_plugin_daily")), plugin)
    c.eq("shrunk file: attribution tables untouched",
         [snapshot(con)[t] for t in TABLES[:3]], [before[t] for t in TABLES[:3]])

    # 2. sess-b2 rewritten with the same size, only the mtime tells: WebFetch -> WebFind!
    b2 = os.path.join(root, B2)
    text = open(b2, encoding="utf-8").read()
    size = os.path.getsize(b2)
    rewrite(b2, text.replace('"WebFetch"', '"WebFind!"'))
    c.eq("same-size rewrite keeps the size", os.path.getsize(b2), size)
    ingest(con, glob)
    b2_rows = [r for r in events(con, root) if r[0] == B2]
    want = [r if r[3] != "WebFetch" else r[:3] + ("WebFind!",) + r[4:] for r in expected_events(files={B2})]
    c.eq("same-size rewrite: sess-b2 events", b2_rows, want)
    c.eq("same-size rewrite: ids = read_claude_session ids",
         fetch(con, "SELECT id FROM usage_events"), fetch(con, "SELECT id FROM read_claude_session(?)", [glob]))
    c.eq("same-size rewrite: tool_daily",
         fetch(con, TOOL_SQL.format("usage_tool_daily") + " WHERE tool_name LIKE 'WebF%'"),
         [("2026-05-12", "WebFind!", "builtin", 1, 0, 1, 1)])

    # 3. sess-a1 grows back to its full content: the events return, nothing is doubled.
    shutil.copy(os.path.join(FIXTURES, A1), a1)
    os.utime(a1, (os.stat(a1).st_mtime + 200, os.stat(a1).st_mtime + 200))
    ingest(con, glob)
    c.eq("grown file: sess-a1 events", [r for r in events(con, root) if r[0] == A1],
         expected_events(files={A1}))
    c.eq("grown file: usage_events count", fetch(con, "SELECT count(*), count(DISTINCT id) FROM usage_events"),
         [(22, 22)])
    c.eq("grown file: usage_tool_daily",
         fetch(con, TOOL_SQL.format("usage_tool_daily")),
         [r if r[1] != "WebFetch" else r[:1] + ("WebFind!",) + r[2:] for r in TOOL_DAILY])
    c.eq("grown file: usage_plugin_daily", fetch(con, PLUGIN_SQL.format("usage_plugin_daily")), PLUGIN_DAILY)
    con.close()


def test_since_day(c: Checks, ext: str, tmp: str):
    # Explicit since_day: days before it keep their rows (as the reference), later days are rebuilt.
    root = copy_fixtures(tmp)
    glob = root + "/**/*.jsonl"
    con = connect(ext)
    setup_schema(con)
    ingest(con, glob, since="2026-05-12")
    c.eq("since 2026-05-12: usage_events complete", len(events(con, root)), len(EVENTS))
    c.eq("since 2026-05-12: tool_daily only from that day",
         fetch(con, TOOL_SQL.format("usage_tool_daily")), [r for r in TOOL_DAILY if r[0] >= "2026-05-12"])
    c.eq("since 2026-05-12: plugin_daily only from that day",
         fetch(con, PLUGIN_SQL.format("usage_plugin_daily")), [r for r in PLUGIN_DAILY if r[0] >= "2026-05-12"])
    ingest(con, glob, since="2026-05-10")
    c.eq("since 2026-05-10 (nothing changed): full tool_daily", fetch(con, TOOL_SQL.format("usage_tool_daily")),
         TOOL_DAILY)
    a1 = os.path.join(root, A1)
    rewrite(a1, "".join(lines_of(a1)[:5]))
    ingest(con, glob, since="2026-05-12")
    c.eq("rows before since_day untouched", fetch(con, TOOL_SQL.format("usage_tool_daily")), TOOL_DAILY)
    ingest(con, glob, since="2026-05-11")
    c.eq("rows from since_day rebuilt",
         fetch(con, TOOL_SQL.format("usage_tool_daily") + " WHERE day = DATE '2026-05-11'"),
         [r for r in TOOL_DAILY if r[0] == "2026-05-11" and r[1] not in ("Read", "Task", "mcp__github__create_issue")])
    con.close()

    # since_day NULL (or never set) = today (UTC) - 7 days.
    today = dt.datetime.now(dt.timezone.utc).date()
    root2 = os.path.join(tmp, "recent")
    os.makedirs(os.path.join(root2, "carol", "p"))
    turns = []
    for i, (day, tool) in enumerate([(today - dt.timedelta(days=1), "Read"), (today - dt.timedelta(days=6), "Grep"),
                                     (today - dt.timedelta(days=7), "Bash"), (today - dt.timedelta(days=8), "Edit"),
                                     (today - dt.timedelta(days=30), "Glob")]):
        turns.append('{"type":"assistant","uuid":"r%d","sessionId":"sess-recent","timestamp":"%sT00:00:30Z",'
                     '"message":{"role":"assistant","content":[{"type":"tool_use","id":"t%d","name":"%s",'
                     '"input":{}}]}}\n' % (i, day.isoformat(), i, tool))
    with open(os.path.join(root2, "carol", "p", "recent.jsonl"), "w", encoding="utf-8") as f:
        f.writelines(turns)
    want = sort_rows([((today - dt.timedelta(days=d)).isoformat(), t, "builtin", 1, 0, 1, 1)
                      for d, t in ((1, "Read"), (6, "Grep"), (7, "Bash"))])
    # With TimeZone UTC+14 and UTC-11 at least one local date differs from the UTC date.
    variants = (("NULL", {"since": None}, None), ("never set", {"set_vars": False}, None),
                ("NULL, TimeZone UTC+14", {"since": None}, "Pacific/Kiritimati"),
                ("NULL, TimeZone UTC-11", {"since": None}, "Pacific/Pago_Pago"))
    for label, kwargs, zone in variants:
        con = connect(ext)
        setup_schema(con)
        if zone:
            con.execute(f"SET TimeZone = '{zone}'")
        if not kwargs.get("set_vars", True):
            con.execute("SET VARIABLE claude_sessions = ?", [root2 + "/**/*.jsonl"])
        ingest(con, root2 + "/**/*.jsonl", **kwargs)
        c.eq(f"since_day {label}: all 5 events stored", fetch(con, "SELECT count(*) FROM usage_events"), [(5,)])
        c.eq(f"since_day {label}: tool_daily from today-7 on", fetch(con, TOOL_SQL.format("usage_tool_daily")), want)
        c.eq(f"since_day {label}: username carol",
             fetch(con, "SELECT DISTINCT username FROM usage_events"), [("carol",)])
        con.close()


def test_empty_folder(c: Checks, ext: str, tmp: str):
    empty = os.path.join(tmp, "empty")
    os.makedirs(os.path.join(empty, "alice"))
    con = connect(ext)
    setup_schema(con)
    before = snapshot(con)
    ingest(con, empty + "/**/*.jsonl")
    c.ok("empty folder: no open transaction", not in_tx(con))
    after = snapshot(con)
    for t in TABLES:
        c.eq(f"empty folder, empty database: {t}", after[t], before[t])
    ingest(con, os.path.join(tmp, "no-such-dir") + "/**/*.jsonl")
    c.eq("missing folder: usage_events empty", fetch(con, "SELECT count(*) FROM usage_events"), [(0,)])

    root = copy_fixtures(tmp)
    ingest(con, root + "/**/*.jsonl")
    before = snapshot(con)
    ingest(con, empty + "/**/*.jsonl")
    after = snapshot(con)
    for t in TABLES:
        c.eq(f"empty folder, filled database: {t} unchanged", after[t], before[t])
    con.close()


def test_rollback(c: Checks, ext: str, tmp: str):
    con, root, glob = ingested_copy(ext, tmp)
    keep = [t for t in TABLES if t != "usage_plugin_daily"]
    before = snapshot(con, keep)
    # A change to ingest, and a statement that will fail late in the script.
    a1 = os.path.join(root, A1)
    rewrite(a1, "".join(lines_of(a1)[:5]))
    con.execute("DROP TABLE usage_plugin_daily")
    err = c.raises("ingest fails without usage_plugin_daily", ingest, con, glob)
    c.ok("the error names the table", err is not None and "usage_plugin_daily" in err, f"  error: {err}")
    c.ok("the transaction is still open after the failure", in_tx(con))
    con.execute("ROLLBACK")
    after = snapshot(con, keep)
    for t in keep:
        c.eq(f"after ROLLBACK: {t} = its previous content", after[t], before[t])
    c.eq("after ROLLBACK: sess-a1 still has its 6 events",
         fetch(con, "SELECT count(*) FROM usage_events WHERE filename = ?", [a1]), [(6,)])
    # Schema again (idempotent) restores the table; the next ingest picks the change up.
    setup_schema(con, attribution=False)
    ingest(con, glob)
    gone = [(A1, 6, "Read"), (A1, 6, "Task"), (A1, 8, "mcp__github__create_issue")]
    c.eq("next ingest: usage_events", events(con, root), expected_events(exclude=gone))
    c.eq("next ingest: usage_plugin_daily", fetch(con, PLUGIN_SQL.format("usage_plugin_daily")),
         minus(PLUGIN_DAILY, [("2026-05-11", "flea", "flea-agents", 1, 1, 1)]))
    c.eq("attribution tables never touched", snapshot(con, TABLES[:3]), {t: before[t] for t in TABLES[:3]})
    con.close()


def test_duplicate_ids(c: Checks, ext: str, tmp: str):
    root = copy_fixtures(tmp)
    glob = root + "/**/*.jsonl"
    # Same sessionId and events in two files, and one line repeated inside a file.
    b2, b2_copy = os.path.join(root, B2), os.path.join(root, "bob/cli/sess-b2-copy.jsonl")
    shutil.copy(b2, b2_copy)
    a1 = os.path.join(root, A1)
    lines = lines_of(a1)
    with open(a1, "a", encoding="utf-8") as f:
        f.write(lines[1])  # the Skill tool_use of line 2 again, as line 11
    con = connect(ext)
    setup_schema(con)
    ingest(con, glob)
    c.eq("read_claude_session yields 4 repeated ids",
         fetch(con, "SELECT count(*) - count(DISTINCT id) FROM read_claude_session(?)", [glob]), [(4,)])
    c.eq("usage_events: every id once", fetch(con, "SELECT count(*), count(DISTINCT id) FROM usage_events"),
         [(22, 22)])
    copy_rel = "bob/cli/sess-b2-copy.jsonl"  # sorts before sess-b2.jsonl: its rows are kept
    want = [((copy_rel,) + r[1:]) if r[0] == B2 else r for r in expected_events()]
    c.eq("usage_events: the first file (by name) and line keep the event", events(con, root), want)
    c.eq("usage_session_summary: both copies", sorted(summaries(con, root)),
         sorted(list(SUMMARIES) + [copy_rel]))
    c.eq("usage_ingested_files: 5 files", fetch(con, "SELECT count(*) FROM usage_ingested_files"), [(5,)])
    c.eq("usage_tool_daily as without the duplicates", fetch(con, TOOL_SQL.format("usage_tool_daily")), TOOL_DAILY)
    before = snapshot(con)
    ingest(con, glob)
    c.eq("re-run: unchanged", snapshot(con), before)
    # A later batch repeating stored ids.
    shutil.copy(b2, os.path.join(root, "bob/cli/sess-b2-copy2.jsonl"))
    ingest(con, glob)
    c.eq("later batch with stored ids: still 22 events",
         fetch(con, "SELECT count(*), count(DISTINCT id) FROM usage_events"), [(22, 22)])
    c.eq("later batch with stored ids: 6 summaries", fetch(con, "SELECT count(*) FROM usage_session_summary"), [(6,)])
    con.close()


def test_username(c: Checks, ext: str, tmp: str):
    root = copy_fixtures(tmp)
    loose = os.path.join(root, "loose.jsonl")
    shutil.copy(os.path.join(FIXTURES, B2), loose)
    with open(loose, encoding="utf-8") as f:
        text = f.read().replace("sess-b2", "sess-loose")
    with open(loose, "w", encoding="utf-8") as f:
        f.write(text)

    def users(con, table="usage_events"):
        return fetch(con, f"SELECT filename, username, count(*) FROM {table} GROUP BY ALL")

    con = connect(ext)
    setup_schema(con)
    ingest(con, root + "/**/*.jsonl")
    want = [(os.path.join(root, f), f.split("/")[0], n) for f, n in ((A1, 6), (A2, 5), (B1, 8), (B2, 3))]
    c.eq("first directory below the root; NULL directly in the root",
         users(con), want + [(loose, None, 3)])
    c.eq("summaries too", users(con, "usage_session_summary"),
         [(f, u, 1) for f, u, _ in want] + [(loose, None, 1)])
    con.close()

    con = connect(ext)
    setup_schema(con)
    ingest(con, root + "/**/*.jsonl", username="zoe")
    c.eq("claude_username overrides", fetch(con, "SELECT DISTINCT username FROM usage_events"), [("zoe",)])
    c.eq("claude_username overrides (summaries)",
         fetch(con, "SELECT DISTINCT username FROM usage_session_summary"), [("zoe",)])
    con.close()

    cases = [
        ("wildcard in a middle directory", root + "/*/webapp/*.jsonl",
         [(os.path.join(root, A1), "alice", 6), (os.path.join(root, B1), "bob", 8)]),
        ("'?' wildcard", root + "/b?b/**/*.jsonl",
         [(os.path.join(root, B1), "bob", 8), (os.path.join(root, B2), "bob", 3)]),
        ("deeper fixed root: the project directory", root + "/alice/**/*.jsonl",
         [(os.path.join(root, A1), "webapp", 6), (os.path.join(root, A2), "infra", 5)]),
        ("no wildcard: NULL", os.path.join(root, A1), [(os.path.join(root, A1), None, 6)]),
        # DuckDB's glob normalizes the names it returns; the root is normalized the same way.
        ("'//' and '/./' in the root", root.replace("/", "//") + "/./*/webapp/*.jsonl",
         [(os.path.join(root, A1), "alice", 6), (os.path.join(root, B1), "bob", 8)]),
        ("'..' in the root", root + "/alice/../bob/**/*.jsonl",
         [(os.path.join(root, B1), "webapp", 8), (os.path.join(root, B2), "cli", 3)]),
        ("file:// URL", "file://" + root + "/**/*.jsonl",
         [(os.path.join(root, f), f.split("/")[0], n) for f, n in ((A1, 6), (A2, 5), (B1, 8), (B2, 3))]
         + [(loose, None, 3)]),
    ]
    for label, glob, want in cases:
        con = connect(ext)
        setup_schema(con)
        ingest(con, glob)
        c.eq(label, users(con), want)
        con.close()

    # A relative glob: same file names in every table, usernames, and idempotence.
    relative_users = ([("root/" + f, f.split("/")[0], n) for f, n in ((A1, 6), (A2, 5), (B1, 8), (B2, 3))]
                      + [("root/loose.jsonl", None, 3)])
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        con = connect(ext)
        setup_schema(con)
        ingest(con, "root/**/*.jsonl")
        c.eq("relative glob: usernames", users(con), relative_users)
        before = snapshot(con)
        ingest(con, "root/**/*.jsonl")
        c.eq("relative glob: idempotent", snapshot(con), before)
        ingest(con, "./root/**/*.jsonl")
        c.eq("relative glob with './': the same files, nothing re-ingested", snapshot(con), before)
        con.close()
        con = connect(ext)
        setup_schema(con)
        ingest(con, "./root/**/*.jsonl")
        c.eq("relative glob with './': usernames", users(con), relative_users)
        con.close()
    finally:
        os.chdir(cwd)


def test_file_database(c: Checks, ext: str, tmp: str):
    root = copy_fixtures(tmp)
    path = os.path.join(tmp, "usage.db")
    con = connect(ext, path)
    c.eq("LOAD: no function stored in the file database",
         fetch(con, "SELECT count(*) FROM duckdb_functions() WHERE database_name = 'usage'"), [(0,)])
    c.eq("LOAD: our macros in claude_usage",
         fetch(con, "SELECT function_name FROM duckdb_functions() WHERE database_name = 'claude_usage' "
                    "ORDER BY function_name"),
         [(m,) for m in sorted(MACROS)])
    setup_schema(con)
    ingest(con, root + "/**/*.jsonl")
    c.eq("after ingest: no function stored in the file database",
         fetch(con, "SELECT count(*) FROM duckdb_functions() WHERE database_name = 'usage'"), [(0,)])
    stored_tool = fetch(con, TOOL_SQL.format("usage_tool_daily"))
    stored_plugin = fetch(con, PLUGIN_SQL.format("usage_plugin_daily"))
    c.eq("file database: usage_tool_daily", stored_tool, TOOL_DAILY)
    con.close()

    # Without the extension: the file holds neither macros nor a claude_usage catalog.
    con = connect(ext, path, read_only=True, load=False)
    c.eq("file without LOAD: no function in it",
         fetch(con, "SELECT count(*) FROM duckdb_functions() WHERE database_name = 'usage'"), [(0,)])
    c.eq("file without LOAD: none of our macros anywhere",
         fetch(con, "SELECT count(*) FROM duckdb_functions() WHERE list_contains(?, function_name)", [list(MACROS)]), [(0,)])
    c.eq("file without LOAD: no claude_usage catalog",
         fetch(con, "SELECT count(*) FROM duckdb_databases() WHERE database_name = 'claude_usage'"), [(0,)])
    con.close()

    # Read-only, then LOAD: the macros work over the stored tables.
    con = connect(ext, path, read_only=True)
    c.eq("read-only: the database is read-only",
         fetch(con, "SELECT readonly FROM duckdb_databases() WHERE database_name = 'usage'"), [(True,)])
    c.eq("read-only: tool_daily since 2026-05-11 = stored rows",
         fetch(con, TOOL_SQL.format("claude_usage.tool_daily('usage_events', since_day := DATE '2026-05-11')")),
         [r for r in stored_tool if r[0] >= "2026-05-11"])
    c.eq("read-only: plugin_daily = stored rows",
         fetch(con, PLUGIN_SQL.format("claude_usage.plugin_daily('usage_events')")), stored_plugin)
    c.eq("read-only: attribute_events = stored attribution",
         fetch(con, "SELECT id, source, ref_id FROM claude_usage.attribute_events('usage_events')"),
         fetch(con, "SELECT id, source, ref_id FROM usage_events"))
    cur = con.cursor()
    c.eq("read-only, second cursor: tool_daily",
         fetch(cur, TOOL_SQL.format("claude_usage.tool_daily('usage_events')")), stored_tool)
    cur.close()
    c.eq("read-only: still no function stored in the file",
         fetch(con, "SELECT count(*) FROM duckdb_functions() WHERE database_name = 'usage'"), [(0,)])
    c.raises("read-only: ingest fails", ingest, con, root + "/**/*.jsonl")
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass
    con.close()


def test_cursors_and_ctes(c: Checks, ext: str, tmp: str):
    root = copy_fixtures(tmp)
    con = connect(ext)
    setup_schema(con)
    ingest(con, root + "/**/*.jsonl")
    cur = con.cursor()
    c.eq("second cursor: attribute_events",
         fetch(cur, "SELECT id, source, ref_id FROM claude_usage.attribute_events('usage_events')"),
         fetch(con, "SELECT id, source, ref_id FROM usage_events"))
    c.eq("second cursor: tool_daily", fetch(cur, TOOL_SQL.format("claude_usage.tool_daily('usage_events')")),
         TOOL_DAILY)
    c.eq("second cursor: plugin_daily", fetch(cur, PLUGIN_SQL.format("claude_usage.plugin_daily('usage_events')")),
         PLUGIN_DAILY)
    c.eq("CTE as events and attribution table",
         fetch(cur, """
            WITH bob AS (SELECT * FROM usage_events WHERE username = 'bob'),
                 only_flea AS (SELECT * FROM usage_attribution_skills WHERE source = 'flea')
            SELECT skill_name, source, ref_id, count(*)
            FROM claude_usage.attribute_events('bob', skills := 'only_flea')
            WHERE skill_name IS NOT NULL GROUP BY ALL"""),
         [("my-skill", "flea", "flea-my-skill", 3)])
    c.eq("CTE as rollup input",
         fetch(cur, "WITH a AS (SELECT * FROM usage_events WHERE username = 'alice') "
                    + PLUGIN_SQL.format("claude_usage.plugin_daily('a', since_day := '2026-05-11')")),
         [("2026-05-11", "curated", "plug-compound", 1, 1, 1), ("2026-05-11", "flea", "flea-agents", 1, 1, 1),
          ("2026-05-11", "flea", "flea-skill-pkg", 1, 1, 1)])
    # ingest from the second cursor too
    cur.execute("SET VARIABLE claude_sessions = ?", [root + "/**/*.jsonl"])
    cur.execute(open(INGEST_SQL, encoding="utf-8").read())
    c.eq("ingest from a cursor: nothing changed", fetch(cur, "SELECT count(*) FROM usage_events"), [(22,)])
    cur.close()
    con.close()


def test_cli(c: Checks, ext: str, tmp: str, cli: str):
    if not cli or not os.path.isfile(cli):
        print(f"skip cli: no DuckDB CLI at {cli!r}")
        return
    root = copy_fixtures(tmp)
    db = os.path.join(tmp, "cli.db")  # made by the CLI itself
    ext_sql = os.path.abspath(ext).replace("'", "''")
    glob_sql = (root + "/**/*.jsonl").replace("'", "''")

    def run(script: str) -> tuple[int, list[list[str]], str]:
        p = subprocess.run([cli, "-unsigned", "-csv", "-noheader", db], input=script, cwd=REPO,
                           capture_output=True, text=True, timeout=120)
        return p.returncode, [line.split(",") for line in p.stdout.splitlines() if line.strip()], p.stderr

    report = f"""
SELECT 'events', count(*), count(DISTINCT id), count(DISTINCT username) FROM usage_events;
SELECT 'summaries', count(*) FROM usage_session_summary;
SELECT 'files', count(*) FROM usage_ingested_files;
SELECT 'tool', CAST(day AS VARCHAR), tool_name, source, invocations, error_count, distinct_users, distinct_sessions
    FROM usage_tool_daily ORDER BY ALL;
SELECT 'plugin', CAST(day AS VARCHAR), source, ref_id, invocations, distinct_users, distinct_sessions
    FROM usage_plugin_daily ORDER BY ALL;
SELECT 'ingested', filename, size, CAST(ingested_at AS VARCHAR) FROM usage_ingested_files ORDER BY ALL;
SELECT 'no-macro-in-file', count(*) FROM duckdb_functions() WHERE database_name = 'cli';
"""
    first = f"""
LOAD '{ext_sql}';
.read sql/schema.sql
{ATTRIBUTION_SQL}
SET VARIABLE claude_sessions = '{glob_sql}';
SET VARIABLE claude_since_day = DATE '{SINCE}';
.read sql/ingest.sql
{report}"""
    rc, rows, err = run(first)
    c.ok("cli: first run exits 0", rc == 0, f"  rc={rc}\n{err}")

    def by(kind):
        return by_kind(rows, kind)

    c.eq("cli: events", by("events"), [["22", "22", "2"]])
    c.eq("cli: summaries", by("summaries"), [["4"]])
    c.eq("cli: files", by("files"), [["4"]])
    c.eq("cli: usage_tool_daily", sort_rows([tuple(r) for r in by("tool")]),
         sort_rows([tuple(str(v) for v in r) for r in TOOL_DAILY]))
    c.eq("cli: usage_plugin_daily", sort_rows([tuple(r) for r in by("plugin")]),
         sort_rows([tuple(str(v) for v in r) for r in PLUGIN_DAILY]))
    c.eq("cli: no macro stored in the file", by("no-macro-in-file"), [["0"]])
    ingested = by("ingested")

    second = f"""
LOAD '{ext_sql}';
SET VARIABLE claude_sessions = '{glob_sql}';
SET VARIABLE claude_since_day = DATE '{SINCE}';
.read sql/ingest.sql
{report}"""
    rc, rows2, err = run(second)
    c.ok("cli: second run (reopened file) exits 0", rc == 0, f"  rc={rc}\n{err}")
    c.eq("cli: second run changes nothing", rows2, rows)
    c.eq("cli: ingested_at unchanged", [r[1:] for r in rows2 if r[0] == "ingested"], ingested)

    a1 = os.path.join(root, A1)
    rewrite(a1, "".join(lines_of(a1)[:5]))
    rc, rows3, err = run(second)
    c.ok("cli: third run (changed file) exits 0", rc == 0, f"  rc={rc}\n{err}")
    c.eq("cli: changed file re-ingested", [r[1:] for r in rows3 if r[0] == "events"], [["19", "19", "2"]])

    # A failing statement: .read stops, nothing is committed.
    rewrite(a1, open(os.path.join(FIXTURES, A1), encoding="utf-8").read())
    rc, rows4, err = run(f"""
LOAD '{ext_sql}';
DROP TABLE usage_plugin_daily;
SET VARIABLE claude_sessions = '{glob_sql}';
.read sql/ingest.sql
ROLLBACK;
SELECT 'events', count(*), count(DISTINCT id), count(DISTINCT username) FROM usage_events;
""")
    c.ok("cli: the failing ingest reports the error", "usage_plugin_daily" in err, f"  rc={rc}\n{err}")
    c.eq("cli: after ROLLBACK nothing of it is stored", by_kind(rows4, "events"), [["19", "19", "2"]])


def by_kind(rows, kind):
    return [r[1:] for r in rows if r[0] == kind]


TESTS = [
    ("first ingest", test_first_ingest),
    ("idempotence", test_idempotence),
    ("changed files", test_changed_files),
    ("since_day", test_since_day),
    ("empty folder", test_empty_folder),
    ("rollback", test_rollback),
    ("duplicate ids", test_duplicate_ids),
    ("username", test_username),
    ("file database, read-only", test_file_database),
    ("cursors and CTEs", test_cursors_and_ctes),
]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extension", default=os.path.join(REPO, "build", "release", "claude_usage.duckdb_extension"))
    ap.add_argument("--cli", default=os.path.join(REPO, ".venv", "bin", "duckdb"))
    args = ap.parse_args()
    ext = os.path.abspath(args.extension)
    if not os.path.isfile(ext):
        print(f"test_pipeline: no extension at {ext}")
        return 1
    c = Checks()
    tests = TESTS + [("duckdb cli", lambda c, ext, tmp: test_cli(c, ext, tmp, args.cli))]
    for name, fn in tests:
        c.test, c.test_passed, c.test_failed = name, 0, 0
        tmp = tempfile.mkdtemp(prefix="cu-pipeline-")
        try:
            fn(c, ext, tmp)
        except Exception:  # an unexpected error fails the test, the others still run
            c.ok("no unexpected error", False, traceback.format_exc())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        status = "ok  " if not c.test_failed else "FAIL"
        print(f"{status} {name} ({c.test_passed + c.test_failed} checks)", flush=True)
    print(f"{c.passed} passed, {c.failed} failed")
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
