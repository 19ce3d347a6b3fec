"""A stand-in for our SQL side (compare_ccusage.py --stub): what read_claude_usage, claude_usage.daily
and claude_usage.blocks should return, written straight from the rules in /work/notes/ccusage_rules.md
that ccusage and the spec share. Used to develop the comparison before the functions existed in
main, and to tell a comparison bug from an extension bug. Not a second implementation to maintain:
it knows the prices of the models in the trees the comparison uses and nothing more.

Rules: every *.jsonl under projects/; assistant lines with message.usage and agent_progress copies
(the agent's requests, on a sidechain); one request per (message.id, requestId), the line not on a
sidechain kept, then the largest token total, then the first; <synthetic> kept but unpriced; 5m/1h cache writes at 1.25x/2x input;
long_context = input + cache writes + cache reads > 200,000.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from datetime import datetime, timedelta, timezone

# USD per million tokens: input, output, cache read; writes are 1.25x / 2x input.
PRICES = {
    "claude-opus-4-1": (15, 75, 1.5), "claude-opus-4": (15, 75, 1.5),
    "claude-opus-4-5": (5, 25, 0.5), "claude-opus-4-6": (5, 25, 0.5), "claude-opus-4-7": (5, 25, 0.5),
    "claude-opus-4-8": (5, 25, 0.5), "claude-fable-5": (10, 50, 1),
    "claude-sonnet-4": (3, 15, 0.3), "claude-sonnet-4-5": (3, 15, 0.3), "claude-sonnet-4-6": (3, 15, 0.3),
    "claude-haiku-4-5": (1, 5, 0.1),
}
HOUR = timedelta(hours=1)


def price(model: str):
    base = model
    parts = model.split("-")
    if len(parts[-1]) == 8 and parts[-1].isdigit():
        base = "-".join(parts[:-1])
    return PRICES.get(base)


def parse_ts(s: str) -> datetime:
    return datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z")


class StubOurs:
    def __init__(self, extension: str | None = None):
        self.cache = {}

    def missing(self, glob: str) -> list[str]:
        return []

    def requests(self, glob: str) -> list[dict]:
        if glob in self.cache:
            return self.cache[glob]
        root = glob.split("/projects/")[0] + "/projects"
        kept: dict = {}
        order = []
        for dirpath, _, files in sorted(os.walk(root)):
            for name in sorted(files):
                if not name.endswith(".jsonl"):
                    continue
                for raw in open(os.path.join(dirpath, name), "rb"):
                    try:
                        d = json.loads(raw)
                    except ValueError:
                        continue
                    if not isinstance(d, dict):
                        continue
                    msg, side = d.get("message"), d.get("isSidechain") is True
                    data = d.get("data")
                    if d.get("type") == "progress" and isinstance(data, dict) and data.get("type") == "agent_progress":
                        # a running subagent's request copied into the parent: the agent's, a sidechain
                        emb = data.get("message") if isinstance(data.get("message"), dict) else {}
                        msg, side = emb.get("message"), True
                        d = {"timestamp": emb.get("timestamp") or d.get("timestamp"), "requestId": emb.get("requestId")}
                    elif d.get("type") != "assistant":
                        continue
                    if not isinstance(msg, dict) or not isinstance(msg.get("usage"), dict):
                        continue
                    u = msg["usage"]
                    cc = u.get("cache_creation") or {}
                    c1 = cc.get("ephemeral_1h_input_tokens", 0) or 0
                    cw = u.get("cache_creation_input_tokens", 0) or 0
                    r = {"model": msg.get("model"), "at": parse_ts(d["timestamp"]),
                         "input": u.get("input_tokens", 0) or 0, "output": u.get("output_tokens", 0) or 0,
                         "cache_creation": cw, "c1": c1, "c5": cw - c1,
                         "cache_read": u.get("cache_read_input_tokens", 0) or 0, "speed": u.get("speed")}
                    r["total"] = r["input"] + r["output"] + r["cache_creation"] + r["cache_read"]
                    r["side"] = side
                    key = (msg.get("id"), d.get("requestId"))
                    if key[0] is None or key[1] is None:
                        key = ("line", len(order))
                    if key not in kept:
                        order.append(key)
                        kept[key] = r
                    elif (r["side"], -r["total"]) < (kept[key]["side"], -kept[key]["total"]):
                        kept[key] = r  # not on a sidechain first, then the larger total
        out = []
        for k in order:
            r = kept[k]
            p = price(r["model"] or "")
            r["cost"] = 0.0 if p is None else (r["input"] * p[0] + r["output"] * p[1] + r["c5"] * p[0] * 1.25
                                               + r["c1"] * p[0] * 2 + r["cache_read"] * p[2]) / 1e6
            r["long_context"] = r["input"] + r["cache_creation"] + r["cache_read"] > 200_000
            out.append(r)
        self.cache[glob] = out
        return out

    def daily(self, glob: str) -> dict:
        out = defaultdict(lambda: {"input": 0, "output": 0, "cache_creation": 0, "cache_read": 0, "cost": 0.0,
                                   "requests": 0})
        for r in self.requests(glob):
            if r["model"] == "<synthetic>":
                continue
            b = out[(r["at"].strftime("%Y-%m-%d"), r["model"])]
            for f in ("input", "output", "cache_creation", "cache_read", "cost"):
                b[f] += r[f]
            b["requests"] += 1
        return dict(out)

    def special_requests(self, glob: str) -> list[tuple]:
        from compare_ccusage import ms
        return [(r["at"].strftime("%Y-%m-%d"), r["model"], ms(r["at"]),
                 "long_context" if r["long_context"] else "fast" if r["speed"] == "fast" else "synthetic")
                for r in self.requests(glob)
                if r["long_context"] or r["speed"] == "fast" or r["model"] == "<synthetic>"]

    def blocks(self, glob: str, hours: int = 5) -> dict:
        return blocks_of(self.requests(glob), hours)


def blocks_of(requests: list[dict], hours: int = 5) -> dict:
    """ccusage's blocks (notes section 5) over request dicts with at, model, the four counts, cost."""
    if True:
        from compare_ccusage import ms
        span = timedelta(hours=hours)
        rs = sorted(requests, key=lambda r: r["at"])
        blocks, cur = [], None
        for r in rs:
            if cur is None or r["at"] - cur["start"] > span or r["at"] - cur["last"] > span:
                if cur is not None and r["at"] - cur["last"] > span:
                    blocks.append({"start": cur["last"] + span, "end": r["at"], "gap": True, "rs": []})
                cur = {"start": r["at"].replace(minute=0, second=0, microsecond=0), "gap": False, "rs": [],
                       "first": r["at"]}
                cur["end"] = cur["start"] + span
                blocks.append(cur)
            cur["rs"].append(r)
            cur["last"] = r["at"]
        out = {}
        for b in blocks:
            rows = b["rs"]
            o = {"end": ms(b["end"]), "first": ms(b.get("first")), "last": ms(b.get("last")) if rows else None,
                 "active": False, "requests": len(rows),
                 "models": sorted({r["model"] for r in rows if r["model"] != "<synthetic>"})}
            for f in ("input", "output", "cache_creation", "cache_read", "cost"):
                o[f] = sum(r[f] for r in rows)
            o["total"] = o["input"] + o["output"] + o["cache_creation"] + o["cache_read"]
            out[(ms(b["start"]), b["gap"])] = o
        return out
