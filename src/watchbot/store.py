"""SQLite state: feeds, items seen, alerts. The only module with SQL.

The schema is versioned with `PRAGMA user_version`; `MIGRATIONS[n]` takes a database from
version n to n+1. WAL mode and a busy timeout let `watchbot feeds` read while a run writes.
One connection, guarded by a lock, is shared by the daemon's threads.

An item and the alerts it causes are recorded in one transaction, before anything is posted:
after a crash either both are there (and the pending alerts are delivered next cycle) or neither
(and the item is seen again as new).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from watchbot.errors import LockedError, WatchbotError
from watchbot.models import AlertStatus, Decision, Hit, Story, WatchlistVerdict

MIGRATIONS: tuple[str, ...] = (
    # 0 → 1: the first schema
    """
    CREATE TABLE feeds (
        name          TEXT PRIMARY KEY,
        url           TEXT NOT NULL,        -- the configured url when last polled
        moved_to      TEXT,                 -- where a permanent redirect led; polled instead
        etag          TEXT,
        last_modified TEXT,
        last_attempt  TEXT,
        last_success  TEXT,
        last_error    TEXT,
        last_error_at TEXT,
        next_due      TEXT,
        items_seen    INTEGER NOT NULL DEFAULT 0,
        polls         INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE items (
        id         INTEGER PRIMARY KEY,
        feed       TEXT NOT NULL,
        story_key  TEXT NOT NULL,
        title      TEXT NOT NULL,
        text       TEXT NOT NULL,
        url        TEXT,
        published  TEXT,
        language   TEXT,
        seen_at    TEXT NOT NULL,
        alertable  INTEGER NOT NULL        -- 0 when too old (max_age) to alert
    );
    CREATE INDEX items_seen_at ON items (seen_at);
    CREATE TABLE item_keys (
        key     TEXT PRIMARY KEY,          -- guid:FEED:GUID, url:CANONICAL or hash:...
        item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE
    );
    CREATE INDEX item_keys_item ON item_keys (item_id);
    CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY,
        item_id     INTEGER REFERENCES items (id) ON DELETE SET NULL,
        story_key   TEXT NOT NULL,
        channel     TEXT NOT NULL,
        status      TEXT NOT NULL,          -- pending | sent | related (see models.AlertStatus)
        parent_id   INTEGER REFERENCES alerts (id) ON DELETE SET NULL,
        story       TEXT NOT NULL,          -- JSON of the Story, to post after a restart
        verdicts    TEXT NOT NULL,          -- JSON of the matching verdicts
        signature   TEXT,                   -- JSON of the dedup signature (top-level alerts)
        created     TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        sent_at     TEXT,
        ts          TEXT,                   -- Slack's message ts once sent
        UNIQUE (story_key, channel)
    );
    CREATE INDEX alerts_status ON alerts (status);
    CREATE INDEX alerts_channel_created ON alerts (channel, created);
    CREATE TABLE channels (
        name TEXT PRIMARY KEY,              -- as written in config ("#mexico-desk")
        id   TEXT NOT NULL                  -- Slack's id, which history look-ups need
    );
    """,
)


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def story_to_json(story: Story) -> str:
    data = {k: getattr(story, k) for k in Story.__dataclass_fields__}
    data["published"] = _iso(story.published)
    return json.dumps(data, ensure_ascii=False)


def story_from_json(text: str) -> Story:
    data = json.loads(text)
    data["published"] = _dt(data.get("published"))
    return Story(**data)


def verdicts_to_json(verdicts: Sequence[WatchlistVerdict]) -> str:
    return json.dumps([asdict(v) for v in verdicts], ensure_ascii=False)


def verdicts_from_json(text: str) -> tuple[WatchlistVerdict, ...]:
    out = []
    for v in json.loads(text):
        v["hits"] = tuple(Hit(**h) for h in v["hits"])
        v["reasons"] = tuple(v.get("reasons", ()))
        v["decisions"] = tuple(Decision(**d) for d in v.get("decisions", ()))
        out.append(WatchlistVerdict(**v))
    return tuple(out)


@dataclass(frozen=True)
class FeedState:
    name: str
    url: str
    moved_to: str | None
    etag: str | None
    last_modified: str | None
    last_attempt: datetime | None
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    next_due: datetime | None
    items_seen: int
    polls: int


@dataclass(frozen=True)
class StoredAlert:
    id: int
    story_key: str
    channel: str
    status: AlertStatus
    parent_id: int | None
    story: Story
    verdicts_json: str
    created: datetime
    attempts: int
    ts: str | None
    parent_ts: str | None  # the parent alert's ts, for replies


@dataclass(frozen=True)
class NewAlert:
    """An alert to record with its item: top-level (parent_id None) or a related report."""

    channel: str
    verdicts_json: str
    signature_json: str | None
    parent_id: int | None = None
    status: AlertStatus = AlertStatus.PENDING


@dataclass(frozen=True)
class StoredStory:
    item_id: int
    story: Story
    story_key: str
    seen_at: datetime
    alertable: bool
    alerted: bool  # an alert (or related report) was recorded for it


class Store:
    """The project's SQLite database. Methods are thread-safe."""

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self.conn = conn
        self.path = path
        self._lock = threading.RLock()
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA foreign_keys = ON")
        self._migrate()

    @classmethod
    def open(cls, path: Path) -> Store:
        """Open (creating it and its folder on first use) the database at `path`."""
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(path, timeout=30, check_same_thread=False, isolation_level=None)
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA busy_timeout = 30000")
            conn.execute("PRAGMA synchronous = NORMAL")
        except (OSError, sqlite3.Error) as e:
            raise WatchbotError(
                f"cannot open database {path}: {e}; check `database` in the config"
            ) from e
        try:
            return cls(conn, path)
        except BaseException:
            conn.close()  # e.g. a newer schema: do not leave the file open behind the error
            raise

    @classmethod
    def open_copy(cls, path: Path) -> Store:
        """An in-memory copy of the database at `path` (empty if there is none): for dry runs
        that must behave like a real run without changing the real state."""
        memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        if path.exists():
            # as_uri() percent-encodes the path: a '#' or '?' in a folder name would otherwise
            # cut the URI short and open (and create) some other file
            source = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                source.backup(memory)
            finally:
                source.close()
        return cls(memory, None)

    def close(self) -> None:
        with self._lock:
            self.conn.close()

    # --- schema ----------------------------------------------------------------------------------

    def _migrate(self) -> None:
        with self._lock:
            version = self.conn.execute("PRAGMA user_version").fetchone()[0]
            if version > len(MIGRATIONS):
                raise WatchbotError(
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
        with self._lock:
            return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # --- feeds -----------------------------------------------------------------------------------

    def feed_state(self, name: str) -> FeedState | None:
        with self._lock:
            row = self.conn.execute("SELECT * FROM feeds WHERE name = ?", (name,)).fetchone()
        return _feed_state(row) if row else None

    def feed_states(self) -> dict[str, FeedState]:
        with self._lock:
            rows = self.conn.execute("SELECT * FROM feeds").fetchall()
        return {row["name"]: _feed_state(row) for row in rows}

    def _ensure_feed(self, conn: sqlite3.Connection, name: str, url: str) -> None:
        conn.execute("INSERT OR IGNORE INTO feeds (name, url) VALUES (?, ?)", (name, url))
        # a new url in the config wins over a redirect remembered for the old one
        conn.execute(
            "UPDATE feeds SET url = ?, moved_to = NULL, etag = NULL, last_modified = NULL "
            "WHERE name = ? AND url != ?",
            (url, name, url),
        )

    def record_fetch_success(
        self,
        name: str,
        url: str,
        *,
        now: datetime,
        next_due: datetime,
        etag: str | None,
        last_modified: str | None,
        moved_to: str | None,
        new_items: int,
    ) -> None:
        with self._transaction() as conn:
            self._ensure_feed(conn, name, url)
            conn.execute(
                "UPDATE feeds SET etag = ?, last_modified = ?, last_attempt = ?, last_success = ?,"
                " next_due = ?, items_seen = items_seen + ?, polls = polls + 1,"
                " moved_to = COALESCE(?, moved_to) WHERE name = ?",
                (
                    etag,
                    last_modified,
                    _iso(now),
                    _iso(now),
                    _iso(next_due),
                    new_items,
                    moved_to,
                    name,
                ),
            )

    def record_fetch_error(
        self, name: str, url: str, *, now: datetime, next_due: datetime, error: str
    ) -> None:
        with self._transaction() as conn:
            self._ensure_feed(conn, name, url)
            conn.execute(
                "UPDATE feeds SET last_attempt = ?, last_error = ?, last_error_at = ?,"
                " next_due = ? WHERE name = ?",
                (_iso(now), error, _iso(now), _iso(next_due), name),
            )

    # --- items -----------------------------------------------------------------------------------

    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of `keys` belong to an item already recorded."""
        if not keys:
            return set()
        marks = ",".join("?" * len(keys))
        with self._lock:
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

    def record_item(
        self,
        story: Story,
        keys: Sequence[str],
        *,
        now: datetime,
        alertable: bool,
        alerts: Sequence[NewAlert] = (),
    ) -> list[int | None]:
        """Record a new item and the alerts it causes, atomically. Returns the alerts' ids, in
        order; None where an alert for that (story, channel) existed already."""
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
                    _iso(story.published),
                    story.language,
                    _iso(now),
                    int(alertable),
                ),
            )
            item_id = cur.lastrowid
            conn.executemany(
                "INSERT OR IGNORE INTO item_keys (key, item_id) VALUES (?, ?)",
                [(k, item_id) for k in keys],
            )
            for alert in alerts:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO alerts (item_id, story_key, channel, status, parent_id,"
                    " story, verdicts, signature, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        item_id,
                        keys[0],
                        alert.channel,
                        str(alert.status),
                        alert.parent_id,
                        story_to_json(story),
                        alert.verdicts_json,
                        alert.signature_json,
                        _iso(now),
                    ),
                )
                ids.append(int(cur.lastrowid) if cur.rowcount and cur.lastrowid else None)
        return ids

    def stories_since(self, since: datetime) -> Iterator[StoredStory]:
        """Stored stories seen since `since`, oldest first (for backtests)."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT items.*, EXISTS (SELECT 1 FROM alerts WHERE alerts.item_id = items.id)"
                " AS alerted FROM items WHERE seen_at >= ? ORDER BY seen_at, id",
                (_iso(since),),
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
                    published=_dt(row["published"]),
                    language=row["language"],
                ),
                story_key=row["story_key"],
                seen_at=_dt(row["seen_at"]) or since,
                alertable=bool(row["alertable"]),
                alerted=bool(row["alerted"]),
            )

    # --- alerts ----------------------------------------------------------------------------------

    def _alert(self, row: sqlite3.Row) -> StoredAlert:
        return StoredAlert(
            id=row["id"],
            story_key=row["story_key"],
            channel=row["channel"],
            status=AlertStatus(row["status"]),
            parent_id=row["parent_id"],
            story=story_from_json(row["story"]),
            verdicts_json=row["verdicts"],
            created=_dt(row["created"]) or datetime.now(UTC),
            attempts=row["attempts"],
            ts=row["ts"],
            parent_ts=row["parent_ts"],
        )

    _ALERT_SELECT = (
        "SELECT a.*, p.ts AS parent_ts FROM alerts a LEFT JOIN alerts p ON p.id = a.parent_id"
    )

    def pending_alerts(self) -> list[StoredAlert]:
        """Alerts recorded but not yet delivered, oldest first (parents before their replies)."""
        with self._lock:
            rows = self.conn.execute(
                f"{self._ALERT_SELECT} WHERE a.status = 'pending' ORDER BY a.id"
            ).fetchall()
        return [self._alert(r) for r in rows]

    def alert(self, alert_id: int) -> StoredAlert | None:
        with self._lock:
            row = self.conn.execute(f"{self._ALERT_SELECT} WHERE a.id = ?", (alert_id,)).fetchone()
        return self._alert(row) if row else None

    def alerts(self) -> list[StoredAlert]:
        with self._lock:
            rows = self.conn.execute(f"{self._ALERT_SELECT} ORDER BY a.id").fetchall()
        return [self._alert(r) for r in rows]

    def mark_attempt(self, alert_id: int) -> None:
        """Recorded before each post: an alert that is still pending with attempts > 0 may have
        reached Slack without our hearing back, so the next try looks for it first."""
        with self._transaction() as conn:
            conn.execute("UPDATE alerts SET attempts = attempts + 1 WHERE id = ?", (alert_id,))

    def mark_sent(self, alert_id: int, ts: str | None, now: datetime) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE alerts SET status = 'sent', ts = ?, sent_at = ?, last_error = NULL"
                " WHERE id = ?",
                (ts, _iso(now), alert_id),
            )

    def mark_status(self, alert_id: int, status: AlertStatus, error: str | None = None) -> None:
        """E.g. `related` for a reply a webhook cannot thread: recorded, never posted."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE alerts SET status = ?, last_error = ? WHERE id = ?",
                (status, error, alert_id),
            )

    def mark_attempt_failed(self, alert_id: int, error: str) -> None:
        """A delivery attempt failed; the alert stays pending for the next cycle."""
        with self._transaction() as conn:
            conn.execute("UPDATE alerts SET last_error = ? WHERE id = ?", (error, alert_id))

    def window_alerts(self, channel: str, since: datetime) -> list[tuple[int, str, datetime]]:
        """(id, signature JSON, created) of top-level alerts in `channel` since `since`."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT id, signature, created FROM alerts WHERE channel = ? AND created >= ?"
                " AND parent_id IS NULL AND signature IS NOT NULL ORDER BY id",
                (channel, _iso(since)),
            ).fetchall()
        return [(r[0], r[1], _dt(r[2]) or since) for r in rows]

    def thread_feeds(self, alert_id: int) -> set[str]:
        """The outlets already in an alert's thread: its own and those of its related reports."""
        with self._lock:
            rows = self.conn.execute(
                "SELECT items.feed FROM alerts JOIN items ON items.id = alerts.item_id"
                " WHERE alerts.id = ? OR alerts.parent_id = ?",
                (alert_id, alert_id),
            ).fetchall()
        return {row[0] for row in rows}

    def pending_error(self) -> str | None:
        """The latest delivery error of an alert still pending, for `watchbot feeds`."""
        with self._lock:
            row = self.conn.execute(
                "SELECT last_error FROM alerts WHERE status = 'pending' AND last_error IS NOT NULL"
                " ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self.conn.execute(
                "SELECT status, COUNT(*) FROM alerts GROUP BY status"
            ).fetchall()
            items = self.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        out = {row[0]: row[1] for row in rows}
        out["items"] = items
        return out

    def channel_id(self, name: str) -> str | None:
        with self._lock:
            row = self.conn.execute("SELECT id FROM channels WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def remember_channel(self, name: str, channel_id: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO channels (name, id) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET id = excluded.id",
                (name, channel_id),
            )

    # --- retention -------------------------------------------------------------------------------

    def prune(self, before: datetime) -> tuple[int, int]:
        """Delete items and delivered alerts older than `before`. Pending alerts are kept (never
        lost). Returns (items, alerts) deleted."""
        with self._transaction() as conn:
            alerts = conn.execute(
                "DELETE FROM alerts WHERE created < ? AND status != 'pending'", (_iso(before),)
            ).rowcount
            items = conn.execute(
                "DELETE FROM items WHERE seen_at < ? AND id NOT IN"
                " (SELECT item_id FROM alerts WHERE item_id IS NOT NULL)",
                (_iso(before),),
            ).rowcount
        return items, alerts


def _feed_state(row: sqlite3.Row) -> FeedState:
    data: dict[str, Any] = dict(row)
    for key in ("last_attempt", "last_success", "last_error_at", "next_due"):
        data[key] = _dt(data[key])
    return FeedState(**data)


class RunLock:
    """An exclusive lock beside the database, held for a whole run: a cron `poll` that starts
    while the daemon or another poll is working exits 75 instead of doubling their alerts. The
    OS releases it when the holder dies, so a crash never leaves it stuck."""

    def __init__(self, database: Path) -> None:
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise LockedError(
                f"another watchbot run (pid {holder}) holds {self.path}; this run exits "
                "without polling"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
