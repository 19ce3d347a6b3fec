#!/usr/bin/env python3
"""test/sqllogictest.py refuses what DuckDB's Python sqllogictest runner would not run the same way.

    test_runner_dialect.py

Feeds small .test files (no extension needed) to the runner and checks, for each, that it fails
or passes and prints the expected message: one case per refusal of the dialect (see the
runner's docstring), and a few files that must pass (keywords, require-env, booleans as 1/0,
sorted lines with NULLs, <REGEX>: errors).  Prints `N passed, N failed`.
"""
import contextlib
import io
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import sqllogictest  # noqa: E402

# (name, file text, expected exit code, text the output must contain)
CASES = [
    ("unknown keyword",
     "statement ok\nSELECT '__DATA_DIR__/x'\n",
     1, "test.test:2\ndialect: unknown keyword __DATA_DIR__ in SQL"),
    ("unknown keyword in a load path",
     "load __BUILD_DIRECTORY__/x.db\n",
     1, "test.test:1\ndialect: unknown keyword __BUILD_DIRECTORY__ in the load path"),
    ("column type B",
     "query IB\nSELECT 1, true\n----\n1\t1\n",
     1, "test.test:1\ndialect: column type(s) B in 'IB': DuckDB's runner knows only I, T and R"),
    ("unsorted lines under rowsort",
     "query IT rowsort\nSELECT * FROM (VALUES (1, 'b'), (2, 'a'))\n----\n2\ta\n1\tb\n",
     1, "test.test:5\nquery IT rowsort\nSELECT * FROM (VALUES (1, 'b'), (2, 'a'))\n"
        "expected lines not in sorted order: under rowsort"),
    ("rowsort is string order, not number order",
     "query I rowsort\nSELECT * FROM (VALUES (9), (10))\n----\n9\n10\n",
     1, "test.test:5\nquery I rowsort\nSELECT * FROM (VALUES (9), (10))\nexpected lines not in sorted order"),
    ("booleans sort as 1/0 (NULL last)",
     "query T rowsort\nSELECT * FROM (VALUES (true), (NULL), (false))\n----\nfalse\nNULL\ntrue\n",
     1, "test.test:6\nquery T rowsort\nSELECT * FROM (VALUES (true), (NULL), (false))\n"
        "expected lines not in sorted order"),
    ("unsorted values under valuesort",
     "query II valuesort\nSELECT 2, 1\n----\n2\t1\n",
     1, "expected lines not in sorted order: under valuesort"),
    ("keyword in an expected result",
     "query T\nSELECT '__WORKING_DIRECTORY__'\n----\n__WORKING_DIRECTORY__\n",
     1, "test.test:1\ndialect: __WORKING_DIRECTORY__ in an expected result: DuckDB's runner "
        "substitutes keywords only in SQL"),
    ("keyword in an expected error",
     "statement error\nSELECT * FROM read_csv('__TEST_DIR__/none.csv')\n----\n__TEST_DIR__/none.csv\n",
     1, "dialect: __TEST_DIR__ in an expected message"),
    ("require notwindows",
     "require notwindows\n",
     1, "dialect: require notwindows: DuckDB's Python runner reports it missing and skips the file"),
    ("skipif",
     "skipif duckdb\nstatement ok\nSELECT 1\n",
     1, "dialect: skipif/onlyif: DuckDB's Python runner skips the whole file"),
    ("onlyif",
     "onlyif duckdb\nstatement ok\nSELECT 1\n",
     1, "dialect: skipif/onlyif: DuckDB's Python runner skips the whole file"),
    ("halt",
     "halt\n",
     1, "dialect: halt: DuckDB's Python runner skips the whole file"),
    ("loop",
     "loop i 0 2\n\nstatement ok\nSELECT ${i}\n\nendloop\n",
     1, "dialect: loops are not used in this suite"),
    ("mode other than skip/unskip",
     "mode output_hash\n",
     1, "dialect: mode output_hash: only mode skip and mode unskip"),
    ("unknown command",
     "querry I\nSELECT 1\n----\n1\n",
     1, "dialect: unknown command 'querry'"),
    ("one-line command without a blank line after it",
     "require json\nstatement ok\nSELECT 1\n",
     1, "dialect: 'require' must be followed by an empty or comment line"),
    ("statement error without a message",
     "statement error\nSELECT x\n",
     1, "dialect: statement error needs ---- and an expected error message"),
    ("query without ----",
     "query I\nSELECT 1\n",
     1, "dialect: query without ----: DuckDB's runner does not check its result"),
    ("expected rows under a label",
     "query I nosort lab\nSELECT 1\n----\n1\n",
     1, "dialect: label 'lab': DuckDB's runner compares only the hashes"),
    ("columns separated by spaces",
     "query II\nSELECT 1, 2\n----\n1 2\n",
     1, "test.test:4\nquery II\nSELECT 1, 2\nexpected line has 1 column(s) split on tabs"),
    ("every refusal of a file is listed",
     "require notwindows\n\nquery B\nSELECT true\n----\ntrue\n",
     1, "test.test:1\ndialect: require notwindows"),
    # files that pass
    ("keywords, require-env, ${VAR}",
     "require-env SLT_DIALECT_VAR\n\n"
     "statement ok\nCOPY (SELECT 42 AS x) TO '__TEST_DIR__/x.csv'\n\n"
     "query I\nSELECT x FROM read_csv('__TEST_DIR__/x.csv')\n----\n42\n\n"
     "query T\nSELECT '__WORKING_DIRECTORY__' = current_setting('file_search_path') OR "
     "'__WORKING_DIRECTORY__' <> '' AND '${SLT_DIALECT_VAR}' = 'yes'\n----\n1\n",
     0, "ok   "),
    ("require-env unset: skipped",
     "require-env SLT_DIALECT_UNSET\n\nstatement ok\nSELECT 1\n",
     0, "skip "),
    ("booleans: 1/0 and true/false both match, sorted as 1/0",
     "query TT rowsort\nSELECT * FROM (VALUES (true, 'a'), (NULL, 'b'), (false, 'c'))\n----\n"
     "0\tc\n1\ta\nNULL\tb\n\n"
     "query T\nSELECT false\n----\nfalse\n",
     0, "ok   "),
    ("error message: substring and padded <REGEX>:",
     "statement error\nSELECT * FROM nonexistent_table\n----\nTable with name nonexistent_table does not exist\n\n"
     "statement error\nSELECT * FROM nonexistent_table\n----\n<REGEX>:Catalog Error: Table with name \\w+ does not exist\n",
     0, "ok   "),
    ("floats within 1%, integers by value, (empty), mode skip",
     "query RIT\nSELECT 100.5::DOUBLE, 7::HUGEINT, ''\n----\n100\t7\t(empty)\n\n"
     "mode skip\n\nquery I\nSELECT 'not run'\n----\n1\n\nmode unskip\n",
     0, "ok   "),
    ("a label: hashes compared",
     "query I nosort lab\nSELECT 1\n----\n\nquery I nosort lab\nSELECT 2\n----\n",
     1, "result differs from the earlier query with label 'lab'"),
]


def run_case(text):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "test.test")
        with open(path, "w") as f:
            f.write(text)
        out = io.StringIO()
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            with contextlib.redirect_stdout(out):
                code = sqllogictest.main(["test.test"])
        finally:
            os.chdir(cwd)
        return code, out.getvalue()


def main():
    os.environ["SLT_DIALECT_VAR"] = "yes"
    os.environ.pop("SLT_DIALECT_UNSET", None)
    passed = failed = 0
    for name, text, want_code, want_text in CASES:
        code, output = run_case(text)
        if code == want_code and want_text in output:
            passed += 1
        else:
            failed += 1
            print("FAIL %s: exit %d (want %d), output lacks %r:\n%s" % (name, code, want_code, want_text, output))
    print("test_runner_dialect: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
