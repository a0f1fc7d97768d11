"""SQLite state: feeds, items seen, alerts. With `schema.py`, the only SQL in watchbot.

WAL mode and a busy timeout let `watchbot feeds` read while a run writes.
One connection, guarded by a lock, is shared by the daemon's threads.

An item and the alerts it causes are recorded in one transaction, before anything is posted:
after a crash either both are there (and the pending alerts are delivered next cycle) or neither
(and the item is seen again as new).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from watchbot.errors import StoreError
from watchbot.models import (
    FeedState,
    FeedUpdate,
    ItemIntent,
    KnownItem,
    StoredStory,
    Story,
)
from watchbot.store.alerts import AlertTables
from watchbot.store.codec import (
    iso,
    parse_dt,
    story_to_json,
    verdicts_to_json,
)
from watchbot.store.diagnose import explain, probe

OPEN_WAIT = 5.0  # seconds to wait for another program's lock when opening, before saying so
BUSY_TIMEOUT_MS = 30_000  # then, for each statement: the daemon's own transactions are short


class SqliteStore(AlertTables):
    """The project's SQLite database: feeds, items, retention here; alerts in `AlertTables`,
    the connection, schema and transactions in `Connection`. Methods are thread-safe."""

    @classmethod
    def open(cls, path: Path, *, writable: bool = True) -> SqliteStore:
        """Open (creating it and its folder on first use) the database at `path`, and check
        it: a damaged, foreign, read-only or locked file raises StoreError naming the fix."""
        conn = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(
                path, timeout=OPEN_WAIT, check_same_thread=False, isolation_level=None
            )
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            probe(conn, path, writable=writable)
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            return cls(conn, path)
        except BaseException as e:
            if conn is not None:
                conn.close()  # do not leave the file open behind the error
            if isinstance(e, OSError | sqlite3.OperationalError):
                raise explain(path, e) from None
            if type(e) is sqlite3.DatabaseError:  # not a database, malformed
                raise explain(path, e) from None
            raise

    @classmethod
    def open_copy(cls, path: Path) -> SqliteStore:
        """An in-memory copy of the database at `path` (empty if there is none): for dry runs
        that must behave like a real run without changing the real state."""
        memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        if path.exists():
            try:
                # as_uri() percent-encodes the path: a '#' or '?' in a folder name would
                # otherwise cut the URI short and open (and create) some other file
                source = sqlite3.connect(
                    f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=OPEN_WAIT
                )
                try:
                    source.backup(memory)
                finally:
                    source.close()
                probe(memory, path, writable=False)
            except (OSError, sqlite3.OperationalError, sqlite3.DatabaseError) as e:
                memory.close()
                raise explain(path, e) from None
            except StoreError:
                memory.close()
                raise
        return cls(memory, None)

    # --- feeds -----------------------------------------------------------------------------------

    def feed_state(self, name: str) -> FeedState | None:
        with self._guard():
            row = self.conn.execute("SELECT * FROM feeds WHERE name = ?", (name,)).fetchone()
        return _feed_state(row) if row else None

    def feed_states(self) -> dict[str, FeedState]:
        with self._guard():
            rows = self.conn.execute("SELECT * FROM feeds").fetchall()
        return {row["name"]: _feed_state(row) for row in rows}

    def _ensure_feed(self, conn: sqlite3.Connection, name: str, url: str) -> None:
        conn.execute("INSERT OR IGNORE INTO feeds (name, url) VALUES (?, ?)", (name, url))
        # a new url in the config wins over a redirect remembered for the old one, and gives a
        # feed disabled by a 410 another chance
        conn.execute(
            "UPDATE feeds SET url = ?, moved_to = NULL, etag = NULL, last_modified = NULL,"
            " body_hash = NULL, disabled = NULL, error_count = 0, throttled = 0"
            " WHERE name = ? AND url != ?",
            (url, name, url),
        )

    def record_feed_update(self, update: FeedUpdate) -> None:
        """Record one poll of a feed: its validators and counts, or its error."""
        now, due = iso(update.now), iso(update.next_due)
        with self._transaction() as conn:
            self._ensure_feed(conn, update.name, update.url)
            if update.error is not None:
                conn.execute(
                    "UPDATE feeds SET last_attempt = ?, last_error = ?, last_error_at = ?,"
                    " next_due = ?, error_count = error_count + 1, throttled = ?,"
                    " disabled = ? WHERE name = ?",
                    (
                        now,
                        update.error,
                        now,
                        due,
                        int(update.throttled),
                        update.error if update.disabled else None,
                        update.name,
                    ),
                )
                return
            conn.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_attempt = ?, last_success = ?,"
                " next_due = ?, items_seen = items_seen + ?, polls = polls + 1,"
                " moved_to = COALESCE(?, moved_to), error_count = 0, throttled = 0,"
                " warning = ?, body_hash = COALESCE(?, body_hash) WHERE name = ?",
                (
                    update.etag,
                    update.last_modified,
                    now,
                    now,
                    due,
                    update.new_items,
                    update.moved_to,
                    update.warning,
                    update.body_hash,
                    update.name,
                ),
            )

    # --- items -----------------------------------------------------------------------------------

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of `keys` belong to an item already recorded."""
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        with self._guard():
            rows = self.conn.execute(
                f"SELECT key FROM item_keys WHERE key IN ({marks})", tuple(keys)
            ).fetchall()
        return {row[0] for row in rows}

    def add_keys(self, known: str, keys: Sequence[str]) -> None:
        """Attach more identity keys to the item that has `known` (e.g. its new canonical URL),
        so a later copy known only by one of them is recognised too."""
        with self._transaction() as conn:
            row = conn.execute("SELECT item_id FROM item_keys WHERE key = ?", (known,)).fetchone()
            if row:
                conn.executemany(
                    "INSERT OR IGNORE INTO item_keys (key, item_id) VALUES (?, ?)",
                    [(k, row[0]) for k in keys],
                )

    def item_of_key(self, key: str) -> KnownItem | None:
        """The recorded item that has `key`: its feed, link as written and every key."""
        with self._lock:
            row = self.conn.execute(
                "SELECT items.id, items.feed, items.url FROM item_keys"
                " JOIN items ON items.id = item_keys.item_id WHERE item_keys.key = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            keys = self.conn.execute(
                "SELECT key FROM item_keys WHERE item_id = ?", (row["id"],)
            ).fetchall()
        return KnownItem(row["feed"], row["url"], frozenset(k[0] for k in keys))

    def record_item(self, item: ItemIntent) -> list[int | None]:
        """Record a new item and the alerts it causes, atomically. Returns the alerts' ids, in
        order; None where an alert for that (story, channel) existed already."""
        story, keys, now = item.story, item.keys, item.seen_at
        ids: list[int | None] = []
        with self._transaction() as conn:
            cur = conn.execute(
                "INSERT INTO items (feed, story_key, title, text, url, published, language,"
                " seen_at, alertable) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    story.feed,
                    keys[0],
                    story.title,
                    story.text,
                    story.url,
                    iso(story.published),
                    story.language,
                    iso(now),
                    int(item.alertable),
                ),
            )
            item_id = cur.lastrowid
            conn.executemany(
                "INSERT OR IGNORE INTO item_keys (key, item_id) VALUES (?, ?)",
                [(k, item_id) for k in keys],
            )
            for alert in item.alerts:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO alerts (item_id, story_key, channel, status, parent_id,"
                    " story, verdicts, signature, created, follows_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item_id,
                        keys[0],
                        alert.channel,
                        str(alert.status),
                        alert.parent_id,
                        story_to_json(story),
                        verdicts_to_json(alert.verdicts),
                        alert.payload,
                        iso(now),
                        alert.follows_id,
                    ),
                )
                ids.append(int(cur.lastrowid) if cur.rowcount and cur.lastrowid else None)
        return ids

    def stories_since(self, since: datetime) -> Iterator[StoredStory]:
        """Stored stories seen since `since`, oldest first (for backtests)."""
        with self._guard():
            rows = self.conn.execute(
                "SELECT items.*, EXISTS (SELECT 1 FROM alerts WHERE alerts.item_id = items.id)"
                " AS alerted FROM items WHERE seen_at >= ? ORDER BY seen_at, id",
                (iso(since),),
            ).fetchall()
        for row in rows:
            yield StoredStory(
                item_id=row["id"],
                story=Story(
                    feed=row["feed"],
                    guid=None,
                    url=row["url"],
                    canonical_url=None,
                    title=row["title"],
                    text=row["text"],
                    published=parse_dt(row["published"]),
                    language=row["language"],
                ),
                story_key=row["story_key"],
                seen_at=parse_dt(row["seen_at"]) or since,
                alertable=bool(row["alertable"]),
                alerted=bool(row["alerted"]),
            )

    # --- retention -------------------------------------------------------------------------------

    def prune(self, before: datetime) -> tuple[int, int]:
        """Delete items and delivered alerts older than `before`. Pending and printed alerts are
        kept (Slack is owed them). Returns (items, alerts) deleted."""
        with self._transaction() as conn:
            alerts = conn.execute(
                "DELETE FROM alerts WHERE created < ? AND status NOT IN ('pending', 'printed')",
                (iso(before),),
            ).rowcount
            items = conn.execute(
                "DELETE FROM items WHERE seen_at < ? AND id NOT IN"
                " (SELECT item_id FROM alerts WHERE item_id IS NOT NULL)",
                (iso(before),),
            ).rowcount
        return items, alerts


def _feed_state(row: sqlite3.Row) -> FeedState:
    data: dict[str, Any] = dict(row)
    for key in ("last_attempt", "last_success", "last_error_at", "next_due"):
        data[key] = parse_dt(data[key])
    data["throttled"] = bool(data["throttled"])
    return FeedState(**data)
