"""watchbot's own errors. Third-party errors are wrapped at the edges into these.

    WatchbotError
    ├── ConfigError        bad config or watchlist (exit 2); carries every problem found
    ├── FeedError          one feed could not be fetched or parsed (reported, never fatal)
    ├── DeliveryError      Slack did not take an alert
    │   ├── TransientDeliveryError  429, 5xx, no connection: kept pending, that channel backs off
    │   ├── RefusedError   Slack refused this post for good (invalid_blocks, not_in_channel, …)
    │   └── SlackAuthError Slack refused our credentials (exit 3)
    ├── StoreError         the database or its lock file cannot be used: damaged, unreadable,
    │                      read-only, locked by another program (exit 2)
    └── LockedError        another run holds the database lock (exit 75)

Every message names the file, feed or channel concerned and, where there is one, the fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class WatchbotError(Exception):
    """Base of all of watchbot's errors."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a config or watchlist file."""

    path: Path | None
    line: int | None  # 1-based; None when unknown
    where: str  # dotted key path, e.g. "feeds[2].interval" or "entry 'sheinbaum'"
    message: str  # what is wrong and how to fix it

    def __str__(self) -> str:
        loc = str(self.path) if self.path else "<config>"
        if self.line:
            loc += f":{self.line}"
        return f"{loc}: {self.where}: {self.message}" if self.where else f"{loc}: {self.message}"


class ConfigError(WatchbotError):
    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class FeedError(WatchbotError):
    def __init__(self, feed: str, message: str) -> None:
        self.feed = feed
        super().__init__(f"feed {feed!r}: {message}")


class DeliveryError(WatchbotError):
    pass


class TransientDeliveryError(DeliveryError):
    """Try again later: the alert stays pending. `retry_after` is Slack's Retry-After in seconds
    when it gave one; the outbox defers only the alert's channel."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        self.retry_after = retry_after
        super().__init__(message)


class RefusedError(DeliveryError):
    """Slack refused the post and would refuse it again: the alert is marked failed. `code` is
    Slack's error (`invalid_blocks`, `channel_not_found`, …); with `channel_wide` every post to
    that channel would be refused too (the channel pauses; its other alerts stay pending)."""

    def __init__(self, message: str, *, code: str, channel_wide: bool = False) -> None:
        self.code = code
        self.channel_wide = channel_wide
        super().__init__(message)


class SlackAuthError(DeliveryError):
    pass


class StoreError(WatchbotError):
    """One line naming the file and the fix; never retried, since a human must act."""


class LockedError(WatchbotError):
    pass
