#!/usr/bin/env python3
"""Runs the claude_usage extension over the hostile files of gen_hostile.py and checks it.

    check_hostile.py --extension EXT --dir DIR [--shared ../shared] [--large]
                     [--committed test/data/hostile] [--timeout SECONDS] [-v]

Checks (each prints PASS or FAIL with details; the last line is "N passed, M failed"):

* content: one query per function over DIR/content/*.jsonl succeeds; per file, the summary's
  `lines` and `malformed_lines` and the events' line numbers are exactly what the generator
  recorded in DIR/manifest.json (every good line's events exactly once, every bad line counted);
* oracle (when <shared>/tools/reference_oracle.py exists): per file, the events (as a multiset
  of the oracle's columns) and the summary equal the oracle's answer for the *contract view* of
  the file. The view applies the extension's documented decisions the oracle does not know (see
  `contract_view`); the oracle then applies the reference's rules and its own contract
  adjustments. The oracle is also run on the raw files and where its answer differs the reason
  is printed as a NOTE (these are the decided disagreements, not failures);
* unfit: every entry of DIR/unfit fails without `ignore_errors` with an error naming the
  function and the file ("<function>: cannot read \"<path>\": <why>"), and gives no rows with
  `ignore_errors := true`; globs over them end (a FIFO is never opened, a directory symlink
  loop is not followed forever) and, mixed with the content files, skip only the unfit ones;
* growing file: a writer thread appends lines (each in two writes) while both functions read
  the file: the queries end and return a consistent prefix (lines 1..k, each with its event,
  at most one half-written last line counted as malformed);
* shrinking file (an extra): the file is cut mid-line while it is read: the queries end with a
  consistent prefix (or an error naming the file);
* --committed DIR2: the committed copy (DIR2/content, DIR2/manifest.json) is byte-identical to
  what the generator writes now;
* --large: peak RSS of a child process reading each 50 MiB line with both functions (its
  VmHWM; see child_peak_rss) minus the peak of the same child reading a tiny file stays under
  4x the line; the 200 MiB one-line file is reported.

Every query runs under a timeout (default 300 s) so that a hang fails instead of blocking.
Needs the duckdb Python package; the oracle and the generator need only the standard library.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

# The columns the oracle prints: one list, shared with the conformance check.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from conformance import (  # noqa: E402
    EVENT_COLUMNS,
    SUMMARY_COLUMNS,
    diff_events,
    diff_summary,
    event_key,
    oracle,
    oracle_by_file,
    select_sql,
)

TOKEN_COLUMNS = [c for c in SUMMARY_COLUMNS if "tokens" in c]
I64_MIN, I64_MAX = -(2 ** 63), 2 ** 63 - 1
BOM = b"\xef\xbb\xbf"
MiB = 1024 * 1024


# --------------------------------------------------------------------------------------------
# Reporting


class Report:
    def __init__(self, verbose: bool):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def check(self, ok: bool, name: str, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            if self.verbose:
                print(f"PASS {name}" + (f": {detail}" if detail else ""))
        else:
            self.failed += 1
            print(f"FAIL {name}" + (f": {detail}" if detail else ""))
        return ok

    def note(self, text: str) -> None:
        print(f"NOTE {text}")


class Hung(Exception):
    pass


def with_timeout(seconds: float, fn, *args):
    """Runs fn(*args) in a daemon thread; raises Hung when it does not return in time."""
    box: dict = {}

    def run():
        try:
            box["value"] = fn(*args)
        except BaseException as e:  # noqa: BLE001 - handed to the caller
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(seconds)
    if t.is_alive():
        raise Hung(f"no answer after {seconds:.0f} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


# --------------------------------------------------------------------------------------------
# The extension


class Ext:
    def __init__(self, path: str, timeout: float):
        import duckdb

        self.duckdb = duckdb
        self.path = os.path.abspath(path)
        self.timeout = timeout
        self.con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
        self.con.execute(f"LOAD '{self.path}'")

    def rows(self, sql: str, params=None) -> list[dict]:
        def run():
            rel = self.con.execute(sql, params or [])
            names = [d[0] for d in rel.description]
            return [dict(zip(names, r)) for r in rel.fetchall()]

        return with_timeout(self.timeout, run)

    def select(self, func: str, paths, columns: list[str], ignore_errors=False) -> list[dict]:
        return self.rows(select_sql(func, columns, ", ignore_errors := true" if ignore_errors else ""), [paths])


# --------------------------------------------------------------------------------------------
# The contract view: what the oracle must see to answer under the extension's contract


class Malformed(Exception):
    pass


def _reject_constant(name):
    raise Malformed(f"{name} is not JSON")


def _fix(s: str) -> str:
    """A lone surrogate (from a \\u escape) becomes U+FFFD, as the extension reads it."""
    if not any("\ud800" <= c <= "\udfff" for c in s):
        return s
    return "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in s)


def _strs(src: dict, keys) -> dict:
    return {k: _fix(src[k]) for k in keys if isinstance(src.get(k), str)}


def _project_item(item: dict) -> dict:
    out = _strs(item, ("type", "id", "name", "tool_use_id", "text"))
    if item.get("is_error") is True:
        out["is_error"] = True
    if isinstance(item.get("input"), dict):
        out["input"] = _strs(item["input"], ("skill", "name", "subagent_type"))
    return out


def _project(turn: dict) -> dict:
    """Keeps exactly what the extension's record reads (the fields the reference reads, too),
    with the extension's decisions: a value of the wrong type is absent (strings only for ids,
    names, sessionId, uuid, cwd, model, requestId, type, text, skill, subagent_type), is_error
    counts only as JSON true, a usage counter must be an integer in the BIGINT range."""
    out = _strs(turn, ("type", "uuid", "parentUuid", "sessionId", "cwd", "requestId", "tool_use_id",
                       "toolUseId", "timestamp"))
    if turn.get("is_error") is True:
        out["is_error"] = True
    msg = turn.get("message")
    if isinstance(msg, dict):
        m = _strs(msg, ("id", "model"))
        content = msg.get("content")
        if isinstance(content, str):
            m["content"] = _fix(content)
        elif isinstance(content, list):
            m["content"] = [_project_item(i) for i in content if isinstance(i, dict)]
        usage = msg.get("usage")
        if isinstance(usage, dict):
            m["usage"] = {k: v for k, v in usage.items()
                          if k in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                                   "cache_creation_input_tokens")
                          and type(v) is int and I64_MIN <= v <= I64_MAX}
        out["message"] = m
    return out


def _view_line(raw: bytes) -> str:
    try:
        text = raw.decode("utf-8")  # decision: a line that is not UTF-8 is malformed
    except UnicodeDecodeError:
        return "{"
    s = text.strip()
    if not s:
        return ""
    try:
        obj = json.loads(s, parse_constant=_reject_constant)  # decision: NaN/Infinity are not JSON
    except (ValueError, Malformed, RecursionError):
        return "{"
    if not isinstance(obj, dict):
        return "[]"
    return json.dumps(_project(obj), ensure_ascii=True)


def contract_view(data: bytes) -> bytes:
    """The file as the extension reads it, re-encoded so that the oracle reads the same: a BOM
    at the start is dropped, lines end at LF only (the oracle's universal newlines would also
    split at a lone CR), bad lines become "{" (malformed for both), good lines are projected
    (see _project) and re-serialised in ASCII (no CR, no invalid text, no deep nesting left)."""
    if data.startswith(BOM):
        data = data[len(BOM):]
    parts = data.split(b"\n")
    if parts and parts[-1] == b"":
        parts.pop()
    return ("\n".join(_view_line(p) for p in parts) + "\n").encode("ascii")


def in_big_stack(fn, *args):
    """Deep nesting needs Python's recursion limit and C stack raised: run in a thread with a
    large stack."""
    old_size = threading.stack_size()
    old_limit = sys.getrecursionlimit()
    threading.stack_size(1024 * MiB)
    sys.setrecursionlimit(5_000_000)
    try:
        return with_timeout(3600, fn, *args)
    finally:
        threading.stack_size(old_size)
        sys.setrecursionlimit(old_limit)


def clamp_tokens(summary: dict) -> dict:
    """BIGINT sums saturate (the oracle's Python ints do not)."""
    out = dict(summary)
    for c in TOKEN_COLUMNS:
        if isinstance(out.get(c), int):
            out[c] = max(I64_MIN, min(I64_MAX, out[c]))
    return out


# --------------------------------------------------------------------------------------------
# Checks


def check_content(rep: Report, ext: Ext, d: str, manifest: dict, shared: str | None) -> None:
    content = os.path.join(d, "content")
    names = [n for n in sorted(manifest["content"]) if os.path.exists(os.path.join(content, n))]
    glob = os.path.join(os.path.abspath(content), "*.jsonl")
    def select_all(func: str, columns: list[str], what: str):
        label = f"content: {func} over all content files"
        try:
            rows = ext.select(func, glob, columns)
        except Exception as e:  # noqa: BLE001
            rep.check(False, label, f"{type(e).__name__}: {e}")
            return None
        rep.check(True, label, f"{len(rows)} {what}")
        return rows

    events = select_all("read_claude_session", ["line_number"] + EVENT_COLUMNS, "events")
    summaries = select_all("session_summary", ["lines"] + SUMMARY_COLUMNS, "rows")
    if events is None or summaries is None:
        return

    act_events: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    act_lines: dict[str, list[int]] = collections.defaultdict(list)
    for r in events:
        n = os.path.basename(r["filename"])
        act_events[n][event_key(r)] += 1
        act_lines[n].append(r["line_number"])
    act_summary: dict[str, list[dict]] = collections.defaultdict(list)
    for r in summaries:
        act_summary[os.path.basename(r["filename"])].append(r)

    for n in names:
        m = manifest["content"][n]
        rows = act_summary.get(n, [])
        if not rep.check(len(rows) == 1, f"content {n}: one summary row", f"{len(rows)} rows"):
            continue
        s = rows[0]
        got = (s["lines"], s["malformed_lines"], sorted(act_lines.get(n, [])))
        exp = (m["lines"], m["malformed_lines"], m["event_lines"])
        rep.check(got == exp, f"content {n}: lines, malformed_lines, event line numbers",
                  "" if got == exp else f"got lines={got[0]} malformed={got[1]} events at {got[2][:20]}; "
                                        f"expected lines={exp[0]} malformed={exp[1]} events at {exp[2][:20]}")

    if not shared:
        rep.note("oracle checks skipped (no shared folder with tools/reference_oracle.py)")
        return

    with tempfile.TemporaryDirectory(prefix="hostile-view-") as tmp:
        view_files = []
        for n in names:
            with open(os.path.join(content, n), "rb") as f:
                data = f.read()
            view = in_big_stack(contract_view, data)
            del data
            p = os.path.join(tmp, n)
            with open(p, "wb") as f:
                f.write(view)
            view_files.append(p)
        exp_events, exp_summary, exp_failed = oracle_by_file(oracle(shared, view_files), key=os.path.basename)
    for n in names:
        if n in exp_failed:
            rep.check(False, f"oracle {n}: the oracle cannot read the contract view", exp_failed[n])
            continue
        m = manifest["content"][n]
        exp_n = sum(exp_events[n].values())
        rep.check(exp_n == m["events"], f"oracle {n}: the generator's event count agrees with the oracle",
                  f"generator {m['events']} oracle {exp_n}")
        rep.check(exp_events[n] == act_events[n], f"oracle {n}: events",
                  "" if exp_events[n] == act_events[n] else "; ".join(diff_events(exp_events[n], act_events[n])))
        es = clamp_tokens(exp_summary.get(n, {}))
        as_ = {c: act_summary[n][0][c] for c in SUMMARY_COLUMNS}
        rep.check(es == as_, f"oracle {n}: summary", "" if es == as_ else "; ".join(diff_summary(es, as_)))

    # The decided disagreements: the oracle on the raw files (the huge ones are left out), as
    # notes that cannot fail; only with -v, as they cost a second oracle run.
    if not rep.verbose:
        return
    raw = [os.path.join(content, n) for n in names if not manifest["content"][n]["big"]]
    r_events, r_summary, r_failed = oracle_by_file(oracle(shared, raw), key=os.path.basename)
    for n in (os.path.basename(p) for p in raw):
        if n in r_failed:
            rep.note(f"the oracle cannot read raw {n} ({r_failed[n]}); the extension reads it: "
                     f"{sum(act_events[n].values())} events")
            continue
        es = clamp_tokens(r_summary.get(n, {}))
        as_ = {c: act_summary[n][0][c] for c in SUMMARY_COLUMNS}
        diffs = []
        if r_events[n] != act_events[n]:
            diffs.append("events: " + "; ".join(diff_events(r_events[n], act_events[n])))
        if es != as_:
            diffs.append("summary: " + "; ".join(diff_summary(es, as_)))
        if diffs:
            rep.note(f"raw oracle differs on {n} (decided): " + " | ".join(d[:400] for d in diffs))


def check_unfit(rep: Report, ext: Ext, d: str, manifest: dict) -> None:
    unfit = os.path.abspath(os.path.join(d, "unfit"))
    content_glob = os.path.join(os.path.abspath(os.path.join(d, "content")), "*.jsonl")
    for name, info in sorted(manifest["unfit"].items()):
        path = os.path.join(unfit, name)
        for func in ("read_claude_session", "session_summary"):
            want = f'{func}: cannot read "{path}": '
            try:
                rows = ext.select(func, path, [])
                rep.check(False, f"unfit {name} ({info['kind']}): {func} fails", f"it returned {len(rows)} rows")
            except Hung as e:
                rep.check(False, f"unfit {name} ({info['kind']}): {func} fails", f"hang: {e}")
            except Exception as e:  # noqa: BLE001
                msg = str(e)
                ok = want in msg and info["error"] in msg
                rep.check(ok, f"unfit {name} ({info['kind']}): {func} fails naming it",
                          msg if ok else f"got {msg!r}, want {want!r} ... {info['error']!r}")
            try:
                rows = ext.select(func, path, [], ignore_errors=True)
                rep.check(rows == [], f"unfit {name}: {func} with ignore_errors gives no rows", f"{len(rows)} rows")
            except Exception as e:  # noqa: BLE001
                rep.check(False, f"unfit {name}: {func} with ignore_errors gives no rows", f"{type(e).__name__}: {e}")
    for pattern in ("*.jsonl", "**/*.jsonl", "*"):
        glob = os.path.join(unfit, pattern)
        for func in ("read_claude_session", "session_summary"):
            try:
                rows = ext.select(func, glob, [], ignore_errors=True)
                rep.check(rows == [], f"unfit glob {pattern}: {func} with ignore_errors ends with no rows",
                          f"{len(rows)} rows")
            except Exception as e:  # noqa: BLE001
                rep.check(False, f"unfit glob {pattern}: {func} with ignore_errors", f"{type(e).__name__}: {e}")
            try:
                ext.select(func, glob, [])
                rep.check(False, f"unfit glob {pattern}: {func} without ignore_errors fails", "it succeeded")
            except Exception as e:  # noqa: BLE001
                rep.check(f"{func}: cannot read \"{unfit}/" in str(e),
                          f"unfit glob {pattern}: {func} without ignore_errors fails naming a file", str(e)[:200])
    # Mixed with the content files, only the unfit entries are skipped.
    for func, col in (("read_claude_session", "line_number"), ("session_summary", "lines")):
        try:
            alone = ext.select(func, content_glob, [col])
            mixed = ext.select(func, [content_glob, os.path.join(unfit, "*")], [col], ignore_errors=True)
            key = lambda r: (r["filename"], r[col])  # noqa: E731
            rep.check(sorted(map(key, alone)) == sorted(map(key, mixed)),
                      f"unfit mixed with content: {func} with ignore_errors skips only the unfit entries",
                      f"{len(alone)} vs {len(mixed)} rows")
        except Exception as e:  # noqa: BLE001
            rep.check(False, f"unfit mixed with content: {func}", f"{type(e).__name__}: {e}")


def check_growing(rep: Report, ext: Ext, tmp: str, initial: int, seconds: float) -> None:
    path = os.path.join(tmp, "growing.jsonl")

    def line(i: int) -> bytes:
        return (json.dumps({"type": "assistant", "uuid": f"g-{i}", "sessionId": "growing",
                            "timestamp": f"2026-05-12T15:{i // 60 % 60:02d}:{i % 60:02d}.000Z",
                            "message": {"model": "m", "content": [
                                {"type": "tool_use", "id": f"g-{i}", "name": "Bash", "input": {"command": "x" * 100}}],
                                "usage": {"input_tokens": 1, "output_tokens": 1}}}, separators=(",", ":")) + "\n").encode()

    with open(path, "wb") as f:
        f.write(b"".join(line(i) for i in range(1, initial + 1)))
    written = [initial]
    stop = threading.Event()

    def writer():
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
        try:
            i = initial
            deadline = time.monotonic() + seconds
            while not stop.is_set() and time.monotonic() < deadline:
                i += 1
                b = line(i)
                os.write(fd, b[: len(b) // 2])  # a reader may see half a line
                time.sleep(0.0002)
                os.write(fd, b[len(b) // 2:])
                written[0] = i
        finally:
            os.close(fd)

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    while written[0] < initial + 50 and t.is_alive():
        time.sleep(0.001)
    results = {}
    try:
        for func, cols in (("read_claude_session", ["line_number", "tool_id"]),
                           ("session_summary", ["lines", "malformed_lines", "tool_calls"])):
            before = written[0]
            rows = ext.select(func, path, cols)
            results[func] = (before, rows, written[0])
    except Exception as e:  # noqa: BLE001
        stop.set()
        t.join()
        rep.check(False, "growing file: queries end while the file grows", f"{type(e).__name__}: {e}")
        return
    stop.set()
    t.join()
    rep.check(True, "growing file: queries end while the file grows")

    before, rows, after = results["read_claude_session"]
    nums = sorted(r["line_number"] for r in rows)
    k = len(nums)
    ok = nums == list(range(1, k + 1)) and all(r["tool_id"] == f"g-{r['line_number']}" for r in rows) \
        and before <= k and k <= after
    rep.check(ok, "growing file: read_claude_session returns a consistent prefix",
              f"lines 1..{k} (file had {before} whole lines when the query started, {after} when it ended)")
    before, rows, after = results["session_summary"]
    s = rows[0] if len(rows) == 1 else None
    ok = s is not None and s["malformed_lines"] in (0, 1) and s["tool_calls"] == s["lines"] - s["malformed_lines"] \
        and before <= s["lines"] and s["lines"] - s["malformed_lines"] <= after
    rep.check(ok, "growing file: session_summary counts a consistent prefix",
              f"{s} (file had {before} whole lines when the query started, {after} when it ended)")
    final = ext.select("session_summary", path, ["lines", "malformed_lines", "tool_calls"])
    total = written[0]
    rep.check(final[0]["lines"] == total and final[0]["malformed_lines"] == 0 and final[0]["tool_calls"] == total,
              "growing file: once the writer stops, every line is read", f"{final[0]} for {total} lines")


def check_shrinking(rep: Report, ext: Ext, tmp: str, lines: int) -> None:
    """Not in the issue's list, but the other half of a log being rewritten: the file is cut
    (mid-line) while both functions read it. The queries must end with a consistent prefix or
    an error naming the file; never a crash or a hang."""
    path = os.path.join(tmp, "shrinking.jsonl")
    one = lambda i: (json.dumps({"type": "assistant", "message": {"content": [  # noqa: E731
        {"type": "tool_use", "id": f"s-{i}", "name": "Bash", "input": {"command": "y" * 200}}]}},
        separators=(",", ":")) + "\n").encode()
    data = b"".join(one(i) for i in range(1, lines + 1))
    for trial in range(3):
        with open(path, "wb") as f:
            f.write(data)
        cut = len(data) // (trial + 2) + 7 * trial

        def shrink():
            time.sleep(0.003 * trial)
            os.truncate(path, cut)

        t = threading.Thread(target=shrink)
        t.start()
        name = f"shrinking file (cut to {cut} of {len(data)} bytes, trial {trial})"
        try:
            s = ext.select("session_summary", path, ["lines", "malformed_lines", "tool_calls"])[0]
            ev = ext.rows("SELECT count(*) AS n, coalesce(max(line_number), 0) AS last FROM read_claude_session(?)", [path])[0]
            ok = s["malformed_lines"] in (0, 1) and s["tool_calls"] == s["lines"] - s["malformed_lines"] \
                and ev["n"] == ev["last"]
            rep.check(ok, f"{name}: consistent prefixes", f"summary {s}, events {ev}")
        except Hung as e:
            rep.check(False, f"{name}: queries end", str(e))
        except Exception as e:  # noqa: BLE001
            rep.check(path in str(e), f"{name}: an error names the file", str(e)[:300])
        t.join()


# The measuring child of the benchmark: a fresh process that LOADs, runs one query and reports
# its own peak RSS.
CHILD_DUCKDB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "child_duckdb.py")


def child_peak_rss(ext: str, path: str, timeout: float) -> tuple[int, str]:
    """Peak RSS (bytes) of a child that loads the extension and reads `path` with both functions
    in one query (DuckDB may run the two scans at once: a scan of one file asks for one DuckDB
    thread, so the other subquery gets the second; each scan holds its own longest line).

    The child reports its own VmHWM (/proc/self/status): the high-water mark of its address
    space since exec. ru_maxrss (RUSAGE_CHILDREN, os.wait4, even RUSAGE_SELF in the child) is
    not used: Linux carries the pre-exec high-water mark over exec, so a child forked from this
    (large) process would report at least this process's RSS."""
    p = path.replace("'", "''")
    sql = (f"SELECT (SELECT [count(*), sum(strlen(tool_input)), max(line_number)] FROM read_claude_session('{p}')),"
           f" (SELECT [lines, malformed_lines, tool_calls] FROM session_summary('{p}'))")
    try:
        proc = subprocess.run([sys.executable, CHILD_DUCKDB, "--threads", str(os.cpu_count() or 1), "--ext", ext,
                               "--sql", sql], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise Hung(f"the child reading {path} did not end in {timeout:.0f} s") from None
    if proc.returncode != 0:
        raise RuntimeError(f"child failed ({proc.returncode}): {proc.stdout} {proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    return out["hwm"], json.dumps({"events": out["first"][0], "summary": out["first"][1]})


def check_memory(rep: Report, ext: Ext, d: str, manifest: dict, timeout: float) -> None:
    content = os.path.join(d, "content")
    tiny = os.path.join(content, "bom.jsonl")
    base, _ = child_peak_rss(ext.path, tiny, timeout)
    for name in ("huge_line_tool_result.jsonl", "huge_line_tool_input.jsonl", "one_huge_line_no_newline.jsonl"):
        m = manifest["content"].get(name)
        path = os.path.join(content, name)
        if not m or not os.path.exists(path):
            continue
        try:
            t0 = time.monotonic()
            peak, out = child_peak_rss(ext.path, path, timeout)
            secs = time.monotonic() - t0
        except Exception as e:  # noqa: BLE001
            rep.check(False, f"memory {name}", f"{type(e).__name__}: {e}")
            continue
        extra = peak - base
        line = m["longest_line"]
        ratio = extra / line
        detail = (f"peak {peak / MiB:.0f} MiB - baseline {base / MiB:.0f} MiB = {extra / MiB:.0f} MiB "
                  f"for a {line / MiB:.0f} MiB line: {ratio:.2f}x ({secs:.1f} s; {out})")
        if line >= 40 * MiB and line < 100 * MiB:
            rep.check(ratio < 4, f"memory {name}: peak RSS under 4x the line", detail)
        else:
            rep.note(f"memory {name}: {detail}")


def check_committed(rep: Report, d: str, committed: str, manifest: dict) -> None:
    path = os.path.join(committed, "manifest.json")
    if not rep.check(os.path.isfile(path), f"committed copy {committed}: manifest.json exists"):
        return
    with open(path) as f:
        cm = json.load(f)
    regenerate = "regenerate: gen_hostile.py --out test/data/hostile --content-only --skip-big"
    # The committed copy leaves out the big cases; every other case must be there.
    wanted = sorted(n for n, m in manifest["content"].items() if not m["big"])
    rep.check(sorted(cm["content"]) == wanted, "committed copy has every case the generator writes",
              "" if sorted(cm["content"]) == wanted else f"{regenerate} (committed {sorted(cm['content'])}, "
                                                          f"generated {wanted})")
    for name, entry in sorted(cm["content"].items()):
        a = os.path.join(committed, "content", name)
        b = os.path.join(d, "content", name)
        same = False
        if os.path.isfile(a) and os.path.isfile(b):
            with open(a, "rb") as fa, open(b, "rb") as fb:
                same = fa.read() == fb.read()
        same_entry = manifest["content"].get(name) == entry
        rep.check(same and same_entry, f"committed {name} is what the generator writes",
                  "" if same and same_entry else regenerate if not same else f"manifest entry differs: {regenerate}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extension", required=True)
    ap.add_argument("--dir", required=True, help="the output folder of gen_hostile.py")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared"))
    ap.add_argument("--large", action="store_true", help="also measure peak memory on the huge lines")
    ap.add_argument("--committed", help="a committed copy to compare (content/ and manifest.json)")
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds per query")
    ap.add_argument("--grow-lines", type=int, default=100_000, help="lines in the growing file before it grows")
    ap.add_argument("--grow-seconds", type=float, default=20.0, help="longest time the writer appends")
    ap.add_argument("-v", "--verbose", action="store_true", help="print passing checks too")
    args = ap.parse_args()

    with open(os.path.join(args.dir, "manifest.json")) as f:
        manifest = json.load(f)
    shared = os.path.abspath(args.shared)
    if not os.path.isfile(os.path.join(shared, "tools", "reference_oracle.py")):
        shared = None
    rep = Report(args.verbose)
    ext = Ext(args.extension, args.timeout)
    t0 = time.monotonic()
    for note in manifest.get("notes", []):
        rep.note(note)

    check_content(rep, ext, args.dir, manifest, shared)
    if manifest["unfit"]:
        check_unfit(rep, ext, args.dir, manifest)
    else:
        rep.note("no unfit entries in the manifest")
    with tempfile.TemporaryDirectory(prefix="hostile-grow-") as tmp:
        check_growing(rep, ext, tmp, args.grow_lines, args.grow_seconds)
        check_shrinking(rep, ext, tmp, args.grow_lines)
    if args.committed:
        check_committed(rep, args.dir, args.committed, manifest)
    if args.large:
        check_memory(rep, ext, args.dir, manifest, args.timeout)

    print(f"check_hostile: {time.monotonic() - t0:.1f} s")
    print(f"{rep.passed} passed, {rep.failed} failed")
    sys.stdout.flush()
    # A hung query leaves a thread behind: do not wait for it.
    os._exit(0 if rep.failed == 0 else 1)


if __name__ == "__main__":
    main()
