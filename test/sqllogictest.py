#!/usr/bin/env python3
"""A small sqllogictest runner for the claude_usage DuckDB extension.

Usage::

    python test/sqllogictest.py --extension build/release/claude_usage.duckdb_extension \
        [--threads N] [-v] test/sql/*.test

Only the standard library and the ``duckdb`` Python package are used.

Supported subset of DuckDB's sqllogictest dialect
-------------------------------------------------

Files consist of records separated by blank lines.  Lines starting with ``#``
are comments (as in DuckDB, a comment line also ends the SQL text of a record).

``statement ok|error|maybe [connection]``
    The SQL follows on the next lines, up to a blank line (or ``----``).  A
    ``statement error`` may be followed by ``----`` and an expected message: the
    record passes if the error message *contains* that text.  If the text starts
    with ``<REGEX>:`` the rest is a regular expression searched in the message
    (``<!REGEX>:`` requires that it does *not* match).  Internal errors never
    count as an expected error.  ``statement maybe`` accepts success or error.

``query <types> [nosort|rowsort|sort|valuesort|connection] [label]``
    ``<types>`` has one letter per result column (``I``, ``T``, ``R``, ...); a
    differing column count fails the record.  The SQL is followed by ``----``
    and the expected rows, columns separated by tabs (a row without any tab is
    split on runs of whitespace when more than one column is expected).  As in
    DuckDB, values may also be listed one per line, and the expected result may
    be ``N values hashing to <md5>``.  Values are rendered the way DuckDB's
    runner renders them: DuckDB's own VARCHAR cast, ``NULL`` for NULL and
    ``(empty)`` for the empty string.  When the strings differ, numeric columns
    are compared by value (DOUBLE/FLOAT with DuckDB's 1% tolerance), BOOLEAN
    columns accept ``1``/``0``/``true``/``false``, and an expected value
    ``<REGEX>:re`` must fully match.  ``rowsort`` sorts rows and ``valuesort``
    sorts single values; unlike DuckDB both the actual and the expected side are
    sorted.  A second parameter that is not a sort mode names a connection.  A
    label makes all queries with that label compare their result hashes (the
    expected rows, if any, are still checked).

``require claude_usage``
    LOADs the extension given by ``--extension`` (again after ``load`` and
    ``restart``).  ``require X`` for an extension that is already loaded in the
    Python package (json, parquet, icu, ...) is accepted; ``require notwindows``
    / ``windows`` check the platform; any other requirement skips the file.
``require-env NAME [VALUE]``
    Skips the file unless the variable is set (to VALUE); ``${NAME}`` is then
    substituted in SQL and expected output.
``load [path] [readonly]``
    Reopens the test on the database file ``path`` (deleted first unless
    ``readonly``); without a path, on a fresh in-memory database.
``restart``
    Closes and reopens the current database file.  ``reconnect`` replaces the
    default connection by a new one to the same database.
``skipif duckdb`` / ``onlyif <system>``
    Prefix lines that skip the following record.
``mode skip`` / ``mode unskip``
    Skip the records in between (other modes are ignored).
``halt``
    Stops the file.  ``hash-threshold`` is accepted and ignored.

Substitutions in SQL, paths and expected output: ``__TEST_DIR__`` (a fresh
temporary directory per file), ``__EXTENSION__`` (absolute path of the
extension), ``__DATA_DIR__`` (absolute path of ``test/data`` next to this
runner) and ``__WORKING_DIRECTORY__`` (the current directory).

Every file runs in a fresh in-memory database opened with
``allow_unsigned_extensions``; named connections are cursors of it.  A failing
record does not stop the file, but a failing ``require``, ``load`` or
``restart`` does.  Loops (``loop``/``foreach``/``concurrentloop``) and result
files (``<FILE>:``) are not supported.

Output: ``FAIL file:line`` with the SQL and the expected/actual rows or the
error for each failing record, ``ok   path (N records)``, ``FAIL path`` or
``skip path (reason)`` per file, and finally ``N passed, M failed`` (records),
followed by ``, K skipped`` (files) when files were skipped.  The exit code is 1
when anything failed.
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

RUNNER_DIR = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(RUNNER_DIR, "data")
EXTENSION_NAME = "claude_usage"
CONNECT_CONFIG = {"allow_unsigned_extensions": "true"}

SORT_MODES = {"nosort": "none", "rowsort": "row", "sort": "row", "valuesort": "value"}
# commands that occupy a single line and must be followed by a blank/comment line
SINGLE_LINE_COMMANDS = {
    "hash-threshold", "halt", "mode", "set", "loop", "foreach", "concurrentloop",
    "concurrentforeach", "endloop", "require", "require-env", "load", "restart", "reconnect",
}
INTEGER_TYPES = {
    "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
    "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
}
FLOAT_TYPES = {"FLOAT", "DOUBLE"}
HASH_RE = re.compile(r"^\d+ values hashing to [0-9a-z]{32}$")


class FileFatal(Exception):
    """A failure that stops the rest of the file."""

    def __init__(self, message, record=None):
        super().__init__(message)
        self.message = message
        self.record = record


class FileSkipped(Exception):
    """A requirement is missing: the file is skipped."""


# --------------------------------------------------------------------------
# Parsing
# --------------------------------------------------------------------------

class Record:
    """One record of a test file."""

    def __init__(self, line, tokens, conditions):
        self.line = line              # 1-based line number of the command
        self.tokens = tokens          # command line split on whitespace
        self.conditions = conditions  # [("skipif"|"onlyif", system), ...]
        self.sql = ""
        self.has_separator = False    # a "----" line was present
        self.expected = []            # lines after "----"
        self.parse_error = None

    @property
    def command(self):
        return self.tokens[0]

    @property
    def params(self):
        return self.tokens[1:]

    def header(self):
        return " ".join(self.tokens)


def _blank(line):
    return line.strip() == ""


def _blank_or_comment(line):
    return _blank(line) or line.startswith("#")


def parse_records(text):
    """Split a test file into records, following DuckDB's parser."""
    lines = text.replace("\r", "").split("\n")
    n = len(lines)
    i = 0
    first = True
    while True:
        # skip what is left of the previous record, then blank and comment lines
        while not first and i < n and not _blank_or_comment(lines[i]):
            i += 1
        first = False
        while i < n and _blank_or_comment(lines[i]):
            i += 1
        if i >= n:
            return
        conditions = []
        tokens = lines[i].split()
        while tokens[0] in ("skipif", "onlyif"):
            if len(tokens) < 2:
                break
            conditions.append((tokens[0], tokens[1].lower()))
            i += 1
            tokens = lines[i].split() if i < n and not _blank(lines[i]) else ["<missing command>"]
        record = Record(i + 1, tokens, conditions)
        i += 1
        if record.command in SINGLE_LINE_COMMANDS:
            if i < n and not _blank_or_comment(lines[i]):
                record.parse_error = "records must be separated by an empty line"
        elif record.command in ("statement", "query"):
            sql = []
            while i < n and not _blank_or_comment(lines[i]) and lines[i] != "----":
                sql.append(lines[i])
                i += 1
            record.sql = "\n".join(sql)
            if i < n and lines[i] == "----":
                record.has_separator = True
                i += 1
                while i < n and not _blank(lines[i]):
                    record.expected.append(lines[i])
                    i += 1
            if not record.sql:
                record.parse_error = "empty SQL text"
        yield record


# --------------------------------------------------------------------------
# Result rendering and comparison
# --------------------------------------------------------------------------

def render(value):
    """Render a VARCHAR-cast value like DuckDB's sqllogictest runner."""
    if value is None:
        return "NULL"
    if value == "":
        return "(empty)"
    return value.replace("\0", "\\0")


def run_query(cursor, sql):
    """Execute `sql` exactly once; return (column types, rows of strings)."""
    rel = cursor.sql(sql)
    if rel is None:
        return [], []
    # materialize() runs the statement once and keeps its rows; the VARCHAR
    # projection then reads those rows without running the statement again.
    result = rel.materialize()
    types = [str(t) for t in result.types]
    if not types:
        return [], []
    casts = ", ".join("#%d::VARCHAR" % (i + 1) for i in range(len(types)))
    rows = [[render(v) for v in row] for row in result.project(casts).fetchall()]
    return types, rows


def run_statement(cursor, sql):
    """Execute `sql` to completion (so that run-time errors surface)."""
    rel = cursor.sql(sql)
    if rel is not None:
        rel.materialize()


def sort_rows(rows, mode):
    if mode == "row":
        return sorted(rows)
    if mode == "value":
        return [[v] for v in sorted(v for row in rows for v in row)]
    return rows


def result_hash(rows):
    md5 = hashlib.md5()
    count = 0
    for row in rows:
        for value in row:
            md5.update(value.encode("utf-8") + b"\n")
            count += 1
    return "%d values hashing to %s" % (count, md5.hexdigest())


def approx_equal(actual, expected):
    """DuckDB's ApproxEqual for floating point results."""
    if math.isnan(actual) and math.isnan(expected):
        return True
    if not (math.isfinite(actual) and math.isfinite(expected)):
        return actual == expected
    return abs(actual - expected) <= abs(expected) * 0.01 + 0.00000001


class ValueComparer:
    """Compares one rendered result value with one expected value."""

    def __init__(self):
        self._scratch = None  # in-memory database for typed comparisons

    def _typed_equal(self, actual, expected, sql_type):
        if self._scratch is None:
            self._scratch = duckdb.connect(":memory:")
        rows = self._scratch.sql(
            "SELECT TRY_CAST($1 AS %s) = TRY_CAST($2 AS %s)" % (sql_type, sql_type),
            params=[actual, expected]).fetchall()
        return bool(rows and rows[0][0])

    def equal(self, actual, expected, sql_type):
        if actual == expected:
            return True
        if expected.startswith("<REGEX>:") or expected.startswith("<!REGEX>:"):
            want = expected.startswith("<REGEX>:")
            pattern = expected.split(":", 1)[1]
            try:
                return bool(re.fullmatch(pattern, actual, re.DOTALL)) == want
            except re.error:
                return False
        if actual == "NULL" or expected == "NULL":
            return False
        if sql_type in FLOAT_TYPES:
            try:
                return approx_equal(float(actual), float(expected))
            except ValueError:
                return False
        if sql_type in INTEGER_TYPES or sql_type.startswith("DECIMAL"):
            try:
                return self._typed_equal(actual, expected, sql_type)
            except duckdb.Error:
                return False
        if sql_type == "BOOLEAN":
            truth = {"true": 1, "1": 1, "false": 0, "0": 0}
            a, e = truth.get(actual.lower()), truth.get(expected.lower())
            return a is not None and a == e
        return False


def split_expected(values, ncols, nrows):
    """Turn expected lines into rows, or return an error message.

    Follows DuckDB: the lines are rows when there is more than one column and
    one line per result row, or when every line contains a tab; otherwise every
    line holds one value.
    """
    row_wise = (ncols > 1 and len(values) == nrows) or all("\t" in v for v in values)
    if row_wise:
        rows = []
        for number, line in enumerate(values, 1):
            cells = line.split("\t") if "\t" in line or ncols == 1 else line.split()
            if len(cells) != ncols:
                return None, "expected row %d has %d columns, the query has %d" % (
                    number, len(cells), ncols)
            rows.append(cells)
        return rows, None
    if len(values) % ncols:
        return None, "%d expected values are not a multiple of %d columns" % (len(values), ncols)
    return [values[i:i + ncols] for i in range(0, len(values), ncols)], None


# --------------------------------------------------------------------------
# Running a file
# --------------------------------------------------------------------------

class FileRunner:
    def __init__(self, path, extension, threads, verbose, comparer):
        self.path = path
        self.extension = extension
        self.threads = threads
        self.verbose = verbose
        self.comparer = comparer
        self.passed = 0
        self.failed = 0
        self.test_dir = None
        self.env = {}
        self.db_path = ":memory:"
        self.read_only = False
        self.load_extension = False
        self.db = None           # the database's root connection
        self.con = None          # the default connection
        self.named = {}          # named connections (cursors)
        self.labels = {}         # query label -> result hash

    # -- helpers ------------------------------------------------------------

    def substitute(self, text):
        for name, value in self.env.items():
            text = text.replace("${%s}" % name, value)
        text = text.replace("__TEST_DIR__", self.test_dir)
        text = text.replace("__EXTENSION__", self.extension or "__EXTENSION__")
        text = text.replace("__DATA_DIR__", DATA_DIR)
        text = text.replace("__WORKING_DIRECTORY__", os.getcwd())
        return text

    def location(self, record):
        return "%s:%d" % (self.path, record.line)

    def fail(self, record, message, sql=None, expected=None, actual=None):
        self.failed += 1
        out = ["FAIL %s" % self.location(record), record.header()]
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

    def success(self, record):
        self.passed += 1

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
            if self.threads:
                run_statement(self.db, "SET threads=%d" % self.threads)
            if self.load_extension:
                self.load_extension_into(self.db)
        except duckdb.Error as e:
            raise FileFatal("could not open %s: %s" % (self.db_path, e))

    def load_extension_into(self, con):
        run_statement(con, "LOAD '%s'" % self.extension.replace("'", "''"))

    def connection(self, name):
        if name is None:
            return self.con
        if name not in self.named:
            self.named[name] = self.db.cursor()
        return self.named[name]

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
        self.test_dir = tempfile.mkdtemp(prefix="slt-")
        try:
            self.open()
            skip_level = 0
            for record in parse_records(text):
                if any((kind == "skipif") == (system == "duckdb") for kind, system in record.conditions):
                    continue
                if record.parse_error:
                    self.fail(record, "parse error: " + record.parse_error)
                    continue
                if record.command == "mode":
                    mode = record.params[0] if record.params else ""
                    if mode == "skip":
                        skip_level += 1
                    elif mode == "unskip":
                        skip_level = max(0, skip_level - 1)
                    continue
                if skip_level:
                    continue
                if record.command == "halt":
                    break
                if self.verbose:
                    print("  %s: %s" % (self.location(record), record.header()), flush=True)
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
            "hash-threshold": lambda r: None,
        }.get(record.command)
        if handler is None:
            self.fail(record, "unsupported command '%s'" % record.command)
            return
        try:
            handler(record)
        except (FileFatal, FileSkipped):
            raise
        except Exception as e:  # a bug or an unexpected condition: fail the record only
            self.fail(record, "runner error: %s: %s" % (type(e).__name__, e))

    def do_require(self, record):
        if not record.params:
            raise FileFatal("require needs a parameter", record)
        name = record.params[0].lower()
        if name == EXTENSION_NAME:
            if not self.extension:
                raise FileFatal("require %s: no --extension given" % name, record)
            if not os.path.isfile(self.extension):
                raise FileFatal("require %s: %s does not exist" % (name, self.extension), record)
            try:
                self.load_extension_into(self.con)
            except duckdb.Error as e:
                raise FileFatal("require %s: LOAD failed: %s" % (name, e), record)
            self.load_extension = True
            self.success(record)
            return
        if name in ("notwindows", "windows"):
            present = (name == "windows") == (os.name == "nt")
        else:
            present = self.con.sql(
                "SELECT count(*) > 0 FROM duckdb_extensions() WHERE extension_name = $1 AND loaded",
                params=[name]).fetchall()[0][0]
        if not present:
            raise FileSkipped("require " + " ".join(record.params))
        self.success(record)

    def do_require_env(self, record):
        if not record.params or len(record.params) > 2:
            raise FileFatal("require-env needs 1 or 2 parameters", record)
        name = record.params[0]
        value = os.environ.get(name)
        if value is None or (len(record.params) == 2 and value != record.params[1]):
            raise FileSkipped("require-env " + " ".join(record.params))
        self.env[name] = value
        self.success(record)

    def do_load(self, record):
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
        self.success(record)

    def do_restart(self, record):
        if self.db_path == ":memory:":
            raise FileFatal("cannot restart an in-memory database (use load first)", record)
        try:
            self.open()
        except FileFatal as e:
            raise FileFatal(e.message, record)
        self.success(record)

    def do_reconnect(self, record):
        if self.con is not self.db:
            self.con.close()
        self.con = self.db.cursor()
        self.success(record)

    def do_statement(self, record):
        params = record.params
        expect = params[0] if params else ""
        if expect not in ("ok", "error", "maybe"):
            self.fail(record, "statement must be followed by ok, error or maybe")
            return
        if expect == "ok" and record.has_separator:
            self.fail(record, "parse error: only statement error can have an expected error message")
            return
        sql = self.substitute(record.sql)
        raw_expected_error = "\n".join(record.expected)
        expected_error = self.substitute(raw_expected_error)
        try:
            run_statement(self.connection(params[1] if len(params) > 1 else None), sql)
        except duckdb.Error as e:
            error = str(e)
            if expect == "ok":
                self.fail(record, "unexpected error:\n" + error, sql)
            elif isinstance(e, duckdb.InternalException) or error.startswith("INTERNAL Error"):
                self.fail(record, "internal error (never expected):\n" + error, sql)
            elif expected_error and not self.error_matches(error, raw_expected_error, expected_error):
                self.fail(record, "wrong error message", sql,
                          expected=record.expected, actual=[[line] for line in error.split("\n")])
            else:
                self.success(record)
            return
        if expect == "error":
            self.fail(record, "statement succeeded but an error was expected", sql)
        else:
            self.success(record)

    @staticmethod
    def error_matches(error, raw_expected, expected):
        if raw_expected in error or expected in error:
            return True
        for prefix, want in (("<REGEX>:", True), ("<!REGEX>:", False)):
            if expected.startswith(prefix):
                try:
                    return bool(re.search(expected[len(prefix):], error, re.DOTALL)) == want
                except re.error:
                    return False
        return False

    def do_query(self, record):
        params = record.params
        if not params or not params[0].isalpha():
            self.fail(record, "query needs a type string such as 'query II'")
            return
        types_spec = params[0]
        sort_mode, con_name, label = "none", None, None
        if len(params) > 1:
            if params[1] in SORT_MODES:
                sort_mode = SORT_MODES[params[1]]
            else:
                con_name = params[1]
        if len(params) > 2:
            label = params[2]
        sql = self.substitute(record.sql)
        expected = [self.substitute(line) for line in record.expected]
        try:
            types, rows = run_query(self.connection(con_name), sql)
        except duckdb.Error as e:
            self.fail(record, "unexpected error:\n%s" % e, sql)
            return
        rows = sort_rows(rows, sort_mode)
        if len(types_spec) != len(types):
            self.fail(record, "query declares %d column(s) (%s) but the result has %d"
                      % (len(types_spec), types_spec, len(types)), sql, record.expected, rows)
            return

        hash_value = result_hash(rows)
        if label is not None:
            previous = self.labels.setdefault(label, hash_value)
            if previous != hash_value:
                self.fail(record, "result differs from earlier query with label '%s' (%s <> %s)"
                          % (label, hash_value, previous), sql, actual=rows)
                return
        if len(expected) == 1 and HASH_RE.match(expected[0]):
            if expected[0] != hash_value:
                self.fail(record, "wrong result hash: %s" % hash_value, sql, record.expected, rows)
            else:
                self.success(record)
            return
        if label is not None and not record.expected:
            self.success(record)
            return

        mismatch = self.compare(types, rows, expected, sort_mode)
        if mismatch:
            self.fail(record, mismatch, sql, record.expected, rows)
        else:
            self.success(record)

    def compare(self, types, rows, expected, sort_mode):
        """Return None if `rows` match `expected`, else a description."""
        ncols = len(types)
        if sort_mode == "value":
            actual_values = [row[0] for row in rows]
            expected_rows, error = split_expected(expected, ncols, len(actual_values) // max(ncols, 1))
            if error:
                return error
            expected_values = sorted(v for row in expected_rows for v in row)
            if len(expected_values) != len(actual_values):
                return "wrong number of values: expected %d, got %d" % (
                    len(expected_values), len(actual_values))
            for i, (a, e) in enumerate(zip(actual_values, expected_values)):
                if not self.comparer.equal(a, e, types[i % ncols]):
                    return "wrong result: value %d: %s <> %s" % (i + 1, a, e)
            return None
        expected_rows, error = split_expected(expected, ncols, len(rows))
        if error:
            return error
        if len(expected_rows) != len(rows):
            return "wrong row count: expected %d, got %d" % (len(expected_rows), len(rows))
        if sort_mode == "row":
            expected_rows = sorted(expected_rows)
        for r, (actual_row, expected_row) in enumerate(zip(rows, expected_rows), 1):
            for c, (a, e) in enumerate(zip(actual_row, expected_row)):
                if not self.comparer.equal(a, e, types[c]):
                    return "wrong result: row %d, column %d: %s <> %s" % (r, c + 1, a, e)
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
    comparer = ValueComparer()
    passed = failed = skipped = 0
    for path in expand_paths(args.files):
        runner = FileRunner(path, extension, args.threads, args.verbose, comparer)
        outcome = runner.run()
        passed += runner.passed
        failed += runner.failed
        if isinstance(outcome, tuple):
            skipped += 1
            print("skip %s (%s)" % (path, outcome[1]), flush=True)
        elif outcome == "ok":
            print("ok   %s (%d records)" % (path, runner.passed), flush=True)
        else:
            print("FAIL %s" % path, flush=True)
    summary = "%d passed, %d failed" % (passed, failed)
    if skipped:
        summary += ", %d skipped" % skipped
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
