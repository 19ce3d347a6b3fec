#!/usr/bin/env python3
"""One DuckDB measurement in a fresh process (run by bench/run.py; needs the duckdb module).

    child_duckdb.py --threads N [--ext PATH] --sql SQL

Connects to an in-memory database, LOADs the extension (when given), SET threads, runs SQL
once and fetches every result row. Prints {"seconds": query time, "cpu": CPU seconds of all threads during the query, "rows": n,
"first": row, "hwm": peak RSS in bytes}.
The time covers execute + fetch only, not the interpreter start, import, connect or LOAD.
"""
import argparse
import json
import resource
import time


def hwm() -> int:
    """This process's peak RSS in bytes (VmHWM; unlike ru_maxrss, not inherited from the parent)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


def cpu_seconds() -> float:
    """User + system CPU time of this process so far (all threads)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    import duckdb

    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, required=True)
    ap.add_argument("--ext")
    ap.add_argument("--sql", required=True)
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="a setting to SET before the query")
    a = ap.parse_args()
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    if a.ext:
        con.execute(f"LOAD '{a.ext}'")
    con.execute(f"SET threads = {a.threads}")
    for setting in a.set:
        name, value = setting.split("=", 1)
        con.execute(f"SET {name} = {value}")
    c0 = cpu_seconds()
    t0 = time.perf_counter()
    rows = con.execute(a.sql).fetchall()
    dt = time.perf_counter() - t0
    cpu = cpu_seconds() - c0
    print(json.dumps({"seconds": dt, "cpu": cpu, "rows": len(rows),
                      "first": [str(v) for v in rows[0]] if rows else None, "hwm": hwm()}))


if __name__ == "__main__":
    main()
