#!/usr/bin/env python3
"""The server's request tables, upgrade, readers during ingest, and the Parquet lake.

    test_server.py [--extension build/release/claude_usage.duckdb_extension] [--seed 7] [--steps 40]

- invariant: scripted sequences of file changes (appear, grow, rewrite, vanish, reappear, a
  request copied into a later file, sidechain copies, subagents) and a seeded random sequence;
  after every ingest, ``usage_requests`` equals ``read_claude_usage(dedup := false)`` over a
  mirror holding the last ingested version of every file ever seen (every line, with kept and
  duplicate_lines), ``usage_requests WHERE kept`` equals ``read_claude_usage()`` there, the
  attribution columns equal ``claude_usage.attribute_usage`` of those rows, and
  ``usage_cost_daily`` equals the kept requests grouped by UTC day, user, project, model, source,
  ref_id.
- upgrade: a database made by the previous schema.sql and ingest.sql (test/data/server/*_v1.sql)
  upgraded in place by schema.sql: old rows kept, the layout equals a new database's, the next
  ingest re-reads the files and fills the new columns and tables.
- readers: within one process a cursor reads the committed state while ingest's transaction is
  open; across processes DuckDB's file lock refuses a read-only attach while the writer holds the
  file (and the writer while a reader holds it), measured; a snapshot copy (COPY FROM DATABASE)
  is read by another process while the server ingests.
- export: export.sql twice gives the same files, byte for byte; after more ingests a re-export
  replaces days (the lake equals the tables); two shards over disjoint users exported to one
  folder give the totals of one ingest of all users.

Prints ``FAIL <test>: <check>`` for every failing check, one ``ok``/``FAIL`` line per test, then
``N passed, M failed``; exit code 1 when anything failed.
"""
from __future__ import annotations

import argparse
import glob as globmod
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback

import duckdb

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SQL = os.path.join(REPO, "sql")
SERVER_DATA = os.path.join(REPO, "test", "data", "server")
USAGE_COLUMNS = [
    "filename", "session_id", "agent_id", "project", "cwd", "git_branch", "version", "message_id",
    "request_id", "occurred_at", "line_number", "model", "speed", "service_tier", "is_sidechain",
    "input_tokens", "output_tokens", "cache_creation_tokens", "cache_creation_5m_tokens",
    "cache_creation_1h_tokens", "cache_read_tokens", "web_search_requests", "web_fetch_requests",
    "duplicate_lines", "kept", "cost_usd", "priced_as", "long_context",
]
ATTRIBUTION = ["spawned_by_tool_id", "root_tool_id", "subagent_type", "source", "ref_id"]
COST_KEYS = ["day", "username", "project", "model", "source", "ref_id"]
COST_SUMS = ["requests", "input_tokens", "output_tokens", "cache_creation_tokens", "cache_creation_5m_tokens",
             "cache_creation_1h_tokens", "cache_read_tokens", "cost_usd", "unpriced_tokens"]
EXPORTED = ["usage_requests", "usage_events", "usage_session_summary", "usage_cost_daily", "usage_tool_daily",
            "usage_plugin_daily"]


class Checks:
    def __init__(self):
        self.passed = self.failed = self.test_failed = 0
        self.test = ""

    def ok(self, name, cond, detail=""):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            self.test_failed += 1
            print(f"FAIL {self.test}: {name}" + (f"\n{detail}" if detail else ""))

    def eq(self, name, got, want):
        if got == want:
            self.ok(name, True)
            return
        if isinstance(got, list) and isinstance(want, list):
            g, w = list(got), list(want)
            missing = [r for r in w if r not in g][:5]
            extra = [r for r in g if r not in w][:5]
            self.ok(name, False, f"  got {len(g)} rows, want {len(w)}\n  missing: {missing}\n  extra:   {extra}")
        else:
            self.ok(name, False, f"  got:  {got!r}\n  want: {want!r}")


def sql_file(name):
    return open(os.path.join(SQL, name), encoding="utf-8").read()


def connect(ext, path=":memory:", read_only=False):
    con = duckdb.connect(path, read_only=read_only, config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{ext}'")
    return con


def fetch(con, sql, params=None):
    return [tuple(r) for r in con.execute(sql, params or []).fetchall()]


def ingest(con, glob, username=None, since="2026-01-01"):
    con.execute("SET VARIABLE claude_sessions = ?", [glob])
    con.execute("SET VARIABLE claude_username = CAST(? AS VARCHAR)", [username])
    con.execute("SET VARIABLE claude_since_day = CAST(? AS DATE)", [since])
    con.execute(sql_file("ingest.sql"))


def export(con, to, shard=None):
    con.execute("SET VARIABLE claude_export_to = ?", [to])
    con.execute("SET VARIABLE claude_export_shard = CAST(? AS VARCHAR)", [shard])
    con.execute(sql_file("export.sql"))


# --------------------------------------------------------------------------------------------
# Session lines
# --------------------------------------------------------------------------------------------

def request_line(session, mid, rid, ts, output, sidechain=False, speed=None, model="claude-sonnet-4-5-20250929",
                 agent=None, inp=10, cache_read=0):
    usage = {"input_tokens": inp, "output_tokens": output, "cache_creation_input_tokens": 0,
             "cache_read_input_tokens": cache_read}
    if speed:
        usage["speed"] = speed
    line = {"type": "assistant", "sessionId": session, "timestamp": ts, "cwd": "/home/u/proj", "gitBranch": "main",
            "version": "2.1.39", "isSidechain": sidechain, "requestId": rid,
            "message": {"model": model, "content": [{"type": "text", "text": "ok"}], "usage": usage}}
    if mid is not None:
        line["message"]["id"] = mid
    if agent:
        line["agentId"] = agent
    return json.dumps(line)


def task_lines(session, tool_id, agent, ts):
    """A Task call and its result naming the agent it spawned."""
    call = {"type": "assistant", "sessionId": session, "uuid": f"u-{tool_id}", "timestamp": ts,
            "message": {"model": "claude-opus-4-6", "content": [
                {"type": "tool_use", "id": tool_id, "name": "Task",
                 "input": {"subagent_type": "my-agent", "prompt": "go"}}]}}
    result = {"type": "user", "sessionId": session, "uuid": f"r-{tool_id}", "timestamp": ts,
              "message": {"role": "user", "content": [{"type": "tool_result", "tool_use_id": tool_id, "content": "done"}]},
              "toolUseResult": {"status": "completed", "agentId": agent}}
    return [json.dumps(call), json.dumps(result)]


class Lake:
    """Live session files under <tmp>/live/<user>/..., and a mirror keeping the last ingested
    version of every file ever seen (never deleted from)."""

    def __init__(self, tmp):
        self.live = os.path.join(tmp, "live")
        self.mirror = os.path.join(tmp, "mirror")
        os.makedirs(self.live)
        os.makedirs(self.mirror)
        self.clock = 1_900_000_000

    def _touch(self, path):
        self.clock += 10  # every change gets its own modification time
        os.utime(path, (self.clock, self.clock))

    def write(self, rel, lines):
        path = os.path.join(self.live, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        self._touch(path)

    def append(self, rel, lines):
        path = os.path.join(self.live, rel)
        with open(path, "a", encoding="utf-8") as f:
            f.write("".join(line + "\n" for line in lines))
        self._touch(path)

    def copy_fixture(self, src, rel):
        self.write(rel, open(os.path.join(REPO, src), encoding="utf-8").read().splitlines())

    def delete(self, rel):
        os.remove(os.path.join(self.live, rel))

    def live_files(self):
        return sorted(os.path.relpath(p, self.live) for p in globmod.glob(self.live + "/**/*.jsonl", recursive=True))

    def ingested(self):
        """After an ingest: the mirror takes the live version of every live file."""
        for rel in self.live_files():
            dst = os.path.join(self.mirror, rel)
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(os.path.join(self.live, rel), dst)


def check_invariant(c, con, lake, step):
    """usage_requests and usage_cost_daily against read_claude_usage over the mirror."""
    mirror_files = globmod.glob(lake.mirror + "/**/*.jsonl", recursive=True)
    cols = ", ".join(USAGE_COLUMNS)
    stored_cols = cols.replace("cost_usd", "round(cost_usd, 12) AS cost_usd")
    if mirror_files:
        # filenames mapped back to the live root (same relative paths, so the same sorted order)
        con.execute(f"""CREATE OR REPLACE TEMP TABLE exp_lines AS
            SELECT * EXCLUDE (filename), replace(filename, ?, ?) AS filename,
                   split_part(replace(filename, ?, ''), '/', 1) AS username
            FROM read_claude_usage(?, dedup := false)""",
                    [lake.mirror + "/", lake.live + "/", lake.mirror + "/", lake.mirror + "/**/*.jsonl"])
        con.execute(f"""CREATE OR REPLACE TEMP TABLE exp_kept AS
            SELECT * EXCLUDE (filename), replace(filename, ?, ?) AS filename
            FROM read_claude_usage(?)""", [lake.mirror + "/", lake.live + "/", lake.mirror + "/**/*.jsonl"])
    else:
        con.execute("CREATE OR REPLACE TEMP TABLE exp_lines AS SELECT * EXCLUDE (" + ", ".join(ATTRIBUTION)
                    + ") FROM usage_requests LIMIT 0")
        con.execute("CREATE OR REPLACE TEMP TABLE exp_kept AS SELECT * EXCLUDE (username, "
                    + ", ".join(ATTRIBUTION) + ") FROM usage_requests LIMIT 0")
    got = fetch(con, f"SELECT {stored_cols}, username FROM usage_requests ORDER BY filename, line_number")
    want = fetch(con, f"SELECT {stored_cols}, username FROM exp_lines ORDER BY filename, line_number")
    c.eq(f"{step}: usage_requests = read_claude_usage(dedup := false) over every last ingested version", got, want)
    got = fetch(con, f"SELECT {stored_cols} FROM usage_requests WHERE kept ORDER BY filename, line_number")
    want = fetch(con, f"SELECT {stored_cols} FROM exp_kept ORDER BY filename, line_number")
    c.eq(f"{step}: usage_requests WHERE kept = read_claude_usage()", got, want)
    a = ", ".join(ATTRIBUTION)
    got = fetch(con, f"SELECT filename, line_number, {a} FROM usage_requests ORDER BY ALL")
    want = fetch(con, f"SELECT filename, line_number, {a} FROM claude_usage.attribute_usage('exp_lines') ORDER BY ALL")
    c.eq(f"{step}: attribution = attribute_usage(those lines, usage_events)", got, want)
    con.execute("CREATE OR REPLACE TEMP TABLE exp_attr AS SELECT * FROM claude_usage.attribute_usage('exp_lines')")
    got = fetch(con, "SELECT " + ", ".join(COST_KEYS) + ", " + ", ".join(
        "round(cost_usd, 9)" if s == "cost_usd" else s for s in COST_SUMS) + " FROM usage_cost_daily ORDER BY ALL")
    want = fetch(con, """
        SELECT CAST(occurred_at AS DATE) AS day, username, project, model, source, ref_id, count(*),
               sum(input_tokens), sum(output_tokens), sum(cache_creation_tokens), sum(cache_creation_5m_tokens),
               sum(cache_creation_1h_tokens), sum(cache_read_tokens), round(coalesce(sum(cost_usd), 0), 9),
               coalesce(sum(input_tokens + output_tokens + cache_creation_tokens + cache_read_tokens)
                   FILTER (WHERE cost_usd IS NULL), 0)
        FROM exp_attr WHERE kept GROUP BY ALL ORDER BY ALL""")
    c.eq(f"{step}: usage_cost_daily = kept requests by day, user, project, model, source, ref_id", got, want)
    c.eq(f"{step}: one row per line", fetch(con, "SELECT count(*) - count(DISTINCT (filename, line_number)) FROM usage_requests"),
         [(0,)])


# --------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------

def test_scripted(c, ext, tmp):
    lake = Lake(tmp)
    con = connect(ext)
    con.execute(sql_file("schema.sql"))
    con.execute("INSERT INTO usage_attribution_agents VALUES ('flea', 'flea-agents', 'my-agent')")
    glob = lake.live + "/**/*.jsonl"
    A = "alice/webapp/"
    B = "bob/cli/"
    steps = [
        ("appear", lambda: (lake.copy_fixture("test/data/usage/rules/streaming.jsonl", A + "streaming.jsonl"),
                            lake.copy_fixture("test/data/usage/rules/fast.jsonl", A + "fast.jsonl"),
                            lake.copy_fixture("test/data/usage/resumed/r1.jsonl", B + "r1.jsonl"),
                            lake.copy_fixture("test/data/usage/rules/no_message_id.jsonl", B + "nomsg.jsonl"))),
        ("grow (a larger streaming line wins, a new request)", lambda: lake.append(A + "streaming.jsonl", [
            request_line("s-stream", "msg_s1", "req_s1", "2026-03-01T10:00:04Z", 50),
            request_line("s-stream", "msg_s2", "req_s2", "2026-03-02T10:00:00Z", 3)])),
        ("copy into a later file (resumed session)", lambda: lake.copy_fixture(
            "test/data/usage/resumed/r2.jsonl", B + "r2.jsonl")),
        ("rewrite (fewer lines, another day)", lambda: lake.write(A + "fast.jsonl", [
            request_line("s-fast", "msg_f1", "req_f1", "2026-03-09T09:00:00Z", 1000, speed="fast",
                         model="claude-opus-4-6")])),
        ("vanish (history stays, the copy in r2 stays counted once)", lambda: lake.delete(B + "r1.jsonl")),
        ("nothing changed", lambda: None),
        ("a larger copy in a later file wins; a sidechain copy loses", lambda: lake.write("bob/zz/zz.jsonl", [
            request_line("s-zz", "msg_s1", "req_s1", "2026-03-05T10:00:00Z", 60, sidechain=True),
            request_line("s-zz", "msg_s2", "req_s2", "2026-03-05T10:00:01Z", 30),
            request_line("s-zz", None, "req_n1", "2026-03-05T10:00:02Z", 1)])),
        ("vanish the winner: its line stays kept", lambda: lake.delete("bob/zz/zz.jsonl")),
        ("reappear with other content", lambda: lake.write("bob/zz/zz.jsonl", [
            request_line("s-zz", "msg_s2", "req_s2", "2026-03-06T10:00:01Z", 1)])),
        ("subagent lines before the call that spawned them", lambda: lake.write(
            "alice/agents/sess-sp/subagents/agent-ag1.jsonl", [
                request_line("sess-sp", "msg_a1", "req_a1", "2026-03-07T10:00:00Z", 5, sidechain=True, agent="ag1")])),
        ("the spawning call arrives: the subagent's lines are re-attributed", lambda: lake.write(
            "alice/agents/sess-sp.jsonl", task_lines("sess-sp", "toolu_1", "ag1", "2026-03-07T09:59:00Z")
            + [request_line("sess-sp", "msg_m1", "req_m1", "2026-03-07T09:59:00Z", 7)])),
        ("sidechain fixtures (copies across a session and its subagent)", lambda: (
            lake.copy_fixture("test/data/usage/sidechain/s1.jsonl", "carol/sc/s1.jsonl"),
            lake.copy_fixture("test/data/usage/sidechain/s1/subagents/agent-a1.jsonl", "carol/sc/s1/subagents/agent-a1.jsonl"))),
        ("vanish the main session", lambda: lake.delete("carol/sc/s1.jsonl")),
        ("grow and rewrite in one ingest", lambda: (
            lake.append(B + "r2.jsonl", [request_line("r2", "msg_r9", "req_r9", "2026-03-08T00:00:00Z", 2)]),
            lake.write(A + "streaming.jsonl", [request_line("s-stream", "msg_s1", "req_s1", "2026-03-01T10:00:09Z", 1)]))),
        ("everything vanishes", lambda: [lake.delete(f) for f in lake.live_files()]),
    ]
    before = None
    for name, act in steps:
        act()
        ingest(con, glob)
        lake.ingested()
        check_invariant(c, con, lake, name)
        if name == "nothing changed":
            c.eq("nothing changed: no table changed", snapshot(con), before)
        if name.startswith("the spawning call"):
            c.eq("subagent line attributed to its Task call", fetch(con, """
                SELECT spawned_by_tool_id, subagent_type FROM usage_requests WHERE agent_id = 'ag1'"""),
                 [("toolu_1", "my-agent")])
        before = snapshot(con)
    c.eq("history of vanished files stays", fetch(con, "SELECT count(*) > 0 FROM usage_requests"), [(True,)])
    con.close()


def snapshot(con):
    return {t: sorted(fetch(con, f"SELECT * EXCLUDE (ingested_at) FROM {t}" if t == "usage_ingested_files"
                            else f"SELECT * FROM {t}"), key=repr)
            for t in ["usage_requests", "usage_cost_daily", "usage_events", "usage_session_summary",
                      "usage_ingested_files"]}


def test_random(c, ext, tmp, seed, steps):
    rng = random.Random(seed)
    lake = Lake(tmp)
    con = connect(ext)
    con.execute(sql_file("schema.sql"))
    glob = lake.live + "/**/*.jsonl"
    files = [f"{u}/p{p}/s{s}.jsonl" for u in ("ann", "ben") for p in range(2) for s in range(2)]
    ids = [(f"msg_{i}", f"req_{i}" if i % 5 else None) for i in range(12)]

    def line():
        mid, rid = rng.choice(ids)
        if rng.random() < 0.1:
            mid = None
        return request_line(rng.choice(["sa", "sb"]), mid, rid,
                            f"2026-04-0{rng.randint(1, 3)}T{rng.randint(0, 23):02d}:00:00Z",
                            rng.choice([1, 5, 5, 9]), sidechain=rng.random() < 0.3,
                            speed=rng.choice([None, None, "standard"]),
                            model=rng.choice(["claude-sonnet-4-5-20250929", "claude-opus-4-6", "no-such-model"]))

    for i in range(steps):
        for _ in range(rng.randint(1, 3)):
            f = rng.choice(files)
            exists = os.path.exists(os.path.join(lake.live, f))
            op = rng.choice(["write", "append", "delete"] if exists else ["write"])
            if op == "write":
                lake.write(f, [line() for _ in range(rng.randint(0, 5))])
            elif op == "append":
                lake.append(f, [line() for _ in range(rng.randint(1, 3))])
            else:
                lake.delete(f)
        ingest(con, glob)
        lake.ingested()
        check_invariant(c, con, lake, f"random seed {seed} step {i}")
    con.close()


def test_upgrade(c, ext, tmp):
    root = os.path.join(tmp, "sessions")
    shutil.copytree(os.path.join(REPO, "test", "data", "ingest"), root)
    shutil.copytree(os.path.join(REPO, "test", "data", "usage", "resumed"), os.path.join(root, "carol", "resumed"))
    glob = root + "/**/*.jsonl"
    old_db = os.path.join(tmp, "v1.db")
    con = connect(ext, old_db)
    con.execute(open(os.path.join(SERVER_DATA, "schema_v1.sql"), encoding="utf-8").read())
    con.execute("INSERT INTO usage_attribution_skills VALUES ('curated', 'plug-my-skill', 'my-skill')")
    con.execute("SET VARIABLE claude_sessions = ?", [glob])
    con.execute("SET VARIABLE claude_since_day = DATE '2026-01-01'")
    con.execute(open(os.path.join(SERVER_DATA, "ingest_v1.sql"), encoding="utf-8").read())
    # a file ingested by the old version that vanishes before the upgrade
    os.remove(os.path.join(root, "carol", "resumed", "r1.jsonl"))
    old = {t: fetch(con, f"SELECT * FROM {t} ORDER BY ALL") for t in
           ["usage_events", "usage_session_summary", "usage_tool_daily", "usage_plugin_daily",
            "usage_ingested_files", "usage_attribution_skills"]}
    c.ok("old database has events", len(old["usage_events"]) > 20)
    con.execute(sql_file("schema.sql"))
    con.execute(sql_file("schema.sql"))  # twice: idempotent
    for t, rows in old.items():
        n = len(rows[0]) if rows else 0
        c.eq(f"{t}: every old row kept, old columns unchanged",
             [r[:n] for r in fetch(con, f"SELECT * FROM {t} ORDER BY ALL")], rows)
    new = connect(ext)
    new.execute(sql_file("schema.sql"))
    layout = "SELECT table_name, column_name, data_type, column_index FROM duckdb_columns() WHERE database_name = current_database() ORDER BY ALL"
    c.eq("upgraded layout = new database's layout", fetch(con, layout), fetch(new, layout))
    new.close()
    c.eq("new columns NULL until the next ingest",
         fetch(con, "SELECT count(agent_id), count(spawned_agent_id) FROM usage_events"), [(0, 0)])
    ingest(con, glob)
    c.eq("next ingest re-reads every file still present (ingest_version)",
         fetch(con, "SELECT count(*) FROM usage_ingested_files WHERE ingest_version = 2"), [(4 + 1,)])
    c.eq("the vanished file's events and summary stay",
         fetch(con, "SELECT count(*) > 0 FROM usage_session_summary WHERE filename LIKE '%/r1.jsonl'"), [(True,)])
    c.eq("summaries of present files gain cost_usd",
         fetch(con, "SELECT count(*) FROM usage_session_summary WHERE cost_usd IS NULL AND filename NOT LIKE '%/r1.jsonl'"),
         [(0,)])
    c.eq("usage_requests filled from the present files",
         fetch(con, "SELECT count(*) FROM usage_requests"),
         fetch(con, "SELECT count(*) FROM read_claude_usage(?, dedup := false)", [glob]))
    c.eq("usage_cost_daily filled",
         fetch(con, "SELECT sum(requests) FROM usage_cost_daily"),
         fetch(con, "SELECT count(*) FROM read_claude_usage(?)", [glob]))
    c.eq("events now = read_claude_session of the present files + the vanished file's old rows",
         fetch(con, "SELECT count(*) FROM usage_events WHERE filename NOT LIKE '%/r1.jsonl'"),
         fetch(con, "SELECT count(*) FROM read_claude_session(?)", [glob]))
    c.eq("rerun: nothing re-read", (ingest(con, glob), fetch(con, "SELECT count(*) FROM usage_ingested_files "
                                                                "WHERE ingested_at > now() - INTERVAL 1 HOUR"))[1],
         fetch(con, "SELECT count(*) FROM usage_ingested_files"))
    con.close()


def run_py(code, timeout=60):
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=timeout)


def test_readers(c, ext, tmp):
    root = os.path.join(tmp, "sessions")
    shutil.copytree(os.path.join(REPO, "test", "data", "ingest"), root)
    shutil.copytree(os.path.join(REPO, "test", "data", "usage", "rules"), os.path.join(root, "carol", "rules"))
    glob = root + "/**/*.jsonl"
    db = os.path.join(tmp, "server.db")
    con = connect(ext, db)
    con.execute(sql_file("schema.sql"))
    ingest(con, glob)
    n0 = fetch(con, "SELECT count(*) FROM usage_requests")[0][0]

    # 1. Within the server's process: a cursor reads the committed state while ingest's
    #    transaction is open (MVCC), without waiting.
    shutil.copytree(os.path.join(REPO, "test", "data", "usage", "resumed"), os.path.join(root, "dave", "resumed"))
    con.execute("SET VARIABLE claude_sessions = ?", [glob])
    stmts = [s.query for s in duckdb.extract_statements(sql_file("ingest.sql"))]
    c.ok("ingest.sql ends with COMMIT", stmts[-1].strip().upper().startswith("COMMIT"))
    for s in stmts[:-1]:
        con.execute(s)
    reader = con.cursor()
    t = time.perf_counter()
    during = fetch(reader, "SELECT count(*) FROM usage_requests")
    read_ms = (time.perf_counter() - t) * 1000
    c.eq("cursor during ingest's open transaction: the committed rows", during, [(n0,)])
    c.ok("cursor not blocked (< 1 s)", read_ms < 1000, f"  {read_ms:.0f} ms")
    con.execute(stmts[-1])
    n1 = fetch(reader, "SELECT count(*) FROM usage_requests")[0][0]
    c.ok("cursor after COMMIT: the new rows", n1 > n0, f"  {n1} vs {n0}")
    print(f"     readers: cursor read during ingest's transaction: {read_ms:.1f} ms")

    # 2. Another process, read-only, while the server holds the file: refused by the file lock.
    attach = textwrap.dedent(f"""
        import duckdb
        try:
            duckdb.connect({db!r}, read_only=True).execute('SELECT count(*) FROM usage_requests').fetchall()
            print('opened')
        except Exception as e:
            print(type(e).__name__, str(e).splitlines()[0])""")
    p = run_py(attach)
    c.ok("read-only attach from another process while the server holds the file: refused (lock)",
         "Could not set lock on file" in p.stdout, f"  {p.stdout}{p.stderr}")
    print(f"     readers: other process, server holding the file: {p.stdout.strip()[:160]}")

    # 3. ... and a reader holding the file read-only locks the server out.
    con.close()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({db!r}, read_only=True)
        print('holding', flush=True)
        sys.stdin.readline()""")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        c.eq("reader process holds the file", holder.stdout.readline().strip(), "holding")
        try:
            duckdb.connect(db).close()
            err = "opened"
        except Exception as e:  # duckdb.IOException
            err = str(e).splitlines()[0]
        c.ok("server cannot open the file while a reader process holds it", "Could not set lock" in err, f"  {err}")
        print(f"     readers: server opening while a reader process holds the file: {err[:160]}")
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)

    # 4. The supported way across processes: the server copies its database between ingests
    #    (COPY FROM DATABASE into a new file, renamed over the analysts' copy); analysts open the
    #    copy read-only while the server ingests.
    con = connect(ext, db)
    snap = os.path.join(tmp, "analysts.db")
    t = time.perf_counter()
    con.execute(f"ATTACH '{snap}.tmp' AS snap")
    con.execute("COPY FROM DATABASE server TO snap")
    con.execute("DETACH snap")
    os.replace(snap + ".tmp", snap)
    copy_ms = (time.perf_counter() - t) * 1000
    n_snap = fetch(con, "SELECT count(*) FROM usage_requests")[0][0]
    analyst = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys
        con = duckdb.connect({snap!r}, read_only=True)
        print(con.execute('SELECT count(*) FROM usage_requests').fetchone()[0], flush=True)
        sys.stdin.readline()
        print(con.execute('SELECT count(*) FROM usage_requests').fetchone()[0], flush=True)""")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        c.eq("analyst reads the copy", analyst.stdout.readline().strip(), str(n_snap))
        shutil.copytree(os.path.join(REPO, "test", "data", "usage", "sidechain"), os.path.join(root, "erin", "sc"))
        t = time.perf_counter()
        ingest(con, glob)
        ingest_ms = (time.perf_counter() - t) * 1000
        c.ok("server ingests while the analyst holds the copy",
             fetch(con, "SELECT count(*) FROM usage_requests")[0][0] > n_snap)
        # the next copy renamed over the one the analyst has open
        con.execute(f"ATTACH '{snap}.tmp' AS snap")
        con.execute("COPY FROM DATABASE server TO snap")
        con.execute("DETACH snap")
        os.replace(snap + ".tmp", snap)
        n_new = fetch(con, "SELECT count(*) FROM usage_requests")[0][0]
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        c.eq("the analyst's open copy is unchanged (ingest and a new copy renamed over it)",
             analyst.stdout.readline().strip(), str(n_snap))
        p = run_py(f"import duckdb; print(duckdb.connect({snap!r}, read_only=True).execute("
                   f"'SELECT count(*) FROM usage_requests').fetchone()[0])")
        c.eq("a new analyst connection reads the new copy", p.stdout.strip(), str(n_new))
    finally:
        analyst.stdin.close()
        analyst.wait(timeout=30)
    print(f"     readers: COPY FROM DATABASE to the analysts' copy: {copy_ms:.0f} ms; "
          f"ingest while an analyst holds the copy: {ingest_ms:.0f} ms")
    con.close()


def tree(folder):
    """{relative path: md5} of every file below folder."""
    return {os.path.relpath(p, folder): hashlib.md5(open(p, "rb").read()).hexdigest()
            for p in globmod.glob(folder + "/**/*", recursive=True) if os.path.isfile(p)}


def lake_rows(con, to, table, cols="*"):
    if not globmod.glob(f"{to}/{table}/**/*.parquet", recursive=True):
        return []  # an empty table writes no file
    return sorted(fetch(con, f"SELECT {cols} FROM read_parquet(?, hive_partitioning = true)",
                        [f"{to}/{table}/**/*.parquet"]), key=repr)


def table_rows(con, table):
    day = {"usage_requests": "CAST(occurred_at AS DATE)", "usage_events": "CAST(occurred_at AS DATE)",
           "usage_session_summary": "CAST(started_at AS DATE)"}.get(table)
    # the lake's columns: day first for the tables without one, else the table's own
    sql = f"SELECT {day} AS day, * FROM {table}" if day else f"SELECT * FROM {table}"
    return sorted(fetch(con, sql), key=repr)


def test_export(c, ext, tmp):
    lake = Lake(tmp)
    lake.copy_fixture("test/data/usage/rules/streaming.jsonl", "alice/w/streaming.jsonl")
    for f in ["sess-a1.jsonl"]:
        lake.copy_fixture(f"test/data/ingest/alice/webapp/{f}", f"alice/webapp/{f}")
    lake.copy_fixture("test/data/ingest/bob/cli/sess-b2.jsonl", "bob/cli/sess-b2.jsonl")
    lake.write("bob/cli/empty.jsonl", [])  # a session without a start: day NULL
    con = connect(ext)
    con.execute(sql_file("schema.sql"))
    con.execute("INSERT INTO usage_attribution_skills VALUES ('curated', 'plug-my-skill', 'my-skill')")
    ingest(con, lake.live + "/**/*.jsonl")
    to = os.path.join(tmp, "lake")
    export(con, to + "/")  # a trailing slash is fine
    first = tree(to)
    c.ok("one folder per table", sorted({p.split("/")[0] for p in first}) == sorted(EXPORTED), f"  {sorted(first)}")
    c.ok("day partitions, data_0.parquet each", all(p.split("/")[1].startswith("day=") and p.endswith("/data_0.parquet")
                                                    for p in first), f"  {sorted(first)}")
    export(con, to)
    c.eq("export twice: the same files, byte for byte", tree(to), first)
    for t in EXPORTED:
        c.eq(f"lake {t} = the table", lake_rows(con, to, t), table_rows(con, t))
    c.eq("read without the extension", fetch(duckdb.connect(), "SELECT count(*) > 0 FROM read_parquet(?, hive_partitioning = true)",
                                               [to + "/usage_cost_daily/**/*.parquet"]), [(True,)])
    # more ingests, re-exported: days replaced, never duplicated
    lake.append("alice/w/streaming.jsonl", [request_line("s-stream", "msg_s1", "req_s1", "2026-03-01T10:00:09Z", 99),
                                            request_line("s-stream", "msg_x", "req_x", "2026-03-04T10:00:00Z", 3)])
    lake.copy_fixture("test/data/ingest/bob/webapp/sess-b1.jsonl", "bob/webapp/sess-b1.jsonl")
    ingest(con, lake.live + "/**/*.jsonl")
    export(con, to)
    for t in EXPORTED:
        c.eq(f"re-export after ingest: lake {t} = the table", lake_rows(con, to, t), table_rows(con, t))
    con.close()


def test_shards(c, ext, tmp):
    """Two ingest nodes over disjoint users, each with its own database, export to one folder;
    the lake's totals equal one ingest of all users."""
    src = {"alice": [("test/data/ingest/alice/webapp/sess-a1.jsonl", "webapp/sess-a1.jsonl"),
                     ("test/data/ingest/alice/infra/sess-a2.jsonl", "infra/sess-a2.jsonl"),
                     ("test/data/usage/rules/streaming.jsonl", "w/streaming.jsonl"),
                     ("test/data/usage/resumed/r1.jsonl", "r/r1.jsonl"),
                     ("test/data/usage/resumed/r2.jsonl", "r/r2.jsonl")],
           "bob": [("test/data/ingest/bob/webapp/sess-b1.jsonl", "webapp/sess-b1.jsonl"),
                   ("test/data/ingest/bob/cli/sess-b2.jsonl", "cli/sess-b2.jsonl"),
                   ("test/data/usage/rules/fast.jsonl", "w/fast.jsonl"),
                   ("test/data/usage/rules/unknown_model.jsonl", "w/unknown_model.jsonl")]}

    def place(root, users):
        for u in users:
            for s, rel in src[u]:
                dst = os.path.join(root, u, rel)
                os.makedirs(os.path.dirname(dst), exist_ok=True)
                shutil.copyfile(os.path.join(REPO, s), dst)

    attribution = ("INSERT INTO usage_attribution_skills VALUES ('curated', 'plug-my-skill', 'my-skill');"
                   "INSERT INTO usage_attribution_commands VALUES ('curated', 'plug-compound', 'compound:debug')")
    to = os.path.join(tmp, "lake")
    for node, users in [("node1", ["alice"]), ("node2", ["bob"])]:
        root = os.path.join(tmp, node)
        place(root, users)
        con = connect(ext, os.path.join(tmp, node + ".db"))
        con.execute(sql_file("schema.sql"))
        con.execute(attribution)
        ingest(con, root + "/**/*.jsonl")
        export(con, to, shard=node)
        export(con, to, shard=node)
        con.close()
    all_root = os.path.join(tmp, "all")
    place(all_root, ["alice", "bob"])
    one = connect(ext)
    one.execute(sql_file("schema.sql"))
    one.execute(attribution)
    ingest(one, all_root + "/**/*.jsonl")
    files = sorted(tree(to))
    c.ok("both shards' files side by side", any(f.endswith("node1_0.parquet") for f in files)
         and any(f.endswith("node2_0.parquet") for f in files), f"  {files}")
    q = lambda t: f"read_parquet('{to}/{t}/**/*.parquet', hive_partitioning = true)"
    reader = duckdb.connect()  # no extension
    sums = ", ".join(f"round(sum({s}), 9)" if s == "cost_usd" else f"sum({s})" for s in COST_SUMS)
    keys = ", ".join(COST_KEYS)
    c.eq("usage_cost_daily: lake = one ingest of all users",
         fetch(reader, f"SELECT {keys}, {sums} FROM {q('usage_cost_daily')} GROUP BY ALL ORDER BY ALL"),
         fetch(one, f"SELECT {keys}, {sums} FROM usage_cost_daily GROUP BY ALL ORDER BY ALL"))
    per_user = ("SELECT username, count(*) FILTER (WHERE kept), round(sum(cost_usd) FILTER (WHERE kept), 9), "
                "count(*) FROM {} GROUP BY ALL ORDER BY ALL")
    c.eq("usage_requests: lake = one ingest", fetch(reader, per_user.format(q("usage_requests"))),
         fetch(one, per_user.format("usage_requests")))
    tool = "SELECT day, tool_name, source, sum(invocations), sum(error_count), sum(distinct_users), sum(distinct_sessions) FROM {} GROUP BY ALL ORDER BY ALL"
    c.eq("usage_tool_daily: lake = one ingest", fetch(reader, tool.format(q("usage_tool_daily"))),
         fetch(one, tool.format("usage_tool_daily")))
    plugin = "SELECT day, source, ref_id, sum(invocations), sum(distinct_users), sum(distinct_sessions) FROM {} GROUP BY ALL ORDER BY ALL"
    c.eq("usage_plugin_daily: lake = one ingest", fetch(reader, plugin.format(q("usage_plugin_daily"))),
         fetch(one, plugin.format("usage_plugin_daily")))
    ev = "SELECT username, count(*), count(DISTINCT id) FROM {} GROUP BY ALL ORDER BY ALL"
    c.eq("usage_events: lake = one ingest", fetch(reader, ev.format(q("usage_events"))), fetch(one, ev.format("usage_events")))
    ss = "SELECT username, count(*), sum(cost_usd)::DECIMAL(18, 9), sum(output_tokens_dedup) FROM {} GROUP BY ALL ORDER BY ALL"
    c.eq("usage_session_summary: lake = one ingest", fetch(reader, ss.format(q("usage_session_summary"))),
         fetch(one, ss.format("usage_session_summary")))
    one.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--extension", default=os.path.join(REPO, "build", "release", "claude_usage.duckdb_extension"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--steps", type=int, default=40)
    args = ap.parse_args()
    ext = os.path.abspath(args.extension)
    c = Checks()
    tests = [("ingest invariant, scripted", lambda t: test_scripted(c, ext, t)),
             ("ingest invariant, random", lambda t: test_random(c, ext, t, args.seed, args.steps)),
             ("upgrade of a previous-schema database", lambda t: test_upgrade(c, ext, t)),
             ("readers during ingest", lambda t: test_readers(c, ext, t)),
             ("export twice, re-export", lambda t: test_export(c, ext, t)),
             ("two shards, one lake", lambda t: test_shards(c, ext, t))]
    for name, fn in tests:
        c.test, c.test_failed = name, 0
        before = c.passed + c.failed
        tmp = tempfile.mkdtemp(prefix="claude_server_")
        try:
            fn(tmp)
        except Exception:
            c.ok("no exception", False, traceback.format_exc())
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        n = c.passed + c.failed - before
        print(f"{'FAIL' if c.test_failed else 'ok  '} {name} ({n} checks)")
    print(f"{c.passed} passed, {c.failed} failed")
    sys.exit(1 if c.failed else 0)


if __name__ == "__main__":
    main()
