#!/usr/bin/env python3
"""A/B two builds of the extension on the same files, alternating, each run in a fresh process.

    bench/ab.py --a OLD.duckdb_extension --b NEW.duckdb_extension [--threads 1 2] [--rounds 4]
                [--queries agg star summary] [--glob 'bench/out/corpus/**/*.jsonl']

On a noisy VM, two `make bench` runs minutes apart can differ by a third; alternating A and B
round by round exposes both to the same conditions. Each measurement is one fresh process
(bench/child_duckdb.py, as make bench uses) that LOADs its build (the file must be named
claude_usage.duckdb_extension: DuckDB derives the entry point from the file name), sets `threads`
and times the query (execute + fetch). The queries are make bench's (bench/run.py). Prints every
round and the minimum and median of each side.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

sys.path.insert(0, HERE)
from run import ext_queries, sql_list  # noqa: E402  (the queries make bench measures)

QUERY_NAMES = sorted(ext_queries("''"))


def run(ext: str, threads: int, sql: str) -> float:
    """One measurement by bench/child_duckdb.py in a fresh process: execute + fetch seconds."""
    out = subprocess.run([sys.executable, os.path.join(HERE, "child_duckdb.py"), "--threads", str(threads),
                          "--ext", os.path.abspath(ext), "--sql", sql],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["seconds"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--a", required=True, help="extension A (e.g. an older build)")
    ap.add_argument("--b", required=True, help="extension B")
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--queries", nargs="+", default=["agg", "star", "summary"], choices=QUERY_NAMES)
    ap.add_argument("--glob", default=os.path.join(ROOT, "bench", "out", "corpus", "**", "*.jsonl"))
    args = ap.parse_args()
    for ext in (args.a, args.b):
        if os.path.basename(ext) != "claude_usage.duckdb_extension":
            ap.error(f"{ext}: the file must be named claude_usage.duckdb_extension")
    queries = ext_queries(sql_list([args.glob]))
    for q in args.queries:
        sql = queries[q]
        for t in args.threads:
            a, b = [], []
            for i in range(args.rounds):
                a.append(run(args.a, t, sql))
                b.append(run(args.b, t, sql))
                print(f"{q} threads={t} round {i + 1}: A {a[-1]:.3f} s  B {b[-1]:.3f} s", flush=True)
            print(f"{q} threads={t}: A min {min(a):.3f} median {statistics.median(a):.3f} | "
                  f"B min {min(b):.3f} median {statistics.median(b):.3f} | "
                  f"A/B of medians {statistics.median(a) / statistics.median(b):.2f}x", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
