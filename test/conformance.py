#!/usr/bin/env python3
"""Conformance: the extension against the reference oracle, file by file.

    conformance.py --extension build/release/claude_usage.duckdb_extension \
        [--shared ../shared] [PATH ...]

For every ``*.jsonl`` under PATHs (default: ``<shared>/fixtures``) the oracle
(``<shared>/tools/reference_oracle.py``) prints the expected events and the summary. The
extension reads the same files; per file, every column the oracle prints is compared as a
multiset of rows (events) or as one row (summary), exactly. Prints one line per differing
file and ends with ``events: N/M files exact`` and ``summaries: N/M files exact``; exits 1 on
any difference. When the shared folder is absent it says so and exits 0 (skipped).
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys

EVENT_COLUMNS = [
    "session_id", "id", "event_uuid", "parent_uuid", "tool_id", "event_type", "tool_name",
    "skill_name", "subagent_type", "command_name", "is_error", "model", "cwd", "occurred_at",
]
SUMMARY_COLUMNS = [
    "session_id", "started_at", "ended_at", "active_seconds", "wall_seconds", "user_messages",
    "assistant_messages", "tool_calls", "tool_errors", "skill_invocations", "subagent_dispatches",
    "mcp_calls", "slash_commands", "distinct_tools", "distinct_skills", "primary_model",
    "input_tokens", "output_tokens", "cache_read_tokens", "cache_creation_tokens",
    "input_tokens_dedup", "output_tokens_dedup", "cache_read_tokens_dedup",
    "cache_creation_tokens_dedup", "malformed_lines", "processor_version",
]
TIME_COLUMNS = {"occurred_at", "started_at", "ended_at"}


def oracle(shared: str, files: list[str]) -> list[dict]:
    """The reference oracle's JSON lines about `files` (also used by check_hostile and e2e_ingest),
    with the summaries' *_dedup columns under the extension's keep rule (`keep_rule_dedup`)."""
    tool = os.path.join(shared, "tools", "reference_oracle.py")
    out = subprocess.run([sys.executable, tool, *files], check=True, capture_output=True, text=True).stdout
    rows = [json.loads(line) for line in out.splitlines() if line.strip()]
    for row in rows:
        if row["kind"] == "summary":
            row.update(keep_rule_dedup(shared, row["filename"]))
    return rows


I64 = 2**63
DEDUP_KEYS = [("input_tokens", "input_tokens_dedup"), ("output_tokens", "output_tokens_dedup"),
              ("cache_read_input_tokens", "cache_read_tokens_dedup"),
              ("cache_creation_input_tokens", "cache_creation_tokens_dedup")]


def keep_rule_dedup(shared: str, path: str) -> dict:
    """The *_dedup columns as the extension defines them, a deliberate difference from the oracle
    (which takes each counter's largest value per key): per (message.id, requestId) the one line
    kept is the non-sidechain one, then the one with the larger token total, then one with
    usage.speed, then the first; a line without a non-empty string message.id counts alone; a
    counter that is not an integer in BIGINT range, or is negative, counts 0; sums saturate.
    Lines are read as the oracle reads them (its parse_lines, with the contract's sanitizing)."""
    sys.path.insert(0, os.path.join(shared, "tools"))
    import reference_oracle  # noqa: E402

    def count(usage: dict, key: str) -> int:
        v = usage.get(key)
        return v if type(v) is int and 0 < v < I64 else 0

    kept: dict = {}
    rows = []
    for t in reference_oracle.parse_lines(path)[0]:
        msg = t.get("message")
        usage = msg.get("usage") if isinstance(msg, dict) else None
        if t.get("type") != "assistant" or not isinstance(usage, dict):
            continue
        values = [count(usage, k) for k, _ in DEDUP_KEYS]
        mid, rid = msg.get("id"), t.get("requestId")
        if not (isinstance(mid, str) and mid):
            rows.append(values)
            continue
        key = (mid, rid if isinstance(rid, str) else None)
        rank = (t.get("isSidechain") is not True, min(sum(values), I64 - 1), isinstance(usage.get("speed"), str))
        if key not in kept or rank > kept[key][0]:
            kept[key] = (rank, values)
    rows += [values for _, values in kept.values()]
    return {name: min(sum(r[i] for r in rows), I64 - 1) for i, (_, name) in enumerate(DEDUP_KEYS)}


def oracle_by_file(rows: list[dict], key=lambda filename: filename):
    """Oracle rows per file (`key` of its name): event multisets, summaries, and the files the
    reference failed on (with its error)."""
    events: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    summary: dict[str, dict] = {}
    failed: dict[str, str] = {}
    for row in rows:
        name = key(row["filename"])
        if row["kind"] == "event":
            events[name][tuple(row[c] for c in EVENT_COLUMNS)] += 1
        elif row["kind"] == "summary":
            summary[name] = {c: row[c] for c in SUMMARY_COLUMNS}
        else:
            failed[name] = row.get("error", "")
    return events, summary, failed


def select_sql(func: str, columns: list[str], options: str = "") -> str:
    """`SELECT filename, <columns> FROM func(?<options>)`, times as text the way the oracle prints them."""
    exprs = ["filename"] + [
        f"strftime({c}, '%Y-%m-%d %H:%M:%S.%f') AS {c}" if c in TIME_COLUMNS else c for c in columns
    ]
    return f"SELECT {', '.join(exprs)} FROM {func}(?{options})"


def event_key(row: dict) -> tuple:
    """An event row as the tuple the oracle's events are counted by."""
    return tuple(row[c] for c in EVENT_COLUMNS)


def diff_events(exp: collections.Counter, act: collections.Counter) -> list[str]:
    """Per column, the values one side has more of than the other."""
    out = []
    for i, col in enumerate(EVENT_COLUMNS):
        ce = collections.Counter(t[i] for t in exp.elements())
        ca = collections.Counter(t[i] for t in act.elements())
        if ce != ca:
            out.append(f"{col}: missing {dict(ce - ca)} extra {dict(ca - ce)}")
    return out or [f"{sum(exp.values())} vs {sum(act.values())} events"]


def diff_summary(exp: dict | None, act: dict | None) -> list[str]:
    if exp is None or act is None:
        return [f"expected {exp!r} got {act!r}"]
    return [f"{c}: expected {exp.get(c)!r} got {act.get(c)!r}" for c in SUMMARY_COLUMNS if exp.get(c) != act.get(c)]


def extension_rows(ext: str, files: list[str]):
    import duckdb

    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{ext}'")

    def select(func: str, columns: list[str]) -> list[dict]:
        rel = con.sql(select_sql(func, columns), params=[files])
        names = [d[0] for d in rel.description]
        return [dict(zip(names, row)) for row in rel.fetchall()]

    return select("read_claude_session", EVENT_COLUMNS), select("session_summary", SUMMARY_COLUMNS)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extension", required=True)
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared"))
    ap.add_argument("paths", nargs="*")
    args = ap.parse_args()

    shared = os.path.abspath(args.shared)
    if not os.path.isfile(os.path.join(shared, "tools", "reference_oracle.py")):
        print(f"conformance: skipped ({shared} with tools/reference_oracle.py is absent)")
        return 0
    roots = args.paths or [os.path.join(shared, "fixtures")]
    files = sorted(
        os.path.join(dirpath, name)
        for root in roots
        for dirpath, _dirs, names in os.walk(root)
        for name in names
        if name.endswith(".jsonl")
    )
    if not files:
        print("conformance: no *.jsonl files found")
        return 1

    expected_events, expected_summary, reference_failed = oracle_by_file(oracle(shared, files))

    events, summaries = extension_rows(os.path.abspath(args.extension), files)
    actual_events: dict[str, collections.Counter] = {f: collections.Counter() for f in files}
    for row in events:
        actual_events[row["filename"]][event_key(row)] += 1
    actual_summary = {row["filename"]: {c: row[c] for c in SUMMARY_COLUMNS} for row in summaries}

    comparable = [f for f in files if f not in reference_failed]
    events_exact = summaries_exact = 0
    for f in comparable:
        exp, act = expected_events[f], actual_events[f]
        if exp == act:
            events_exact += 1
        else:
            print(f"DIFF events {f}")
            for line in diff_events(exp, act):
                print(f"  {line}")
        es, as_ = expected_summary.get(f), actual_summary.get(f)
        if es == as_:
            summaries_exact += 1
        else:
            print(f"DIFF summary {f}")
            for line in diff_summary(es, as_):
                print(f"  {line}")
    for f, err in reference_failed.items():
        got = sum(actual_events[f].values())
        print(f"reference cannot read {f} ({err}); the extension read it: {got} events")
    n = len(comparable)
    print(f"conformance events: {events_exact}/{n} files exact")
    print(f"conformance summaries: {summaries_exact}/{n} files exact")
    return 0 if events_exact == n and summaries_exact == n else 1


if __name__ == "__main__":
    sys.exit(main())
