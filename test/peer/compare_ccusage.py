#!/usr/bin/env python3
"""Compares claude_usage.daily / claude_usage.blocks with ccusage 20.0.24 (`make peer`).

    .venv/bin/python test/peer/compare_ccusage.py --extension build/release/claude_usage.duckdb_extension \
        [--shared ../shared] [--ccusage build/peer/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage]

For each tree -- generated-1 and generated-2 (test/peer/gen_tree.py, seeds 1 and 2) and the public
transcripts (<shared>/fixtures/public, copied: ccusage does not follow symlinks) -- it runs

    CLAUDE_CONFIG_DIR=<tree> TZ=UTC HOME=<empty> ccusage daily --json --offline --breakdown
    CLAUDE_CONFIG_DIR=<tree> TZ=UTC HOME=<empty> ccusage blocks --json --offline

and our SQL over '<tree>/projects/**/*.jsonl' in stock DuckDB (SET TimeZone='UTC'), then checks
  daily:  per (day, model) the four token counts exactly and the cost within 1e-6 relative.
          Left out: <synthetic>; buckets in which one of our requests is long_context (ccusage tiers
          sonnet-4/4-5 per request and token kind) or speed 'fast' (ccusage renames the model
          '<model>-fast'). See /work/notes/ccusage_rules.md.
  blocks: per block (start, gap or not): end, last activity, the four token counts and their total
          exactly, cost within 1e-6 relative (not for blocks holding a long_context or fast
          request), models, requests, is_active; gap rows' start and end; and that each block
          starts at its first activity floored to the hour (ccusage has no first-activity field).
          On the public set blocks and gap rows touched by agent_progress lines are left out: ccusage's
          blocks ignore those copies, its daily (and our side) count them.
Prints one line per check and exits 1 on any mismatch (the first differences are printed), 0 when
all agree or when ccusage is not installed ("skipped").
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timezone

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CCUSAGE = os.path.join(REPO, "build/peer/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage")
WORK = os.path.join(REPO, "build/peer")
REL = 1e-6
SEEDS = (1, 2)


def ms(value) -> int | None:
    """A timestamp (ccusage ISO string, or a datetime from DuckDB) as epoch milliseconds, UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.strptime(value.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return round(value.timestamp() * 1000)


def fmt_ms(v) -> str:
    if v is None:
        return "-"
    return datetime.fromtimestamp(v / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def cost_ok(a: float, b: float) -> bool:
    a, b = float(a or 0), float(b or 0)
    return abs(a - b) <= REL * max(abs(a), abs(b)) or abs(a - b) < 1e-12


# ---------------------------------------------------------------------------------- ccusage


def run_ccusage(binary: str, root: str, *args: str) -> dict:
    home = os.path.join(WORK, "empty-home")
    os.makedirs(home, exist_ok=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": home, "TZ": "UTC",
           "CLAUDE_CONFIG_DIR": root, "LOG_LEVEL": "0", "NO_COLOR": "1"}
    r = subprocess.run([binary, *args, "--json", "--offline"], env=env, capture_output=True, text=True,
                       timeout=300)
    if r.returncode != 0:
        raise RuntimeError(f"ccusage {' '.join(args)} failed ({r.returncode}): {r.stderr.strip()[:500]}")
    return json.loads(r.stdout)


def ccusage_daily(binary: str, root: str) -> dict:
    d = run_ccusage(binary, root, "daily", "--breakdown")
    out = {}
    for day in d["daily"]:
        for b in day["modelBreakdowns"]:
            out[(day["period"], b["modelName"])] = {
                "input": b["inputTokens"], "output": b["outputTokens"],
                "cache_creation": b["cacheCreationTokens"], "cache_read": b["cacheReadTokens"],
                "cost": b["cost"],
            }
    return out


def ccusage_blocks(binary: str, root: str) -> dict:
    d = run_ccusage(binary, root, "blocks")
    out = {}
    for b in d["blocks"]:
        t = b["tokenCounts"]
        out[(ms(b["startTime"]), bool(b["isGap"]))] = {
            "end": ms(b["endTime"]), "last": ms(b.get("actualEndTime")), "active": bool(b["isActive"]),
            "requests": b["entries"], "input": t["inputTokens"], "output": t["outputTokens"],
            "cache_creation": t["cacheCreationInputTokens"], "cache_read": t["cacheReadInputTokens"],
            "total": b["totalTokens"], "cost": b["costUSD"], "models": sorted(b["models"]),
        }
    return out


# ---------------------------------------------------------------------------------- ours


class Ours:
    """Our side: the extension in stock DuckDB."""

    NEEDED = ("read_claude_usage", "claude_usage.daily", "claude_usage.blocks")

    def __init__(self, extension: str):
        import duckdb  # the pinned one from the venv

        self.con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
        self.con.execute(f"LOAD '{os.path.abspath(extension)}'")
        self.con.execute("SET TimeZone='UTC'")

    def missing(self, glob: str) -> list[str]:
        gone = []
        for name, sql in [
            ("read_claude_usage", "SELECT long_context, speed, occurred_at, model FROM read_claude_usage(?) LIMIT 0"),
            ("claude_usage.daily", "SELECT * FROM claude_usage.daily(?) LIMIT 0"),
            ("claude_usage.blocks", "SELECT * FROM claude_usage.blocks(?) LIMIT 0"),
        ]:
            try:
                self.con.execute(sql, [glob]).fetchall()
            except Exception as e:  # noqa: BLE001 - any failure means we cannot compare
                gone.append(f"{name} ({str(e).splitlines()[0][:160]})")
        return gone

    def daily(self, glob: str) -> dict:
        if self.derived:
            return self.derived_daily(glob)
        rows = self.con.execute(
            """SELECT strftime(period, '%Y-%m-%d') AS day, model, sum(input_tokens), sum(output_tokens),
                      sum(cache_creation_tokens), sum(cache_read_tokens), sum(cost_usd), sum(requests)
               FROM claude_usage.daily(?) WHERE model IS DISTINCT FROM '<synthetic>' GROUP BY ALL""",
            [glob]).fetchall()
        return {(r[0], r[1]): {"input": int(r[2]), "output": int(r[3]), "cache_creation": int(r[4]),
                               "cache_read": int(r[5]), "cost": float(r[6] or 0), "requests": int(r[7])}
                for r in rows}

    def special_requests(self, glob: str) -> list[tuple]:
        """(day, model, epoch ms, why) of requests ccusage counts or prices by other rules:
        long_context and fast (other cost), <synthetic> (ccusage drops those with "speed":null)."""
        rows = self.con.execute(
            """SELECT strftime(occurred_at, '%Y-%m-%d'), model, occurred_at,
                      CASE WHEN long_context THEN 'long_context' WHEN speed = 'fast' THEN 'fast'
                           ELSE 'synthetic' END
               FROM read_claude_usage(?)
               WHERE long_context OR speed = 'fast' OR model = '<synthetic>'""", [glob]).fetchall()
        return [(r[0], r[1], ms(r[2]), r[3]) for r in rows]

    # Until claude_usage.daily/blocks exist: the same sums over read_claude_usage's kept rows, and the
    # blocks of ccusage's algorithm (notes section 5) over them, so read_claude_usage can be checked.
    derived = False

    def derived_rows(self, glob: str) -> list[dict]:
        rows = self.con.execute(
            """SELECT occurred_at, model, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens,
                      cost_usd FROM read_claude_usage(?) WHERE kept AND occurred_at IS NOT NULL
               ORDER BY occurred_at""", [glob]).fetchall()
        return [{"at": r[0] if r[0].tzinfo else r[0].replace(tzinfo=timezone.utc), "model": r[1],
                 "input": r[2], "output": r[3], "cache_creation": r[4], "cache_read": r[5],
                 "cost": float(r[6] or 0)} for r in rows]

    def derived_daily(self, glob: str) -> dict:
        out = {}
        for r in self.derived_rows(glob):
            if r["model"] == "<synthetic>":
                continue
            b = out.setdefault((r["at"].strftime("%Y-%m-%d"), r["model"]),
                               {"input": 0, "output": 0, "cache_creation": 0, "cache_read": 0, "cost": 0.0,
                                "requests": 0})
            for f in ("input", "output", "cache_creation", "cache_read", "cost"):
                b[f] += r[f]
            b["requests"] += 1
        return out

    def derived_blocks(self, glob: str) -> dict:
        sys.path.insert(0, HERE)
        from stub_ours import blocks_of

        return blocks_of(self.derived_rows(glob))

    def blocks(self, glob: str) -> dict:
        if self.derived:
            return self.derived_blocks(glob)
        rows = self.con.execute(
            """SELECT block_start, block_end, first_activity, last_activity, is_gap, is_active, requests,
                      input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, total_tokens,
                      cost_usd, models
               FROM claude_usage.blocks(?) ORDER BY block_start, is_gap""", [glob]).fetchall()
        out = {}
        for r in rows:
            out[(ms(r[0]), bool(r[4]))] = {
                "end": ms(r[1]), "first": ms(r[2]), "last": ms(r[3]), "active": bool(r[5]),
                "requests": int(r[6] or 0), "input": int(r[7] or 0), "output": int(r[8] or 0),
                "cache_creation": int(r[9] or 0), "cache_read": int(r[10] or 0), "total": int(r[11] or 0),
                "cost": float(r[12] or 0), "models": sorted(m for m in (r[13] or []) if m != "<synthetic>"),
            }
        return out


# ---------------------------------------------------------------------------------- trees


def agent_progress_touch(root: str) -> tuple[set, set]:
    """What agent_progress lines touch: (day, model) buckets and times (epoch ms) -- the embedded
    message's own, and those of every line with the same message id (which copy a tool keeps may
    differ). ccusage's daily counts the embedded usage, its blocks do not (notes section 1)."""
    ids, buckets, times, by_id = set(), set(), set(), defaultdict(set)
    for dirpath, _, files in os.walk(os.path.join(root, "projects")):
        for name in files:
            if not name.endswith(".jsonl"):
                continue
            with open(os.path.join(dirpath, name), "rb") as f:
                for raw in f:
                    if b'"usage"' not in raw:
                        continue
                    try:
                        d = json.loads(raw)
                    except ValueError:
                        continue
                    if not isinstance(d, dict):
                        continue
                    data = d.get("data")
                    if d.get("type") == "progress" and isinstance(data, dict) and data.get("type") == "agent_progress":
                        m = data.get("message") or {}
                        inner = m.get("message") or {}
                        if isinstance(inner, dict) and inner.get("usage"):
                            ids.add(inner.get("id"))
                            ts = str(m.get("timestamp", ""))
                            buckets.add((ts[:10], inner.get("model")))
                            times.add(safe_ms(ts))
                    msg = d.get("message")
                    if isinstance(msg, dict) and msg.get("id") and msg.get("usage"):
                        ts = str(d.get("timestamp", ""))
                        by_id[msg["id"]].add((ts[:10], msg.get("model"), safe_ms(ts)))
    for i in ids:
        for day, model, at in by_id.get(i, set()):
            buckets.add((day, model))
            times.add(at)
    times.discard(None)
    return buckets, times


def safe_ms(ts: str) -> int | None:
    try:
        return ms(ts)
    except ValueError:
        return None


def prepare_trees(shared: str | None) -> list[tuple[str, str | None, str]]:
    """[(name, our root or None, ccusage's root, note)]"""
    trees = []
    gen = os.path.join(HERE, "gen_tree.py")
    for seed in SEEDS:
        root = os.path.join(WORK, "trees", f"generated-{seed}")
        r = subprocess.run([sys.executable, gen, "--out", root, "--seed", str(seed)], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"gen_tree.py --seed {seed} failed: {r.stderr}")
        trees.append((f"generated-{seed}", root, root, r.stdout.strip()))
    public = os.path.join(shared, "fixtures", "public") if shared else None
    if public and os.path.isdir(public):
        root = os.path.join(WORK, "trees", "public")
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(os.path.join(root, "projects"))
        for name in sorted(os.listdir(public)):
            src = os.path.join(public, name)
            if os.path.isdir(src):
                shutil.copytree(src, os.path.join(root, "projects", name), symlinks=False)
        their_root, n = compact_copy(root, os.path.join(WORK, "trees", "public-ccusage"))
        trees.append(("public", root, their_root,
                      f"copied {public}; ccusage reads a copy in which {n} lines written with spaces "
                      f"after ':' are re-serialized compactly (it skips '\"usage\": {{')"))
    else:
        trees.append(("public", None, None, f"skipped ({public or '--shared'} absent)"))
    return trees


def compact_copy(root: str, dest: str) -> tuple[str, int]:
    """A copy of root for ccusage: lines that hold a usage object but not the bytes "usage":{ (hand-made
    files with ': ' separators, which ccusage's pre-filter skips) are re-serialized compactly; every
    other byte is unchanged. Returns (dest, lines rewritten)."""
    shutil.rmtree(dest, ignore_errors=True)
    n = 0
    for dirpath, _, files in os.walk(root):
        out_dir = os.path.join(dest, os.path.relpath(dirpath, root))
        os.makedirs(out_dir, exist_ok=True)
        for name in files:
            src, dst = os.path.join(dirpath, name), os.path.join(out_dir, name)
            if not name.endswith(".jsonl"):
                shutil.copyfile(src, dst)
                continue
            with open(src, "rb") as f:
                lines = f.read().split(b"\n")
            for i, raw in enumerate(lines):
                if b'"usage"' in raw and b'"usage":{' not in raw:
                    try:
                        obj = json.loads(raw)
                    except ValueError:
                        continue
                    lines[i] = json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()
                    n += 1
            with open(dst, "wb") as f:
                f.write(b"\n".join(lines))
    return dest, n


# ---------------------------------------------------------------------------------- checks


class Report:
    def __init__(self):
        self.failed = False
        self.missing = False

    def check(self, label: str, good: int, total: int, left_out: str, diffs: list[str]):
        status = "exact" if not diffs else f"MISMATCH ({len(diffs)})"
        print(f"ccusage {label}: {good}/{total} {status}{left_out}")
        if diffs:
            self.failed = True
            for d in diffs[:8]:
                print(f"    {d}")
            if len(diffs) > 8:
                print(f"    ... {len(diffs) - 8} more")


def compare_daily(name: str, theirs: dict, ours: dict, special: list, rep: Report):
    leave = {}
    for day, model, _, why in special:
        if why == "synthetic":
            continue
        leave.setdefault((day, model), why)
        if why == "fast":
            leave.setdefault((day, f"{model}-fast"), why)
    keys = sorted(set(theirs) | set(ours), key=lambda k: (k[0], str(k[1])))
    diffs, good, total, left = [], 0, 0, defaultdict(int)
    for k in keys:
        if k[1] == "<synthetic>":
            left["<synthetic>"] += 1
            continue
        if k in leave:
            left[leave[k]] += 1
            continue
        total += 1
        t, o = theirs.get(k), ours.get(k)
        if t is None or o is None:
            diffs.append(f"{k[0]} {k[1]}: only in {'ours' if t is None else 'ccusage'}: {o or t}")
            continue
        bad = [f"{f} ccusage {t[f]} ours {o[f]}" for f in ("input", "output", "cache_creation", "cache_read")
               if t[f] != o[f]]
        if not cost_ok(t["cost"], o["cost"]):
            bad.append(f"cost ccusage {t['cost']!r} ours {o['cost']!r}")
        if bad:
            diffs.append(f"{k[0]} {k[1]}: " + "; ".join(bad))
        else:
            good += 1
    note = ""
    if left:
        note = " (left out: " + ", ".join(f"{n} {w}" for w, n in sorted(left.items())) + ")"
    rep.check(f"daily {name}: buckets", good, total, note, diffs)


def compare_blocks(name: str, theirs: dict, ours: dict, special: list, progress_times: set, rep: Report):
    keys = sorted(set(theirs) | set(ours), key=lambda k: (k[0], k[1]))
    diffs, good, left, skip_requests = [], 0, 0, 0
    # ccusage skips lines holding "speed":null (all <synthetic> in the public set): a block's last
    # activity or a gap's end that is such a line's time is left out
    synthetic = {at for _, _, at, why in special if why == "synthetic"}
    touched = 0
    real = [k for k in keys if not k[1]]
    gaps = [k for k in keys if k[1]]
    for k in real:
        t, o = theirs.get(k), ours.get(k)
        if t is None or o is None:
            diffs.append(f"block {fmt_ms(k[0])}: only in {'ours' if t is None else 'ccusage'}")
            continue
        upto = max(t["last"] or k[0], o["last"] or k[0])
        if any(k[0] <= at <= upto for at in progress_times):
            touched += 1
            continue
        inside = {why for _, _, at, why in special if k[0] <= at <= (o["last"] or k[0])}
        fields = ["input", "output", "cache_creation", "cache_read", "total", "models", "active"]
        if "synthetic" in inside:
            skip_requests += 1  # ccusage skips <synthetic> lines holding "speed":null
        else:
            fields.append("requests")
        bad = [f"{f} ccusage {t[f]} ours {o[f]}" for f in fields if t[f] != o[f]]
        for f in ("end", "last"):
            if t[f] != o[f] and not (f == "last" and o[f] in synthetic):
                bad.append(f"{f} ccusage {fmt_ms(t[f])} ours {fmt_ms(o[f])}")
        first = o.get("first")
        if first is None or first - first % 3_600_000 != k[0]:
            bad.append(f"first_activity {fmt_ms(first)} does not floor to the block start")
        if inside & {"long_context", "fast"}:
            left += 1
        elif not cost_ok(t["cost"], o["cost"]):
            bad.append(f"cost ccusage {t['cost']!r} ours {o['cost']!r}")
        if bad:
            diffs.append(f"block {fmt_ms(k[0])}: " + "; ".join(bad))
        else:
            good += 1
    notes = []
    if left:
        notes.append(f"cost not compared in {left}: long_context/fast")
    if skip_requests:
        notes.append(f"requests not compared in {skip_requests}: <synthetic>")
    note = f" ({'; '.join(notes)})" if notes else ""
    if touched:
        note = note[:-1] + f"; left out: {touched} touched by agent_progress)" if note else \
            f" (left out: {touched} touched by agent_progress)"
    rep.check(f"blocks {name}: blocks", good, len(real) - touched, note, diffs)
    gdiffs, ggood, gleft = [], 0, 0
    for k in gaps:
        t, o = theirs.get(k), ours.get(k)
        if t is not None and o is not None and t["end"] != o["end"] and o["end"] in synthetic:
            gleft += 1
            continue
        if any(k[0] - 5 * 3_600_000 <= at <= (o or t)["end"] for at in progress_times):
            gleft += 1
            continue
        if t is None or o is None:
            gdiffs.append(f"gap {fmt_ms(k[0])}: only in {'ours' if t is None else 'ccusage'}"
                          f" (ends {fmt_ms((o or t)['end'])})")
        elif t["end"] != o["end"] or o["total"] or o["requests"]:
            gdiffs.append(f"gap {fmt_ms(k[0])}: end ccusage {fmt_ms(t['end'])} ours {fmt_ms(o['end'])}, "
                          f"ours {o['requests']} requests {o['total']} tokens")
        else:
            ggood += 1
    rep.check(f"blocks {name}: gap rows", ggood, len(gaps) - gleft,
              f" (left out: {gleft} next to a <synthetic> or agent_progress line)" if gleft else "", gdiffs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--extension", required=True)
    ap.add_argument("--shared", default=os.path.join(REPO, "..", "shared"))
    ap.add_argument("--ccusage", default=DEFAULT_CCUSAGE)
    ap.add_argument("--stub", action="store_true",
                    help="compare ccusage with test/peer/stub_ours.py instead of the extension")
    a = ap.parse_args()

    if not os.path.isfile(a.ccusage):
        print(f"peer: skipped (ccusage not installed at {os.path.relpath(a.ccusage, REPO)})")
        return 0
    version = subprocess.run([a.ccusage, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"peer: {version} from {os.path.relpath(a.ccusage, REPO)}; extension {a.extension}")

    if a.stub:
        sys.path.insert(0, HERE)
        from stub_ours import StubOurs

        ours = StubOurs()
        print("peer: --stub: our side is test/peer/stub_ours.py, not the extension")
    else:
        ours = Ours(a.extension)
    trees = prepare_trees(os.path.abspath(a.shared) if a.shared else None)
    rep = Report()
    for name, root, their_root, note in trees:
        if root is None:
            print(f"ccusage {name}: {note}")
            continue
        print(f"tree {name}: {note}")
        glob = os.path.join(root, "projects", "**", "*.jsonl")
        gone = ours.missing(glob)
        if gone and not [g for g in gone if g.startswith("read_claude_usage")]:
            print(f"ccusage {name}: missing on our side: " + "; ".join(g.split(" (")[0] for g in gone)
                  + "; comparing read_claude_usage's kept rows, summed here, instead")
            ours.derived = True
            rep.missing = rep.failed = True
            gone = []
        if gone:
            print(f"ccusage {name}: cannot compare, missing on our side: " + "; ".join(gone))
            rep.failed = rep.missing = True
            continue
        special = ours.special_requests(glob)
        # ccusage's blocks (unlike its daily and our functions) ignore agent_progress copies
        progress_times = agent_progress_touch(root)[1] if name == "public" else set()
        compare_daily(name, ccusage_daily(a.ccusage, their_root), ours.daily(glob), special, rep)
        compare_blocks(name, ccusage_blocks(a.ccusage, their_root), ours.blocks(glob), special, progress_times,
                       rep)
    print("peer: " + ("FAILED (our functions are missing)" if rep.missing else
                      "MISMATCH" if rep.failed else "all checks agree"))
    return 1 if rep.failed else 0


if __name__ == "__main__":
    sys.exit(main())
