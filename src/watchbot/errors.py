"""watchbot's own errors. Third-party errors are wrapped at the edges into these.

    WatchbotError
    ├── ConfigError        bad config or watchlist (exit 2); carries every problem found
    ├── FeedError          one feed could not be fetched or parsed (reported, never fatal)
    ├── DeliveryError      Slack did not take an alert; it stays pending for the next cycle
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


class SlackAuthError(DeliveryError):
    pass


class StoreError(WatchbotError):
    """One line naming the file and the fix; never retried, since a human must act."""


class LockedError(WatchbotError):
    pass
