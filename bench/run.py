#!/usr/bin/env python3
"""`make bench`: throughput and memory of claude_usage against the reference, plain DuckDB SQL,
a serde_json floor and `cat`, on a generated corpus. Writes BENCHMARKS.md.

    .venv/bin/python bench/run.py [--quick] [--reps 3] [--mb 300] [--no-huge] [--keep]

Steps: generate the corpus (bench/gen_corpus.py, seed 42) into bench/out/corpus unless it is
there; build the floor (bench/floor, cargo --release); copy the extension to bench/out/ext so a
concurrent rebuild cannot change it mid-run; check that the SQL baselines, the floor and the
reference count the same tool uses as the extension on a slice of the corpus; warm the page
cache (cat); then every measurement, each in a fresh process (peak RSS: the child's VmHWM, else os.wait4), best of
--reps, at 1 and 2 threads where the engine has threads. The measurements that are compared with
each other run in rounds (each once per round), so a slow spell of the VM falls on all of them. Before each measurement the script
waits (up to --idle-wait seconds) for the machine to be idle, since other work on a 2-core box
distorts timings.

--quick: a 20 MB corpus in bench/out/corpus-quick, one repetition, results written to
bench/out/BENCHMARKS-quick.md instead of BENCHMARKS.md (a smoke test of this script).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
PY = sys.executable
EXT_SRC = os.path.join(ROOT, "build", "release", "claude_usage.duckdb_extension")
FLOOR_DIR = os.path.join(HERE, "floor")
FLOOR_BIN = os.path.join(FLOOR_DIR, "target", "release", "claude_usage_floor")
NO_ORDER = "claude_usage, preserve_insertion_order=false"
BEGIN = "<!-- bench:begin (written by bench/run.py; edit outside these markers) -->"
END = "<!-- bench:end -->"


# --------------------------------------------------------------------------------------------
# Processes, time and memory

def cpu_busy(interval: float = 0.5) -> float:
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return v[3] + v[4], sum(v)  # idle + iowait, total
    i0, t0 = snap()
    time.sleep(interval)
    i1, t1 = snap()
    return 1.0 - (i1 - i0) / max(1, t1 - t0)


class Runner:
    def __init__(self, idle_wait: float, reps: int):
        self.idle_wait = idle_wait
        self.reps = reps
        self.busy_seen: list[float] = []

    def wait_idle(self) -> None:
        deadline = time.time() + self.idle_wait
        busy = cpu_busy()
        while busy > 0.10 and time.time() < deadline:
            busy = cpu_busy(1.0)
        self.busy_seen.append(busy)
        return busy

    @staticmethod
    def run_once(argv: list[str], stdout_json: bool, discard_stdout: bool = False) -> dict:
        """Runs argv; returns wall seconds, peak RSS (bytes) and the child's JSON (if any).

        The peak RSS is the child's own VmHWM when it reports one (`hwm` in its JSON, or
        `hwm_kb=` in the floor's output), else ru_maxrss from wait4. (On Linux a child's
        ru_maxrss starts at its parent's RSS at fork time, so it is only an upper bound.)
        """
        with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
            t0 = time.perf_counter()
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL if discard_stdout else fo, stderr=fe)
            _, status, ru = os.wait4(p.pid, 0)
            wall = time.perf_counter() - t0
            p.returncode = code = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
            fo.seek(0)
            fe.seek(0)
            out, err = fo.read(), fe.read()
        if code != 0:
            raise RuntimeError(f"{' '.join(argv[:6])}... exited {code}:\n{err.decode(errors='replace')[-3000:]}")
        res = {"wall": wall, "rss": ru.ru_maxrss * 1024, "rss_source": "wait4", "stdout": out.decode(errors="replace"),
               "cpu": ru.ru_utime + ru.ru_stime}
        if stdout_json:
            res["child"] = json.loads(out.decode().strip().splitlines()[-1])
            if "cpu" in res["child"]:
                res["cpu"] = res["child"]["cpu"]
            if res["child"].get("hwm"):
                res["rss"], res["rss_source"] = res["child"]["hwm"], "VmHWM"
        m = re.search(r"hwm_kb=(\d+)", res["stdout"])
        if m:
            res["rss"], res["rss_source"] = int(m.group(1)) * 1024, "VmHWM"
        return res

    def best(self, argv: list[str], stdout_json: bool = False, reps: int | None = None,
             discard_stdout: bool = False) -> dict:
        """Best time of `reps` fresh runs; the peak RSS is the largest of them."""
        return self.interleaved([Cell(argv, stdout_json, discard_stdout)], reps)[0]

    def interleaved(self, cells: list["Cell"], reps: int | None = None) -> list[dict]:
        """Best of `reps` fresh runs of each cell, in rounds: every cell runs once per round, so
        a slow spell of the machine (common on a shared VM) falls on all of them alike instead of
        on whichever was measured then, and the ratios between cells stay fair."""
        want = reps or self.reps
        runs: list[list[dict]] = [[] for _ in cells]
        clean = [0] * len(cells)
        # A run started while other work kept the CPU busy does not count toward `want`; at most
        # twice `want` runs of a cell are made.
        while True:
            pending = [i for i in range(len(cells)) if clean[i] < want and len(runs[i]) < 2 * want]
            if not pending:
                break
            for i in pending:
                c = cells[i]
                busy = self.wait_idle()
                r = self.run_once(c.argv, c.stdout_json, c.discard_stdout)
                r["seconds"] = r["child"]["seconds"] if c.stdout_json and "seconds" in r["child"] else r["wall"]
                r["busy"] = busy
                runs[i].append(r)
                clean[i] += busy <= 0.10
        out = []
        for rs in runs:
            b = min(rs, key=lambda r: r["seconds"])
            out.append({"seconds": b["seconds"], "cpu": b["cpu"], "all_seconds": [round(r["seconds"], 4) for r in rs],
                        "busy_before": [round(r["busy"], 2) for r in rs],
                        "rss": max(r["rss"] for r in rs), "rss_source": b["rss_source"], "child": b.get("child"),
                        "stdout": b["stdout"]})
        return out


class Cell:
    """One measurement: a command run in a fresh process (see Runner.run_once)."""

    def __init__(self, argv: list[str], stdout_json: bool = False, discard_stdout: bool = False):
        self.argv, self.stdout_json, self.discard_stdout = argv, stdout_json, discard_stdout


# --------------------------------------------------------------------------------------------
# Queries

def sql_list(paths: list[str]) -> str:
    if len(paths) == 1:
        return "'" + paths[0].replace("'", "''") + "'"
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


EVENT_COLUMNS = ["filename", "session_id", "id", "event_uuid", "parent_uuid", "tool_id", "event_type", "tool_name",
                 "skill_name", "subagent_type", "command_name", "is_error", "model", "cwd", "occurred_at",
                 "line_number", "is_sidechain", "tool_input"]


USAGE_COLUMNS = ["filename", "session_id", "agent_id", "project", "cwd", "git_branch", "version", "message_id",
                 "request_id", "occurred_at", "line_number", "model", "speed", "service_tier", "is_sidechain",
                 "input_tokens", "output_tokens", "cache_creation_tokens", "cache_creation_5m_tokens",
                 "cache_creation_1h_tokens", "cache_read_tokens", "web_search_requests", "web_fetch_requests",
                 "duplicate_lines", "kept", "cost_usd", "priced_as", "long_context"]


def ext_queries(src: str) -> dict[str, str]:
    every = ", ".join(f"count({c})" for c in EVENT_COLUMNS)
    every_usage = ", ".join(f"count({c})" for c in USAGE_COLUMNS)
    return {
        "usage": f"SELECT count(*), {every_usage} FROM (SELECT * FROM read_claude_usage({src}))",
        "daily": f"SELECT * FROM claude_usage.daily({src})",
        "agg": f"SELECT count(*), count(DISTINCT tool_name), sum(is_error::INT) FROM read_claude_session({src})",
        "star": f"SELECT count(*), {every} FROM (SELECT * FROM read_claude_session({src}))",
        "summary": f"SELECT * FROM session_summary({src})",
        "project": f"SELECT count(tool_name) FROM read_claude_session({src})",
        "limit": f"SELECT tool_name FROM read_claude_session({src}) LIMIT 10",
    }


def sql_baselines(src: str) -> dict[str, str]:
    """The best plain DuckDB SQL for the tool-use events with error correlation (per file)."""
    def lines(content_type: str, options: str = "") -> str:
        """The lines CTE: the fields a tool-use event needs, `message.content` typed as given."""
        return f"""
      lines AS (
        SELECT filename, type, uuid, parentUuid, sessionId, timestamp, cwd, isSidechain, message.model AS model,
               message.content AS content
        FROM read_json({src}, format = 'newline_delimited', filename = true{options},
             columns = {{type: 'VARCHAR', uuid: 'VARCHAR', parentUuid: 'VARCHAR', sessionId: 'VARCHAR',
                         timestamp: 'VARCHAR', cwd: 'VARCHAR', isSidechain: 'BOOLEAN',
                         message: 'STRUCT(model VARCHAR, content {content_type})'}})
      ),"""

    # (1) untyped: the content list stays JSON and is unnested with json_extract.
    json_lines = lines("JSON") + """
      items AS (
        SELECT * EXCLUDE (content), unnest(json_extract(content, '$[*]')) AS item
        FROM lines WHERE json_type(content) = 'ARRAY'
      ),
      uses AS (
        SELECT * EXCLUDE (item), (item->>'$.id') AS tool_id, (item->>'$.name') AS tool_name,
               (item->'$.input') AS tool_input
        FROM items WHERE type = 'assistant' AND (item->>'$.type') = 'tool_use'
      ),
      errs AS (
        SELECT DISTINCT filename, (item->>'$.tool_use_id') AS tool_id
        FROM items WHERE (item->>'$.type') = 'tool_result' AND json_extract(item, '$.is_error') = 'true'::JSON
      )"""
    # (2) typed: content as a list of structs; lines whose content is a string fail the schema and
    # are dropped by ignore_errors (they hold no tool use and no tool result).
    typed_lines = lines("STRUCT(type VARCHAR, id VARCHAR, name VARCHAR, input JSON, tool_use_id VARCHAR, "
                        "is_error BOOLEAN)[]", ", ignore_errors = true") + """
      items AS (SELECT * EXCLUDE (content), unnest(content) AS item FROM lines),
      uses AS (
        SELECT * EXCLUDE (item), item.id AS tool_id, item.name AS tool_name, item.input AS tool_input
        FROM items WHERE type = 'assistant' AND item.type = 'tool_use'
      ),
      errs AS (
        SELECT DISTINCT filename, item.tool_use_id AS tool_id FROM items
        WHERE item.type = 'tool_result' AND item.is_error
      )"""
    agg_tail = """
      SELECT count(*), count(DISTINCT tool_name), count(errs.tool_id)
      FROM uses LEFT JOIN errs USING (filename, tool_id)"""
    star_cols = ["filename", "sessionId", "uuid", "parentUuid", "tool_id", "tool_name", "is_error", "model", "cwd",
                 "occurred_at", "isSidechain", "tool_input"]
    star_tail = f"""
      SELECT count(*), {", ".join(f"count({c})" for c in star_cols)} FROM (
        SELECT uses.filename, sessionId, uuid, parentUuid, tool_id, tool_name, errs.tool_id IS NOT NULL AS is_error,
               model, cwd, try_cast(timestamp AS TIMESTAMPTZ) AS occurred_at, isSidechain, tool_input
        FROM uses LEFT JOIN errs USING (filename, tool_id))"""
    return {
        "sql-json agg": "WITH" + json_lines + agg_tail,
        "sql-typed agg": "WITH" + typed_lines + agg_tail,
        "sql-json star": "WITH" + json_lines + star_tail,
        "sql-typed star": "WITH" + typed_lines + star_tail,
    }


# --------------------------------------------------------------------------------------------
# Setup

def sh(cmd: list[str], **kw) -> str:
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def corpus_files(root: str) -> list[str]:
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(root, followlinks=True) for f in fs if f.endswith(".jsonl"))


def two_cats(files: list[str], out: str) -> list[str]:
    """Two `cat`s at once, each over half the bytes: how far plain reading scales on this
    machine (the page-cache copy is part of every scan)."""
    sizes = [os.path.getsize(f) for f in files]
    half, acc, cut = sum(sizes) / 2, 0, len(files)
    for i, n in enumerate(sizes):
        acc += n
        if acc >= half:
            cut = i + 1
            break
    lists = []
    for name, part in (("cat-a.txt", files[:cut]), ("cat-b.txt", files[cut:])):
        path = os.path.join(out, name)
        with open(path, "w") as f:
            f.write("\n".join(part) + "\n")
        lists.append(path)
    return ["sh", "-c", f"xargs cat < '{lists[0]}' > /dev/null & xargs cat < '{lists[1]}' > /dev/null; wait"]


def machine() -> dict:
    info = {"nproc": os.cpu_count(), "kernel": platform.release(), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo") as f:
            txt = f.read()
        m = re.search(r"^model name\s*:\s*(.+)$", txt, re.M)
        info["cpu"] = m.group(1).strip() if m else "?"
        m = re.search(r"^cpu MHz\s*:\s*(.+)$", txt, re.M)
        info["mhz"] = m.group(1).strip() if m else "?"
        m = re.search(r"^cache size\s*:\s*(.+)$", txt, re.M)
        info["cache"] = m.group(1).strip() if m else "?"
        with open("/proc/meminfo") as f:
            m = re.search(r"MemTotal:\s*(\d+) kB", f.read())
        info["mem_gib"] = round(int(m.group(1)) / 2**20, 1) if m else "?"
    except OSError:
        pass
    for k, cmd in [("rustc", ["rustc", "--version"])]:
        try:
            info[k] = sh(cmd).strip()
        except (OSError, subprocess.CalledProcessError):
            info[k] = "?"
    try:
        info["duckdb"] = sh([PY, "-c", "import duckdb; print(duckdb.__version__)"]).strip()
    except subprocess.CalledProcessError:
        info["duckdb"] = "?"
    return info


def ensure_corpus(path: str, mb: float, seed: int) -> None:
    marker = os.path.join(path, ".complete")
    want = f"mb={mb:g} seed={seed}\n"
    if os.path.exists(marker):
        with open(marker) as f:
            if f.read() == want:
                return
    shutil.rmtree(path, ignore_errors=True)
    print(f"generating {mb} MB corpus into {path} ...", flush=True)
    sh([PY, os.path.join(HERE, "gen_corpus.py"), "--out", path, "--mb", str(mb), "--seed", str(seed), "--quiet"])
    with open(marker, "w") as f:
        f.write(want)


def build_floor() -> None:
    print("building the floor (cargo build --release in bench/floor) ...", flush=True)
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=FLOOR_DIR, check=True)


def copy_extension() -> str:
    if not os.path.exists(EXT_SRC):
        sys.exit(f"{EXT_SRC} is missing: run `make release` first")
    d = os.path.join(OUT, "ext")
    os.makedirs(d, exist_ok=True)
    dst = os.path.join(d, "claude_usage.duckdb_extension")
    shutil.copy2(EXT_SRC, dst)
    return dst


# --------------------------------------------------------------------------------------------
# The run

def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--reps", type=int, default=None)
    ap.add_argument("--mb", type=float, default=None)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-huge", action="store_true", help="skip the one-huge-file comparison")
    ap.add_argument("--keep", action="store_true", help="keep the huge file and the 4x links afterwards")
    ap.add_argument("--idle-wait", type=float, default=30.0, help="seconds to wait for an idle CPU before a run")
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--output", default=None, help="markdown file to write (default BENCHMARKS.md)")
    ap.add_argument("--render", action="store_true", help="only rewrite the markdown from the last results JSON")
    a = ap.parse_args()
    reps = a.reps or (1 if a.quick else 3)
    mb = a.mb or (20 if a.quick else 300)
    corpus = os.path.join(OUT, "corpus-quick" if a.quick else "corpus")
    output = a.output or (os.path.join(OUT, "BENCHMARKS-quick.md") if a.quick else os.path.join(ROOT, "BENCHMARKS.md"))
    os.makedirs(OUT, exist_ok=True)
    if a.render:
        with open(os.path.join(OUT, "results-quick.json" if a.quick else "results.json")) as f:
            results = json.load(f)
        write_markdown(output, results, shape_of(corpus, a.shared), a)
        print(f"wrote {os.path.relpath(output, ROOT)}")
        return

    ensure_corpus(corpus, mb, a.seed)
    build_floor()
    ext = copy_extension()
    try:
        head = sh(["git", "-C", ROOT, "log", "-1", "--format=%h %cI %s"]).strip()
        dirty = len(sh(["git", "-C", ROOT, "status", "--porcelain", "--", "src", "Cargo.toml", "Cargo.lock"]).splitlines())
    except (OSError, subprocess.CalledProcessError):
        head, dirty = "?", 0
    build = {"commit": head, "uncommitted_src_files": dirty,
             "extension_mtime": datetime.datetime.fromtimestamp(os.path.getmtime(EXT_SRC), datetime.timezone.utc)
             .isoformat(timespec="seconds")}
    files = corpus_files(corpus)
    nbytes = sum(os.path.getsize(f) for f in files)
    nlines = 0
    for f in files:
        with open(f, "rb") as fh:
            nlines += sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 22), b""))
    glob1 = [os.path.join(corpus, "*", "*", "*.jsonl")]
    R = Runner(a.idle_wait, reps)
    shared_ok = os.path.isfile(os.path.join(a.shared, "reference", "usage_lib.py"))
    results: dict = {"machine": machine(), "corpus": {"path": os.path.relpath(corpus, ROOT), "files": len(files),
                     "bytes": nbytes, "lines": nlines, "mb": mb, "seed": a.seed}, "reps": reps, "rows": [],
                     "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                     "build": build}
    rows = results["rows"]

    def duck_cell(sql: str, threads: int, use_ext: bool = True, settings=()) -> Cell:
        argv = [PY, os.path.join(HERE, "child_duckdb.py"), "--threads", str(threads), "--sql", sql]
        for kv in settings:
            argv += ["--set", kv]
        if use_ext:
            argv += ["--ext", ext]
        return Cell(argv, stdout_json=True)

    def duck(sql: str, threads: int, use_ext: bool = True, reps_: int | None = None) -> dict:
        return R.interleaved([duck_cell(sql, threads, use_ext)], reps_)[0]

    def measure(cells: list[tuple[str, str, int, Cell, int]]) -> list[dict]:
        """Measures (query, engine, threads, cell, bytes) cells in rounds (Runner.interleaved)
        and records each."""
        res = R.interleaved([c[3] for c in cells])
        return [record(q, engine, t, r, nb) for (q, engine, t, _, nb), r in zip(cells, res)]

    def record(query: str, engine: str, threads: int, res: dict, nb: int, note: str = "") -> dict:
        row = {"query": query, "engine": engine, "threads": threads, "seconds": res["seconds"],
               "all_seconds": res["all_seconds"], "busy_before": res["busy_before"], "cpu": res["cpu"],
               "bytes": nb, "rss": res["rss"], "rss_source": res["rss_source"],
               "note": note,
               "result": res.get("child", {}).get("first") if res.get("child") else res["stdout"].strip()}
        rows.append(row)
        print(f"  {query:<28} {engine:<22} t={threads}  {res['seconds']:8.3f}s  {nb / res['seconds'] / 1e9:6.3f} GB/s"
              f"  rss {res['rss'] / 2**20:6.1f} MiB  {row['result']}", flush=True)
        return row

    # ---- correctness of the baselines on a slice of the corpus --------------------------
    users = sorted(d for d in os.listdir(corpus) if os.path.isdir(os.path.join(corpus, d)))
    slice_glob = [os.path.join(corpus, users[0], "*", "*.jsonl")]
    slice_dir = os.path.join(corpus, users[0])
    print(f"checking the baselines on {os.path.relpath(slice_dir, ROOT)} ...", flush=True)
    src = sql_list(slice_glob)
    check = {}
    r = duck(f"SELECT count(*), count(DISTINCT tool_name), sum(is_error::INT) FROM read_claude_session({src}) "
             f"WHERE tool_id IS NOT NULL", 2, reps_=1)
    check["extension"] = [int(x) for x in r["child"]["first"]]
    for name, sql in sql_baselines(src).items():
        if name.endswith("agg"):
            check[name] = [int(x) for x in duck(sql, 2, use_ext=False, reps_=1)["child"]["first"]]
    fl = R.run_once([FLOOR_BIN, "--threads", "2", slice_dir], False)["stdout"]
    check["floor tool_uses"] = int(re.search(r"tool_uses=(\d+)", fl).group(1))
    if shared_ok:
        c = R.run_once([PY, os.path.join(HERE, "child_reference.py"), "--shared", a.shared, slice_dir], True)["child"]
        check["reference"] = [c["tool_events"], c["distinct_tools"], c["tool_errors"]]
    results["check"] = check
    print("  ", check)
    want = check["extension"]
    bad = [k for k, v in check.items() if k != "extension" and (v != want[0] if isinstance(v, int) else v != want)]
    if bad:
        sys.exit(f"baseline disagrees with the extension on tool uses (count, distinct names, errors): {bad}: {check}")

    # ---- warm the page cache ----------------------------------------------------------
    subprocess.run(["cat"] + files, stdout=subprocess.DEVNULL, check=True)
    busy0 = cpu_busy(1.0)
    results["load_before"] = os.getloadavg()

    # ---- every throughput cell, measured in rounds --------------------------------------
    print("measuring (every cell once per round) ...", flush=True)
    cells = [("read bytes", "cat > /dev/null", 1, Cell(["cat"] + files, discard_stdout=True), nbytes),
             ("read bytes", "cat > /dev/null", 2, Cell(two_cats(files, OUT), discard_stdout=True), nbytes)]
    for t in (1, 2):
        cells.append(("parse every line", "floor (serde_json)", t, Cell([FLOOR_BIN, "--threads", str(t), corpus]), nbytes))
    q = ext_queries(sql_list(glob1))
    for name in ("agg", "star", "summary", "project", "limit", "usage", "daily"):
        for t in (1, 2):
            cells.append((name, "claude_usage", t, duck_cell(q[name], t), nbytes))
    # DuckDB 2.0 keeps insertion order by default; a C-API table function cannot report batch
    # indexes, so a plan that must keep its order runs the scan on one thread.
    for name in ("agg", "summary"):
        cells.append((name, NO_ORDER, 2, duck_cell(q[name], 2, settings=["preserve_insertion_order=false"]), nbytes))
    # (b) plain DuckDB SQL
    for name, sql in sql_baselines(sql_list(glob1)).items():
        variant, query = name.split(" ")
        for t in (1, 2):
            cells.append((query, f"DuckDB SQL ({variant[4:]})", t, duck_cell(sql, t, use_ext=False), nbytes))
    # (a) the reference
    if shared_ok:
        cells.append(("events+summary", "reference (CPython)", 1,
                      Cell([PY, os.path.join(HERE, "child_reference.py"), "--shared", a.shared, corpus], stdout_json=True),
                      nbytes))
    else:
        results["reference_note"] = f"skipped: {a.shared}/reference/usage_lib.py not found"
    measure(cells)

    # ---- memory at 1x and 4x ----------------------------------------------------------
    x4 = os.path.join(OUT, "x4")
    shutil.rmtree(x4, ignore_errors=True)
    os.makedirs(x4)
    for i in range(4):
        os.symlink(os.path.abspath(corpus), os.path.join(x4, f"c{i}"))
    glob4 = [os.path.join(x4, f"c{i}", "*", "*", "*.jsonl") for i in range(4)]
    q4 = ext_queries(sql_list(glob4))
    print("memory, 4x corpus (4 symlinked copies) ...", flush=True)
    x4_dirs = [os.path.join(x4, f"c{i}") for i in range(4)]
    results["memory"] = measure(
        [(name + " (4x)", "claude_usage", 2, duck_cell(q4[name], 2), 4 * nbytes)
         for name in ("agg", "star", "summary", "usage")]
        + [("parse every line (4x)", "floor (serde_json)", 2, Cell([FLOOR_BIN, "--threads", "2"] + x4_dirs), 4 * nbytes)])
    base = R.best([PY, os.path.join(HERE, "child_duckdb.py"), "--threads", "2", "--ext", ext, "--sql", "SELECT 42"],
                  stdout_json=True, reps=1)
    results["driver_rss"] = base["rss"]

    # ---- one huge file ----------------------------------------------------------------
    huge_path = os.path.join(OUT, "huge.jsonl")
    if not a.no_huge:
        print("one huge file: the 4x corpus concatenated ...", flush=True)
        if not (os.path.exists(huge_path) and os.path.getsize(huge_path) == 4 * nbytes):
            sh([PY, os.path.join(HERE, "gen_corpus.py"), "--concat", corpus, "--copies", "4", "--out", huge_path])
        subprocess.run(["cat", huge_path], stdout=subprocess.DEVNULL, check=True)
        hq = ext_queries(sql_list([huge_path]))
        cells = []
        for name in ("agg", "summary", "star"):
            for t in (1, 2):
                cells.append((name + " (huge)", "claude_usage", t, duck_cell(hq[name], t), 4 * nbytes))
            if name != "star":
                cells.append((name + " (4x)", "claude_usage", 1, duck_cell(q4[name], 1), 4 * nbytes))
        cells.append(("parse every line (huge)", "floor (serde_json)", 1, Cell([FLOOR_BIN, "--threads", "1", huge_path]),
                      4 * nbytes))
        cells.append(("parse every line (4x)", "floor (serde_json)", 1, Cell([FLOOR_BIN, "--threads", "1"] + x4_dirs),
                      4 * nbytes))
        results["huge"] = measure(cells)
    if not a.keep:
        shutil.rmtree(x4, ignore_errors=True)
        if os.path.exists(huge_path):
            os.remove(huge_path)

    results["busy_seen_max"] = max(R.busy_seen) if R.busy_seen else None
    results["busy_before"] = busy0
    results["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    with open(os.path.join(OUT, "results-quick.json" if a.quick else "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    write_markdown(output, results, shape_of(corpus, a.shared), a)
    print(f"wrote {os.path.relpath(output, ROOT)}")


def shape_of(corpus: str, shared: str) -> str:
    try:
        return sh([PY, os.path.join(HERE, "shape.py"), corpus, "--markdown",
                   "--ref", os.path.join(shared, "fixtures", "public")])
    except subprocess.CalledProcessError as e:
        return f"(shape.py failed: {e})"


# --------------------------------------------------------------------------------------------
# BENCHMARKS.md

def fmt_mib(b: int) -> str:
    return f"{b / 2**20:.0f} MiB"


def write_markdown(path: str, res: dict, shape: str, a) -> None:
    rows = res["rows"]
    m = res["machine"]
    c = res["corpus"]

    def find(query, engine_prefix, threads):
        for r in rows:
            if r["query"] == query and r["engine"].startswith(engine_prefix) and r["threads"] == threads:
                return r
        return None

    floor = {t: find("parse every line", "floor", t) for t in (1, 2)}
    ref = find("events+summary", "reference", 1)

    def gbs(r):
        return r["bytes"] / r["seconds"] / 1e9

    lines = [BEGIN, ""]
    busy = [b for r in rows for b in r.get("busy_before", [])]
    noisy = sum(b > 0.10 for b in busy)
    lines.append(f"Run: {res['started']} to {res['finished']}, best of {res['reps']} runs, each in a fresh process, "
                 "in rounds (every measurement of a table once per round, so that a slow spell of the machine "
                 f"falls on all of them alike), warm page cache. {noisy} of {len(busy)} runs started while other work kept the CPU more than 10% busy "
                 "(after waiting up to --idle-wait seconds); such runs do not count toward the repetitions, "
                 "up to twice as many runs are made. *CPU s* is user + system time of the measured work "
                 "(all threads), less sensitive to other load than the wall time.")
    lines.append("")
    lines.append("### Machine")
    lines.append("")
    lines.append(f"- {m.get('nproc')} CPUs (`nproc`), {m.get('cpu')} ({m.get('mhz')} MHz, cache {m.get('cache')}), "
                 f"{m.get('mem_gib')} GiB RAM, Linux {m.get('kernel')}")
    lines.append(f"- {m.get('rustc')}; DuckDB {m.get('duckdb')} (Python package); Python {m.get('python')}")
    b = res.get("build", {})
    lines.append(f"- extension: `build/release/claude_usage.duckdb_extension` built {b.get('extension_mtime')}, "
                 f"tree at {b.get('commit')}"
                 + (f" with {b['uncommitted_src_files']} uncommitted src files" if b.get("uncommitted_src_files") else ""))
    lines.append("")
    lines.append("### Corpus")
    lines.append("")
    lines.append(f"`bench/gen_corpus.py --mb {c['mb']:g} --seed {c['seed']}`: {c['files']} files "
                 f"(`<user>/<project>/<session>.jsonl`, plus `agent-*.jsonl` subagent files), "
                 f"{c['bytes']:,} bytes ({c['bytes'] / 1e6:.0f} MB), {c['lines']:,} lines.")
    lines.append("")
    lines.append("### Throughput")
    lines.append("")
    lines.append("GB/s = corpus bytes / seconds (10^9 bytes). *vs floor* = the floor's time at the same thread count "
                 "divided by this time (1.00 = as fast as the floor). *vs ref* = the reference's time / this time. "
                 "Peak RSS is the whole measured process's high-water mark (VmHWM from /proc/self/status at its end; "
                 "`cat`: ru_maxrss from wait4, an upper bound). The DuckDB driver process alone (Python + DuckDB + "
                 f"LOAD, `SELECT 42`) peaks at {fmt_mib(res['driver_rss'])}.")
    lines.append("")
    lines.append("| query | engine | threads | seconds | CPU s | GB/s | vs floor | vs ref | peak RSS | result |")
    lines.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    labels = {
        "read bytes": "`cat` every file",
        "parse every line": "parse every line (floor)",
        "agg": "`SELECT count(*), count(DISTINCT tool_name), sum(is_error::INT)`",
        "star": "`SELECT *` (events)",
        "summary": "`SELECT * FROM session_summary`",
        "project": "`SELECT count(tool_name)` (projection)",
        "limit": "`SELECT tool_name ... LIMIT 10`",
        "events+summary": "events + summary of every file",
        "usage": "`SELECT * FROM read_claude_usage` (requests)",
        "daily": "`SELECT * FROM claude_usage.daily`",
    }
    main_rows = [r for r in rows if "(4x)" not in r["query"] and "(huge)" not in r["query"]]
    for r in main_rows:
        f = floor.get(r["threads"])
        vs_floor = f"{f['seconds'] / r['seconds']:.2f}" if f else ""
        vs_ref = f"{ref['seconds'] / r['seconds']:.1f}" if ref and r is not ref else ""
        secs = f"{r['seconds'] * 1000:.1f} ms" if r["query"] == "limit" else f"{r['seconds']:.3f}"
        g = "" if r["query"] == "limit" else f"{gbs(r):.3f}"
        if r["query"] == "limit":
            vs_floor = vs_ref = ""
        result = r["result"] if isinstance(r["result"], str) else ", ".join(r["result"] or [])
        result = re.sub(r"^files=\d+ bytes=\d+ (lines=\d+) bad=\d+ (tool_uses=\d+).*", r"\1 \2", result)
        if r["query"] in ("star", "summary") or len(result) > 40:
            result = result[:40] + ("…" if len(result) > 40 else "")
        cpu = f"{r['cpu']:.3f}" if r.get("cpu") is not None else ""
        lines.append(f"| {labels.get(r['query'], r['query'])} | {r['engine']} | {r['threads']} | {secs} | {cpu} | {g} | "
                     f"{vs_floor} | {vs_ref} | {fmt_mib(r['rss'])} | {result} |")
    lines.append("")
    lines.append("How each is measured:")
    lines.append("")
    lines.append("- DuckDB rows: `bench/child_duckdb.py` connects, LOADs, `SET threads`, then times `execute` + "
                 "`fetchall()`. `SELECT *` of events is run as `SELECT count(*), count(filename), ..., "
                 "count(tool_input) FROM (SELECT * FROM read_claude_session(...))`: every column is produced by the "
                 "scan and consumed, without paying for converting rows to Python objects. "
                 "`session_summary` has one row per file, so its rows are simply fetched.")
    lines.append("- DuckDB SQL (json): `read_json(..., columns = {...})` with `message.content` as JSON, "
                 "`unnest(json_extract(content, '$[*]'))`, tool uses from assistant lines, errors from tool_result "
                 "items, joined per file on the tool id; (typed): the same with content typed as a list of structs and "
                 "`ignore_errors = true` (string contents then drop their line). The SQL counts tool uses only; the "
                 "extension also finds slash commands. The full SQL is in `bench/run.py` (`sql_baselines`).")
    lines.append(f"- *{NO_ORDER}*: the same query with that setting. DuckDB 2.0 keeps insertion order by "
                 "default, and a table function registered through the C API cannot report batch indexes, so a plan "
                 "that must keep the scan's order (a plain `SELECT *`, and here `count(DISTINCT ...)`) runs the scan "
                 "on one thread; aggregates without DISTINCT and ORDER BY queries are not affected.")
    lines.append("- reference: `bench/child_reference.py` runs `usage_lib.iter_events` and `compute_summary` on "
                 "every file after `json.loads` of each line, single process.")
    lines.append("- floor: `bench/floor` parses every line with `serde_json::from_slice` into borrowed structs of the "
                 "fields the extension reads and counts them.")
    check = res.get("check", {})
    lines.append(f"- Before measuring, the tool-use count, distinct tool names and error count were checked equal on "
                 f"one user's folder: {check}.")
    lines.append("")

    # targets
    lines.append("### Targets")
    lines.append("")
    lines.append("| target | measured | |")
    lines.append("|---|---|---|")

    def verdict(ok):
        return "pass" if ok else "**miss**"

    def median_ratio(num, den, lead="; "):
        """The same ratio from the medians of the repetitions (less sensitive to one lucky run):
        `<lead>median of N: R.RRx`, closed by `)` when `lead` opens a bracket; "" without repetitions."""
        a, b = num.get("all_seconds") or [], den.get("all_seconds") or []
        if len(a) < 2 or len(b) < 2:
            return ""
        close = ")" if lead.endswith("(") else ""
        return f"{lead}median of {min(len(a), len(b))}: {statistics.median(a) / statistics.median(b):.2f}x{close}"

    for q in ("star", "summary", "agg"):
        for t in (1, 2):
            r = find(q, "claude_usage", t)
            if r and floor[t]:
                ratio = floor[t]["seconds"] / r["seconds"]
                cpu_ratio = (f" (CPU time: {floor[t]['cpu'] / r['cpu']:.2f}x)"
                             if r.get("cpu") and floor[t].get("cpu") else "")
                cpu_ratio += median_ratio(floor[t], r, " (")
                lines.append(f"| {labels[q]} >= 0.7x floor, {t} thread(s) (stretch 1.0x) | {ratio:.2f}x{cpu_ratio} | "
                             f"{verdict(ratio >= 0.7)}{' (stretch met)' if ratio >= 1.0 else ''} |")
    if ref:
        for q in ("agg", "star", "summary"):
            r = find(q, "claude_usage", 1)
            if r:
                ratio = ref["seconds"] / r["seconds"]
                lines.append(f"| {labels[q]} >= 3x reference, 1 thread | {ratio:.1f}x | {verdict(ratio >= 3)} |")
    for q in ("agg", "star"):
        r = find(q, "claude_usage", 2)
        sqls = [x for x in rows if x["query"] == q and x["engine"].startswith("DuckDB SQL") and x["threads"] == 2]
        if r and sqls:
            best_sql = min(sqls, key=lambda x: x["seconds"])
            ratio = best_sql["seconds"] / r["seconds"]
            lines.append(f"| {labels[q]} >= 4x the best DuckDB SQL, 2 threads | {ratio:.1f}x (vs {best_sql['engine']}"
                         f"{median_ratio(best_sql, r)}) | "
                         f"{verdict(ratio >= 4)} |")
    for q in ("agg", "star", "summary", "project"):
        r1, r2 = find(q, "claude_usage", 1), find(q, "claude_usage", 2)
        if r1 and r2:
            ratio = r1["seconds"] / r2["seconds"]
            lines.append(f"| {labels[q]}: 2 threads >= 1.7x 1 thread | {ratio:.2f}x{median_ratio(r1, r2, ' (')}"
                         f" | {verdict(ratio >= 1.7)} |")
        r2n = find(q, NO_ORDER, 2)
        if r1 and r2n:
            ratio = r1["seconds"] / r2n["seconds"]
            lines.append(f"| {labels[q]}: 2 threads with `SET preserve_insertion_order = false` >= 1.7x 1 thread | "
                         f"{ratio:.2f}x{median_ratio(r1, r2n, ' (')} | "
                         f"{verdict(ratio >= 1.7)} |")
    f1, f2 = floor[1], floor[2]
    if f1 and f2:
        lines.append(f"| (floor: 2 threads vs 1, for comparison) | {f1['seconds'] / f2['seconds']:.2f}x"
                     f"{median_ratio(f1, f2, ' (')} | |")
    c1, c2 = find("read bytes", "cat", 1), find("read bytes", "cat", 2)
    if c1 and c2:
        lines.append(f"| (`cat`: two at once, each over half the bytes, vs one: how far the page-cache copy "
                     f"scales here) | {c1['seconds'] / c2['seconds']:.2f}x{median_ratio(c1, c2, ' (')} | |")
    busy = []
    for q in ("agg", "star", "summary", "project"):
        r2 = find(q, "claude_usage", 2)
        if r2 and r2.get("cpu"):
            busy.append(f"{q} {r2['cpu'] / r2['seconds']:.2f}")
    if busy:
        lines.append("| (2 threads: CPU seconds per wall second of the fastest run, 2.00 = both threads busy "
                     f"throughout) | {', '.join(busy)} | |")
    ext_rows = [r for r in rows if r["engine"] == "claude_usage"]
    peak = max(r["rss"] for r in ext_rows)
    lines.append(f"| peak RSS <= 256 MB (every extension run above and below) | {fmt_mib(peak)} | {verdict(peak <= 256e6)} |")
    mem = res.get("memory", [])
    for r4 in mem:
        base_q = r4["query"].replace(" (4x)", "")
        r1 = find(base_q, r4["engine"].split(" ")[0], 2)
        if r1:
            growth = r4["rss"] / r1["rss"]
            lines.append(f"| RSS flat in corpus size: {labels.get(base_q, base_q)}, {r4['engine']}, 2 threads | "
                         f"1x {fmt_mib(r1['rss'])}, 4x {fmt_mib(r4['rss'])} ({growth:.2f}x) | {verdict(growth <= 1.25)} |")
    huge_rows = res.get("huge", [])
    for q in ("agg", "summary", "star"):
        h = max((r for r in huge_rows if r["query"] == q + " (huge)"), key=lambda r: r["rss"], default=None)
        m4 = next((r for r in mem if r["query"] == q + " (4x)"), None)
        if h and m4:
            growth = h["rss"] / m4["rss"]
            # Not a target of the issue (its memory targets are the budget and 1x vs 4x the
            # corpus): shown because one file's events are held until the file ends.
            lines.append(f"| (peak RSS, one {h['bytes'] / 1e9:.1f} GB file vs the same bytes in {4 * c['files']} files: "
                         f"{labels[q]}; a file's events wait for its end, where `is_error` is known) | "
                         f"{fmt_mib(h['rss'])} vs {fmt_mib(m4['rss'])} ({growth:.2f}x) | |")
    # Usage and cost (read_claude_usage and the reports)
    for t in (1, 2):
        u, s_ = find("usage", "claude_usage", t), find("summary", "claude_usage", t)
        if u and s_:
            ratio = s_["seconds"] / u["seconds"]
            lines.append(f"| {labels['usage']} >= 0.9x the throughput of `session_summary`, {t} thread(s) | "
                         f"{ratio:.2f}x ({u['seconds']:.3f} s vs {s_['seconds']:.3f} s{median_ratio(s_, u)}) | "
                         f"{verdict(ratio >= 0.9)} |")
        d = find("daily", "claude_usage", t)
        if d and u:
            ratio = d["seconds"] / u["seconds"]
            lines.append(f"| `claude_usage.daily` within 1.2x the time of the bare scan ({labels['usage']}), {t} "
                         f"thread(s) | {ratio:.2f}x ({d['seconds']:.3f} s vs {u['seconds']:.3f} s"
                         f"{median_ratio(d, u)}) | {verdict(ratio <= 1.2)} |")
    u4 = next((r for r in mem if r["query"] == "usage (4x)"), None)
    s4 = next((r for r in mem if r["query"] == "summary (4x)"), None)
    u1, s1 = find("usage", "claude_usage", 2), find("summary", "claude_usage", 2)
    for label, u, s_ in (("1x", u1, s1), ("4x", u4, s4)):
        if u and s_:
            ratio = u["rss"] / s_["rss"]
            lines.append(f"| peak RSS of {labels['usage']} (global de-duplication) <= 1.5x `session_summary`'s, {label}, "
                         f"2 threads | {fmt_mib(u['rss'])} vs {fmt_mib(s_['rss'])} ({ratio:.2f}x) | {verdict(ratio <= 1.5)} |")
    lim = [find("limit", "claude_usage", t) for t in (1, 2)]
    agg1 = find("agg", "claude_usage", 1)
    for t, r in zip((1, 2), lim):
        if r and agg1:
            lines.append(f"| `LIMIT 10` in milliseconds, not a full scan ({t} thread(s)) | {r['seconds'] * 1000:.1f} ms "
                         f"(full scan: {agg1['seconds'] * 1000:.0f} ms) | {verdict(r['seconds'] < 0.1 and r['seconds'] < 0.1 * agg1['seconds'])} |")
    for t in (1, 2):
        p, s = find("project", "claude_usage", t), find("star", "claude_usage", t)
        if p and s:
            lines.append(f"| projecting `tool_name` faster than `SELECT *` ({t} thread(s)) | {p['seconds']:.3f} s vs "
                         f"{s['seconds']:.3f} s | {verdict(p['seconds'] < s['seconds'])} |")
    huge = res.get("huge", [])
    for q in ("agg", "summary"):
        h = next((r for r in huge if r["query"] == q + " (huge)" and r["threads"] == 1), None)
        m4 = next((r for r in huge if r["query"] == q + " (4x)" and r["threads"] == 1), None)
        if h and m4:
            ratio = h["seconds"] / m4["seconds"]
            lines.append(f"| one {h['bytes'] / 1e9:.1f} GB file vs the same bytes in {4 * c['files']} files, "
                         f"{labels[q]}, 1 thread | {ratio:.2f}x the time | {verdict(ratio <= 1.25)} |")
    lines.append("")

    lines.append("### Memory: 1x vs 4x corpus")
    lines.append("")
    lines.append(f"4x = four symbolic links to the corpus folder, passed as a list of four globs "
                 f"({4 * c['bytes'] / 1e9:.2f} GB, no new data on disk).")
    lines.append("")
    lines.append("| query | engine | threads | bytes | seconds | GB/s | peak RSS |")
    lines.append("|---|---|---:|---:|---:|---:|---:|")
    for r4 in mem:
        base_q = r4["query"].replace(" (4x)", "")
        r1 = find(base_q, r4["engine"].split(" ")[0], 2)
        for r in ([r1] if r1 else []) + [r4]:
            lines.append(f"| {labels.get(base_q, base_q)} | {r['engine']} | {r['threads']} | {r['bytes'] / 1e6:.0f} MB | "
                         f"{r['seconds']:.3f} | {gbs(r):.3f} | {fmt_mib(r['rss'])} |")
    lines.append("")
    if huge:
        lines.append("### One huge file")
        lines.append("")
        lines.append(f"`bench/gen_corpus.py --concat {c['path']} --copies 4`: the 4x corpus's bytes as one "
                     f"{4 * c['bytes'] / 1e9:.2f} GB file, against the same bytes in {4 * c['files']} files. "
                     "The floor reads one file on one thread; the extension may split a big file into line-aligned "
                     "ranges read by several threads.")
        lines.append("")
        lines.append("| query | engine | threads | seconds | GB/s | peak RSS |")
        lines.append("|---|---|---:|---:|---:|---:|")
        for r in huge:
            q = r["query"].split(" (")[0]
            where = "1 file" if "(huge)" in r["query"] else f"{4 * c['files']} files"
            lines.append(f"| {labels.get(q, q)}, {where} | {r['engine']} | {r['threads']} | {r['seconds']:.3f} | "
                         f"{gbs(r):.3f} | {fmt_mib(r['rss'])} |")
        lines.append("")
    lines.append("### Corpus shape vs the real transcripts in `../shared/fixtures/public`")
    lines.append("")
    lines.append("`python3 bench/shape.py " + c["path"] + "` (real = the 3 public fixture files, 52 lines):")
    lines.append("")
    lines.append(shape.strip())
    lines.append("")
    lines.append("### Reproduce")
    lines.append("")
    lines.append("```sh")
    lines.append("make bench                       # = make release venv, then .venv/bin/python bench/run.py")
    lines.append(".venv/bin/python bench/run.py --quick   # 20 MB smoke test, writes bench/out/BENCHMARKS-quick.md")
    lines.append(f"python3 bench/gen_corpus.py --out {c['path']} --mb {c['mb']:g} --seed {c['seed']}")
    lines.append(f"python3 bench/shape.py {c['path']}")
    lines.append("cargo build --release --manifest-path bench/floor/Cargo.toml")
    lines.append(f"bench/floor/target/release/claude_usage_floor --threads 2 {c['path']}")
    lines.append("```")
    lines.append("")
    lines.append(f"Raw numbers (every repetition): `bench/out/{'results-quick' if a.quick else 'results'}.json`.")
    lines.append("")
    lines.append(END)
    block = "\n".join(lines)

    old = ""
    if os.path.exists(path):
        with open(path) as f:
            old = f.read()
    if BEGIN in old and END in old:
        pre, rest = old.split(BEGIN, 1)
        post = rest.split(END, 1)[1]
        text = pre + block + post
    else:
        text = "# Benchmarks\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
