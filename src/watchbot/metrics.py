"""What a run counts and times, for `/metrics` (Prometheus, with prometheus-client), `/healthz`
and the daemon's heartbeat. One `Metrics` object is passed to the pipeline and the outbox; each
has its own registry (never the global one), so runs and tests never share counters, and a
`poll` needs no HTTP server to count.

Callers say what happened (`feed_polled`, `alert_sent`, …); how it is counted stays here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from watchbot.models import PendingAlert

# fetches and posts take from milliseconds to a timeout; an item reaches Slack minutes to hours
# after its outlet published it (feeds are polled every few minutes, some publish late)
_LATENCY = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60)
_AGE = (30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 21600, 86400, 172800)

TOTALS = (
    "polls",
    "polls_failed",
    "items",
    "alerts",
    "related",
    "sent",
    "delivery_failed",
)


@dataclass(frozen=True)
class HealthFacts:
    """What `/healthz` judges by (health.py decides)."""

    started: datetime
    last_good_poll: datetime | None
    last_poll_error: str | None
    delivery_failing_since: datetime | None
    last_delivery_error: str | None
    pending: int


class Metrics:
    """Counters and timings of one run. Thread-safe (the daemon polls feeds in parallel)."""

    def __init__(
        self,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.registry = registry or CollectorRegistry()
        self.clock = clock
        self._register(self.registry)
        self._lock = threading.Lock()
        self._totals = dict.fromkeys(TOTALS, 0)
        self._started = clock()
        self._last_good_poll: datetime | None = None
        self._last_poll_error: str | None = None
        self._failing_since: datetime | None = None
        self._delivery_error: str | None = None
        self._pending_count = 0

    def _register(self, r: CollectorRegistry) -> None:
        """The metrics `/metrics` serves, in registry `r`."""
        self._polls = Counter(
            "watchbot_feed_polls",
            "Feed polls, by feed and outcome (ok, failed).",
            ["feed", "outcome"],
            registry=r,
        )
        self._items = Counter(
            "watchbot_items_seen", "New items seen in feeds, by feed.", ["feed"], registry=r
        )
        self._matched = Counter(
            "watchbot_alerts_matched",
            "New alerts recorded (a story matched a watchlist).",
            registry=r,
        )
        self._related = Counter(
            "watchbot_related_reports",
            "Reports of a story already alerted (thread replies).",
            registry=r,
        )
        self._sent = Counter(
            "watchbot_alerts_sent",
            "Alerts and replies delivered, by channel.",
            ["channel"],
            registry=r,
        )
        self._failed = Counter(
            "watchbot_alerts_failed",
            "Delivery attempts that failed, by channel.",
            ["channel"],
            registry=r,
        )
        self._pending = Gauge(
            "watchbot_alerts_pending", "Alerts recorded and not yet delivered.", registry=r
        )
        self._fetch = Histogram(
            "watchbot_fetch_seconds",
            "Time to fetch and read one feed.",
            buckets=_LATENCY,
            registry=r,
        )
        self._delivery = Histogram(
            "watchbot_delivery_seconds",
            "Time to deliver one alert or reply.",
            buckets=_LATENCY,
            registry=r,
        )
        self._age = Histogram(
            "watchbot_publication_to_alert_seconds",
            "From an item's publication (its feed's date) to its alert in Slack.",
            buckets=_AGE,
            registry=r,
        )
        self._last_good = Gauge(
            "watchbot_last_good_poll_timestamp_seconds",
            "When a feed was last polled successfully (Unix time).",
            registry=r,
        )

    # --- what callers report ----------------------------------------------------------------

    def feed_polled(
        self,
        feed: str,
        *,
        seconds: float | None,
        error: str | None = None,
        new_items: int = 0,
        alerts: int = 0,
        related: int = 0,
    ) -> None:
        self._polls.labels(feed, "failed" if error else "ok").inc()
        if seconds is not None:  # unknown when fetches overlap (a poll's concurrent cycle)
            self._fetch.observe(seconds)
        self._items.labels(feed).inc(new_items)
        self._matched.inc(alerts)
        self._related.inc(related)
        now = self.clock()
        with self._lock:
            self._add(polls=1, polls_failed=int(bool(error)), items=new_items)
            self._add(alerts=alerts, related=related)
            if error:
                self._last_poll_error = error
            else:
                self._last_good_poll = now
        if not error:
            self._last_good.set(now.timestamp())

    def alert_sent(self, alert: PendingAlert, seconds: float) -> None:
        self._sent.labels(alert.channel).inc()
        published = alert.story.published
        self._delivery.observe(seconds)
        now = self.clock()
        if published is not None and published <= now:
            self._age.observe((now - published).total_seconds())
        with self._lock:
            self._add(sent=1)
            self._failing_since, self._delivery_error = None, None

    def alert_failed(self, channel: str, error: str) -> None:
        self._failed.labels(channel).inc()
        now = self.clock()
        with self._lock:
            self._add(delivery_failed=1)
            self._failing_since = self._failing_since or now
            self._delivery_error = error

    def pending(self, count: int) -> None:
        self._pending.set(count)
        with self._lock:
            self._pending_count = count

    # --- what health and the heartbeat read --------------------------------------------------

    def totals(self) -> dict[str, int]:
        """Running totals since the start (the heartbeat logs the difference)."""
        with self._lock:
            return dict(self._totals)

    def health(self) -> HealthFacts:
        with self._lock:
            return HealthFacts(
                started=self._started,
                last_good_poll=self._last_good_poll,
                last_poll_error=self._last_poll_error,
                delivery_failing_since=self._failing_since,
                last_delivery_error=self._delivery_error,
                pending=self._pending_count,
            )

    def _add(self, **counts: int) -> None:
        for key, value in counts.items():
            self._totals[key] += value
