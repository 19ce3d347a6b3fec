#!/usr/bin/env python3
"""Writes a deterministic synthetic Claude Code `projects/` tree for the ccusage comparison.

    python3 test/peer/gen_tree.py --out build/peer/trees/generated-1 --seed 1

writes <out>/projects/<project>/<session>.jsonl (+ <session>/subagents/agent-<id>.jsonl) and
<out>/expected.json (what the generator meant: requests, tokens per day and model), from a seeded
random.Random only (no clock, no environment): the same seed gives the same bytes.

What is in it (see /work/notes/ccusage_rules.md for why each rule is safe):
  * 4 projects, sessions over ~9 UTC days, several of them running across midnight, pauses of
    more than 5 h between sessions (blocks get gap rows) and one long session that outlives its
    5-hour block without a pause (a new block without a gap);
  * models priced the same by ccusage and by list prices: opus-4-5, opus-4-6, opus-4-1,
    sonnet-4-5, sonnet-4-6, haiku-4-5 (one spelling per model);
  * one API request = 1-3 lines sharing (message.id, requestId): identical usage (all lines at
    the same timestamp) or usage growing line by line (output_tokens grows, later timestamps);
  * a resumed session: a new session file that starts with byte-for-byte copies of the previous
    session's lines except for the sessionId, then goes on;
  * Task subagents in <session>/subagents/agent-<id>.jsonl (isSidechain, agentId, the parent's
    sessionId) and, in the parent file, one `agent_progress` line per subagent request that embeds
    the request's *final* line (same usage, timestamp and requestId; like Claude Code 2.1 it has
    no isSidechain of its own);
  * 5m and 1h cache writes (usage.cache_creation.ephemeral_*), cache reads, server_tool_use with
    zero web searches, service_tier, speed "standard";
  * lines without usage around them (user prompts, tool results, system, summary).
Not in it (deliberate differences): <synthetic>, speed "fast", web searches > 0, requests over
180,000 prompt tokens, lines without requestId, equal-total duplicates with different content,
JSON with spaces after ':'.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import uuid
from collections import defaultdict
from datetime import datetime, timedelta, timezone

MODELS = [
    "claude-opus-4-5-20251101",
    "claude-opus-4-6",
    "claude-opus-4-1-20250805",
    "claude-sonnet-4-5-20250929",
    "claude-sonnet-4-6",
    "claude-haiku-4-5-20251001",
]
PROJECTS = ["-home-dev-alpha", "-home-dev-beta-service", "-srv-work-gamma", "-Users-kim-delta"]
START = datetime(2026, 3, 2, 6, 0, tzinfo=timezone.utc)
MAX_PROMPT = 180_000
VERSION = "2.1.39"


def iso(t: datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def dumps(obj) -> str:
    # Compact, like Claude Code: ccusage only looks at lines holding the bytes "usage":{
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class Gen:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.seed = seed
        self.files: dict[str, list[str]] = defaultdict(list)
        self.requests: dict[tuple[str, str], dict] = {}  # (message.id, requestId) -> final line facts

    # ids -------------------------------------------------------------------------------
    def uid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def msg_id(self) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789"
        return "msg_01" + "".join(self.rng.choice(alphabet) for _ in range(22))

    def req_id(self) -> str:
        alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789"
        return "req_011C" + "".join(self.rng.choice(alphabet) for _ in range(20))

    # lines -----------------------------------------------------------------------------
    def base(self, t: datetime, session: str, cwd: str, parent: str | None, sidechain: bool, agent: str | None):
        d = {
            "parentUuid": parent,
            "isSidechain": sidechain,
            "userType": "external",
            "cwd": cwd,
            "sessionId": session,
            "version": VERSION,
            "gitBranch": "main",
        }
        if agent:
            d["agentId"] = agent
        d["uuid"] = self.uid()
        d["timestamp"] = iso(t)
        return d

    def user_line(self, t, session, cwd, parent, sidechain=False, agent=None, text=None):
        d = self.base(t, session, cwd, parent, sidechain, agent)
        d["type"] = "user"
        d["message"] = {"role": "user", "content": text or self.rng.choice(
            ["fix the failing test", "add a flag for the output dir", "why is this slow?", "refactor the loader"])}
        return d

    def usage(self, model: str, prompt_scale: int):
        rng = self.rng
        cache_read = rng.randint(0, prompt_scale)
        w = rng.randint(0, min(30_000, MAX_PROMPT - cache_read - 5_000))
        kind = rng.random()
        if kind < 0.45:
            c5, c1 = w, 0
        elif kind < 0.85:
            c5, c1 = 0, w
        else:
            c5 = rng.randint(0, w)
            c1 = w - c5
        inp = rng.choice([1, 2, 3, 4, 6, 8, 10, rng.randint(10, 4_000)])
        out = rng.randint(1, 1_200)
        u = {
            "input_tokens": inp,
            "cache_creation_input_tokens": c5 + c1,
            "cache_read_input_tokens": cache_read,
            "cache_creation": {"ephemeral_5m_input_tokens": c5, "ephemeral_1h_input_tokens": c1},
            "output_tokens": out,
            "service_tier": "standard",
        }
        if rng.random() < 0.6:
            u["server_tool_use"] = {"web_search_requests": 0, "web_fetch_requests": 0}
        if rng.random() < 0.5:
            u["speed"] = "standard"
        assert inp + c5 + c1 + cache_read <= MAX_PROMPT
        return u

    def request(self, t: datetime, session: str, cwd: str, parent: str, model: str, project: str,
                sidechain=False, agent=None, prompt_scale=90_000):
        """One API request as 1-3 assistant lines. Returns (lines, final line, end time)."""
        rng = self.rng
        mid, rid = self.msg_id(), self.req_id()
        final_usage = self.usage(model, prompt_scale)
        n = rng.choice([1, 1, 2, 2, 3])
        growing = n > 1 and rng.random() < 0.6
        fo = final_usage["output_tokens"]
        if growing and fo > n:
            outs = sorted(rng.sample(range(1, fo), n - 1)) + [fo]  # strictly growing, last is largest
        else:
            growing = False
            outs = [fo] * n
        lines = []
        for i in range(n):
            u = json.loads(json.dumps(final_usage))
            u["output_tokens"] = outs[i]
            # growing: later lines later; identical usage: identical timestamp, so which copy is
            # kept cannot matter
            lt = t + timedelta(milliseconds=700 * i + rng.randint(0, 300)) if growing else t
            block = rng.choice([
                {"type": "thinking", "thinking": "...", "signature": "sig"},
                {"type": "text", "text": "Done."},
                {"type": "tool_use", "id": "toolu_01" + self.uid().replace("-", "")[:22], "name": "Bash",
                 "input": {"command": "ls"}},
            ])
            d = self.base(lt, session, cwd, parent, sidechain, agent)
            d["message"] = {"model": model, "id": mid, "type": "message", "role": "assistant",
                            "content": [block], "stop_reason": None, "stop_sequence": None, "usage": u}
            d["requestId"] = rid
            d["type"] = "assistant"
            parent = d["uuid"]
            lines.append(d)
        final = lines[-1]
        self.requests[(mid, rid)] = {
            "timestamp": final["timestamp"], "model": model, "project": project,
            "usage": final["message"]["usage"], "sidechain": sidechain,
        }
        end = datetime.strptime(final["timestamp"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
        return lines, final, end

    # sessions --------------------------------------------------------------------------
    def session(self, project: str, start: datetime, turns: int, model_pool, gap_minutes=(1, 25),
                subagents=0, prefix_lines=None, session_id=None):
        rng = self.rng
        sid = session_id or self.uid()
        cwd = "/" + project.strip("-").replace("-", "/")
        rel = f"{project}/{sid}.jsonl"
        out = self.files[rel]
        if prefix_lines:
            for l in prefix_lines:
                c = dict(l)
                c["sessionId"] = sid
                out.append(dumps(c))
        t = start
        parent = None
        model = rng.choice(model_pool)
        sub_turns = sorted(rng.sample(range(turns), min(subagents, turns)))
        for k in range(turns):
            if rng.random() < 0.15:
                model = rng.choice(model_pool)
            u = self.user_line(t, sid, cwd, parent)
            out.append(dumps(u))
            parent = u["uuid"]
            t += timedelta(seconds=rng.randint(1, 20))
            lines, final, end = self.request(t, sid, cwd, parent, model, project)
            out.extend(dumps(l) for l in lines)
            parent = final["uuid"]
            t = end
            if k in sub_turns:
                parent, t = self.subagent(project, sid, cwd, parent, t, out)
            t += timedelta(minutes=rng.randint(*gap_minutes), seconds=rng.randint(0, 59),
                           milliseconds=rng.randint(0, 999))
        if rng.random() < 0.5:
            out.append(dumps({"type": "summary", "summary": "Work on the loader", "leafUuid": parent}))
        return sid, t

    def subagent(self, project, sid, cwd, parent, t, out):
        """A Task call: subagent file with its own requests, agent_progress copies in the parent."""
        rng = self.rng
        agent = "a" + "".join(rng.choice("0123456789abcdef") for _ in range(6))
        sub_rel = f"{project}/{sid}/subagents/agent-{agent}.jsonl"
        sub = self.files[sub_rel]
        tool_id = "toolu_01" + self.uid().replace("-", "")[:22]
        st = t + timedelta(seconds=rng.randint(1, 5))
        u = self.user_line(st, sid, cwd, None, sidechain=True, agent=agent, text="Explore the repository layout")
        sub.append(dumps(u))
        sparent = u["uuid"]
        model = rng.choice(["claude-haiku-4-5-20251001", "claude-sonnet-4-5-20250929", "claude-opus-4-6"])
        for _ in range(rng.randint(1, 4)):
            st += timedelta(seconds=rng.randint(2, 40))
            lines, final, end = self.request(st, sid, cwd, sparent, model, project, sidechain=True,
                                             agent=agent, prompt_scale=40_000)
            sub.extend(dumps(l) for l in lines)
            sparent = final["uuid"]
            st = end
            # Claude Code mirrors the subagent's message into the parent as a progress line
            prog = {
                "parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": cwd,
                "sessionId": sid, "version": VERSION, "gitBranch": "main", "type": "progress",
                "data": {"message": {"type": "assistant", "timestamp": final["timestamp"],
                                     "requestId": final["requestId"], "message": final["message"],
                                     "uuid": final["uuid"]},
                         "normalizedMessages": [], "type": "agent_progress", "prompt": "Explore",
                         "agentId": agent},
                "toolUseID": tool_id, "parentToolUseID": tool_id, "uuid": self.uid(),
                "timestamp": iso(st + timedelta(milliseconds=1)),
            }
            out.append(dumps(prog))
            r = self.user_line(st + timedelta(seconds=1), sid, cwd, sparent, sidechain=True, agent=agent,
                               text="tool result")
            sub.append(dumps(r))
            sparent = r["uuid"]
            st += timedelta(seconds=1)
        res = self.user_line(st + timedelta(seconds=2), sid, cwd, parent, text="subagent done")
        res["toolUseResult"] = {"agentId": agent, "status": "completed"}
        out.append(dumps(res))
        return res["uuid"], st + timedelta(seconds=2)

    # the tree ---------------------------------------------------------------------------
    def build(self):
        rng = self.rng
        t = START + timedelta(minutes=rng.randint(0, 59))
        day = 0
        resumed_done = False
        long_done = False
        while day < 9:
            # a working day: 1-3 sessions, sometimes across midnight, pauses of > 5 h between days
            n_sessions = rng.randint(1, 3)
            for s in range(n_sessions):
                project = rng.choice(PROJECTS)
                pool = rng.sample(MODELS, rng.randint(1, 3))
                turns = rng.randint(4, 14)
                if not long_done and day == 2:
                    # one long session: requests every ~35 min for > 7 h (a new block without a gap)
                    sid, t = self.session(project, t, 13, pool, gap_minutes=(30, 40), subagents=1)
                    long_done = True
                else:
                    sid, t = self.session(project, t, turns, pool, subagents=rng.choice([0, 0, 1, 2]))
                if not resumed_done and day >= 1:
                    # resume: a new file starting with copies of the old session's lines
                    old = [json.loads(l) for l in self.files[f"{project}/{sid}.jsonl"]]
                    # only user and assistant lines are copied (progress lines stay in the old file)
                    old = [l for l in old if l.get("type") in ("user", "assistant")]
                    t += timedelta(minutes=rng.randint(20, 90))
                    self.session(project, t, rng.randint(3, 6), pool, prefix_lines=old)
                    resumed_done = True
                    t += timedelta(hours=2)
                t += timedelta(minutes=rng.randint(20, 200))
            # evening sessions reach past midnight on some days
            if rng.random() < 0.5:
                late = t.replace(hour=23, minute=rng.randint(5, 40), second=0, microsecond=0)
                if late > t:
                    t = late
                    self.session(rng.choice(PROJECTS), t, rng.randint(5, 9), rng.sample(MODELS, 2),
                                 gap_minutes=(4, 12))
            day += 1
            t = (START + timedelta(days=day)).replace(hour=rng.choice([6, 8, 9, 13]),
                                                      minute=rng.randint(0, 59))

    def write(self, out_dir: str):
        shutil.rmtree(out_dir, ignore_errors=True)
        for rel, lines in sorted(self.files.items()):
            path = os.path.join(out_dir, "projects", rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
        days: dict = defaultdict(lambda: [0, 0, 0, 0, 0])
        for r in self.requests.values():
            u = r["usage"]
            k = (r["timestamp"][:10], r["model"])
            for i, v in enumerate([u["input_tokens"], u["output_tokens"], u["cache_creation_input_tokens"],
                                   u["cache_read_input_tokens"], 1]):
                days[k][i] += v
        expected = {
            "seed": self.seed,
            "files": len(self.files),
            "requests": len(self.requests),
            "lines": sum(len(v) for v in self.files.values()),
            "days": [{"day": d, "model": m, "input": v[0], "output": v[1], "cache_creation": v[2],
                      "cache_read": v[3], "requests": v[4]} for (d, m), v in sorted(days.items())],
        }
        with open(os.path.join(out_dir, "expected.json"), "w") as f:
            json.dump(expected, f, indent=1, sort_keys=True)
        return expected


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    g = Gen(a.seed)
    g.build()
    e = g.write(a.out)
    print(f"gen_tree: seed {a.seed}: {e['files']} files, {e['lines']} lines, {e['requests']} requests, "
          f"{len(e['days'])} (day, model) buckets -> {a.out}")


if __name__ == "__main__":
    main()
