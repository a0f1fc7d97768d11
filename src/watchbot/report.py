"""What a poll cycle did, feed by feed (pipeline → cli): counts, errors and the one-line
summary `poll` prints."""

from __future__ import annotations

from dataclasses import dataclass, field

from watchbot.notify import DeliveryReport


@dataclass
class FeedOutcome:
    feed: str
    error: str | None = None
    stories: int = 0  # items in the feed this time
    new_items: int = 0
    alerts: int = 0  # new top-level alerts recorded
    related: int = 0  # related reports recorded
    not_modified: bool = False  # a 304, or a body identical to the last one (not parsed)
    skipped: str | None = None  # why the feed was not fetched (disabled, backing off)
    warning: str | None = None  # degraded: what was wrong with the feed, items kept
    item_errors: int = 0  # items skipped by an unexpected error (logged; tried again next poll)

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass
class CycleReport:
    feeds: list[FeedOutcome] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)

    @property
    def failed(self) -> list[FeedOutcome]:
        return [f for f in self.feeds if not f.ok]

    @property
    def all_failed(self) -> bool:
        return bool(self.feeds) and len(self.failed) == len(self.feeds)

    def summary(self) -> str:
        new = sum(f.new_items for f in self.feeds)
        alerts = sum(f.alerts for f in self.feeds)
        related = sum(f.related for f in self.feeds)
        d = self.delivery
        text = (
            f"polled {len(self.feeds)} feed(s), {len(self.failed)} failed; {new} new item(s), "
            f"{alerts} alert(s), {related} related report(s); {d.summary()}"
        )
        item_errors = sum(f.item_errors for f in self.feeds)
        if item_errors:
            text += f"; {item_errors} item(s) skipped by an error (see the log; retried next poll)"
        if d.errors:
            text += f"; {len(d.errors)} delivery error(s), kept pending for the next cycle"
        if d.failed:
            text += (
                f"; {len(d.failed)} alert(s) refused by Slack, marked failed (`watchbot alerts`)"
            )
        if d.deferred:
            text += f"; {len(d.deferred)} channel(s) deferred to the next cycle"
        return text
