#!/usr/bin/env python3
"""The scan's reader threads under concurrent queries: no hang, no crash, the same answers.

    test_threads.py --extension build/release/claude_usage.duckdb_extension [--seconds 15]

Eight cursors of one connection run, from eight Python threads, a random mix of full scans,
LIMIT queries that stop a scan early (its reader threads must stop with it), queries that fail
on an unreadable entry (met by whichever thread reads it) and plain SELECTs whose order must be
the sorted file order, each under a random `threads` setting (1 to 4). Every answer is compared
with the one computed up front at one thread. Files are split into small ranges
(CLAUDE_USAGE_PART_BYTES) a third of the time, so reader threads also assemble split files, and
the read-ahead window is one byte (CLAUDE_USAGE_READ_AHEAD_BYTES) another third, so they wait.
A watchdog fails the test if any query takes more than 60 s; at no time may more than 3 reader
threads run (the process-wide budget: `threads` - 1), and none may be left at the end. Prints `N passed, N failed`.
"""
import argparse
import os
import random
import sys
import threading
import time

import duckdb

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.normpath(os.path.join(HERE, "..", "data"))
GLOB = os.path.join(DATA, "**", "*.jsonl")
BAD = [os.path.join(DATA, "events", "*.jsonl"), os.path.join(DATA, "summary", "*.jsonl"),
       os.path.join(DATA, "dir_named", "x.jsonl")]

QUERIES = {
    "agg": f"SELECT count(*), count(DISTINCT tool_name), sum(is_error::INT) FROM read_claude_session('{GLOB}', ignore_errors := true)",
    "summary": f"SELECT sum(tool_calls), sum(lines), sum(malformed_lines) FROM session_summary('{GLOB}', ignore_errors := true)",
    "order": f"SELECT filename, line_number FROM read_claude_session('{GLOB}', ignore_errors := true)",
    "summary_order": f"SELECT filename FROM session_summary('{GLOB}', ignore_errors := true)",
    "limit": f"SELECT count(*) FROM (SELECT * FROM read_claude_session('{GLOB}', ignore_errors := true) LIMIT 5)",
    "limit_summary": f"SELECT count(*) FROM (SELECT * FROM session_summary('{GLOB}', ignore_errors := true) LIMIT 1)",
}
ERROR_QUERY = "SELECT count(*) FROM read_claude_session(?)"
ERROR_TEXT = 'cannot read "' + os.path.join(DATA, "dir_named", "x.jsonl") + '": it is a directory'


def reader_threads() -> int:
    """The scan's reader threads running in this process now (named "claude_usage reader")."""
    n = 0
    for t in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{t}/comm") as f:
                n += f.read().startswith("claude_usage")
        except OSError:
            pass  # the thread ended meanwhile
    return n


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--extension", required=True)
    ap.add_argument("--seconds", type=float, default=15.0)
    args = ap.parse_args()
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{os.path.abspath(args.extension)}'")
    con.execute("SET threads = 1")
    want = {name: con.execute(sql).fetchall() for name, sql in QUERIES.items()}
    # The order a plain SELECT gives must be the sorted one.
    assert want["order"] == sorted(want["order"]), "one thread: events not in file and line order"
    assert want["summary_order"] == sorted(want["summary_order"]), "one thread: files not in sorted order"

    lock = threading.Lock()
    counts = {"passed": 0, "failed": 0}
    started = {}
    deadline = 0.0
    # However many queries run at once, the process runs at most `threads` - 1 reader threads
    # (4 - 1 here): the budget is shared by all scans.
    most_readers = 0

    def record(ok: bool, what: str) -> None:
        with lock:
            counts["passed" if ok else "failed"] += 1
            if not ok:
                print("FAIL", what)

    def worker(seed: int) -> None:
        nonlocal deadline
        rng = random.Random(seed)
        cur = con.cursor()
        while time.monotonic() < deadline:
            threads = rng.randint(1, 4)
            cur.execute(f"SET threads = {threads}")
            name = rng.choice(list(QUERIES) + ["error"])
            started[seed] = (time.monotonic(), name)
            try:
                if name == "error":
                    try:
                        cur.execute(ERROR_QUERY, [BAD]).fetchall()
                        record(False, f"error query succeeded (threads={threads})")
                    except duckdb.Error as e:
                        record(ERROR_TEXT in str(e), f"error query: {e}")
                else:
                    got = cur.execute(QUERIES[name]).fetchall()
                    record(got == want[name], f"{name} (threads={threads}): {got[:3]} vs {want[name][:3]}")
            finally:
                started.pop(seed, None)

    # Three phases: default settings; files split into 97-byte ranges; and a read-ahead window
    # of one byte, so that reader threads wait for the consumer all the time (and LIMIT queries
    # drop scans whose reader threads are waiting).
    phases = ({}, {"CLAUDE_USAGE_PART_BYTES": "97"}, {"CLAUDE_USAGE_READ_AHEAD_BYTES": "1"})
    for phase in phases:
        for var in ("CLAUDE_USAGE_PART_BYTES", "CLAUDE_USAGE_READ_AHEAD_BYTES"):
            os.environ.pop(var, None)
        os.environ.update(phase)
        deadline = time.monotonic() + args.seconds / len(phases)
        workers = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(8)]
        for w in workers:
            w.start()
        while any(w.is_alive() for w in workers):
            for _ in range(100):
                most_readers = max(most_readers, reader_threads())
                time.sleep(0.005)
            now = time.monotonic()
            stuck = [(s, q) for s, (t, q) in list(started.items()) if now - t > 60]
            if stuck:
                print(f"FAIL queries running for more than 60 s: {stuck}")
                print(f"{counts['passed']} passed, {counts['failed'] + 1} failed")
                os._exit(1)
    for var in ("CLAUDE_USAGE_PART_BYTES", "CLAUDE_USAGE_READ_AHEAD_BYTES"):
        os.environ.pop(var, None)
    # Every scan joins its reader threads when it ends: none may outlive the queries.
    left = reader_threads()
    record(left == 0, f"{left} reader threads outlived their queries")
    record(most_readers <= 3, f"{most_readers} reader threads ran at once (budget: 3)")
    print(f"threads: at most {most_readers} reader threads at once")
    print(f"threads: {counts['passed'] + counts['failed']} queries over 8 cursors")
    print(f"{counts['passed']} passed, {counts['failed']} failed")
    return 1 if counts["failed"] or not counts["passed"] else 0


if __name__ == "__main__":
    sys.exit(main())
