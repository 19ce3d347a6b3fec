#!/usr/bin/env python3
"""The reference pipeline in CPython, timed in a fresh process (run by bench/run.py).

    child_reference.py --shared ../shared PATH...

For every file (folders are walked for *.jsonl): read the lines, strip, skip blank ones,
json.loads each (skipping undecodable lines), then the reference's iter_events + compute_summary
(usage_lib.py from ../shared/reference). Prints {"seconds", "events", "tool_events",
"tool_errors", "distinct_tools", "files", "lines"}.
"""
import argparse
import json
import os
import sys
import time

from child_duckdb import cpu_seconds, hwm  # the same measures as the DuckDB children

ap = argparse.ArgumentParser()
ap.add_argument("--shared", required=True)
ap.add_argument("paths", nargs="+")
a = ap.parse_args()
sys.path.insert(0, os.path.join(a.shared, "reference"))
import usage_lib  # noqa: E402

files = []
for p in a.paths:
    if os.path.isdir(p):
        files += sorted(os.path.join(d, f) for d, _, fs in os.walk(p, followlinks=True) for f in fs if f.endswith(".jsonl"))
    else:
        files.append(p)

c0 = cpu_seconds()
t0 = time.perf_counter()
events = tool_events = tool_errors = lines = 0
tools = set()
loads = json.loads
for path in files:
    turns = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            lines += 1
            try:
                turn = loads(line)
            except ValueError:
                continue
            if isinstance(turn, dict):
                turns.append(turn)
    evs = [vars(e) for e in usage_lib.iter_events(turns)]
    usage_lib.compute_summary(turns, evs)
    events += len(evs)
    for e in evs:
        if e["tool_id"] is not None:
            tool_events += 1
            tool_errors += e["is_error"]
            if e["tool_name"]:
                tools.add(e["tool_name"])
dt = time.perf_counter() - t0
cpu = cpu_seconds() - c0
print(json.dumps({"hwm": hwm(), "cpu": cpu, "seconds": dt, "events": events, "tool_events": tool_events, "tool_errors": tool_errors,
                  "distinct_tools": len(tools), "files": len(files), "lines": lines}))
