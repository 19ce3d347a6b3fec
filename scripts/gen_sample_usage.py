#!/usr/bin/env python3
"""Writes the sample sessions of test/data/sample-usage (seeded: the same files every run).

    python3 scripts/gen_sample_usage.py test/data/sample-usage

Eight sessions in three projects (-home-dev-webapp, -home-dev-api, -home-dev-docs) between
2026-05-04 and 2026-05-15, Sonnet/Opus/Haiku 4.x and one model without a price (glm-4.6), three
subagent transcripts (<session>/subagents/agent-<id>.jsonl, named by the Task result's
toolUseResult.agentId) and a failed Edit, Bash or WebFetch now and then. Claude Code's shape:
one line per content block of an assistant message, its usage repeated on each.
"""
import json, os, random, uuid, datetime as dt, sys

OUT = sys.argv[1]
rnd = random.Random(20260515)
def uid(): return str(uuid.UUID(int=rnd.getrandbits(128), version=4))
def b58(n): return "".join(rnd.choice("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz123456789") for _ in range(n))
def ts(t): return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"

MODELS = {"sonnet": "claude-sonnet-4-5-20250929", "opus": "claude-opus-4-1-20250805",
          "haiku": "claude-haiku-4-5-20251001", "glm": "glm-4.6"}
TOOLS = {  # name: (input maker, result, error result)
    "Read": (lambda f: {"file_path": f}, "     1\texport function handler() {\n     2\t  ...", None),
    "Grep": (lambda f: {"pattern": "TODO|FIXME", "path": "src", "output_mode": "files_with_matches"}, "Found 3 files", None),
    "Glob": (lambda f: {"pattern": "src/**/*.ts"}, "src/index.ts\nsrc/routes/users.ts", None),
    "Edit": (lambda f: {"file_path": f, "old_string": "return null;", "new_string": "return undefined;"},
             "The file has been updated.", "<tool_use_error>String to replace not found in file.</tool_use_error>"),
    "Write": (lambda f: {"file_path": f, "content": "// new file\n"}, "File created successfully.", None),
    "Bash": (lambda f: {"command": "npm test -- --silent", "description": "Run the tests"},
             "Tests: 42 passed, 42 total", "Error: Tests: 1 failed, 41 passed, 42 total"),
    "TodoWrite": (lambda f: {"todos": [{"content": "Fix it", "status": "in_progress", "activeForm": "Fixing it"}]},
                  "Todos have been modified successfully.", None),
    "WebFetch": (lambda f: {"url": "https://nodejs.org/api/fs.html", "prompt": "What does fs.rm do?"},
                 "fs.rm removes files and directories.", "Request failed with status code 403"),
}

class Session:
    def __init__(self, project, cwd, branch, start, agent=None, session_id=None):
        self.project, self.cwd, self.branch, self.t = project, cwd, branch, start
        self.sid = session_id or uid()
        self.agent = agent
        self.lines, self.parent = [], None

    def base(self, typ):
        d = {"parentUuid": self.parent, "isSidechain": self.agent is not None, "userType": "external",
             "cwd": self.cwd, "sessionId": self.sid, "version": "2.0.31", "gitBranch": self.branch}
        if self.agent: d["agentId"] = self.agent
        d["type"] = typ
        return d

    def step(self, lo, hi):
        self.t += dt.timedelta(seconds=rnd.uniform(lo, hi))

    def emit(self, d):
        d["uuid"] = u = uid(); d["timestamp"] = ts(self.t)
        self.lines.append(json.dumps(d, separators=(",", ":"), ensure_ascii=False)); self.parent = u

    def user(self, text):
        d = self.base("user"); d["message"] = {"role": "user", "content": text}; self.emit(d)

    def request(self, model, tool=None, error=False, ctx=30000, text="Let me look at that.", tool_input=None):
        mid, req = "msg_01" + b58(22), "req_011CV" + b58(17)
        write = rnd.randint(300, 4000); read = ctx + rnd.randint(0, 8000); out = rnd.randint(40, 900)
        usage = lambda o: {"input_tokens": rnd.choice([3, 6, 8]), "cache_creation_input_tokens": write,
                           "cache_read_input_tokens": read, "output_tokens": o, "service_tier": "standard"}
        u = usage(out)
        blocks = [{"type": "text", "text": text}]
        tid = None
        if tool:
            tid = "toolu_01" + b58(22)
            blocks.append({"type": "tool_use", "id": tid, "name": tool,
                           "input": tool_input or TOOLS[tool][0](self.cwd + "/src/" + rnd.choice(["index.ts", "routes/users.ts", "db.ts"]))})
        self.step(2, 9)
        for i, b in enumerate(blocks):
            d = self.base("assistant")
            uu = dict(u, output_tokens=out if i == len(blocks) - 1 else rnd.randint(2, 12))
            d["message"] = {"id": mid, "type": "message", "role": "assistant", "model": model, "content": [b],
                            "stop_reason": None, "stop_sequence": None, "usage": uu}
            d["requestId"] = req
            self.emit(d); self.step(0.2, 1.5)
        return tid

    def result(self, tid, content, error=False, tool_use_result=None):
        d = self.base("user")
        item = {"tool_use_id": tid, "type": "tool_result", "content": content}
        if error: item["is_error"] = True
        d["message"] = {"role": "user", "content": [item]}
        d["toolUseResult"] = tool_use_result or (("Error: " + content) if error else content)
        self.step(0.3, 20); self.emit(d)

    def work(self, model, n, ctx=30000, err=0.12, tools=("Read", "Grep", "Edit", "Bash", "Read", "Edit", "Glob", "TodoWrite")):
        for _ in range(n):
            tool = rnd.choice(tools)
            tid = self.request(model, tool, ctx=ctx)
            ok, bad = TOOLS[tool][1], TOOLS[tool][2]
            error = bad is not None and rnd.random() < err * 3
            self.result(tid, bad if error else ok, error)
            ctx += rnd.randint(500, 3000)
            self.step(5, 90)
        self.request(model, None, text="Done: the change is in place and the tests pass.", ctx=ctx)

    def write(self, path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write("\n".join(self.lines) + "\n")

def at(s): return dt.datetime.fromisoformat(s)

def session(project, cwd, branch, start, plan, sub=None):
    s = Session(project, cwd, branch, at(start))
    for prompt, model, n, *rest in plan:
        s.user(prompt); s.step(1, 4)
        s.work(MODELS[model], n, *rest)
        s.step(120, 1500)
    if sub:  # one subagent dispatch: Task in the main thread, its transcript in <session>/subagents/
        prompt, agent_type, model, n = sub
        tid = s.request(MODELS["sonnet"], "Task", ctx=40000, text="I'll ask a reviewer.",
                        tool_input={"subagent_type": agent_type, "description": prompt[:30], "prompt": prompt})
        aid = "".join(rnd.choice("0123456789abcdef") for _ in range(8))
        a = Session(project, cwd, branch, s.t, agent=aid, session_id=s.sid)
        a.user(prompt); a.work(MODELS[model], n, 12000, 0.05, ("Read", "Grep", "Glob", "Read", "Bash"))
        a.write(os.path.join(OUT, project, s.sid, "subagents", f"agent-{aid}.jsonl"))
        s.t = a.t
        text = "Two edge cases are not covered; details above."
        s.result(tid, text, tool_use_result={"status": "completed", "prompt": prompt, "agentId": aid,
                                             "content": [{"type": "text", "text": text}], "totalToolUseCount": n})
        s.request(MODELS["sonnet"], None, text="The reviewer found two gaps; both are fixed.", ctx=45000)
    s.write(os.path.join(OUT, project, s.sid + ".jsonl"))

W, A, D = "-home-dev-webapp", "-home-dev-api", "-home-dev-docs"
session(W, "/home/dev/webapp", "feat/signup", "2026-05-04T08:41:12.000",
        [("Add an email confirmation step to the signup flow.", "sonnet", 9),
         ("Now cover it with tests.", "sonnet", 6)])
session(A, "/home/dev/api", "main", "2026-05-05T13:05:40.000",
        [("Why is GET /users slow? Profile it and fix the query.", "opus", 7, 60000)])
session(W, "/home/dev/webapp", "feat/signup", "2026-05-06T09:12:03.000",
        [("Refactor the form validation into a hook.", "sonnet", 8)],
        sub=("Review src/hooks/useForm.ts for edge cases.", "code-reviewer", "haiku", 6))
session(A, "/home/dev/api", "fix/pagination", "2026-05-07T15:30:00.000",
        [("Pagination returns duplicates on page 2. Find out why.", "sonnet", 10),
         ("Write a migration for the new index.", "opus", 4, 50000)],
        sub=("Check the migration for locking problems on a big table.", "db-reviewer", "sonnet", 5))
session(D, "/home/dev/docs", "main", "2026-05-08T10:02:44.000",
        [("Update the API reference for the new pagination parameters.", "haiku", 6, 15000, 0.05, ("Read", "Edit", "WebFetch", "Glob"))])
session(A, "/home/dev/api", "main", "2026-05-13T19:47:10.000",
        [("Try the rate limiter with the local model first.", "glm", 5)])
session(W, "/home/dev/webapp", "main", "2026-05-14T08:55:30.000",
        [("Upgrade the router to v7 and fix what breaks.", "sonnet", 12, 40000)],
        sub=("Find every use of the old router API.", "Explore", "haiku", 5))
session(A, "/home/dev/api", "feat/webhooks", "2026-05-15T16:20:05.000",
        [("Add signed webhooks for order events.", "opus", 6, 50000),
         ("Add retries with backoff.", "sonnet", 7)])
