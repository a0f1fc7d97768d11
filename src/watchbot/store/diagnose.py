"""What went wrong with a database file, in one line that names the file and the fix.

SQLite reports a damaged, foreign, read-only or locked file as a handful of terse errors;
`explain` turns each into a `StoreError` a person can act on. `probe` finds those problems when
the database is opened, so a command fails before it has done anything rather than half-way.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from watchbot.errors import StoreError

_ASIDE = "move it aside (watchbot then starts a new one) or restore it from a backup"


def explain(path: Path | None, error: BaseException) -> StoreError:
    """The StoreError for `error` (an sqlite3 or OS error) met on the database at `path`."""
    name = str(path) if path else "(in memory)"
    text = str(error)
    low = text.lower()
    if isinstance(error, IsADirectoryError) or (path is not None and path.is_dir()):
        return StoreError(
            f"database {name} is a folder, not a file: remove it, or point `database` in the "
            "config at a file"
        )
    if isinstance(error, FileExistsError | NotADirectoryError):
        return StoreError(
            f"cannot open database {name}: a file stands where its folder should be "
            f"({error.filename or name}); check `database` in the config"
        )
    if isinstance(error, OSError):
        return StoreError(
            f"cannot open database {name}: {error.strerror or text}; check `database` in the "
            "config, and that the user that runs watchbot can create and write it and its folder"
        )
    if "not a database" in low or "file is encrypted" in low:
        return StoreError(f"database {name} is not an SQLite database (overwritten?): {_ASIDE}")
    if "malformed" in low or "corrupt" in low:
        return StoreError(
            f"database {name} is damaged ({text}): {_ASIDE}; `sqlite3 {name} .recover` can "
            "salvage what it holds"
        )
    if "readonly" in low or "read-only" in low:
        return StoreError(
            f"database {name} is read-only for this user: let the user that runs watchbot write "
            "the file and its folder (chown/chmod), or run watchbot as that user"
        )
    if "locked" in low or "busy" in low:
        return StoreError(
            f"database {name} is locked by another program (a sqlite3 shell or a backup holding "
            "a transaction?): close it, then run watchbot again"
        )
    if "unable to open" in low or "cannot open" in low:
        return StoreError(
            f"cannot open database {name} or its journal ({name}-wal, {name}-journal): check that "
            "its folder exists, that the user that runs watchbot can write there, and that no "
            "folder stands where a file should be"
        )
    if "disk i/o" in low or "full" in low:
        return StoreError(f"database {name}: {text}: check the disk (full? failing?) and retry")
    return StoreError(f"database {name}: {text}; check `database` in the config")


def probe(conn: sqlite3.Connection, path: Path, *, writable: bool) -> None:
    """Read the schema and check the pages (`quick_check`); with `writable`, take and drop the
    write lock too. Raises sqlite3 errors, or StoreError for damage quick_check finds."""
    conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    rows = conn.execute("PRAGMA quick_check(3)").fetchall()
    problems = [
        line.strip()
        for row in rows
        for line in str(row[0]).splitlines()
        if line.strip() and not line.startswith("***")
    ]
    if problems != ["ok"]:
        raise StoreError(
            f"database {path} is damaged ({'; '.join(problems)}): {_ASIDE}; "
            f"`sqlite3 {path} .recover` can salvage what it holds"
        )
    if writable:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
