#!/usr/bin/env python3
"""A small sqllogictest runner for the claude_usage DuckDB extension, in the dialect of
DuckDB's Python sqllogictest runner (``duckdb-sqllogictest-python``, the one
extension-ci-tools runs).

Usage::

    python test/sqllogictest.py --extension build/release/claude_usage.duckdb_extension \
        [--threads N] [-v] test/sql/*.test

Only the standard library and the ``duckdb`` Python package are used.  Run it from the
repository root (``__WORKING_DIRECTORY__`` is the current directory, as in DuckDB's runner).

The dialect
-----------

Every file under ``test/sql`` must run unchanged under DuckDB's runner with the same result.
So this runner accepts what DuckDB's runner runs and *refuses* (``FAIL file:line`` with a
``dialect:`` message, before anything runs) what DuckDB's runner cannot parse, skips, or
silently does not check:

- commands: ``statement``, ``query``, ``require``, ``require-env``, ``load``, ``restart``,
  ``reconnect``, ``mode skip``/``mode unskip``, ``hash-threshold``.  Refused: ``skipif``/
  ``onlyif`` and ``halt`` (DuckDB's Python runner skips the whole file), other ``mode``\\ s,
  ``set``, ``sleep``, ``unzip``, loops, unknown words.  A one-line command must be followed
  by a blank or ``#`` line.
- keywords: ``__TEST_DIR__`` (a fresh directory per file) and ``__WORKING_DIRECTORY__``, in SQL
  and ``load`` paths only, and ``${VAR}`` after ``require-env VAR``.  Any other ``__WORD__``
  there is refused, and so is any keyword in expected results or expected error messages
  (DuckDB's runner substitutes none there).
- ``require claude_usage`` LOADs ``--extension`` (again after ``load``/``restart``);
  ``require json|parquet|icu|fts|tpch|tpcds`` are no-ops.  Anything else (``notwindows``,
  ``windows``, ...) is refused: DuckDB's Python runner reports it missing and skips the file.
  ``require-env VAR [VALUE]`` skips the file unless VAR is set (to VALUE).
- ``statement ok|error|maybe [connection]``; ``error``/``maybe`` need ``----`` and an
  expected message.  The message matches if it is a substring of the error (a leading
  ``Dependency Error: `` dropped), or ``<REGEX>:re`` / ``<!REGEX>:re``: Python ``re``, DOTALL,
  ``.*`` added at both ends, full match.  Internal errors never count as expected (stricter
  than DuckDB's runner).
- ``query <types> [nosort|rowsort|sort|valuesort|connection] [label]``: types only ``I``,
  ``T``, ``R``, one per column (a count: nothing is rounded).  ``----`` is required (without
  it DuckDB's runner checks nothing).  A label compares result hashes between queries of that
  label and nothing else, so expected rows under a label are refused.
- values: DuckDB's VARCHAR cast; ``NULL``; ``(empty)`` for ''; BOOLEAN renders as ``1``/``0``
  (sorting, hashing) and the expected text is compared by casting it to BOOLEAN (``true`` and
  ``1`` both match).  Integers, DECIMAL, BOOLEAN and TIMESTAMPTZ compare by value, DOUBLE/FLOAT
  within 1% of the actual value, everything else as exact text; ``<REGEX>:`` works per value.
  Rows: columns separated by tabs only (empty fields dropped); values one per line also work.
  ``N values hashing to <md5>`` compares the hash; ``hash-threshold N`` hashes bigger results.
- ``rowsort``/``valuesort`` sort the result (rows as lists of the rendered strings; values
  one by one), never the expected lines: expected lines not in that order are refused.

DuckDB's runner sets ``timezone='UTC'``; so does this one.  Two things this runner does not
imitate, so files using them pass here but not there (keep them few, list them in the file):
``SET enable_external_access = false`` (DuckDB's runner skips the rest of the file) and
``restart``/``load`` (DuckDB's runner re-applies every setting, and DuckDB 1.5.6 refuses
``__delta_only_variant_encoding_enabled``).  The ``ok`` line of such a file says so.

Output: ``FAIL file:line`` with the SQL and the expected/actual rows or the error for each
failing record, ``ok   path (N records)``, ``FAIL path`` or ``skip path (reason)`` per file,
and finally ``N passed, M failed`` (records), followed by ``, K skipped`` (files).  The exit
code is 1 when anything failed.
"""

import argparse
import glob
import hashlib
import math
import os
import re
import shutil
import sys
import tempfile

import duckdb

EXTENSION_NAME = "claude_usage"
CONNECT_CONFIG = {"allow_unsigned_extensions": "true", "allow_unredacted_secrets": "true"}

# DuckDB's Python runner: the extensions it treats as always present.
BUILTIN_EXTENSIONS = {"json", "fts", "tpcds", "tpch", "parquet", "icu"}
KEYWORDS = ("__TEST_DIR__", "__WORKING_DIRECTORY__")
KEYWORD_RE = re.compile(r"__[A-Z][A-Z0-9_]*__")
ENV_RE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
SORT_MODES = {"nosort": "none", "rowsort": "row", "sort": "row", "valuesort": "value"}
# what DuckDB's parser knows; the second set it knows but refuses here (see the docstring)
SUPPORTED = {"statement", "query", "require", "require-env", "load", "restart", "reconnect",
             "mode", "hash-threshold"}
REFUSED = {
    "skipif": "skipif/onlyif: DuckDB's Python runner skips the whole file",
    "onlyif": "skipif/onlyif: DuckDB's Python runner skips the whole file",
    "halt": "halt: DuckDB's Python runner skips the whole file",
    "set": "set: not used in this suite",
    "sleep": "sleep: not used in this suite",
    "unzip": "unzip: not used in this suite",
    "loop": "loops are not used in this suite",
    "foreach": "loops are not used in this suite",
    "concurrentloop": "loops are not used in this suite",
    "concurrentforeach": "loops are not used in this suite",
    "endloop": "loops are not used in this suite",
}
SINGLE_LINE_COMMANDS = {
    "hash-threshold", "halt", "mode", "set", "loop", "foreach", "concurrentloop",
    "concurrentforeach", "endloop", "require", "require-env", "load", "restart", "reconnect",
    "sleep", "unzip",
}
NUMERIC_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "FLOAT", "DOUBLE",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}
FLOAT_TYPES = {"FLOAT", "DOUBLE"}


class FileFatal(Exception):
    """A failure that stops the rest of the file."""

    def __init__(self, message, record=None):
        super().__init__(message)
        self.message = message
        self.record = record


class FileSkipped(Exception):
    """A require-env variable is missing: the file is skipped."""


# --------------------------------------------------------------------------
# Parsing (DuckDB's Python runner's parser) and the dialect checks
# --------------------------------------------------------------------------

class Record:
    """One record of a test file."""

    def __init__(self, line, tokens):
        self.line = line              # 1-based line number of the command
        self.tokens = tokens          # command line split on whitespace
        self.sql = ""
        self.sql_line = line + 1
        self.expected = None          # lines after "----", None without "----"
        self.expected_line = None     # line number of the first expected line

    @property
    def command(self):
        return self.tokens[0]

    @property
    def params(self):
        return self.tokens[1:]

    def header(self):
        return " ".join(self.tokens)


def _empty_or_comment(line):
    return not line.strip("\n") or line.startswith("#")


def parse_records(text):
    """Split a file into records; return (records, [(line, dialect error), ...])."""
    lines = text.replace("\r", "").split("\n")
    n = len(lines)
    records, errors = [], []
    i = 0
    first = True
    while True:
        if not first:
            while i < n and not _empty_or_comment(lines[i].strip()):
                i += 1
        first = False
        while i < n and _empty_or_comment(lines[i].strip()):
            i += 1
        if i >= n:
            return records, errors
        tokens = lines[i].split()
        record = Record(i + 1, tokens)
        command = tokens[0]
        if command not in SUPPORTED and command not in REFUSED:
            errors.append((i + 1, "unknown command '%s' (DuckDB's runner cannot parse the file)"
                           % command))
            i += 1
            continue
        if command in SINGLE_LINE_COMMANDS and i + 1 < n and not _empty_or_comment(lines[i + 1]):
            errors.append((i + 1, "'%s' must be followed by an empty or comment line "
                           "(DuckDB's runner cannot parse the file)" % command))
        if command in REFUSED:
            errors.append((i + 1, REFUSED[command]))
        i += 1
        if command in ("statement", "query"):
            sql = []
            while i < n and not _empty_or_comment(lines[i]) and lines[i] != "----":
                sql.append(lines[i])
                i += 1
            record.sql = "\n".join(sql)
            if i < n and lines[i].strip() == "----":
                i += 1
                record.expected = []
                record.expected_line = i + 1
                while i < n and lines[i]:
                    record.expected.append(lines[i])
                    i += 1
        records.append(record)


def dialect_errors(record):
    """What DuckDB's runner would not parse, run or check here: [(line, message), ...]."""
    errors = []
    command, params = record.command, record.params

    def keywords_in_sql(text, where, first_line):
        for offset, line in enumerate(text.split("\n")):
            for word in KEYWORD_RE.findall(line):
                if word not in KEYWORDS:
                    errors.append((first_line + offset,
                                   "unknown keyword %s in %s (DuckDB's runner knows only %s)"
                                   % (word, where, " and ".join(KEYWORDS))))

    if command == "statement":
        if not params or params[0] not in ("ok", "error", "maybe"):
            errors.append("statement must be followed by ok, error or maybe")
        elif params[0] == "ok" and record.expected:
            errors.append("only statement error can have an expected error message")
        elif params[0] != "ok" and record.expected is None:
            errors.append("statement %s needs ---- and an expected error message "
                          "(DuckDB's runner cannot parse the file without one)" % params[0])
        if not record.sql:
            errors.append("empty SQL text")
        keywords_in_sql(record.sql, "SQL", record.line + 1)
    elif command == "query":
        if not params:
            errors.append("query needs column types, e.g. 'query IT'")
        else:
            bad = sorted(set(params[0]) - set("ITR"))
            if bad:
                errors.append("column type(s) %s in '%s': DuckDB's runner knows only I, T and R "
                              "(use T for BOOLEAN)" % (", ".join(bad), params[0]))
            if len(params) > 3:
                errors.append("query takes at most types, a sort mode or connection, and a label")
        if not record.sql:
            errors.append("empty SQL text")
        keywords_in_sql(record.sql, "SQL", record.line + 1)
        if record.expected is None:
            errors.append("query without ----: DuckDB's runner does not check its result "
                          "(write the expected rows, or use statement ok)")
        elif len(params) > 2 and record.expected and not (
                len(record.expected) == 1 and is_hash(record.expected[0])):
            errors.append("label '%s': DuckDB's runner compares only the hashes of a label's "
                          "results and ignores expected rows (drop the label or the rows)" % params[2])
    elif command == "require":
        if len(params) < 1:
            errors.append("require needs a parameter")
        elif params[0].lower() != EXTENSION_NAME and params[0].lower() not in BUILTIN_EXTENSIONS:
            errors.append("require %s: DuckDB's Python runner reports it missing and skips the "
                          "file (only require %s, or one of %s)"
                          % (params[0], EXTENSION_NAME, ", ".join(sorted(BUILTIN_EXTENSIONS))))
    elif command == "require-env":
        if len(params) not in (1, 2):
            errors.append("require-env needs 1 or 2 parameters")
    elif command == "mode":
        if len(params) != 1 or params[0] not in ("skip", "unskip"):
            errors.append("mode %s: only mode skip and mode unskip" % " ".join(params))
    elif command == "hash-threshold":
        if len(params) != 1 or not params[0].isdigit():
            errors.append("hash-threshold needs a number")
    elif command == "load":
        if params:
            keywords_in_sql(params[0], "the load path", record.line)
        if len(params) > 1 and params[1] != "readonly":
            errors.append("load <path> [readonly]")

    if record.expected:
        text = "\n".join(record.expected)
        found = sorted(set(KEYWORD_RE.findall(text)) | set(ENV_RE.findall(text)))
        if found:
            errors.append("%s in an expected %s: DuckDB's runner substitutes keywords only in "
                          "SQL (match a part of the text, or use <REGEX>:)"
                          % (", ".join(found), "message" if command == "statement" else "result"))
    return [e if isinstance(e, tuple) else (record.line, e) for e in errors]


# --------------------------------------------------------------------------
# Result rendering and comparison (DuckDB's Python runner's)
# --------------------------------------------------------------------------

def is_hash(line):
    parts = line.split()
    return (len(parts) == 5 and parts[0].isdigit() and parts[1:4] == ["values", "hashing", "to"]
            and len(parts[4]) == 32 and all(c.islower() or c.isnumeric() for c in parts[4]))


def is_regex(text):
    return text.startswith("<REGEX>:") or text.startswith("<!REGEX>:")


def matches_regex(expected, actual):
    """DuckDB's runner: `.*` added at both ends, a full match, DOTALL."""
    want = expected.startswith("<REGEX>:")
    pattern = expected.split(":", 1)[1]
    if pattern[:2] != ".*":
        pattern = ".*" + pattern
    if pattern[-2:] != ".*":
        pattern = pattern + ".*"
    try:
        return bool(re.fullmatch(pattern, actual, re.DOTALL)) == want
    except re.error:
        return False


class Scratch:
    """Casts text to a type, like DuckDB's runner's `select $1::TYPE`."""

    def __init__(self):
        self._con = None

    def cast(self, value, sql_type):
        if value == "NULL":
            return "NULL"
        if self._con is None:
            self._con = duckdb.connect(":memory:")
        return self._con.execute("SELECT $1::%s" % sql_type, [value]).fetchone()[0]

    def render_boolean(self, text):
        """How DuckDB's runner prints a BOOLEAN (its VARCHAR form is cast back): 1 or 0."""
        if text == "NULL":
            return text
        return "1" if self.cast(text, "BOOLEAN") else "0"

    def equal(self, actual, expected, sql_type):
        """DuckDB's runner's compare_values."""
        if actual == expected:
            return True
        if is_regex(expected):
            return matches_regex(expected, actual)
        try:
            if sql_type in NUMERIC_TYPES or "DECIMAL" in sql_type:
                e, a = self.cast(expected, sql_type), self.cast(actual, sql_type)
                if sql_type in FLOAT_TYPES:
                    if e == a:
                        return True
                    if "NULL" in (e, a):
                        return False
                    if math.isnan(e) and math.isnan(a):
                        return True
                    return abs(e - a) <= abs(a) * 0.01 + 0.00000001
                return e == a
            if sql_type in ("BOOLEAN", "TIMESTAMP WITH TIME ZONE"):
                return self.cast(expected, sql_type) == self.cast(actual, sql_type)
        except duckdb.Error:
            return False
        return False


def render(value, sql_type, scratch):
    if value is None:
        return "NULL"
    if sql_type == "BOOLEAN":
        return scratch.render_boolean(value)
    if value == "":
        return "(empty)"
    return value.replace("\0", "\\0")


def run_query(cursor, sql, scratch):
    """Execute `sql` exactly once; return (column types, rows of rendered strings)."""
    rel = cursor.sql(sql)
    if rel is None:
        return [], []
    # materialize() runs the statement once and keeps its rows; the VARCHAR
    # projection then reads those rows without running the statement again. (DuckDB 1.5's
    # Python package has no materialize(): there the projection runs the statement, once.)
    result = rel.materialize() if hasattr(rel, "materialize") else rel
    types = [str(t) for t in result.types]
    if not types:
        return [], []
    casts = ", ".join("#%d::VARCHAR" % (i + 1) for i in range(len(types)))
    rows = [[render(v, types[c], scratch) for c, v in enumerate(row)]
            for row in result.project(casts).fetchall()]
    return types, rows


def run_statement(cursor, sql):
    """Execute `sql` to completion (so that run-time errors surface)."""
    rel = cursor.sql(sql)
    if rel is not None:
        if hasattr(rel, "materialize"):
            rel.materialize()
        else:
            rel.fetchall()


def result_hash(values):
    md5 = hashlib.md5()
    for value in values:
        md5.update(value.encode("utf-8") + b"\n")
    return "%d values hashing to %s" % (len(values), md5.hexdigest())


# --------------------------------------------------------------------------
# Running a file
# --------------------------------------------------------------------------

class FileRunner:
    def __init__(self, path, extension, threads, verbose, scratch):
        self.path = path
        self.extension = extension
        self.threads = threads
        self.verbose = verbose
        self.scratch = scratch
        self.passed = 0
        self.failed = 0
        self.notes = set()       # what DuckDB's runner does differently with this file
        self.test_dir = None
        self.env = {}
        self.db_path = ":memory:"
        self.read_only = False
        self.load_extension = False
        self.hash_threshold = 0
        self.db = None           # the database's root connection
        self.con = None          # the default connection
        self.named = {}          # named connections (cursors)
        self.labels = {}         # query label -> result hash

    # -- helpers ------------------------------------------------------------

    def substitute(self, text):
        for name, value in self.env.items():
            text = text.replace("${%s}" % name, value)
        text = text.replace("__TEST_DIR__", self.test_dir)
        return text.replace("__WORKING_DIRECTORY__", os.getcwd())

    def fail(self, record, message, sql=None, expected=None, actual=None, line=None):
        self.failed += 1
        out = ["FAIL %s:%d" % (self.path, line or record.line), record.header()]
        if sql:
            out.append(sql)
        out.append(message)
        if expected is not None:
            out.append("expected:")
            out.extend(expected)
        if actual is not None:
            out.append("actual:")
            out.extend("\t".join(row) for row in actual)
        print("\n".join(out).rstrip("\n") + "\n", flush=True)

    # -- database handling --------------------------------------------------

    def close(self):
        for cursor in self.named.values():
            cursor.close()
        self.named = {}
        if self.con is not None and self.con is not self.db:
            self.con.close()
        if self.db is not None:
            self.db.close()
        self.db = self.con = None

    def open(self):
        """(Re)open the current database; raises FileFatal on failure."""
        self.close()
        try:
            self.db = duckdb.connect(self.db_path, read_only=self.read_only,
                                     config=dict(CONNECT_CONFIG))
            self.con = self.db
            self.init_connection(self.con)
            if self.threads:
                run_statement(self.db, "SET threads=%d" % self.threads)
            if self.load_extension:
                self.load_extension_into(self.db)
        except duckdb.Error as e:
            raise FileFatal("could not open %s: %s" % (self.db_path, e))

    @staticmethod
    def init_connection(con):
        try:
            run_statement(con, "SET timezone='UTC'")
        except duckdb.Error:
            pass

    def load_extension_into(self, con):
        run_statement(con, "LOAD '%s'" % self.extension.replace("'", "''"))

    def connection(self, name):
        if name is None:
            return self.con
        if name not in self.named:
            self.named[name] = self.db.cursor()
        return self.named[name]

    def check_external_access(self):
        try:
            value = self.con.sql("SELECT current_setting('enable_external_access')").fetchall()[0][0]
        except duckdb.Error:
            return
        if value is False:
            self.notes.add("skips it: enable_external_access = false")

    # -- records ------------------------------------------------------------

    def run(self):
        """Run the file; return 'ok', 'fail' or ('skip', reason)."""
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as e:
            print("%s: %s" % (self.path, e))
            self.failed += 1
            return "fail"
        records, errors = parse_records(text)
        for record in records:
            errors.extend(dialect_errors(record))
        if errors:
            for line, message in sorted(errors):
                self.failed += 1
                print("FAIL %s:%d\ndialect: %s\n" % (self.path, line, message), flush=True)
            return "fail"
        self.test_dir = tempfile.mkdtemp(prefix="slt-")
        try:
            self.open()
            skipping = 0
            for record in records:
                if record.command == "mode":
                    skipping += 1 if record.params[0] == "skip" and not skipping else 0
                    skipping -= 1 if record.params[0] == "unskip" else 0
                    continue
                if skipping > 0:
                    continue
                if self.verbose:
                    print("  %s:%d: %s" % (self.path, record.line, record.header()), flush=True)
                self.run_record(record)
        except FileSkipped as e:
            return "fail" if self.failed else ("skip", str(e))
        except FileFatal as e:
            if e.record is not None:
                self.fail(e.record, e.message)
            else:
                self.failed += 1
                print("FAIL %s\n%s\n" % (self.path, e.message), flush=True)
            return "fail"
        finally:
            self.close()
            shutil.rmtree(self.test_dir, ignore_errors=True)
        return "fail" if self.failed else "ok"

    def run_record(self, record):
        handler = {
            "statement": self.do_statement,
            "query": self.do_query,
            "require": self.do_require,
            "require-env": self.do_require_env,
            "load": self.do_load,
            "restart": self.do_restart,
            "reconnect": self.do_reconnect,
            "hash-threshold": self.do_hash_threshold,
        }[record.command]
        try:
            handler(record)
        except (FileFatal, FileSkipped):
            raise
        except Exception as e:  # a bug or an unexpected condition: fail the record only
            self.fail(record, "runner error: %s: %s" % (type(e).__name__, e))

    def do_require(self, record):
        name = record.params[0].lower()
        if name != EXTENSION_NAME:
            self.passed += 1      # one of DuckDB's runner's always-present extensions
            return
        if not self.extension:
            raise FileFatal("require %s: no --extension given" % name, record)
        if not os.path.isfile(self.extension):
            raise FileFatal("require %s: %s does not exist" % (name, self.extension), record)
        try:
            self.load_extension_into(self.db)
        except duckdb.Error as e:
            raise FileFatal("require %s: LOAD failed: %s" % (name, e), record)
        self.load_extension = True
        self.passed += 1

    def do_require_env(self, record):
        name = record.params[0]
        value = os.environ.get(name)
        if value is None or (len(record.params) == 2 and value != record.params[1]):
            raise FileSkipped("require-env " + " ".join(record.params))
        self.env[name] = value
        self.passed += 1

    def do_hash_threshold(self, record):
        self.hash_threshold = int(record.params[0])
        self.passed += 1

    def do_load(self, record):
        self.notes.add("fails it: restart/load re-apply the settings, "
                       "DuckDB 1.5.6 refuses __delta_only_variant_encoding_enabled")
        self.close()
        self.read_only = len(record.params) > 1 and record.params[1] == "readonly"
        if record.params:
            self.db_path = self.substitute(record.params[0])
            if not self.read_only:
                for suffix in ("", ".wal"):
                    if os.path.exists(self.db_path + suffix):
                        os.remove(self.db_path + suffix)
        else:
            self.db_path, self.read_only = ":memory:", False
        try:
            self.open()
        except FileFatal as e:
            raise FileFatal(e.message, record)
        self.passed += 1

    def do_restart(self, record):
        self.notes.add("fails it: restart/load re-apply the settings, "
                       "DuckDB 1.5.6 refuses __delta_only_variant_encoding_enabled")
        try:
            self.open()
        except FileFatal as e:
            raise FileFatal(e.message, record)
        self.passed += 1

    def do_reconnect(self, record):
        for cursor in self.named.values():
            cursor.close()
        self.named = {}
        if self.con is not self.db:
            self.con.close()
        self.con = self.db.cursor()
        self.init_connection(self.con)
        self.passed += 1

    def do_statement(self, record):
        params = record.params
        self.check_external_access()
        expect = params[0]
        sql = self.substitute(record.sql)
        try:
            run_statement(self.connection(params[1] if len(params) > 1 else None), sql)
        except duckdb.Error as e:
            error = str(e)
            if expect == "ok":
                self.fail(record, "unexpected error:\n" + error, sql)
            elif isinstance(e, duckdb.InternalException) or error.startswith("INTERNAL Error"):
                self.fail(record, "internal error (never expected):\n" + error, sql)
            elif not self.error_matches(error, "\n".join(record.expected)):
                self.fail(record, "wrong error message", sql, expected=record.expected,
                          actual=[[line] for line in error.split("\n")])
            else:
                self.passed += 1
            return
        if expect == "error":
            self.fail(record, "statement succeeded but an error was expected", sql)
        else:
            self.passed += 1

    @staticmethod
    def error_matches(error, expected):
        if is_regex(expected):
            return matches_regex(expected, error)
        if expected.startswith("Dependency Error: "):
            expected = expected.split("Dependency Error: ")[1]
        return expected in error

    def do_query(self, record):
        params = record.params
        self.check_external_access()
        sort_mode, con_name, label = "none", None, None
        if len(params) > 1:
            if params[1] in SORT_MODES:
                sort_mode = SORT_MODES[params[1]]
            else:
                con_name = params[1]
        if len(params) > 2:
            label = params[2]
        sql = self.substitute(record.sql)
        try:
            types, rows = run_query(self.connection(con_name), sql, self.scratch)
        except duckdb.Error as e:
            self.fail(record, "unexpected error:\n%s" % e, sql)
            return
        if sort_mode == "row":
            rows = sorted(rows)
        elif sort_mode == "value":
            values = sorted(v for row in rows for v in row)
            ncols = max(len(types), 1)
            rows = [values[i:i + ncols] for i in range(0, len(values), ncols)]
        mismatch = self.check(record, params[0], types, rows, sort_mode, label)
        if mismatch:
            message, line = mismatch if isinstance(mismatch, tuple) else (mismatch, None)
            self.fail(record, message, sql, record.expected, rows, line=line)
        else:
            self.passed += 1

    def check(self, record, types_spec, types, rows, sort_mode, label):
        """DuckDB's runner's QueryResult.check: None, a message or (message, line)."""
        ncols = len(types)
        if not ncols:
            return "the statement returned no result columns"
        expected = record.expected
        values = [v for row in rows for v in row]
        hash_value = result_hash(values)
        hashed = len(expected) == 1 and is_hash(expected[0])
        if hashed or label is not None or (self.hash_threshold and len(values) > self.hash_threshold):
            if label is not None:
                previous = self.labels.setdefault(label, hash_value)
                if previous != hash_value:
                    return "result differs from the earlier query with label '%s' (%s <> %s)" % (
                        label, hash_value, previous)
            if hashed and expected[0] != hash_value:
                return "wrong result hash: %s" % hash_value
            if not hashed and label is None:
                return ("the result has %d values, more than hash-threshold %d: expect "
                        "'%s'" % (len(values), self.hash_threshold, hash_value))
            return None
        if len(types_spec) != ncols:
            return "query declares %d column(s) (%s) but the result has %d" % (
                len(types_spec), types_spec, ncols)

        row_wise = (ncols > 1 and len(expected) == len(rows)) or all("\t" in v for v in expected)
        if row_wise:
            expected_rows = []
            for number, line in enumerate(expected):
                cells = [x for x in line.split("\t") if x != ""]
                if len(cells) != ncols:
                    return ("expected line has %d column(s) split on tabs (only tabs separate "
                            "columns), the query has %d" % (len(cells), ncols),
                            record.expected_line + number)
                expected_rows.append(cells)
        else:
            if len(expected) % ncols:
                return "%d expected values are not a multiple of %d columns" % (len(expected), ncols)
            expected_rows = [expected[i:i + ncols] for i in range(0, len(expected), ncols)]
        if len(expected_rows) != len(rows):
            return "wrong row count: expected %d, got %d" % (len(expected_rows), len(rows))

        if sort_mode != "none":
            unsorted = self.unsorted_line(expected_rows, types, sort_mode)
            if unsorted is not None:
                line = record.expected_line + (unsorted if row_wise else unsorted * ncols)
                return ("expected lines not in sorted order: under %s DuckDB's runner sorts the "
                        "result only (rows as lists of their printed values, booleans as 1/0), "
                        "so write the expected lines in that order" % record.params[1], line)
        for r, (actual_row, expected_row) in enumerate(zip(rows, expected_rows), 1):
            for c, (a, e) in enumerate(zip(actual_row, expected_row)):
                if not self.scratch.equal(a, e, types[c]):
                    return "wrong result: row %d, column %d: %s <> %s" % (r, c + 1, a, e)
        return None

    def unsorted_line(self, expected_rows, types, sort_mode):
        """Index of the first expected row out of DuckDB's runner's order, else None."""
        def key_of(row):
            out = []
            for c, value in enumerate(row):
                if is_regex(value):
                    return None
                if types[c] == "BOOLEAN":
                    try:
                        value = self.scratch.render_boolean(value)
                    except duckdb.Error:
                        return None
                out.append(value)
            return out

        keys = [key_of(row) for row in expected_rows]
        if any(k is None for k in keys):
            return None
        if sort_mode == "value":
            flat = [v for k in keys for v in k]
            for i in range(1, len(flat)):
                if flat[i] < flat[i - 1]:
                    return i // len(types)
            return None
        for i in range(1, len(keys)):
            if keys[i] < keys[i - 1]:
                return i
        return None


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def expand_paths(args):
    """Expand directories and (unexpanded) glob patterns; keep missing paths."""
    paths = []
    for arg in args:
        if os.path.isdir(arg):
            paths.extend(sorted(glob.glob(os.path.join(arg, "**", "*.test"), recursive=True)))
        elif not os.path.exists(arg) and glob.has_magic(arg):
            matches = sorted(glob.glob(arg))
            paths.extend(matches or [arg])
        else:
            paths.append(arg)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(description="Run sqllogictest files against DuckDB.")
    parser.add_argument("--extension", help="path of the claude_usage extension to LOAD")
    parser.add_argument("--threads", type=int, help="SET threads=N after connecting")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every record")
    parser.add_argument("files", nargs="+", help="test files (or directories)")
    args = parser.parse_args(argv)

    extension = os.path.abspath(args.extension) if args.extension else None
    scratch = Scratch()
    passed = failed = skipped = 0
    for path in expand_paths(args.files):
        runner = FileRunner(path, extension, args.threads, args.verbose, scratch)
        outcome = runner.run()
        passed += runner.passed
        failed += runner.failed
        if isinstance(outcome, tuple):
            skipped += 1
            print("skip %s (%s)" % (path, outcome[1]), flush=True)
        elif outcome == "ok":
            notes = "".join("; DuckDB's runner %s" % n for n in sorted(runner.notes))
            print("ok   %s (%d records%s)" % (path, runner.passed, notes), flush=True)
        else:
            print("FAIL %s" % path, flush=True)
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
