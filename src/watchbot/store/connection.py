"""The SQLite connection every store part shares: its lock, the schema migrations, and the
guard that turns SQLite's errors about the file into one clear StoreError."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from watchbot.errors import StoreError
from watchbot.store.diagnose import explain
from watchbot.store.schema import MIGRATIONS


class Connection:
    """One connection, guarded by a lock, shared by the daemon's threads."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self._lock = threading.RLock()
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    # --- schema ----------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._guard():
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise StoreError(
                    f"database {self.path} has schema version {version}, newer than this "
                    f"watchbot knows ({len(MIGRATIONS)}); upgrade watchbot"
                )
            for number in range(version, len(MIGRATIONS)):
                # one script, one transaction: a migration is applied whole or not at all
                self.conn.executescript(
                    f"BEGIN IMMEDIATE; {MIGRATIONS[number]};"
                    f" PRAGMA user_version = {number + 1}; COMMIT;"
                )

    @property
    def schema_version(self) -> int:
        with self._guard():
            return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _guard(self) -> Iterator[None]:
        """The connection's lock, with SQLite's errors about the file (damaged, read-only,
        locked, disk full) turned into StoreError; errors in our own SQL pass through."""
        with self._lock:
            try:
                yield
            except sqlite3.OperationalError as e:
                raise explain(self.path, e) from e
            except sqlite3.DatabaseError as e:
                if type(e) is not sqlite3.DatabaseError:
                    raise
                raise explain(self.path, e) from e

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._guard():
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")
