"""Per-channel pacing for the outbox, pure: Slack's ~1 message per second per channel with
short bursts (a token bucket), and each channel's own backoff after a failure. Time is passed
in, never read here, so tests need no sleeps."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

RATE_PER_SECOND = 1.0  # Slack: about one message per second per channel
BURST = 4  # messages a quiet channel may take at once
BACKOFF_FIRST = timedelta(seconds=1)
BACKOFF_MAX = timedelta(minutes=5)


@dataclass
class TokenBucket:
    """`take(now)` spends a token if one is there; `ready_at(now)` says when one will be."""

    rate: float = RATE_PER_SECOND
    burst: float = BURST
    tokens: float = BURST
    updated: datetime | None = None

    def _refill(self, now: datetime) -> None:
        if self.updated is not None and now > self.updated:
            elapsed = (now - self.updated).total_seconds()
            self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        if self.updated is None or now > self.updated:
            self.updated = now

    def take(self, now: datetime) -> bool:
        self._refill(now)
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def ready_at(self, now: datetime) -> datetime:
        self._refill(now)
        if self.tokens >= 1.0:
            return now
        return now + timedelta(seconds=(1.0 - self.tokens) / self.rate)


def backoff(failures: int) -> timedelta:
    """How long a channel waits after its `failures`-th transient failure in a row (1-based):
    1 s, 2 s, 4 s … up to 5 minutes."""
    wait: timedelta = BACKOFF_FIRST * (2 ** min(20, max(0, failures - 1)))
    return min(BACKOFF_MAX, wait)


@dataclass
class ChannelPace:
    """One channel's delivery state in the outbox."""

    bucket: TokenBucket
    not_before: datetime | None = None  # deferred (Retry-After, backoff, pause) until then
    failures: int = 0  # transient failures in a row
    refusals: int = 0  # permanent refusals in a row
    reason: str | None = None  # why it is deferred, for the report

    def ready_at(self, now: datetime) -> datetime:
        token = self.bucket.ready_at(now)
        if self.not_before is not None and self.not_before > token:
            return self.not_before
        return token

    def defer(self, now: datetime, wait: timedelta, reason: str) -> None:
        self.not_before = now + wait
        self.reason = reason

    def succeeded(self) -> None:
        self.not_before, self.failures, self.refusals, self.reason = None, 0, 0, None
