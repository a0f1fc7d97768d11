"""The alert tables: recording, reading back and marking alerts for the outbox."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime

from watchbot.models import AlertStatus, FollowsLink, PendingAlert, PostedStory, WindowReport
from watchbot.store.codec import iso, parse_dt, story_from_json, verdicts_from_json
from watchbot.store.connection import Connection


class AlertTables(Connection):
    """Alerts: pending, sent, printed, related, failed; threads and channel ids."""

    def _alert(self, row: sqlite3.Row) -> PendingAlert:
        return PendingAlert(
            id=row["id"],
            story_key=row["story_key"],
            channel=row["channel"],
            status=AlertStatus(row["status"]),
            parent_id=row["parent_id"],
            story=story_from_json(row["story"]),
            verdicts=verdicts_from_json(row["verdicts"]),
            created=parse_dt(row["created"]) or datetime.now(UTC),
            attempts=row["attempts"],
            ts=row["ts"],
            last_error=row["last_error"],
            follows=_follows(row),
        )

    # with the title, link and outlet of the earlier alert an alert follows, if any
    _ALERT_SELECT = (
        "SELECT a.*, f.story AS follows_story FROM alerts a"
        " LEFT JOIN alerts f ON f.id = a.follows_id"
    )

    def pending_alerts(self, include_printed: bool = False) -> list[PendingAlert]:
        """Alerts recorded but not yet delivered (with `include_printed`, also those only shown
        on stdout, which Slack is still owed), oldest first (parents before their replies)."""
        statuses = ("pending", "printed") if include_printed else ("pending",)
        with self._guard():
            rows = self.conn.execute(
                f"{self._ALERT_SELECT} WHERE a.status IN ({','.join('?' * len(statuses))})"
                " ORDER BY a.id",
                statuses,
            ).fetchall()
        return [self._alert(r) for r in rows]

    def alerts_with_status(self, status: AlertStatus) -> list[PendingAlert]:
        """Every alert in `status`, oldest first (e.g. the failed ones, for `watchbot alerts`)."""
        with self._guard():
            rows = self.conn.execute(
                f"{self._ALERT_SELECT} WHERE a.status = ? ORDER BY a.id", (str(status),)
            ).fetchall()
        return [self._alert(r) for r in rows]

    def retry_failed(self, ids: Sequence[int] | None = None) -> list[int]:
        """Put failed alerts back to pending: those in `ids` (every failed one when None) and
        the failed replies in their threads. Returns the ids put back, in order."""
        with self._transaction() as conn:
            if ids is None:
                rows = conn.execute("SELECT id FROM alerts WHERE status = 'failed'").fetchall()
            else:
                marks = ",".join("?" * len(ids)) or "NULL"
                rows = conn.execute(
                    f"SELECT id FROM alerts WHERE status = 'failed' AND (id IN ({marks})"
                    f" OR parent_id IN ({marks}))",
                    (*ids, *ids),
                ).fetchall()
            chosen = sorted(row[0] for row in rows)
            conn.executemany(
                "UPDATE alerts SET status = 'pending', last_error = NULL WHERE id = ?",
                [(i,) for i in chosen],
            )
        return chosen

    def record_posted(self, posts: Sequence[PostedStory], now: datetime) -> int:
        """Record stories found in the channels' history as seen and alerted (after the
        database was lost or emptied): a story whose primary key is among them is never
        alerted again. Returns how many were new to the database."""
        added = 0
        with self._transaction() as conn:
            for post in posts:
                known = conn.execute(
                    "SELECT 1 FROM item_keys WHERE key = ?", (post.story_key,)
                ).fetchone()
                if known:
                    continue
                cur = conn.execute(
                    "INSERT INTO items (feed, story_key, title, text, url, published, language,"
                    " seen_at, alertable) VALUES (?, ?, ?, '', NULL, NULL, NULL, ?, 0)",
                    (f"slack:{post.channel}", post.story_key, f"posted at {post.ts}", iso(now)),
                )
                conn.execute(
                    "INSERT INTO item_keys (key, item_id) VALUES (?, ?)",
                    (post.story_key, cur.lastrowid),
                )
                added += 1
        return added

    def alert(self, alert_id: int) -> PendingAlert | None:
        with self._guard():
            row = self.conn.execute(f"{self._ALERT_SELECT} WHERE a.id = ?", (alert_id,)).fetchone()
        return self._alert(row) if row else None

    def alerts(self) -> list[PendingAlert]:
        with self._guard():
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
                (ts, iso(now), alert_id),
            )

    def mark_printed(self, alert_id: int) -> None:
        """Shown on stdout: never sent, still owed to Slack. No attempt is left on it, so Slack
        does not look for a post that was never made."""
        with self._transaction() as conn:
            conn.execute(
                "UPDATE alerts SET status = 'printed', attempts = 0, last_error = NULL"
                " WHERE id = ?",
                (alert_id,),
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

    def window_alerts(self, channel: str, since: datetime) -> list[WindowReport]:
        """The reports of `channel` since `since` that have a same-story payload: alerts, and
        thread replies with their thread, oldest first (a thread's alert before its replies)."""
        with self._guard():
            rows = self.conn.execute(
                "SELECT id, signature, created, parent_id FROM alerts WHERE channel = ?"
                " AND created >= ? AND signature IS NOT NULL ORDER BY id",
                (channel, iso(since)),
            ).fetchall()
        return [WindowReport(r[0], _payload(r[1]), parse_dt(r[2]) or since, r[3]) for r in rows]

    def thread_feeds(self, alert_id: int) -> set[str]:
        """The outlets already in an alert's thread: its own and those of its related reports."""
        with self._guard():
            rows = self.conn.execute(
                "SELECT items.feed FROM alerts JOIN items ON items.id = alerts.item_id"
                " WHERE alerts.id = ? OR alerts.parent_id = ?",
                (alert_id, alert_id),
            ).fetchall()
        return {row[0] for row in rows}

    def pending_error(self) -> str | None:
        """The latest delivery error of an alert still pending, for `watchbot feeds`."""
        with self._guard():
            row = self.conn.execute(
                "SELECT last_error FROM alerts WHERE status IN ('pending', 'printed')"
                " AND last_error IS NOT NULL"
                " ORDER BY id DESC LIMIT 1"
            ).fetchone()
        return row[0] if row else None

    def counts(self) -> dict[str, int]:
        with self._guard():
            rows = self.conn.execute(
                "SELECT status, COUNT(*) FROM alerts GROUP BY status"
            ).fetchall()
            items = self.conn.execute("SELECT COUNT(*) FROM items").fetchone()[0]
        out = {row[0]: row[1] for row in rows}
        out["items"] = items
        return out

    def channel_id(self, name: str) -> str | None:
        with self._guard():
            row = self.conn.execute("SELECT id FROM channels WHERE name = ?", (name,)).fetchone()
        return row[0] if row else None

    def remember_channel(self, name: str, channel_id: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT INTO channels (name, id) VALUES (?, ?)"
                " ON CONFLICT (name) DO UPDATE SET id = excluded.id",
                (name, channel_id),
            )


def _follows(row: sqlite3.Row) -> FollowsLink | None:
    if row["follows_story"] is None:
        return None
    story = story_from_json(row["follows_story"])
    return FollowsLink(story.title, story.url, story.feed)


def _payload(value: str | bytes) -> bytes:
    # stored as TEXT by versions before the payload was opaque; as BLOB since
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)
