#!/usr/bin/env python3
"""Big files are read in parallel byte ranges: the result must not depend on where they split.

    test_split.py --extension build/release/claude_usage.duckdb_extension

Reads every fixture under test/data (and a generated file with lines of every kind around the
boundaries) once whole and once split into tiny parts (CLAUDE_USAGE_PART_BYTES), under 1 and 4
threads (and 4 with a one-byte read-ahead window, CLAUDE_USAGE_READ_AHEAD_BYTES), and compares every column of read_claude_session and session_summary. The rows are
compared twice: sorted, and in the order a plain SELECT returns them (DuckDB keeps insertion
order, so the scan's reader threads must hand files out in sorted order, events in line order).
Prints `N passed, N failed`; after 300 s the stacks of every thread are printed and the test
fails (a hang).
"""
import argparse
import faulthandler
import glob
import os
import random
import sys
import tempfile

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data"))


def generated(path: str) -> None:
    """Lines of every kind in a random order, some without times, errors far from their tool use."""
    rng = random.Random(7)
    lines = []
    for i in range(400):
        ts = f'"timestamp":"2026-05-12T{10 + i // 60:02d}:{i % 60:02d}:00Z",' if rng.random() < 0.7 else ""
        kind = rng.choice(["assistant", "assistant", "user", "user", "progress", "system", "bad", "blank"])
        if kind == "assistant":
            lines.append('{"type":"assistant",%s"uuid":"a%d","sessionId":"gen","requestId":"r%d","message":{"id":"m%d","model":"m%d",'
                         '"content":[{"type":"tool_use","id":"t%d","name":"%s","input":{"skill":"s","subagent_type":"x"}}],'
                         '"usage":{"input_tokens":%d,"output_tokens":%d}}}' % (
                             ts, i, i // 3, i // 3, i % 2, i, rng.choice(["Bash", "Skill", "Task", "mcp__a__b"]), i, i * 2))
        elif kind == "user":
            if rng.random() < 0.5:
                lines.append('{"type":"user",%s"uuid":"u%d","message":{"content":[{"type":"tool_result","tool_use_id":"t%d","is_error":true}]}}'
                             % (ts, i, rng.randrange(400)))
            else:
                lines.append('{"type":"user",%s"uuid":"u%d","message":{"content":"/cmd%d <command-name>/tag</command-name>"}}' % (ts, i, i))
        elif kind == "bad":
            lines.append('{"type": "user", broken')
        elif kind == "blank":
            lines.append("   ")
        else:
            lines.append('{"type":"%s",%s"uuid":"p%d"}' % (kind, ts, i))
    with open(path, "w") as f:
        f.write("\n".join(lines))


def rows(con, func: str, files: list[str], order: str = "ORDER BY ALL"):
    rel = con.sql(f"SELECT * FROM {func}(?) {order}", params=[files])
    return rel.fetchall()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extension", required=True)
    args = ap.parse_args()
    # A hang (a scan waiting for work nobody can take) fails the test instead of blocking CI:
    # every thread's stack is printed and the process exits.
    faulthandler.dump_traceback_later(300, exit=True)
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(tmp, "generated.jsonl")
        generated(gen)
        files = sorted(f for f in glob.glob(os.path.join(DATA, "**", "*.jsonl"), recursive=True) if os.path.isfile(f))
        files.append(gen)
        con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
        con.execute(f"LOAD '{os.path.abspath(args.extension)}'")
        passed = failed = 0
        os.environ.pop("CLAUDE_USAGE_PART_BYTES", None)
        con.execute("SET threads = 1")
        expected = {func: rows(con, func, files) for func in ("read_claude_session", "session_summary")}
        as_read = {func: rows(con, func, files, order="") for func in expected}
        # (threads, read-ahead window): one thread; four; four with a one-byte window, so that
        # reader threads wait for the consumer after every part.
        settings = ((1, None), (4, None), (4, "1"))
        for part in ("7", "64", "1000"):
            for threads, window in settings:
                os.environ["CLAUDE_USAGE_PART_BYTES"] = part
                if window:
                    os.environ["CLAUDE_USAGE_READ_AHEAD_BYTES"] = window
                else:
                    os.environ.pop("CLAUDE_USAGE_READ_AHEAD_BYTES", None)
                con.execute(f"SET threads = {threads}")
                for func in expected:
                    for kind, want, order in (("sorted", expected[func], "ORDER BY ALL"), ("as read", as_read[func], "")):
                        got = rows(con, func, files, order)
                        if got == want:
                            passed += 1
                            continue
                        failed += 1
                        print(f"FAIL {func} ({kind}) part={part} threads={threads} window={window}: "
                              f"{len(got)} rows vs {len(want)}")
                        for a, b in zip(got, want):
                            if a != b:
                                print("  got ", a)
                                print("  want", b)
                                break
        os.environ.pop("CLAUDE_USAGE_PART_BYTES", None)
        os.environ.pop("CLAUDE_USAGE_READ_AHEAD_BYTES", None)
        print(f"split: {len(files)} files, {sum(len(v) for v in expected.values())} rows compared per setting")
        print(f"{passed} passed, {failed} failed")
        return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
