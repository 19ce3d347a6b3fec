#!/usr/bin/env python3
"""Compares the shape of a transcript corpus with real transcripts (stdlib only).

    python3 bench/shape.py bench/out/corpus [--ref ../shared/fixtures/public] [--markdown]

Prints, for the corpus and the reference folder: line-type shares (of lines and of bytes),
line-size percentiles (all lines, and user/assistant lines only, the only types the real
fixtures have), and a few structural ratios (lines per assistant message.id, tool uses per
assistant line, tool results with is_error, sidechain lines, non-ASCII lines, lines with
JSON escapes), then a one-number distance between the two line-size distributions
(Kolmogorov-Smirnov statistic on log sizes, user/assistant lines).
"""
from __future__ import annotations

import argparse
import bisect
import json
import os
import sys
from collections import Counter


def jsonl_files(root: str) -> list[str]:
    if os.path.isfile(root):
        return [root]
    return sorted(os.path.join(d, f) for d, _, fs in os.walk(root, followlinks=True) for f in fs if f.endswith(".jsonl"))


class Shape:
    def __init__(self, name: str):
        self.name = name
        self.files = 0
        self.types = Counter()
        self.type_bytes = Counter()
        self.sizes: list[int] = []
        self.ua_sizes: list[int] = []
        self.msg_lines = Counter()  # (file, message.id) -> lines
        self.assistant = 0
        self.tool_uses = 0
        self.tool_results = 0
        self.errors = 0
        self.sidechain = 0
        self.non_ascii = 0
        self.escapes = 0
        self.bad = 0

    def add_file(self, path: str) -> None:
        self.files += 1
        with open(path, "rb") as f:
            for raw in f:
                raw = raw.strip()
                if not raw:
                    continue
                size = len(raw) + 1
                try:
                    d = json.loads(raw)
                except ValueError:
                    self.bad += 1
                    continue
                if not isinstance(d, dict):
                    self.bad += 1
                    continue
                t = d.get("type") if isinstance(d.get("type"), str) else "?"
                self.types[t] += 1
                self.type_bytes[t] += size
                self.sizes.append(size)
                if t in ("user", "assistant"):
                    self.ua_sizes.append(size)
                if d.get("isSidechain") is True:
                    self.sidechain += 1
                if not raw.isascii():
                    self.non_ascii += 1
                if b"\\" in raw:
                    self.escapes += 1
                msg = d.get("message")
                if not isinstance(msg, dict):
                    continue
                content = msg.get("content")
                items = content if isinstance(content, list) else []
                if t == "assistant":
                    self.assistant += 1
                    if isinstance(msg.get("id"), str):
                        self.msg_lines[(path, msg["id"])] += 1
                    self.tool_uses += sum(1 for i in items if isinstance(i, dict) and i.get("type") == "tool_use")
                for i in items:
                    if isinstance(i, dict) and i.get("type") == "tool_result":
                        self.tool_results += 1
                        self.errors += i.get("is_error") is True

    def line_count(self) -> int:
        return sum(self.types.values())


def pct(sorted_values: list[int], q: float) -> int:
    if not sorted_values:
        return 0
    return sorted_values[min(len(sorted_values) - 1, int(q * len(sorted_values)))]


def ks_log(a: list[int], b: list[int]) -> float:
    """Kolmogorov-Smirnov statistic of two samples (sizes compare the same on any monotone scale)."""
    if not a or not b:
        return float("nan")
    a, b = sorted(a), sorted(b)
    d = 0.0
    for x in sorted(set(a) | set(b)):
        fa = bisect.bisect_right(a, x) / len(a)
        fb = bisect.bisect_right(b, x) / len(b)
        d = max(d, abs(fa - fb))
    return d


def table(rows: list[list[str]], markdown: bool) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    out = []
    for k, r in enumerate(rows):
        if markdown:
            out.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
            if k == 0:
                out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        else:
            out.append("  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(out)


def report(shapes: list[Shape], markdown: bool) -> str:
    parts = []
    head = ["line type"] + [f"{s.name} % lines" for s in shapes] + [f"{s.name} % bytes" for s in shapes]
    types = sorted(set().union(*[s.types for s in shapes]), key=lambda t: -sum(s.types[t] / max(1, s.line_count()) for s in shapes))
    rows = [head]
    for t in types:
        rows.append([t] + [f"{100 * s.types[t] / max(1, s.line_count()):.1f}" for s in shapes]
                    + [f"{100 * s.type_bytes[t] / max(1, sum(s.type_bytes.values())):.1f}" for s in shapes])
    parts.append(table(rows, markdown))

    rows = [["line size (bytes)"] + [f"{s.name} all" for s in shapes] + [f"{s.name} user+assistant" for s in shapes]]
    all_sorted = [sorted(s.sizes) for s in shapes]
    ua_sorted = [sorted(s.ua_sizes) for s in shapes]
    for label, q in [("p10", 0.10), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p90", 0.9), ("p99", 0.99)]:
        rows.append([label] + [str(pct(v, q)) for v in all_sorted] + [str(pct(v, q)) for v in ua_sorted])
    rows.append(["max"] + [str(v[-1] if v else 0) for v in all_sorted] + [str(v[-1] if v else 0) for v in ua_sorted])
    rows.append(["mean"] + [str(round(sum(v) / max(1, len(v)))) for v in all_sorted]
                + [str(round(sum(v) / max(1, len(v)))) for v in ua_sorted])
    parts.append(table(rows, markdown))

    def ratio(a, b):
        return f"{a / b:.2f}" if b else "-"

    rows = [["structure"] + [s.name for s in shapes]]
    rows.append(["files"] + [str(s.files) for s in shapes])
    rows.append(["lines"] + [str(s.line_count()) for s in shapes])
    rows.append(["bytes"] + [str(sum(s.type_bytes.values())) for s in shapes])
    rows.append(["lines per assistant message.id"] + [ratio(sum(s.msg_lines.values()), len(s.msg_lines)) for s in shapes])
    rows.append(["tool_use items per assistant line"] + [ratio(s.tool_uses, s.assistant) for s in shapes])
    rows.append(["tool_result items per tool_use"] + [ratio(s.tool_results, s.tool_uses) for s in shapes])
    rows.append(["tool_results with is_error: true"] + [f"{100 * s.errors / max(1, s.tool_results):.1f}%" for s in shapes])
    rows.append(["sidechain lines"] + [f"{100 * s.sidechain / max(1, s.line_count()):.1f}%" for s in shapes])
    rows.append(["lines with non-ASCII"] + [f"{100 * s.non_ascii / max(1, s.line_count()):.1f}%" for s in shapes])
    rows.append(["lines with JSON escapes"] + [f"{100 * s.escapes / max(1, s.line_count()):.1f}%" for s in shapes])
    rows.append(["malformed lines"] + [str(s.bad) for s in shapes])
    parts.append(table(rows, markdown))
    if len(shapes) == 2:
        parts.append(f"KS distance of user+assistant line sizes, {shapes[0].name} vs {shapes[1].name}: "
                     f"{ks_log(shapes[0].ua_sizes, shapes[1].ua_sizes):.2f} (0 = same distribution, 1 = disjoint)")
    return "\n\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("corpus")
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--ref", default=os.path.join(here, "..", "..", "shared", "fixtures", "public"))
    ap.add_argument("--max-files", type=int, default=None, help="read at most this many corpus files (evenly spaced)")
    ap.add_argument("--markdown", action="store_true")
    a = ap.parse_args()
    corpus = Shape("corpus")
    files = jsonl_files(a.corpus)
    if a.max_files and len(files) > a.max_files:
        step = len(files) / a.max_files
        files = [files[int(i * step)] for i in range(a.max_files)]
    for f in files:
        corpus.add_file(f)
    shapes = [corpus]
    if os.path.isdir(a.ref):
        ref = Shape("real")
        for f in jsonl_files(a.ref):
            ref.add_file(f)
        shapes.append(ref)
    else:
        print(f"(no reference folder at {a.ref}: corpus only)", file=sys.stderr)
    print(report(shapes, a.markdown))


if __name__ == "__main__":
    main()
