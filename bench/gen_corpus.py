#!/usr/bin/env python3
"""Deterministic generator of a synthetic Claude Code transcript corpus (stdlib only).

    python3 bench/gen_corpus.py --out bench/out/corpus --mb 300 --seed 42 [--files N]
    python3 bench/gen_corpus.py --out big.jsonl --mb 1100 --seed 7 --huge      # one file
    python3 bench/gen_corpus.py --out big.jsonl --concat bench/out/corpus --copies 4

Layout: OUT/<user>/<project>/<session-uuid>.jsonl, plus agent-<id>.jsonl subagent files next
to the sessions that dispatched them (the newer Claude Code layout). The same seed gives the
same bytes on every machine (one `random.Random` per file, seeded from --seed and the file's
index; no clock, no hash randomisation).

What the lines look like (modelled on Claude Code 1.0.x - 2.0.x transcripts):
  * user prompts (plain strings, text item lists, slash commands in <command-name> tags and as a
    leading "/name", non-ASCII text), isMeta lines;
  * assistant responses split over several lines that repeat message.id, requestId and usage:
    an optional thinking block (with a long signature), an optional text block, then one to three
    tool_use blocks, one per line, each with a nested input object (TodoWrite lists, MultiEdit
    edit lists, MCP payloads, Task prompts, ...);
  * one user tool_result line per tool use, with the result text both in message.content and
    in the top-level toolUseResult object (Read results carry the numbered file text, Edit results
    carry the original file and a structured patch, Bash output carries ANSI escapes), about 5% of
    them is_error: true;
  * progress lines (hook_progress, bash_progress, agent_progress with a nested message),
    system lines (turn_duration, compact_boundary, local_command, api_error),
    file-history-snapshot lines (no timestamp), queue-operation and summary lines;
  * sidechains: inline isSidechain:true runs after Task calls in older-version sessions, and
    separate agent files in newer ones;
  * gaps: about one user turn in four starts more than 10 minutes after the previous line.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import sys
import time

BUF = 8 << 20
_enc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), check_circular=False).encode
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
HEX = "0123456789abcdef"

USERS = ["alice", "bob", "chen", "dmitri", "esther", "farid"]
PROJECTS = [
    "webapp", "billing-service", "infra", "data-pipeline", "mobile-client", "docs-site",
    "ml-experiments", "cli-tool", "auth-gateway", "design-system", "etl-jobs", "monorepo",
]
MODELS = [("claude-sonnet-4-5-20250929", 6), ("claude-opus-4-5-20251101", 3), ("claude-sonnet-4-20250514", 2),
          ("claude-opus-4-1-20250805", 1)]
SUBAGENT_MODEL = "claude-haiku-4-5-20251001"
OLD_VERSIONS = ["1.0.17", "1.0.51", "1.0.98", "1.0.113"]
NEW_VERSIONS = ["2.0.14", "2.0.28", "2.0.37", "2.0.55", "2.0.76"]
SLASH = ["review", "compact", "init", "clear", "model", "cost", "pr-comments", "compound:debug",
         "frontend:component", "git:commit", "test-runner", "memory"]
SKILLS = ["pdf", "xlsx", "docx", "webapp-testing", "mcp-builder", "skill-creator", "brand-guidelines"]
SUBAGENTS = ["general-purpose", "Explore", "code-reviewer", "test-writer", "Plan", "debugger"]
MCP_TOOLS = ["mcp__github__create_issue", "mcp__github__get_pull_request", "mcp__playwright__browser_click",
             "mcp__playwright__browser_snapshot", "mcp__linear__list_issues", "mcp__sentry__get_issue",
             "mcp__context7__get-library-docs"]
# (tool name, weight)
TOOLS = [("Read", 24), ("Bash", 22), ("Edit", 12), ("Grep", 8), ("Glob", 5), ("TodoWrite", 6), ("Write", 4),
         ("MultiEdit", 2), ("WebFetch", 1), ("WebSearch", 1), ("Task", 3), ("Skill", 2), ("MCP", 5),
         ("NotebookEdit", 1), ("ExitPlanMode", 1)]
HOOK_EVENTS = ["PreToolUse", "PostToolUse"]

WORDS = ("the a to of and in is it that for on with as this be are by not or from at we our can will "
         "function value error test file config build module import return update check result request "
         "response handler service client server cache query index schema table column migration user "
         "session token parse stream buffer thread queue worker retry timeout fallback").split()
UNICODE_BITS = ["é", "ü", "ñ", "ß", "ø", "Привет мир", "日本語のコメント", "中文注释", "한국어", "naïve café",
                "→", "…", "“quoted”", "—", "✓", "✗", "🚀", "🐛", "✨", "📦", "Ω≈ç√∫", "½", "€", "°C"]
CODE_LINES = [
    "def {w}_{v}(self, {w2}: str, *args, **kwargs) -> dict:",
    "    return {{\"{w}\": {w2}, \"ok\": True}}",
    "    if not {w}:\n        raise ValueError(f\"bad {w2}: {{{w}!r}}\")",
    "const {w}{V} = async ({w2}) => {{ await fetch(`/api/{w}/${{{w2}}}`); }};",
    "    path = \"C:\\\\Users\\\\{w}\\\\{w2}.txt\"  # windows path",
    "\tlog.Printf(\"%s\\t%d\\n\", {w}, len({w2}))",
    "    # {w} - {w2} ({u})",
    "SELECT {w}, count(*) FROM {w2} WHERE {w} <> '' GROUP BY 1;",
    "    regex = r\"^\\s*([A-Za-z_][\\w.]*)\\s*=\\s*(.+)$\"",
    "fn {w}_{w2}(&mut self) -> Result<(), Error> {{ Ok(()) }}",
    "    \"{w}\": \"{u}\",",
    "<div className=\"{w}-{w2}\">{{props.{w}}}</div>",
    "    expect({w}).toEqual({{ {w2}: 'x' }});",
    "",
    "}}",
    "import {w} from './{w2}';",
    "    print(\"{u}\", end=\"\\r\\n\")",
]
EXTS = [".py", ".ts", ".tsx", ".rs", ".go", ".md", ".json", ".sql", ".yaml"]
BASH_CMDS = ["git status", "git diff --stat", "npm test", "pytest -x -q", "cargo build --release", "ls -la",
             "make lint", "docker compose ps", "go test ./...", "rg -n TODO src", "git log --oneline -20",
             "python -m mypy src", "npx tsc --noEmit", "cat package.json | jq .scripts"]
ERRORS = [
    "<tool_use_error>File has not been read yet. Read it first before writing to it.</tool_use_error>",
    "<tool_use_error>String to replace not found in file.\nString: {s}</tool_use_error>",
    "Exit code 1\n{s}\nError: Process completed with exit code 1.",
    "Error: The user doesn't want to proceed with this tool use. The tool use was rejected (eg. if it was a file edit, the new_string was NOT written to the file). STOP what you are doing and wait for the user to tell you how to proceed.",
    "<tool_use_error>InputValidationError: Read failed due to the following issue:\nThe parameter `file_path` type is expected as `string` but provided as `undefined`</tool_use_error>",
    "Command timed out after 2m 0.0s\n{s}",
]


def b62(rng: random.Random, n: int) -> str:
    return "".join(rng.choices(B62, k=n))


def uuid4(rng: random.Random) -> str:
    h = "%032x" % rng.getrandbits(128)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{HEX[8 + (int(h[16], 16) & 3)]}{h[17:20]}-{h[20:32]}"


def iso(ms: int) -> str:
    t = time.gmtime(ms // 1000)
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (t[0], t[1], t[2], t[3], t[4], t[5], ms % 1000)


def weighted(rng: random.Random, pairs):
    total = sum(w for _, w in pairs)
    x = rng.random() * total
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


class Pools:
    """Precomputed texts, shared by all files (built once from the seed)."""

    def __init__(self, seed: int):
        rng = random.Random(seed * 7919 + 1)
        self.sentences = [self._sentence(rng) for _ in range(600)]
        self.paragraphs = [" ".join(rng.sample(self.sentences, rng.randint(2, 8))) for _ in range(400)]
        self.long_texts = ["\n\n".join(rng.sample(self.paragraphs, rng.randint(3, 14))) for _ in range(120)]
        # Source files: numbered code lines with escapes, tabs, non-ASCII.
        self.files = []
        for i in range(260):
            n = max(3, int(rng.lognormvariate(3.7, 1.0)))  # median ~40 lines
            n = min(n, 2500)
            lines = [self._code_line(rng) for _ in range(n)]
            text = "\n".join(lines)
            path = "/".join(["src"] + [rng.choice(WORDS) for _ in range(rng.randint(1, 3))]) + "/" + \
                rng.choice(WORDS) + "_" + rng.choice(WORDS) + rng.choice(EXTS)
            numbered = "\n".join("%6d\u2192%s" % (k + 1, l) for k, l in enumerate(lines))
            self.files.append((path, text, numbered, n))
        self.bash_outputs = []
        for i in range(200):
            n = max(1, int(rng.lognormvariate(2.5, 1.3)))
            n = min(n, 1500)
            out = []
            for _ in range(n):
                r = rng.random()
                if r < 0.15:
                    out.append("\x1b[32mPASS\x1b[0m " + rng.choice(self.sentences)[:70])
                elif r < 0.25:
                    out.append("\x1b[31mFAIL\x1b[39m\t" + rng.choice(WORDS) + "/" + rng.choice(WORDS) + ".test.ts")
                elif r < 0.35:
                    out.append("drwxr-xr-x  %d user staff  %5d Nov %2d 10:%02d %s" % (
                        rng.randint(1, 40), rng.randint(64, 99999), rng.randint(1, 30), rng.randint(0, 59),
                        rng.choice(WORDS)))
                else:
                    out.append(self._code_line(rng))
            self.bash_outputs.append("\n".join(out))
        self.signatures = ["Eq" + b62(rng, rng.randint(300, 1600)) + "==" for _ in range(80)]
        self.thinking = [" ".join(rng.sample(self.sentences, rng.randint(2, 25))) for _ in range(200)]

    @staticmethod
    def _sentence(rng: random.Random) -> str:
        words = [rng.choice(WORDS) for _ in range(rng.randint(5, 22))]
        if rng.random() < 0.08:
            words.insert(rng.randrange(len(words)), rng.choice(UNICODE_BITS))
        if rng.random() < 0.15:
            words.insert(rng.randrange(len(words)), '"%s"' % rng.choice(WORDS))
        if rng.random() < 0.1:
            words.append("`%s()`" % rng.choice(WORDS))
        s = " ".join(words)
        return s[0].upper() + s[1:] + rng.choice([".", ".", ".", "?", "!", ":"])

    @staticmethod
    def _code_line(rng: random.Random) -> str:
        tpl = rng.choice(CODE_LINES)
        return tpl.format(w=rng.choice(WORDS), w2=rng.choice(WORDS), v=rng.randint(0, 99),
                          V=rng.choice(WORDS).capitalize(), u=rng.choice(UNICODE_BITS))


class Session:
    """Writes one session file (and the agent files it spawns) line by line."""

    def __init__(self, pools: Pools, rng: random.Random, user: str, project: str, session_id: str,
                 start_ms: int, target: int, agent: str | None = None, version: str | None = None,
                 parent_cwd: str | None = None):
        self.p = pools
        self.rng = rng
        self.user = user
        self.project = project
        self.sid = session_id
        self.now = start_ms
        self.target = target
        self.size = 0
        self.out: list[str] = []
        self.agent = agent
        self.new_style = version is not None and version.startswith("2.") if version else rng.random() < 0.7
        self.version = version or rng.choice(NEW_VERSIONS if self.new_style else OLD_VERSIONS)
        self.cwd = parent_cwd or f"/home/{user}/src/{project}"
        self.branch = rng.choice(["main", "main", "develop", f"feature/{rng.choice(WORDS)}-{rng.randint(1, 999)}"])
        self.slug = "-".join(rng.sample(WORDS, 3))
        self.model = SUBAGENT_MODEL if agent and rng.random() < 0.6 else weighted(rng, MODELS)
        self.parent = None
        self.sidechain = agent is not None
        self.agents: list[tuple[str, str]] = []  # (agent id, prompt) to write as files
        self.todos = [rng.choice(pools.sentences)[:60] for _ in range(rng.randint(2, 7))]
        self.files_read: list[int] = []
        self.cache = rng.randint(5000, 30000)

    # -- plumbing --------------------------------------------------------------------------
    def emit(self, obj: dict) -> None:
        line = _enc(obj)
        self.out.append(line)
        self.size += len(line.encode("utf-8")) + 1 if not line.isascii() else len(line) + 1

    def tick(self, lo: float, hi: float) -> str:
        self.now += int(self.rng.uniform(lo, hi) * 1000) + 1
        return iso(self.now)

    def head(self, sidechain: bool | None = None) -> dict:
        d = {"parentUuid": self.parent, "isSidechain": self.sidechain if sidechain is None else sidechain,
             "userType": "external", "cwd": self.cwd, "sessionId": self.sid, "version": self.version}
        if self.version != "1.0.17":
            d["gitBranch"] = self.branch
        if self.agent:
            d["agentId"] = self.agent
        if self.new_style and not self.agent:
            d["slug"] = self.slug
        return d

    def tool_id(self) -> str:
        return "toolu_01" + b62(self.rng, 22)

    # -- line kinds ------------------------------------------------------------------------
    def user_prompt(self) -> None:
        rng = self.rng
        if self.new_style and not self.agent:
            mid = uuid4(rng)
            backups = {}
            for k in rng.sample(range(len(self.p.files)), rng.randint(0, 6)):
                backups[self.cwd + "/" + self.p.files[k][0]] = {
                    "backupFileName": "%016x@v%d" % (rng.getrandbits(64), rng.randint(1, 9)),
                    "version": rng.randint(1, 9), "backupTime": iso(self.now - rng.randint(0, 10 ** 7))}
            self.emit({"type": "file-history-snapshot", "messageId": mid,
                       "snapshot": {"messageId": mid, "trackedFileBackups": backups, "timestamp": iso(self.now)},
                       "isSnapshotUpdate": rng.random() < 0.2})
        r = rng.random()
        d = self.head()
        d["type"] = "user"
        if r < 0.07:
            name = rng.choice(SLASH)
            content = (f"<command-message>{name} is running…</command-message>\n<command-name>/{name}</command-name>\n"
                       f"<command-args>{rng.choice(self.p.sentences)[:40]}</command-args>")
        elif r < 0.10:
            content = "/" + rng.choice(SLASH) + " " + rng.choice(self.p.sentences)
        elif r < 0.45:
            content = [{"type": "text", "text": rng.choice(self.p.paragraphs)}]
        elif r < 0.50:
            content = [{"type": "text", "text": rng.choice(self.p.long_texts)}]
        else:
            content = rng.choice(self.p.paragraphs if rng.random() < 0.5 else self.p.sentences)
        d["message"] = {"role": "user", "content": content}
        if rng.random() < 0.05:
            d["isMeta"] = True
        u = uuid4(rng)
        d["uuid"] = u
        d["timestamp"] = iso(self.now)
        if self.new_style and rng.random() < 0.3:
            d["thinkingMetadata"] = {"level": "high", "disabled": False, "triggers": []}
        self.emit(d)
        self.parent = u

    def usage(self, out_tokens: int) -> dict:
        rng = self.rng
        created = rng.randint(0, 4000)
        u = {"input_tokens": rng.randint(1, 12), "cache_creation_input_tokens": created,
             "cache_read_input_tokens": self.cache}
        if self.new_style:
            u["cache_creation"] = {"ephemeral_5m_input_tokens": created, "ephemeral_1h_input_tokens": 0}
        u["output_tokens"] = out_tokens
        u["service_tier"] = "standard"
        self.cache += created
        return u

    def assistant(self, blocks: list[dict]) -> None:
        """One API response over len(blocks) lines repeating message.id, requestId and usage."""
        rng = self.rng
        mid = "msg_01" + b62(rng, 22)
        req = "req_011C" + b62(rng, 18)
        usage = self.usage(rng.randint(1, 40))
        final_out = rng.randint(50, 2500)
        for i, block in enumerate(blocks):
            d = self.head()
            if i == len(blocks) - 1 and rng.random() < 0.3:
                usage = dict(usage, output_tokens=final_out)  # later lines sometimes carry the final count
            d["message"] = {"model": self.model, "id": mid, "type": "message", "role": "assistant",
                            "content": [block], "stop_reason": None, "stop_sequence": None, "usage": usage}
            d["requestId"] = req
            d["type"] = "assistant"
            u = uuid4(rng)
            d["uuid"] = u
            d["timestamp"] = self.tick(0.05, 3)
            self.emit(d)
            self.parent = u

    def tool_input(self, name: str) -> tuple[str, dict]:
        rng = self.rng
        p = self.p
        if name == "Read":
            k = rng.randrange(len(p.files))
            self.files_read.append(k)
            inp = {"file_path": self.cwd + "/" + p.files[k][0]}
            if rng.random() < 0.2:
                inp["offset"] = rng.randint(1, 200)
                inp["limit"] = rng.randint(50, 500)
            return name, inp
        if name == "Bash":
            inp = {"command": rng.choice(BASH_CMDS) + (" && " + rng.choice(BASH_CMDS) if rng.random() < 0.3 else ""),
                   "description": rng.choice(p.sentences)[:60]}
            if rng.random() < 0.2:
                inp["timeout"] = 120000
            return name, inp
        if name == "Edit":
            k = rng.choice(self.files_read) if self.files_read else rng.randrange(len(p.files))
            text = p.files[k][1]
            a = rng.randrange(max(1, len(text) - 200)) if len(text) > 200 else 0
            old = text[a:a + rng.randint(20, 400)]
            return name, {"file_path": self.cwd + "/" + p.files[k][0], "old_string": old,
                          "new_string": old.replace("e", "é", 1) + "\n" + Pools._code_line(rng),
                          **({"replace_all": True} if rng.random() < 0.05 else {})}
        if name == "MultiEdit":
            k = rng.randrange(len(p.files))
            return name, {"file_path": self.cwd + "/" + p.files[k][0],
                          "edits": [{"old_string": Pools._code_line(rng), "new_string": Pools._code_line(rng),
                                     "replace_all": rng.random() < 0.1} for _ in range(rng.randint(2, 6))]}
        if name == "Write":
            k = rng.randrange(len(p.files))
            return name, {"file_path": self.cwd + "/" + p.files[k][0], "content": p.files[k][1]}
        if name == "Grep":
            inp = {"pattern": rng.choice(["TODO|FIXME", r"fn\s+\w+", "import .* from", r"\bcache\b", "error"]),
                   "path": self.cwd + "/src", "output_mode": rng.choice(["content", "files_with_matches", "count"])}
            if rng.random() < 0.5:
                inp["-n"] = True
                inp["glob"] = "*" + rng.choice(EXTS)
            return name, inp
        if name == "Glob":
            return name, {"pattern": "**/*" + rng.choice(EXTS), "path": self.cwd}
        if name == "TodoWrite":
            st = ["pending", "in_progress", "completed"]
            return name, {"todos": [{"content": t, "status": rng.choice(st), "activeForm": "Working on " + t[:30]}
                                    for t in self.todos]}
        if name == "WebFetch":
            return name, {"url": f"https://docs.example.com/{rng.choice(WORDS)}/{rng.choice(WORDS)}",
                          "prompt": rng.choice(p.sentences)}
        if name == "WebSearch":
            return name, {"query": " ".join(rng.sample(WORDS, 4)), "allowed_domains": ["docs.python.org"]}
        if name == "Task":
            tool = "Task" if not self.new_style or rng.random() < 0.5 else "Agent"
            return tool, {"description": rng.choice(p.sentences)[:50], "prompt": rng.choice(p.paragraphs),
                          "subagent_type": rng.choice(SUBAGENTS)}
        if name == "Skill":
            return name, {"skill": rng.choice(SKILLS)} if rng.random() < 0.8 else {"name": rng.choice(SKILLS), "args": ""}
        if name == "MCP":
            tool = rng.choice(MCP_TOOLS)
            return tool, {"owner": rng.choice(USERS), "repo": self.project, "title": rng.choice(p.sentences),
                          "body": rng.choice(p.paragraphs), "labels": rng.sample(["bug", "perf", "ui", "p1"], 2),
                          "options": {"draft": False, "assignees": [rng.choice(USERS)], "meta": {"source": "claude"}}}
        if name == "NotebookEdit":
            return name, {"notebook_path": self.cwd + "/analysis.ipynb", "cell_id": b62(rng, 8),
                          "new_source": "\n".join(Pools._code_line(rng) for _ in range(5)), "edit_mode": "replace"}
        return name, {"plan": rng.choice(p.paragraphs)}

    def tool_result(self, tid: str, name: str, inp: dict, is_error: bool) -> tuple[object, object]:
        """(message content for the tool_result item, toolUseResult value)."""
        rng = self.rng
        p = self.p
        if is_error:
            msg = rng.choice(ERRORS).format(s=rng.choice(p.bash_outputs)[:600])
            return msg, "Error: " + msg
        if name == "Read":
            k = self.files_read[-1] if self.files_read else 0
            path, text, numbered, n = p.files[k]
            return numbered, {"type": "text", "file": {"filePath": inp["file_path"], "content": text,
                                                      "numLines": n, "startLine": 1, "totalLines": n}}
        if name == "Bash":
            out = rng.choice(p.bash_outputs)
            return out, {"stdout": out, "stderr": "", "interrupted": False, "isImage": False}
        if name in ("Edit", "MultiEdit"):
            k = rng.randrange(len(p.files))
            path, text, numbered, n = p.files[k]
            snippet = "\n".join(numbered.split("\n")[:12])
            res = {"filePath": inp["file_path"], "oldString": inp.get("old_string", ""),
                   "newString": inp.get("new_string", ""), "originalFile": text,
                   "structuredPatch": [{"oldStart": 3, "oldLines": 4, "newStart": 3, "newLines": 5,
                                        "lines": [" " + l for l in text.split("\n")[:4]] + ["+" + Pools._code_line(rng)]}],
                   "userModified": False, "replaceAll": False}
            return (f"The file {inp['file_path']} has been updated. Here's the result of running `cat -n` on a "
                    f"snippet of the edited file:\n{snippet}"), res
        if name == "Write":
            return f"File created successfully at: {inp['file_path']}", {"type": "create", "filePath": inp["file_path"],
                                                                        "content": inp["content"], "structuredPatch": []}
        if name in ("Grep", "Glob"):
            names = [self.cwd + "/" + p.files[rng.randrange(len(p.files))][0] for _ in range(rng.randint(0, 40))]
            return "\n".join(names) if names else "No files found", {"filenames": names, "durationMs": rng.randint(1, 90),
                                                                      "numFiles": len(names), "truncated": False}
        if name == "TodoWrite":
            return ("Todos have been modified successfully. Ensure that you continue to use the todo list to track "
                    "your progress. Please proceed with the current tasks if applicable"), {
                        "oldTodos": [], "newTodos": inp["todos"]}
        if name in ("Task", "Agent"):
            text = rng.choice(p.long_texts)
            return [{"type": "text", "text": text}], {"status": "completed", "prompt": inp["prompt"],
                                                      "content": [{"type": "text", "text": text}],
                                                      "totalDurationMs": rng.randint(5000, 300000),
                                                      "totalTokens": rng.randint(1000, 90000), "totalToolUseCount": 7}
        text = rng.choice(p.paragraphs)
        return [{"type": "text", "text": text}], {"result": text, "durationMs": rng.randint(10, 3000)}

    def progress(self, data: dict, tool_id: str) -> None:
        d = self.head()
        d["type"] = "progress"
        d["data"] = data
        d["toolUseID"] = tool_id
        d["parentToolUseID"] = tool_id
        d["uuid"] = uuid4(self.rng)
        d["timestamp"] = self.tick(0.01, 0.5)
        self.emit(d)

    def system(self, subtype: str, **extra) -> None:
        d = self.head()
        d["type"] = "system"
        d["subtype"] = subtype
        d.update(extra)
        u = uuid4(self.rng)
        d["uuid"] = u
        d["timestamp"] = self.tick(0.01, 0.3)
        d["isMeta"] = False
        self.emit(d)
        self.parent = u

    def step(self) -> bool:
        """One assistant response and the results of its tool uses. False when it ends the turn."""
        rng = self.rng
        p = self.p
        blocks = []
        if rng.random() < 0.25:
            blocks.append({"type": "thinking", "thinking": rng.choice(p.thinking), "signature": rng.choice(p.signatures)})
        if rng.random() < 0.35:
            blocks.append({"type": "text", "text": rng.choice(p.sentences if rng.random() < 0.7 else p.paragraphs)})
        ends = rng.random() < 0.12
        uses = []
        if not ends:
            n = 1 if rng.random() < 0.75 else rng.randint(2, 3)
            for _ in range(n):
                name, inp = self.tool_input(weighted(rng, TOOLS))
                tid = self.tool_id()
                uses.append((tid, name, inp))
                blocks.append({"type": "tool_use", "id": tid, "name": name, "input": inp})
        if not blocks:
            blocks.append({"type": "text", "text": rng.choice(p.sentences)})
        self.assistant(blocks)
        for tid, name, inp in uses:
            if self.new_style and rng.random() < 0.5:
                ev = rng.choice(HOOK_EVENTS)
                self.progress({"type": "hook_progress", "hookEvent": ev, "hookName": f"{ev}:{name}",
                               "command": f"$CLAUDE_PROJECT_DIR/.claude/hooks/{rng.choice(WORDS)}.sh"}, tid)
            if name == "Bash" and self.new_style and rng.random() < 0.4:
                for s in range(rng.randint(1, 4)):
                    out = rng.choice(p.bash_outputs)[:2000]
                    self.progress({"type": "bash_progress", "output": out[-400:], "fullOutput": out,
                                   "elapsedTimeSeconds": s + 1, "totalLines": out.count("\n") + 1}, tid)
            if name in ("Task", "Agent"):
                self.subagent(tid, inp)
            is_error = rng.random() < 0.08
            content, tur = self.tool_result(tid, name, inp, is_error)
            d = self.head()
            d["type"] = "user"
            item = {"tool_use_id": tid, "type": "tool_result", "content": content}
            if is_error or rng.random() < 0.6:
                item["is_error"] = is_error
            d["message"] = {"role": "user", "content": [item]}
            u = uuid4(rng)
            d["uuid"] = u
            d["timestamp"] = self.tick(0.2, 25)
            d["toolUseResult"] = tur
            self.emit(d)
            self.parent = u
        return not ends

    def subagent(self, tid: str, inp: dict) -> None:
        rng = self.rng
        if self.agent:
            return
        if self.new_style:
            aid = "%08x" % rng.getrandbits(32)
            for _ in range(rng.randint(1, 3)):
                name, sub_inp = self.tool_input(weighted(rng, TOOLS[:8]))
                self.progress({"type": "agent_progress", "agentId": aid, "prompt": inp.get("prompt", ""),
                               "message": {"type": "assistant", "timestamp": iso(self.now), "uuid": uuid4(rng),
                                           "message": {"model": SUBAGENT_MODEL, "id": "msg_01" + b62(rng, 22),
                                                       "type": "message", "role": "assistant",
                                                       "content": [{"type": "tool_use", "id": self.tool_id(),
                                                                    "name": name, "input": sub_inp}],
                                                       "usage": self.usage(rng.randint(1, 300))}},
                               "normalizedMessages": []}, tid)
            self.agents.append((aid, inp.get("prompt", "")))
        else:
            # Older layout: the sidechain is inline, flagged isSidechain.
            keep = self.parent
            self.sidechain = True
            self.parent = None
            d = self.head()
            d["type"] = "user"
            d["message"] = {"role": "user", "content": inp.get("prompt", "")}
            d["uuid"] = self.parent = uuid4(rng)
            d["timestamp"] = self.tick(0.1, 1)
            self.emit(d)
            for _ in range(rng.randint(1, 4)):
                self.step()
            self.sidechain = False
            self.parent = keep

    def turn(self) -> None:
        rng = self.rng
        if rng.random() < 0.25:
            self.now += rng.randint(11 * 60, 180 * 60) * 1000  # a break longer than 10 minutes
        else:
            self.now += rng.randint(5, 240) * 1000
        if self.new_style and rng.random() < 0.05 and not self.agent:
            self.emit({"type": "queue-operation", "operation": "enqueue", "timestamp": iso(self.now),
                       "content": rng.choice(p_sent(self.p)), "sessionId": self.sid})
        self.user_prompt()
        for _ in range(rng.randint(1, 25)):
            if not self.step() or self.size >= self.target:
                break
        if self.new_style:
            r = rng.random()
            if r < 0.5:
                self.system("turn_duration", durationMs=rng.randint(2000, 900000))
            elif r < 0.55:
                self.system("local_command", content="<local-command-stdout>" + rng.choice(self.p.sentences) +
                            "</local-command-stdout>", level="info")
            elif r < 0.58:
                self.system("api_error", level="error", error={"status": 529, "error": {
                    "type": "overloaded_error", "message": "Overloaded"}}, retryInMs=rng.randint(500, 9000),
                            retryAttempt=rng.randint(1, 5), maxRetries=10)
            elif r < 0.60:
                self.system("compact_boundary", content="Conversation compacted", level="info",
                            compactMetadata={"trigger": "auto", "preTokens": rng.randint(100000, 180000)})

    def run(self) -> list[str]:
        rng = self.rng
        if not self.new_style and not self.agent and rng.random() < 0.5:
            for _ in range(rng.randint(1, 3)):
                self.emit({"type": "summary", "summary": rng.choice(self.p.sentences)[:80], "leafUuid": uuid4(rng)})
        if self.agent:
            d = self.head()
            d["type"] = "user"
            d["message"] = {"role": "user", "content": self.agent_prompt}
            d["uuid"] = self.parent = uuid4(rng)
            d["timestamp"] = iso(self.now)
            self.emit(d)
            while self.size < self.target:
                if not self.step():
                    break
        else:
            while self.size < self.target:
                self.turn()
        return self.out


def p_sent(pools: Pools) -> list[str]:
    return pools.sentences


def plan_files(rng: random.Random, total: int, files: int) -> list[int]:
    weights = [rng.lognormvariate(0, 1.25) for _ in range(files)]
    s = sum(weights)
    return [max(3000, int(total * w / s)) for w in weights]


def write_lines(path: str, lines: list[str]) -> int:
    data = ("\n".join(lines) + "\n").encode("utf-8")
    with open(path, "wb", buffering=BUF) as f:
        f.write(data)
    return len(data)


def generate(out: str, mb: float, seed: int, files: int | None, quiet: bool = False) -> dict:
    total = int(mb * 1_000_000)
    # Sessions are session files proper; agent files come on top (about 10% of the bytes).
    files = files or max(1, round(mb * 1.4))
    master = random.Random(seed)
    pools = Pools(seed)
    sizes = plan_files(master, int(total * 0.92), files)
    os.makedirs(out, exist_ok=True)
    user_projects = {u: master.sample(PROJECTS, master.randint(2, 5)) for u in USERS}
    stats = {"files": 0, "bytes": 0, "lines": 0}
    t0 = time.time()
    base_ms = 1_748_736_000_000  # 2025-06-01T00:00:00Z
    i = -1
    while True:
        i += 1
        if i < len(sizes):
            target = sizes[i]
        elif stats["bytes"] < total:
            # Top up to at least `total` bytes with sessions of the median planned size.
            target = min(sorted(sizes)[len(sizes) // 2], total - stats["bytes"]) + 3000
        else:
            break
        rng = random.Random(seed * 1_000_003 + i)
        user = USERS[i % len(USERS)] if i < len(USERS) else rng.choice(USERS)
        project = rng.choice(user_projects[user])
        folder = os.path.join(out, user, "-home-" + user + "-src-" + project)
        os.makedirs(folder, exist_ok=True)
        sid = uuid4(rng)
        start = base_ms + rng.randint(0, 180 * 86400) * 1000
        s = Session(pools, rng, user, project, sid, start, target)
        lines = s.run()
        stats["bytes"] += write_lines(os.path.join(folder, sid + ".jsonl"), lines)
        stats["lines"] += len(lines)
        stats["files"] += 1
        budget = max(0, int(target * 0.12))
        for aid, prompt in s.agents:
            if budget <= 0:
                break
            size = min(budget, int(rng.lognormvariate(10.5, 1.0)))  # median ~36 KB
            a = Session(pools, rng, user, project, sid, s.now - rng.randint(0, 3_600_000), size, agent=aid,
                        version=s.version, parent_cwd=s.cwd)
            a.agent_prompt = prompt
            alines = a.run()
            stats["bytes"] += write_lines(os.path.join(folder, f"agent-{aid}.jsonl"), alines)
            stats["lines"] += len(alines)
            stats["files"] += 1
            budget -= a.size
        if not quiet and (i + 1) % 50 == 0:
            print(f"  {i + 1}/{len(sizes)} sessions, {stats['bytes'] / 1e6:.0f} MB, {time.time() - t0:.1f}s",
                  file=sys.stderr)
    stats["seconds"] = round(time.time() - t0, 2)
    return stats


def generate_huge(out: str, mb: float, seed: int) -> dict:
    """One file of `mb` MB: a single very long session."""
    total = int(mb * 1_000_000)
    pools = Pools(seed)
    rng = random.Random(seed)
    sid = uuid4(rng)
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    stats = {"files": 1, "bytes": 0, "lines": 0}
    s = Session(pools, rng, "alice", "monorepo", sid, 1_748_736_000_000, 0)
    s.agent_prompt = ""
    with open(out, "wb", buffering=BUF) as f:
        while stats["bytes"] < total:
            s.out = []
            s.size = 0
            s.target = 1 << 60
            for _ in range(50):
                s.turn()
            data = ("\n".join(s.out) + "\n").encode("utf-8")
            f.write(data)
            stats["bytes"] += len(data)
            stats["lines"] += len(s.out)
    return stats


def concat(src: str, out: str, copies: int) -> dict:
    """`copies` times every *.jsonl file of `src` (sorted), into one file."""
    paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(src) for f in fs if f.endswith(".jsonl"))
    stats = {"files": 1, "bytes": 0}
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "wb") as dst:
        for _ in range(copies):
            for p in paths:
                with open(p, "rb") as f:
                    shutil.copyfileobj(f, dst, BUF)
    stats["bytes"] = os.path.getsize(out)
    return stats


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="output folder (or file with --huge / --concat)")
    ap.add_argument("--mb", type=float, default=300, help="approximate size in MB (10^6 bytes)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--files", type=int, default=None, help="number of session files (default: 1.4 per MB)")
    ap.add_argument("--huge", action="store_true", help="write one single-session file of --mb MB to --out")
    ap.add_argument("--concat", metavar="DIR", help="write DIR's *.jsonl files, --copies times, into the file --out")
    ap.add_argument("--copies", type=int, default=1)
    ap.add_argument("--quiet", action="store_true")
    a = ap.parse_args()
    if a.concat:
        stats = concat(a.concat, a.out, a.copies)
    elif a.huge:
        stats = generate_huge(a.out, a.mb, a.seed)
    else:
        stats = generate(a.out, a.mb, a.seed, a.files, a.quiet)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
