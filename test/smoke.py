#!/usr/bin/env python3
"""Run test/smoke.sql in one DuckDB and compare with test/smoke.expected.

    python test/smoke.py --extension EXT [--expect-version V] [--update]   # Python duckdb
    python test/smoke.py --cli DUCKDB --extension EXT [--expect-version V] # a DuckDB CLI
    python test/smoke.py --wheel [--expect-version V]                      # installed claude_usage wheel

test/smoke.sql holds one smoke query a line, each ending in a comment naming the SQL
objects it covers:  <SQL statements>  -- covers: name[, name ...]
Macros in the extension's catalog are named claude_usage.<macro>, settings by their name.
Lines starting with `--` and blank lines are ignored. A line may hold several statements
(e.g. SET then SELECT); only the last one returns the rows that are compared. Paths are
relative to the repository root (the runner works from there). Each query runs in a fresh
in-memory database with the extension loaded.

Before the queries the runner lists what the extension registers (duckdb_functions() and
duckdb_settings() after LOAD, minus a database without it) and fails when something is
not covered by a line, or a line covers something that is not registered.

Results are rendered by DuckDB itself (every column cast to VARCHAR; NULL as `NULL`, the
empty string as `(empty)`), so the expected file is the same for every DuckDB: Python
1.5.6 and 2.0.x and the CLI must all produce it byte for byte. --update rewrites it.
Prints one line: `compat duckdb 1.5.6 (python): 9/9 smoke queries ok`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SMOKE_SQL = REPO / "test" / "smoke.sql"
SMOKE_EXPECTED = REPO / "test" / "smoke.expected"
COVERS = re.compile(r"--\s*covers:\s*(?P<names>[^\n]*)$")

FUNCTIONS_SQL = (
    "SELECT DISTINCT CASE WHEN database_name IN ('system', 'temp') THEN function_name "
    "ELSE database_name || '.' || function_name END AS name FROM duckdb_functions()"
)
SETTINGS_SQL = "SELECT name FROM duckdb_settings()"


class SmokeError(Exception):
    pass


# ---------------------------------------------------------------------------------------
# test/smoke.sql


class Query:
    def __init__(self, line_no: int, sql: str, covers: list[str]):
        self.line_no = line_no
        self.sql = sql
        self.covers = covers
        self.statements = split_statements(sql)
        if not self.statements:
            raise SmokeError(f"test/smoke.sql:{line_no}: no SQL before the covers comment")

    def script(self) -> list[str]:
        """The statements to run; the last one wrapped so DuckDB renders every value."""
        *setup, last = self.statements
        wrapped = f"SELECT COLUMNS(*)::VARCHAR FROM ({last}) AS smoke_query"
        return setup + [wrapped]


def split_statements(sql: str) -> list[str]:
    """Split at top-level semicolons (outside quotes and comments)."""
    out, cur, i, n = [], [], 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            cur.append(sql[i : j + 1])
            i = j + 1
        elif sql.startswith("--", i):
            break  # a line comment runs to the end of the (single-line) query
        elif ch == ";":
            out.append("".join(cur).strip())
            cur = []
            i += 1
        else:
            cur.append(ch)
            i += 1
    out.append("".join(cur).strip())
    return [s for s in out if s]


def read_smoke_sql() -> list[Query]:
    queries = []
    for line_no, raw in enumerate(SMOKE_SQL.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("--"):
            continue
        m = COVERS.search(line)
        if not m:
            raise SmokeError(f"test/smoke.sql:{line_no}: a query line must end in `-- covers: <names>`")
        names = [n.strip() for n in m.group("names").split(",") if n.strip()]
        if not names:
            raise SmokeError(f"test/smoke.sql:{line_no}: `-- covers:` names nothing")
        sql = line[: m.start()].strip()
        lowered = sql.lower()
        for name in names:
            if name.lower() not in lowered:
                raise SmokeError(f"test/smoke.sql:{line_no}: covers {name} but its SQL does not use it")
        queries.append(Query(line_no, sql, names))
    if not queries:
        raise SmokeError("test/smoke.sql has no queries")
    return queries


# ---------------------------------------------------------------------------------------
# Rendering and the expected file


def render_value(value) -> str:
    if value is None:
        return "NULL"
    if value == "":
        return "(empty)"
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def render(columns: list[str], rows: list[list]) -> str:
    lines = ["\t".join(columns)]
    lines += ["\t".join(render_value(v) for v in row) for row in rows]
    return "\n".join(lines)


def block(query: Query, result: str) -> str:
    return f"-- {', '.join(query.covers)}\n{query.sql}\n----\n{result}\n"


def read_expected() -> dict[str, str]:
    """SQL text -> rendered result."""
    if not SMOKE_EXPECTED.exists():
        raise SmokeError("test/smoke.expected is missing: run test/smoke.py --update")
    text = SMOKE_EXPECTED.read_text(encoding="utf-8")
    expected = {}
    for chunk in text.split("\n\n"):
        lines = [l for l in chunk.split("\n") if l != ""]
        lines = [l for l in lines if not l.startswith("#")]
        if not lines:
            continue
        if not lines[0].startswith("-- ") or len(lines) < 4 or lines[2] != "----":
            raise SmokeError(f"test/smoke.expected: malformed block starting {lines[0]!r}")
        expected[lines[1]] = "\n".join(lines[3:])
    return expected


# ---------------------------------------------------------------------------------------
# The DuckDBs


def sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class PythonDuckDB:
    """The `duckdb` package of this interpreter; LOAD by path, or claude_usage.connect()."""

    def __init__(self, extension: str | None, wheel: bool):
        import duckdb

        self.duckdb = duckdb
        self.extension = extension
        self.wheel = wheel
        self.version = duckdb.__version__
        self.kind = "wheel" if wheel else "python"
        if wheel:
            import claude_usage

            self.claude_usage = claude_usage
            ext = Path(claude_usage.path())
            if not ext.is_file():
                raise SmokeError(f"claude_usage.path() is not a file: {ext}")
            if (REPO / "python") in ext.resolve().parents or "site-packages" not in ext.parts:
                raise SmokeError(f"claude_usage was imported from {ext.parent}, not from an installed wheel")

    def connect(self, loaded: bool):
        if not loaded:
            return self.duckdb.connect()
        if self.wheel:
            return self.claude_usage.connect()
        con = self.duckdb.connect(config={"allow_unsigned_extensions": "true"})
        con.execute(f"LOAD {sql_string(self.extension)}")
        return con

    def names(self, loaded: bool) -> tuple[set[str], set[str]]:
        con = self.connect(loaded)
        try:
            functions = {r[0] for r in con.execute(FUNCTIONS_SQL).fetchall()}
            settings = {r[0] for r in con.execute(SETTINGS_SQL).fetchall()}
        finally:
            con.close()
        return functions, settings

    def run(self, query: Query) -> str:
        con = self.connect(True)
        try:
            *setup, last = query.script()
            for stmt in setup:
                con.execute(stmt)
            cur = con.execute(last)
            columns = [d[0] for d in cur.description]
            rows = [list(r) for r in cur.fetchall()]
        finally:
            con.close()
        return render(columns, rows)


class CliDuckDB:
    """A DuckDB CLI binary: one process per query, results as JSON."""

    def __init__(self, cli: str, extension: str):
        self.cli = cli
        self.extension = str(Path(extension).resolve())
        self.kind = "cli"
        out = subprocess.run([cli, "-version"], capture_output=True, text=True, check=True).stdout
        m = re.match(r"v?(\S+)", out.strip())
        self.version = m.group(1) if m else out.strip()

    def _json(self, statements: list[str], loaded: bool) -> list[dict]:
        script = []
        if loaded:
            script.append(f"LOAD {sql_string(self.extension)}")
        script += statements
        proc = subprocess.run(
            [self.cli, "-unsigned", "-batch", "-bail", "-json", "-c", ";\n".join(script) + ";"],
            capture_output=True, text=True, cwd=REPO,
        )
        if proc.returncode != 0 or proc.stderr.strip():
            raise SmokeError(f"the CLI failed (status {proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
        # Only the last statement returns rows (SET, CREATE ... print nothing).
        text = proc.stdout.strip()
        if not text:
            return []
        try:
            return json.loads(text, object_pairs_hook=list)
        except json.JSONDecodeError as exc:
            raise SmokeError(f"the CLI printed something that is not one JSON result: {exc}: {text[:300]}")

    def names(self, loaded: bool) -> tuple[set[str], set[str]]:
        functions = {pairs[0][1] for pairs in self._json([FUNCTIONS_SQL], loaded)}
        settings = {pairs[0][1] for pairs in self._json([SETTINGS_SQL], loaded)}
        return functions, settings

    def run(self, query: Query) -> str:
        rows = self._json(query.script(), True)
        if not rows:
            # The CLI prints [] for no rows, without the column names: ask DuckDB for them.
            *setup, last = query.script()
            described = self._json(setup + [f"SELECT column_name FROM (DESCRIBE {last})"], True)
            return render([pairs[0][1] for pairs in described], [])
        columns = [k for k, _ in rows[0]]
        return render(columns, [[v for _, v in pairs] for pairs in rows])


# ---------------------------------------------------------------------------------------


def check_coverage(db, queries: list[Query]) -> None:
    with_fn, with_set = db.names(True)
    without_fn, without_set = db.names(False)
    registered = (with_fn - without_fn) | (with_set - without_set)
    if not registered:
        raise SmokeError("LOAD registered no functions: is this the extension?")
    covered = {name for q in queries for name in q.covers}
    missing = sorted(registered - covered, key=str.lower)
    stale = sorted(covered - registered, key=str.lower)
    problems = []
    if missing:
        problems.append("registered by the extension but covered by no line of test/smoke.sql: " + ", ".join(missing))
    if stale:
        problems.append("test/smoke.sql covers what the extension does not register: " + ", ".join(stale))
    if problems:
        raise SmokeError("; ".join(problems))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--extension", help="the .duckdb_extension file (not with --wheel)")
    ap.add_argument("--cli", help="run in this DuckDB CLI instead of the Python package")
    ap.add_argument("--wheel", action="store_true", help="load through the installed package: claude_usage.connect()")
    ap.add_argument("--expect-version", help="fail unless the DuckDB is this version")
    ap.add_argument("--update", action="store_true", help="rewrite test/smoke.expected from this DuckDB")
    args = ap.parse_args()
    os.chdir(REPO)

    label = "wheel" if args.wheel else "compat"
    try:
        if args.wheel:
            if args.extension or args.cli:
                ap.error("--wheel takes neither --extension nor --cli")
            db = PythonDuckDB(None, wheel=True)
        elif not args.extension:
            ap.error("--extension is required")
        elif args.cli:
            db = CliDuckDB(args.cli, args.extension)
        else:
            db = PythonDuckDB(str(Path(args.extension).resolve()), wheel=False)
        name = f"{label} duckdb {db.version} ({'cli' if db.kind == 'cli' else 'python'})"
        if args.expect_version and db.version != args.expect_version:
            raise SmokeError(f"expected DuckDB {args.expect_version}, this is {db.version}")

        queries = read_smoke_sql()
        check_coverage(db, queries)

        results = []
        for q in queries:
            try:
                results.append(db.run(q))
            except SmokeError:
                raise
            except Exception as exc:  # the DuckDB error, whatever its class
                raise SmokeError(f"test/smoke.sql:{q.line_no} ({', '.join(q.covers)}) failed: {exc}")

        if args.update:
            header = "# Written by `test/smoke.py --update`; every DuckDB of `make compat` must give exactly this.\n\n"
            SMOKE_EXPECTED.write_text(header + "\n".join(block(q, r) for q, r in zip(queries, results)), encoding="utf-8")
            print(f"{name}: wrote test/smoke.expected ({len(queries)} queries)")
            return 0

        expected = read_expected()
        failures = []
        for q, got in zip(queries, results):
            want = expected.get(q.sql)
            if want is None:
                failures.append(f"test/smoke.sql:{q.line_no} ({', '.join(q.covers)}): no expected result (run --update)")
            elif want != got:
                failures.append(
                    f"test/smoke.sql:{q.line_no} ({', '.join(q.covers)}): result differs\n"
                    f"  expected:\n    " + want.replace("\n", "\n    ") + "\n  got:\n    " + got.replace("\n", "\n    ")
                )
        ok = len(queries) - len(failures)
        suffix = " through claude_usage.connect()" if args.wheel else ""
        if failures:
            print(f"{name}: {ok}/{len(queries)} smoke queries ok{suffix}: FAILED")
            for f in failures:
                print("  " + f, file=sys.stderr)
            return 1
        print(f"{name}: {ok}/{len(queries)} smoke queries ok{suffix}")
        return 0
    except SmokeError as exc:
        where = name if "name" in locals() else label
        print(f"{where}: FAILED: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
