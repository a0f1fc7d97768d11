"""State: feeds, items seen, alerts. `StateStore` is what the pipeline, the outbox and the
commands need of it, in their words; `SqliteStore` is the one implementation, and the only SQL.

A new backend (PostgreSQL, for several workers) is one module here with a class that passes
`tests/test_store_contract.py`, plus one line in `open_store`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Protocol, runtime_checkable

from watchbot import models
from watchbot.store.lock import RunLock
from watchbot.store.sqlite import SqliteStore


@runtime_checkable
class StateStore(Protocol):
    """Everything watchbot remembers. Methods are thread-safe; each write is atomic."""

    # feeds (pipeline, `watchbot feeds`)
    def feed_state(self, name: str) -> models.FeedState | None: ...
    def feed_states(self) -> dict[str, models.FeedState]: ...
    def record_feed_update(self, update: models.FeedUpdate) -> None:
        """Record one poll of a feed: its validators, counts and warning, or its error (which
        counts the failures in a row, and with `disabled` stops the feed). A new configured url
        resets validators, redirect, body hash and a disabled mark."""
        ...

    # items (pipeline, backtest)
    def known_keys(self, keys: Sequence[str]) -> set[str]:
        """Which of `keys` belong to an item already recorded."""
        ...

    def add_keys(self, known: str, keys: Sequence[str]) -> None:
        """Attach more identity keys to the item that has the key `known`."""
        ...

    def item_of_key(self, key: str) -> models.KnownItem | None:
        """The recorded item that has the key `key` (its feed, link and every key), or None."""
        ...

    def record_item(self, item: models.ItemIntent) -> list[int | None]:
        """Record a new item and its alerts in one transaction; the alerts' ids in order, None
        where that (story, channel) had an alert already."""
        ...

    def stories_since(self, since: datetime) -> Iterator[models.StoredStory]: ...

    # alerts (pipeline, outbox)
    def window_alerts(self, channel: str, since: datetime) -> list[models.WindowReport]:
        """The reports of `channel` since `since` with a same-story payload: alerts, and
        thread replies with their thread; oldest first."""
        ...

    def thread_feeds(self, alert_id: int) -> set[str]:
        """The outlets already in an alert's thread, its own included."""
        ...

    def pending_alerts(self, include_printed: bool = False) -> list[models.PendingAlert]:
        """Alerts not yet delivered, oldest first (a parent before its replies); with
        `include_printed` also those only shown on stdout (Slack is still owed them)."""
        ...

    def alerts_with_status(self, status: models.AlertStatus) -> list[models.PendingAlert]:
        """Every alert in `status`, oldest first (`watchbot alerts` lists the failed ones)."""
        ...

    def retry_failed(self, ids: Sequence[int] | None = None) -> list[int]:
        """Failed alerts back to pending: `ids` (all when None) and the failed replies in their
        threads; the ids put back."""
        ...

    def record_posted(self, posts: Sequence[models.PostedStory], now: datetime) -> int:
        """Stories found in Slack's history recorded as seen, so they never alert again; how
        many were new."""
        ...

    def alert(self, alert_id: int) -> models.PendingAlert | None: ...
    def mark_attempt(self, alert_id: int) -> None:
        """Recorded before each post: a pending alert with attempts may have been delivered."""
        ...

    def mark_sent(self, alert_id: int, ts: str | None, now: datetime) -> None: ...
    def mark_printed(self, alert_id: int) -> None:
        """Shown on stdout, never sent: still owed to Slack (`pending_alerts(True)`)."""
        ...

    def mark_status(
        self, alert_id: int, status: models.AlertStatus, error: str | None = None
    ) -> None: ...
    def mark_attempt_failed(self, alert_id: int, error: str) -> None: ...

    # the Slack sink's channel ids
    def channel_id(self, name: str) -> str | None: ...
    def remember_channel(self, name: str, channel_id: str) -> None: ...

    # `watchbot feeds`, housekeeping
    def pending_error(self) -> str | None: ...
    def counts(self) -> dict[str, int]: ...
    def prune(self, before: datetime) -> tuple[int, int]:
        """Delete items and delivered alerts older than `before`; (items, alerts) deleted."""
        ...

    def close(self) -> None: ...


def open_store(database: Path, *, copy: bool = False, writable: bool = True) -> StateStore:
    """The store at `database` (created on first use), or with `copy` an in-memory copy of it
    that a dry run may change freely. A file that cannot be used (damaged, read-only, locked;
    with `writable`, also not writable now) raises StoreError naming the file and the fix."""
    if copy:
        return SqliteStore.open_copy(database)
    return SqliteStore.open(database, writable=writable)


__all__ = ["RunLock", "SqliteStore", "StateStore", "open_store"]
