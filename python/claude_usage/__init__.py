"""The claude_usage DuckDB extension, packaged for Python.

    import claude_usage
    con = claude_usage.connect()          # a DuckDB connection with the extension loaded
    con.sql("SELECT * FROM session_summary(NULL)").show()

The wheel holds the built extension (C API v1.5.6), which loads in every DuckDB from 1.5.6 on.
It is unsigned, so the connection is opened with allow_unsigned_extensions.
"""

from __future__ import annotations

import os

__all__ = ["path", "connect", "__version__"]

_EXTENSION_FILE = "claude_usage.duckdb_extension"

try:
    from importlib.metadata import PackageNotFoundError, version as _version

    __version__ = _version("claude_usage")
except Exception:  # not installed (e.g. imported from a source tree)
    __version__ = "unknown"


def path() -> str:
    """The absolute path of the extension file inside this package."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), _EXTENSION_FILE)


def connect(database: str = ":memory:", **config):
    """A ``duckdb.connect(database, config=...)`` connection with claude_usage loaded.

    Keyword arguments are DuckDB configuration options (``threads=2``,
    ``access_mode='READ_ONLY'``, ...); ``allow_unsigned_extensions`` is always set, since the
    extension is unsigned. The extension is loaded with ``LOAD '<path()>'``.
    """
    import duckdb

    config = dict(config)
    config["allow_unsigned_extensions"] = "true"
    con = duckdb.connect(database, config=config)
    try:
        con.execute("LOAD '" + path().replace("'", "''") + "'")
    except BaseException:
        con.close()
        raise
    return con
