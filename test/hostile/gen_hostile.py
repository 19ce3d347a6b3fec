#!/usr/bin/env python3
"""Writes hostile session files for the claude_usage extension, deterministically.

    gen_hostile.py --out DIR [--seed N] [--large] [--content-only] [--skip-big]

Layout of DIR (only these entries are replaced; nothing else in DIR is touched):

    DIR/content/*.jsonl   files with hostile *content*: every query over them must succeed
    DIR/unfit/*           entries that are not readable session files (a directory named
                          x.jsonl, a FIFO, a dangling symlink, a symlink loop, an unreadable
                          file, a file whose read fails, a directory symlink loop)
    DIR/manifest.json     per content file: physical lines, non-blank lines, malformed lines,
                          good lines, expected events and their line numbers; per unfit entry:
                          its kind and the text its error message must contain

Content cases are built line by line; every line is recorded as good (with the number of
events it gives under the extension's contract), malformed, or blank (empty after trimming),
so the expected counts come from the generator, not from the extension. The seed drives the
random parts (filler text, the garbage lines, the corruption of a realistic session).

Sizes: by default the "huge" cases are ~1 MiB; --large writes the real sizes (a 50 MiB line in
two shapes, and one 200 MiB line without a newline). --skip-big leaves the huge cases out (the
committed copy in test/data/hostile is written with --content-only --skip-big).

The unreadable file: as a normal user, a file with mode 000. As root (mode bits do not stop
root), a symlink to /proc/sys/vm/compact_memory: procfs sysctl files enforce their mode (0200,
write-only) even for root, so opening it for reading fails with "Permission denied". When
neither is possible the case is left out and the manifest says why. The read error: a symlink
to /proc/self/mem, which opens but whose first read fails with EIO (Linux).

Only the standard library is used.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import stat
import sys
from datetime import datetime, timedelta, timezone

BOM = b"\xef\xbb\xbf"
SID = "hostile-session-0001"
T0 = 1778598000  # 2026-05-12T15:00:00Z
MiB = 1024 * 1024


def ts(sec: float) -> str:
    """ISO timestamp T0 + sec, millisecond precision, 'Z' suffix."""
    t = datetime.fromtimestamp(T0, timezone.utc) + timedelta(seconds=sec)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def dumps(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --------------------------------------------------------------------------------------------
# Lines


class Line:
    """One physical line: its bytes (without the terminator), its terminator, and what the
    extension must make of it."""

    def __init__(self, raw, kind: str, events: int = 0, end: bytes = b"\n", why: str = ""):
        assert kind in ("good", "bad", "blank")
        self.raw = raw  # bytes, or a Big
        self.kind = kind
        self.events = events
        self.end = end
        self.why = why
        if isinstance(raw, bytes):
            assert b"\n" not in raw, raw[:80]


class Big:
    """A huge line written in chunks: prefix + filler (to `size` bytes in total) + suffix."""

    def __init__(self, prefix: bytes, chunk: bytes, size: int, suffix: bytes):
        assert b"\n" not in chunk and b"\n" not in prefix and b"\n" not in suffix
        self.prefix, self.chunk, self.suffix = prefix, chunk, suffix
        self.fill = max(0, size - len(prefix) - len(suffix))

    def __len__(self):
        return len(self.prefix) + self.fill + len(self.suffix)

    def write(self, f):
        f.write(self.prefix)
        left = self.fill
        while left >= len(self.chunk):
            f.write(self.chunk)
            left -= len(self.chunk)
        f.write(b"x" * left)  # whole chunks only, so no escape or character is cut
        f.write(self.suffix)


def good(obj_or_bytes, events: int, end=b"\n", why="") -> Line:
    raw = obj_or_bytes if isinstance(obj_or_bytes, (bytes, Big)) else dumps(obj_or_bytes)
    return Line(raw, "good", events, end, why)


def bad(raw: bytes, why: str, end=b"\n") -> Line:
    return Line(raw, "bad", 0, end, why)


def blank(raw: bytes = b"", end=b"\n") -> Line:
    return Line(raw, "blank", 0, end)


class Ids:
    """Readable, unique uuids per case."""

    def __init__(self, case: str):
        self.case, self.n = case, 0

    def __call__(self) -> str:
        self.n += 1
        return f"{self.case}-u{self.n:03d}"


def user(ids, content, sec=None, **extra) -> dict:
    d = {"type": "user", "uuid": ids(), "sessionId": SID, "cwd": "/work/proj"}
    if sec is not None:
        d["timestamp"] = ts(sec)
    d["message"] = {"role": "user", "content": content}
    d.update(extra)
    return d


def assistant(ids, tools, sec=None, usage=None, model="claude-opus-4-5", msg_id=None, request_id=None, **extra):
    content = [{"type": "text", "text": "Working on it."}]
    for t in tools:
        tid, name, inp = t
        item = {"type": "tool_use", "id": tid, "name": name}
        if inp is not ...:
            item["input"] = inp
        content.append(item)
    msg = {"role": "assistant", "model": model, "content": content}
    if msg_id is not None:
        msg["id"] = msg_id
    if usage is not None:
        msg["usage"] = usage
    d = {"type": "assistant", "uuid": ids(), "sessionId": SID, "cwd": "/work/proj"}
    if request_id is not None:
        d["requestId"] = request_id
    if sec is not None:
        d["timestamp"] = ts(sec)
    d["message"] = msg
    d.update(extra)
    return d


def tool_result(ids, tool_use_id, is_error=False, text="ok", sec=None) -> dict:
    d = {"type": "user", "uuid": ids(), "sessionId": SID, "cwd": "/work/proj"}
    if sec is not None:
        d["timestamp"] = ts(sec)
    d["message"] = {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": tool_use_id, "is_error": is_error, "content": text}]}
    return d


# --------------------------------------------------------------------------------------------
# Content cases: name -> builder(rng, big) returning (description, [Line])

CASES = {}


def case(name):
    def deco(fn):
        CASES[name] = fn
        return fn

    return deco


def filler_chunk(rng: random.Random, size: int = 64 * 1024) -> bytes:
    """JSON string *content* (without quotes) with escapes and multi-byte characters, cut only
    at whole tokens, so any prefix of repetitions stays a valid string body."""
    words = ["lorem", "ipsum", "caf\u00e9", "\u65e5\u672c", "\U0001f600", "\\n", "\\\"", "\\u00e9", "\\t", "x" * 7]
    out, n = [], 0
    while n < size:
        w = rng.choice(words).encode("utf-8") + b" "
        out.append(w)
        n += len(w)
    return b"".join(out)


@case("truncated_last_line.jsonl")
def _(rng, big):
    ids = Ids("trunc")
    full = dumps(assistant(ids, [("tr-t9", "Bash", {"command": "make test"})], 4))
    return "three good lines, then the last line cut at 60% with no newline", [
        good(user(ids, "/review-pr 12", 0), 1),
        good(assistant(ids, [("tr-t1", "Read", {"file_path": "/a"})], 1, usage={"input_tokens": 3, "output_tokens": 4}), 1),
        good(tool_result(ids, "tr-t1", False, "contents", 2), 0),
        bad(full[: len(full) * 6 // 10], "cut mid-object at end of file", end=b""),
    ]


@case("truncated_mid_file.jsonl")
def _(rng, big):
    ids = Ids("truncmid")
    a = dumps(assistant(ids, [("tm-t1", "Edit", {"file_path": "/x"})], 1))
    b = dumps(user(ids, "/compact", 2))
    c = dumps(user(ids, "/escaped \u00e9 text", 3)).replace("\u00e9".encode(), b"\\u00e9")
    return "lines cut in the middle of the file (a crash, then the writer resumed)", [
        good(user(ids, "/init", 0), 1),
        bad(a[: a.index(b'"name"') + 7], "cut right after a key and colon"),
        good(assistant(ids, [("tm-t2", "Grep", {"pattern": "x"})], 1.5), 1),
        bad(b[:-1], "closing brace missing"),
        bad(c[: c.index(b"\\u00e9") + 4], "cut inside a \\u escape"),
        good(user(ids, "/done", 4), 1),
    ]


@case("cut_in_multibyte_char.jsonl")
def _(rng, big):
    ids = Ids("mb")
    cafe = dumps(user(ids, "/caf\u00e9 please", 1))
    emoji = dumps(user(ids, "/emoji \U0001f600 end", 3))
    return "a line cut inside a 2-byte character, and the last line cut inside a 4-byte one", [
        good(user(ids, "/start", 0), 1),
        bad(cafe[: cafe.index("\u00e9".encode()) + 1], "cut after the first byte of \u00e9"),
        good(assistant(ids, [("mb-t1", "Read", {"file_path": "/\u00e9t\u00e9.txt"})], 2), 1),
        bad(emoji[: emoji.index("\U0001f600".encode()) + 2], "cut after 2 of the 4 bytes of an emoji", end=b""),
    ]


@case("invalid_utf8.jsonl")
def _(rng, big):
    ids = Ids("utf8")

    def with_bytes(obj, marker: str, raw: bytes) -> bytes:
        return dumps(obj).replace(marker.encode(), raw)

    return "lines with invalid UTF-8 (malformed under the contract; Python would decode them with U+FFFD)", [
        good(user(ids, "/before", 0), 1),
        bad(with_bytes(user(ids, "/badcmd MARK", 1), "MARK", b"\xff"), "0xff in the user text"),
        bad(with_bytes(assistant(ids, [("u8-t1", "Bash", {"command": "ls"})], 2, junk="MARK"), "MARK", b"\xc3\x28"),
            "invalid 2-byte sequence in a field the record skips"),
        bad(with_bytes(user(ids, "/x MARK", 3), "MARK", b"\xc0\xaf"), "overlong encoding of '/'"),
        bad(with_bytes(user(ids, "/x MARK", 4), "MARK", b"\xed\xa0\x80"), "UTF-8-encoded surrogate"),
        bad(with_bytes(user(ids, "/x MARK", 5), "MARK", b"\x80\x80"), "lone continuation bytes"),
        bad(with_bytes(user(ids, "/cafMARK", 6), "MARK", b"\xe9"), "Latin-1 text"),
        bad(with_bytes(user(ids, "/x MARK", 7), "MARK", b"\xe6\x97"), "truncated 3-byte sequence mid-line"),
        good(user(ids, "/after", 8), 1),
    ]


@case("bom.jsonl")
def _(rng, big):
    ids = Ids("bom")
    return "a UTF-8 byte-order mark before the first line (dropped)", [
        good(BOM + dumps(user(ids, "/first", 0)), 1),
        good(assistant(ids, [("bom-t1", "Read", {"file_path": "/a"})], 1), 1),
    ]


@case("bom_on_blank_first_line.jsonl")
def _(rng, big):
    ids = Ids("bomblank")
    return "a byte-order mark alone on the first line: the line is blank", [
        blank(BOM),
        good(user(ids, "/second", 0), 1),
    ]


@case("bom_mid_file.jsonl")
def _(rng, big):
    ids = Ids("bommid")
    return "a byte-order mark at the start of a later line, and two at the start of the file", [
        bad(BOM + BOM + dumps(user(ids, "/twice", 0)), "two BOMs: only the first is dropped"),
        good(user(ids, "/plain", 1), 1),
        bad(BOM + dumps(user(ids, "/mid", 2)), "a BOM is only dropped at the start of the file"),
        good(user(ids, "/last", 3), 1),
    ]


@case("crlf.jsonl")
def _(rng, big):
    ids = Ids("crlf")
    e = b"\r\n"
    return "CRLF line endings, blank CRLF lines, a CRLF-terminated malformed line", [
        good(user(ids, "/one", 0), 1, end=e),
        blank(b"", end=e),
        good(assistant(ids, [("crlf-t1", "Bash", {"command": "ls"})], 1, usage={"input_tokens": 1, "output_tokens": 2}), 1, end=e),
        blank(b"   \t", end=e),
        bad(b'{"type":"user"', "truncated", end=e),
        good(user(ids, "/two", 2), 1, end=b"\r\r\n"),
        good(tool_result(ids, "crlf-t1", True, "boom", 3), 0, end=e),
    ]


@case("cr_line_breaks.jsonl")
def _(rng, big):
    ids = Ids("cr")
    a = dumps(user(ids, "/cr-inside", 0)).replace(b',"message"', b',\r"message"')
    b1, b2 = dumps(user(ids, "/mac1", 1)), dumps(user(ids, "/mac2", 2))
    return "lone CR: lines end at LF only (Python's universal newlines would split these lines)", [
        good(a, 1, why="a CR between tokens is JSON white space"),
        bad(b1 + b"\r" + b2, "two objects separated by a lone CR are one line with trailing characters"),
        good(user(ids, "/ok", 3), 1, end=b"\r"),  # a trailing CR before EOF is trimmed
    ]


@case("nul_bytes.jsonl")
def _(rng, big):
    ids = Ids("nul")
    u = user(ids, "/nul\u0000cmd", 0)
    u["cwd"] = "/w\u0000x"
    t = assistant(ids, [("nul-t1", "Ba\u0000sh", {"command": "ls\u0000"})], 1)
    return "NUL bytes: raw (malformed) and as \\u0000 escapes (good, kept in the values)", [
        good(json.dumps(u, separators=(",", ":")).encode(), 1),
        good(json.dumps(t, separators=(",", ":")).encode(), 1),
        bad(b'{"type":"user",\x00"message":{"content":"/a"}}', "raw NUL between tokens"),
        bad(b'{"type":"user","cwd":"a\x00b","message":{"content":"/b"}}', "raw NUL inside a string"),
        bad(b"\x00\x00\x00\x00", "a line of NULs (NUL is not white space)"),
        bad(dumps(user(ids, "/c", 2)) + b"\x00", "NUL after the object"),
        good(user(ids, "/after", 3), 1),
        bad(b"\x00" * 4096, "a NUL-filled tail (pre-allocated file after a crash), no newline", end=b""),
    ]


@case("deep_nesting.jsonl")
def _(rng, big):
    ids = Ids("deep")
    n = 1_000_000 if big else 20_000
    arr = b"[" * n + b"]" * n
    obj = b'{"a":' * (n // 5) + b"1" + b"}" * (n // 5)
    u = dumps(user(ids, "/deep", 0))
    a = dumps(assistant(ids, [("deep-t1", "Skill", {"skill": "pdf", "deep": "DEEP"})], 1))
    r = dumps(tool_result(ids, "deep-t1", True, "DEEP", 2))
    return f"nesting {n} deep (far beyond serde_json's 128 and Python's ~1000) in values the record skips", [
        good(u[:-1] + b',"extra":' + arr + b"}", 1, why="deep array in an unknown field"),
        good(a.replace(b'"DEEP"', obj), 1, why="deep object inside a tool input"),
        good(r.replace(b'"DEEP"', arr), 0, why="deep tool_result content (its is_error still counts)"),
        good(dumps(user(ids, "/typed", 3))[:-1] + b',"cwd":' + arr + b"}", 1, why="deep array where a string is expected: absent"),
        bad(b'{"type":"user","a":' + b"[" * n + b"}", "deep and unbalanced"),
        bad(arr, "a deep array at top level: not an object"),
        good(user(ids, "/after", 4), 1),
    ]


def huge_size(big: bool, large_size: int) -> int:
    return large_size if big else MiB


@case("huge_line_tool_result.jsonl")
def _(rng, big):
    ids = Ids("huge")
    size = huge_size(big, 50 * MiB)
    chunk = filler_chunk(rng)
    r = dumps(tool_result(ids, "hg-t1", True, "FILL", 2))
    pre, post = r.split(b"FILL")
    return f"one {size // MiB} MiB line: a tool_result whose text the record skips", [
        good(user(ids, "/start", 0), 1),
        good(assistant(ids, [("hg-t1", "Bash", {"command": "cat big.log"})], 1), 1),
        good(Big(pre, chunk, size, post), 0),
        good(assistant(ids, [("hg-t2", "Read", {"file_path": "/b"})], 3), 1),
    ]


@case("huge_line_tool_input.jsonl")
def _(rng, big):
    ids = Ids("hugein")
    size = huge_size(big, 50 * MiB)
    chunk = filler_chunk(rng)
    a = dumps(assistant(ids, [("hi-t1", "Write", {"file_path": "/big.txt", "content": "FILL"})], 0,
                        usage={"input_tokens": 5, "output_tokens": 7}))
    pre, post = a.split(b"FILL")
    return f"one {size // MiB} MiB line: a tool_use whose input (kept as tool_input) is huge", [
        good(Big(pre, chunk, size, post), 1),
        good(user(ids, "/done", 1), 1),
    ]


@case("one_huge_line_no_newline.jsonl")
def _(rng, big):
    ids = Ids("one")
    size = huge_size(big, 200 * MiB)
    chunk = filler_chunk(rng)
    a = assistant(ids, [("one-t1", "Bash", {"command": "ls -R /"})], 0, usage={"input_tokens": 11, "output_tokens": 13})
    a["toolUseResult"] = {"stdout": "FILL"}
    pre, post = dumps(a).split(b"FILL")
    return f"a file of one {size // MiB} MiB line without a newline", [
        good(Big(pre, chunk, size, post), 1, end=b""),
    ]


@case("not_objects.jsonl")
def _(rng, big):
    ids = Ids("notobj")
    return "lines that are JSON but not objects", [
        bad(b"[1,2,3]", "array"),
        bad(b"[]", "empty array"),
        bad(b"42", "number"),
        bad(b"-1.5e3", "float"),
        bad(b"1e400", "out-of-range number"),
        bad(b'"a string"', "string"),
        bad(b'""', "empty string"),
        bad(b"null", "null"),
        bad(b"true", "true"),
        bad(b"false", "false"),
        bad(b"[" + dumps(user(ids, "/inarray", 0)) + b"]", "an object wrapped in an array"),
        good(b"{}", 0, why="an empty object is a (useless) record"),
        good(user(ids, "/ok", 1), 1),
    ]


@case("wrong_type_timestamp.jsonl")
def _(rng, big):
    ids = Ids("ts")

    def u(name, value):
        d = user(ids, f"/{name}")
        d["timestamp"] = value
        return d

    return "timestamps of every wrong type, garbage and edge formats (events take the nearest valid time)", [
        good(u("number", T0), 1),
        good(u("object", {"$date": "2026-05-12T15:00:00Z"}), 1),
        good(u("array", ["2026-05-12T15:00:00Z"]), 1),
        good(u("garbage", "garbage"), 1),
        good(u("empty", ""), 1),
        good(u("bool", True), 1),
        good(u("null", None), 1),
        good(u("valid", "2026-05-12T15:00:05Z"), 1),
        good(u("feb30", "2026-02-30T00:00:00Z"), 1),
        good(u("nanos", "2026-05-12T15:00:06.123456789Z"), 1),
        good(u("naive", "2026-05-12 15:00:07"), 1),
        good(u("offset", "2026-05-12T17:00:08+02:00"), 1),
        good(u("huge", "9999-12-31T23:59:59Z"), 1),
        good(u("year0", "0000-01-01T00:00:00Z"), 1),
        good(u("long", "2026-05-12T15:00:09Z" + "9" * 1000), 1),
        good(u("float", 1778598010.5), 1),
    ]


@case("wrong_type_message.jsonl")
def _(rng, big):
    ids = Ids("msg")

    def u(kind, message):
        d = {"type": kind, "uuid": ids(), "sessionId": SID, "timestamp": ts(ids.n)}
        d["message"] = message
        return d

    return "message as string, array, number, bool, null (absent: the line counts, gives no events)", [
        good(u("user", "/as-string"), 0),
        good(u("user", ["/as-array"]), 0),
        good(u("user", 5), 0),
        good(u("user", True), 0),
        good(u("user", None), 0),
        good(u("assistant", "text"), 0),
        good(u("assistant", [{"type": "tool_use", "id": "m1", "name": "Bash"}]), 0),
        good(u("assistant", {"content": "/assistant text is not a command"}), 0),
        good(u("user", {"content": "/real"}), 1),
    ]


@case("wrong_type_content.jsonl")
def _(rng, big):
    ids = Ids("content")

    def u(kind, content):
        return {"type": kind, "uuid": ids(), "sessionId": SID, "timestamp": ts(ids.n), "message": {"content": content}}

    return "content as number, object, null, bool; lists holding non-objects and wrongly typed text", [
        good(u("user", 5), 0),
        good(u("user", {"type": "text", "text": "/in-object"}), 0),
        good(u("user", None), 0),
        good(u("user", False), 0),
        good(u("assistant", {"type": "tool_use", "id": "c0", "name": "Bash"}), 0),
        good(u("assistant", [1, "x", None, [{"type": "tool_use", "id": "c9", "name": "Bash"}],
                             {"type": "tool_use", "id": "c1", "name": "Read", "input": {}}]), 1),
        good(u("user", [{"type": "text", "text": 5}, {"type": "text", "text": ["/x"]},
                        {"type": "text", "text": "/listed"}, "/bare-string", {"type": "text"}]), 1),
        good(u("user", [{"type": "text", "text": "/a"}, {"type": "text", "text": "/b"}]), 2),
    ]


@case("wrong_type_usage.jsonl")
def _(rng, big):
    ids = Ids("usage")

    def a(usage, msg_id=None, req=None):
        return assistant(ids, [], ids.n, usage=usage, msg_id=msg_id, request_id=req)

    return "usage counters as strings, floats, booleans, negatives, >= 2^63, <= -2^63-1, 1e400, null, containers", [
        good(a({"input_tokens": 10, "output_tokens": 20, "cache_read_input_tokens": 30, "cache_creation_input_tokens": 40},
               "msg-1", "req-1"), 0),
        good(a({"input_tokens": "100", "output_tokens": "5"}, "msg-1", "req-1"), 0),
        good(a({"input_tokens": 1.5, "output_tokens": 2.0, "cache_read_input_tokens": 1e2}), 0),
        good(a({"input_tokens": True, "output_tokens": False}), 0),
        good(a({"input_tokens": -7, "output_tokens": -1}), 0),
        good(dumps(a({"input_tokens": "BIG1", "output_tokens": "BIG2"}))
             .replace(b'"BIG1"', b"9223372036854775808").replace(b'"BIG2"', b"18446744073709551616"), 0),
        good(dumps(a({"input_tokens": "NEG"})).replace(b'"NEG"', b"-9223372036854775809"), 0),
        good(dumps(a({"input_tokens": "INF", "output_tokens": "LONG"}))
             .replace(b'"INF"', b"1e400").replace(b'"LONG"', b"1" + b"0" * 400), 0),
        good(a({"input_tokens": None, "output_tokens": [1], "cache_read_input_tokens": {"a": 1}}), 0),
        good(a("lots"), 0),
        good(a([1, 2]), 0),
        good(a(5), 0),
        good(dumps(a({"input_tokens": "NZ", "output_tokens": 0})).replace(b'"NZ"', b"-0"), 0),
        good(a({"input_tokens": 1, "output_tokens": 2, "cache_read_input_tokens": 3, "cache_creation_input_tokens": 4},
               "msg-1", "req-2"), 0),
    ]


@case("usage_sum_saturates.jsonl")
def _(rng, big):
    ids = Ids("sat")
    big_v = 3 * 2 ** 61  # two of them exceed 2^63 - 1
    return "usage counters whose sum exceeds the BIGINT range (the sum saturates at 2^63-1)", [
        good(assistant(ids, [], 0, usage={"input_tokens": big_v, "output_tokens": 2 ** 63 - 1}, msg_id="s1"), 0),
        good(assistant(ids, [], 1, usage={"input_tokens": big_v, "output_tokens": 1}, msg_id="s2"), 0),
    ]


@case("wrong_type_input.jsonl")
def _(rng, big):
    ids = Ids("input")
    tools = [
        ("in-1", "Skill", ["pdf"]),
        ("in-2", "Skill", "pdf"),
        ("in-3", "Skill", {"skill": 5, "name": "pdf"}),
        ("in-4", "Skill", {"skill": "", "name": ["x"]}),
        ("in-5", "Skill", ...),
        ("in-6", "Task", None),
        ("in-7", "Agent", {"subagent_type": 7}),
        ("in-8", "Task", {"subagent_type": ""}),
        ("in-9", "mcp__github__issue", 5),
        ("in-10", "Bash", True),
        ("in-11", "Skill", {"skill": {"name": "nested"}, "name": "fallback"}),
    ]
    return "tool inputs as array, string, number, null, bool, and with wrongly typed fields", [
        good(assistant(ids, tools, 0), len(tools)),
    ]


@case("wrong_type_tool_use_id_name.jsonl")
def _(rng, big):
    ids = Ids("tooluse")
    items = [
        {"type": "tool_use", "name": "Bash", "input": {}},  # id missing
        {"type": "tool_use", "id": "tu-1", "input": {}},  # name missing
        {"type": "tool_use", "id": 5, "name": "Read"},  # id number
        {"type": "tool_use", "id": "tu-3", "name": 5},  # name number
        {"type": "tool_use", "id": "tu-4", "name": None},
        {"type": "tool_use", "id": "tu-5", "name": ["Bash"]},
        {"type": "tool_use", "id": {"x": 1}, "name": "Grep"},
        {"type": "tool_use", "id": "", "name": ""},
        {"id": "tu-8", "name": "Bash"},  # no type: not a tool use
        {"type": 5, "id": "tu-9", "name": "Bash"},
        {"type": "tool_use", "id": "tu-e1", "name": "Bash"},
        {"type": "tool_use", "id": "tu-e2", "name": "Bash"},
        {"type": "tool_use", "id": "tu-e3", "name": "Bash"},
    ]
    a = {"type": "assistant", "uuid": ids(), "sessionId": SID, "timestamp": ts(0),
         "message": {"model": "m", "content": items}}
    r = {"type": "user", "uuid": ids(), "sessionId": SID, "timestamp": ts(1), "message": {"content": [
        {"type": "tool_result", "tool_use_id": "tu-e1", "is_error": "true"},
        {"type": "tool_result", "tool_use_id": "tu-e2", "is_error": 1},
        {"type": "tool_result", "tool_use_id": "tu-e3", "is_error": True},
        {"type": "tool_result", "tool_use_id": 5, "is_error": True},
    ]}}
    return "tool_use id and name missing, numbers, null, lists; is_error given as a string and a number", [
        good(a, 11),
        good(r, 0),
    ]


@case("wrong_type_session_id.jsonl")
def _(rng, big):
    ids = Ids("sid")

    def u(sid, cmd):
        d = user(ids, cmd, ids.n)
        d["sessionId"] = sid
        return d

    return "sessionId as a number, empty, an object, then a string (the first non-empty string wins)", [
        good(u(12345, "/one"), 1),
        good(u("", "/two"), 1),
        good(u({"id": "x"}, "/three"), 1),
        good(u("hostile-sid-real", "/four"), 1),
        good(u("hostile-sid-other", "/five"), 1),
    ]


@case("session_id_never_a_string.jsonl")
def _(rng, big):
    ids = Ids("nosid")
    a = user(ids, "/one", 0)
    a["sessionId"] = 42
    b = user(ids, "/two", 1)
    b["sessionId"] = None
    return "no line has a string sessionId: the file name is the session id", [good(a, 1), good(b, 1)]


@case("wrong_type_fields.jsonl")
def _(rng, big):
    ids = Ids("fields")
    a = assistant(ids, [("wf-1", "Bash", {"command": "ls"})], 0)
    a["uuid"], a["parentUuid"], a["cwd"], a["requestId"], a["isSidechain"] = 5, {"a": 1}, ["/x"], 5, "yes"
    a["message"]["model"] = 7
    b = assistant(ids, [("wf-2", "Read", {})], 1)
    b["isSidechain"], b["cwd"], b["parentUuid"] = 1, None, None
    c = assistant(ids, [("wf-3", "Edit", {})], 2)
    c["isSidechain"] = True
    return "uuid, parentUuid, cwd, model, requestId, type, isSidechain and top-level is_error of the wrong types", [
        good(a, 1),
        good(b, 1),
        good(c, 1),
        good({"type": 5, "message": {"content": "/typed-number"}}, 0),
        good({"type": None, "message": {"content": "/typed-null"}}, 0),
        good({"type": ["user"], "message": {"content": "/typed-list"}}, 0),
        good({"type": "tool_use_result", "toolUseId": "wf-1", "is_error": 1}, 0),
        good({"type": "tool_use_result", "tool_use_id": 5, "toolUseId": "wf-2", "is_error": True}, 0),
        good({"type": "tool_use_result", "tool_use_id": "wf-3", "is_error": "yes"}, 0),
    ]


@case("duplicate_keys.jsonl")
def _(rng, big):
    ids = Ids("dup")
    return "duplicate keys at every level: the last one wins", [
        good(b'{"type":"assistant","type":"user","timestamp":"2026-05-12T15:00:00Z","message":{"content":"/dup-type"}}', 1),
        good(b'{"type":"user","message":{"content":"/first"},"message":{"content":"/second"}}', 1),
        good(b'{"type":"user","message":{"content":"/x"},"message":"str"}', 0),
        good(b'{"type":"assistant","message":{"content":[{"type":"tool_use","id":"d1","name":"Bash"}],"content":5}}', 0),
        good(b'{"type":"assistant","message":{"id":"dm","id":"dm2","usage":{"input_tokens":5,"input_tokens":"x","output_tokens":1},'
             b'"usage":{"input_tokens":7,"output_tokens":3,"output_tokens":4},"content":[{"type":"tool_use","id":"a","id":"d2",'
             b'"name":"Read","name":"Grep","input":{"x":1},"input":{"skill":"s"}}]}}', 1),
        good(b'{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"d2","is_error":true,"is_error":false}]}}', 0),
        good(b'{"type":"assistant","message":{"content":[{"type":"tool_use","id":"d3","name":"Bash"}]}}', 1),
        good(b'{"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"d3","is_error":false,"is_error":true}]}}', 0),
        good(b'{"type":"user","sessionId":"dup-a","sessionId":"dup-b","timestamp":"2026-05-12T15:00:09Z","timestamp":"bad",'
             b'"message":{"content":"/sid"}}', 1),
    ]


@case("lone_surrogates.jsonl")
def _(rng, big):
    ids = Ids("sur")

    def esc(obj, pairs):
        raw = dumps(obj)
        for k, v in pairs:
            raw = raw.replace(k.encode(), v)
        return raw

    return ("lone UTF-16 surrogate escapes (valid JSON that Python reads): skipped values are fine, "
            "read values get U+FFFD"), [
        good(esc(user(ids, "/lone-SUR x", 0, cwd="/wSUR"), [("SUR", b"\\ud800")]), 1),
        good(esc(user(ids, "/trailing-SUR", 1), [("SUR", b"\\udc00")]), 1),
        good(esc(assistant(ids, [("sur-t1", "BashSUR", {"command": "SUR"})], 2, model="mSUR"), [("SUR", b"\\ud83d")]), 1),
        good(esc(user(ids, "/skip", 3, junk="SUR"), [("SUR", b"\\ud800\\ud800")]), 1),
        good(esc(user(ids, "/key", 4, KSUR=1), [("SUR", b"\\udbff")]), 1),
        good(esc(user(ids, "/pair SUR", 5), [("SUR", b"\\ud83d\\ude00")]), 1),
        good(esc(user(ids, "/mixed SUR", 6), [("SUR", b"\\ud800\\u0041")]), 1),
        good(esc(user(ids, [{"type": "text", "text": "/item-lone SUR"}], 6.5), [("SUR", b"\\udfff")]), 1),
        bad(esc(user(ids, "/cut SUR", 7), [("SUR", b"\\ud800")])[:-2], "a lone surrogate and a truncation"),
    ]


@case("huge_numbers.jsonl")
def _(rng, big):
    ids = Ids("num")

    def num(obj, **subs):
        raw = dumps(obj)
        for k, v in subs.items():
            raw = raw.replace(f'"{k}"'.encode(), v.encode())
        return raw

    a = assistant(ids, [("num-t1", "Skill", {"skill": "SK", "name": "pdf"})], None,
                  usage={"input_tokens": "IN", "output_tokens": "OUT", "cache_read_input_tokens": 3,
                         "cache_creation_input_tokens": "TINY"})
    a["timestamp"] = ts(1)
    return "numbers beyond the double range (1e400; Python reads them as inf) where fields are read and skipped", [
        good(num(user(ids, "/big-ts", None, timestamp="TS"), TS="1e400"), 1),
        good(num(a, SK="1e400", IN="1e400", OUT="-1e999", TINY="1e-400"), 1),
        good(num(user(ids, "/side", 2, isSidechain="SC"), SC="1E+400"), 1),
        good(num({"type": "T", "message": {"content": "/typed"}}, T="1e400"), 0),
        good(num(user(ids, "/skipped", 3, junk="J"), J="-1e400"), 1),
        good(num(user(ids, "/long-int", 4, junk="J"), J="9" * 500), 1),
    ]


@case("nan_infinity.jsonl")
def _(rng, big):
    ids = Ids("nan")
    u = dumps(user(ids, "/nan", 0))
    return "NaN and Infinity literals: not JSON, so malformed (Python's json module accepts them)", [
        bad(u[:-1] + b',"x":NaN}', "NaN"),
        bad(dumps(assistant(ids, [], 1, usage={"input_tokens": "I"})).replace(b'"I"', b"Infinity"), "Infinity"),
        bad(dumps(assistant(ids, [], 2, usage={"input_tokens": "I"})).replace(b'"I"', b"-Infinity"), "-Infinity"),
        good(user(ids, "/fine", 3), 1),
    ]


@case("garbage_lines.jsonl")
def _(rng, big):
    ids = Ids("garbage")
    lines = [good(user(ids, "/first", 0), 1)]
    fixed = [b"{", b"}", b"{{}}", b'{"a"}', b'{"a":}', b"{'type':'user'}", b'{"type":"user",}', b'{type:"user"}',
             b"// comment", b"<html><body>", b'{"type":"user"} {"type":"user"}', b'{"a":1}}', b'{"a":01}',
             b'{"a":"\\x"}', b'{"a":"tab\there"}', b'{"a":.5}', b'{"a":1.}', b'{"a":+1}', b'{"a":tru}',
             b"\xef\xbb\xbf"]  # a BOM alone on a later line: not white space
    for g in fixed:
        lines.append(bad(g, "garbage"))
    for _ in range(30):
        n = rng.randint(1, 300)
        noise = bytes(rng.choice([b for b in range(256) if b != 10]) for _ in range(n))
        lines.append(bad(b"#" + noise, "random bytes"))
    lines.append(good(user(ids, "/last", 1), 1))
    return "garbage: almost-JSON and seeded random bytes", lines


@case("seeded_corruption.jsonl")
def _(rng, big):
    ids = Ids("seeded")
    out, tool_n = [], 0
    for i in range(60):
        r = rng.random()
        if r < 0.3:
            obj, ev = user(ids, rng.choice(["/review", "/compact", "/model sonnet", "hello", "fix it"]), i), None
            ev = 1 if obj["message"]["content"].startswith("/") else 0
        elif r < 0.8:
            k = rng.randint(0, 3)
            tools = []
            for _ in range(k):
                tool_n += 1
                tools.append((f"sc-t{tool_n}", rng.choice(["Bash", "Read", "Task", "Skill", "mcp__x__y"]),
                              rng.choice([{}, {"skill": "pdf"}, {"subagent_type": "rev"}, {"command": "ls"}])))
            obj, ev = assistant(ids, tools, i, usage={"input_tokens": rng.randint(0, 999), "output_tokens": rng.randint(0, 99)},
                                msg_id=f"m{i // 2}", request_id=f"r{i // 2}"), k
        else:
            obj, ev = tool_result(ids, f"sc-t{rng.randint(1, max(tool_n, 1))}", rng.random() < 0.5, "out", i), 0
        raw = dumps(obj)
        if rng.random() < 0.35:
            how = rng.randrange(5)
            if how == 0:
                cut = rng.randint(1, len(raw) - 1)
                out.append(bad(raw[:cut], "truncated at a random offset"))
            elif how == 1:
                p = rng.randrange(len(raw))
                out.append(bad(raw[:p] + b"\xff" + raw[p + 1:], "one byte replaced by 0xff"))
            elif how == 2:
                p = rng.randrange(1, len(raw))
                out.append(bad(raw[:p] + b"\x00" + raw[p:], "a NUL inserted"))
            elif how == 3:
                out.append(bad(raw[:-1] + b" ", "closing brace removed"))
            else:
                out.append(bad(raw + b"\r" + raw, "two records joined by a lone CR"))
        else:
            out.append(good(raw, ev))
    return "a realistic session with a third of its lines corrupted at random (seeded)", out


@case("empty.jsonl")
def _(rng, big):
    return "an empty file", []


@case("whitespace_only.jsonl")
def _(rng, big):
    return "only white space: ASCII, the \\x1c-\\x1f separators, and Unicode spaces (no final newline)", [
        blank(b" "),
        blank(b"\t\t"),
        blank(b"", end=b"\r\n"),
        blank(b"\x0b\x0c"),
        blank(b"\x1c\x1d\x1e\x1f"),
        blank("\u00a0\u3000\u2028\u2029\u0085\u200a".encode()),
        blank(b"   ", end=b""),
    ]


BIG_CASES = {"huge_line_tool_result.jsonl", "huge_line_tool_input.jsonl", "one_huge_line_no_newline.jsonl"}


# --------------------------------------------------------------------------------------------


def write_case(path: str, lines: list[Line]) -> dict:
    physical = nonblank = malformed = good_n = events = 0
    event_lines: list[int] = []
    longest = 0
    with open(path, "wb") as f:
        for i, ln in enumerate(lines, 1):
            if isinstance(ln.raw, Big):
                ln.raw.write(f)
                size = len(ln.raw)
            else:
                f.write(ln.raw)
                size = len(ln.raw)
            f.write(ln.end)
            longest = max(longest, size)
            physical = i
            if ln.kind == "blank":
                continue
            nonblank += 1
            if ln.kind == "bad":
                malformed += 1
            else:
                good_n += 1
                events += ln.events
                event_lines += [i] * ln.events
    # A line ends at "\n" only (the last one may lack it); an "\r" alone does not end a line.
    return {"physical_lines": physical, "lines": nonblank, "malformed_lines": malformed, "good_lines": good_n,
            "events": events, "event_lines": event_lines, "bytes": os.path.getsize(path), "longest_line": longest}


def make_unfit(d: str, manifest: dict) -> None:
    os.makedirs(d)
    entries = manifest["unfit"]

    os.makedirs(os.path.join(d, "x.jsonl"))
    with open(os.path.join(d, "x.jsonl", "README"), "w") as f:
        f.write("a directory named like a session file\n")
    entries["x.jsonl"] = {"kind": "directory", "error": "it is a directory"}

    os.mkfifo(os.path.join(d, "fifo.jsonl"))
    entries["fifo.jsonl"] = {"kind": "fifo", "error": "it is not a regular file"}

    os.symlink("no-such-target.jsonl", os.path.join(d, "dangling_symlink.jsonl"))
    entries["dangling_symlink.jsonl"] = {"kind": "dangling symlink", "error": "No such file or directory"}

    os.symlink("symlink_loop_b.jsonl", os.path.join(d, "symlink_loop_a.jsonl"))
    os.symlink("symlink_loop_a.jsonl", os.path.join(d, "symlink_loop_b.jsonl"))
    for n in ("symlink_loop_a.jsonl", "symlink_loop_b.jsonl"):
        entries[n] = {"kind": "symlink loop", "error": "Too many levels of symbolic links"}

    # A directory symlink loop: `**` must not recurse forever; it matches no *.jsonl itself.
    os.symlink(".", os.path.join(d, "dir_loop"))

    unreadable = os.path.join(d, "unreadable.jsonl")
    if os.geteuid() != 0:
        with open(unreadable, "w") as f:
            f.write('{"type":"user","message":{"content":"/secret"}}\n')
        os.chmod(unreadable, 0)
        entries["unreadable.jsonl"] = {"kind": "unreadable (mode 000)", "error": "Permission denied"}
    else:
        target = "/proc/sys/vm/compact_memory"
        try:
            with open(target, "rb"):
                pass
            manifest["notes"].append(f"unreadable.jsonl left out: running as root and {target} is readable")
        except PermissionError:
            os.symlink(target, unreadable)
            entries["unreadable.jsonl"] = {"kind": f"unreadable (root: symlink to {target}, mode 0200)",
                                           "error": "Permission denied"}
        except OSError as e:
            manifest["notes"].append(f"unreadable.jsonl left out: running as root and {target}: {e}")

    mem = "/proc/self/mem"
    if os.path.exists(mem):
        os.symlink(mem, os.path.join(d, "read_error.jsonl"))
        entries["read_error.jsonl"] = {"kind": "read fails (symlink to /proc/self/mem: EIO at offset 0)",
                                       "error": "Input/output error"}


def remove_tree(path: str) -> None:
    if not os.path.lexists(path):
        return
    if os.path.islink(path) or not os.path.isdir(path):
        os.unlink(path)
        return
    for root, dirs, files in os.walk(path):
        for n in dirs + files:
            p = os.path.join(root, n)
            if not os.path.islink(p):
                try:
                    os.chmod(p, stat.S_IRWXU)
                except OSError:
                    pass
    shutil.rmtree(path)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True, help="output directory (content/, unfit/, manifest.json)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--large", action="store_true", help="real sizes: 50 MiB lines, a 200 MiB file")
    ap.add_argument("--content-only", action="store_true", help="no unfit/ entries")
    ap.add_argument("--skip-big", action="store_true", help="leave out the huge-line cases")
    ap.add_argument("--only", action="append", help="write only these content cases (repeatable)")
    args = ap.parse_args(argv)

    content_dir = os.path.join(args.out, "content")
    unfit_dir = os.path.join(args.out, "unfit")
    os.makedirs(args.out, exist_ok=True)
    remove_tree(content_dir)
    remove_tree(unfit_dir)
    os.makedirs(content_dir)
    manifest = {"seed": args.seed, "large": args.large, "root": os.geteuid() == 0, "content": {}, "unfit": {},
                "notes": []}
    for name, build in CASES.items():
        if args.only and name not in args.only:
            continue
        if args.skip_big and name in BIG_CASES:
            continue
        # One generator per case, so that adding a case does not change the others.
        rng = random.Random(f"{args.seed}:{name}")
        description, lines = build(rng, args.large)
        entry = write_case(os.path.join(content_dir, name), lines)
        entry["description"] = description
        entry["big"] = name in BIG_CASES
        manifest["content"][name] = entry
    if not args.content_only:
        make_unfit(unfit_dir, manifest)
    with open(os.path.join(args.out, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(e["bytes"] for e in manifest["content"].values())
    print(f"gen_hostile: {len(manifest['content'])} content files ({total / MiB:.1f} MiB), "
          f"{len(manifest['unfit'])} unfit entries in {args.out}"
          + "".join(f"\n  note: {n}" for n in manifest["notes"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
