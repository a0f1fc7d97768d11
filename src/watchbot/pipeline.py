"""One polling cycle: where the stages meet.

    fetch → Story → seen before? → match → same story alerted? → decide → record → outbox

IO happens before and after the decision in the middle (`decide.py`), which is pure. The
pipeline speaks to the store through `StateStore`, to Slack through the `Outbox`, and to the
same-story method through `SameStoryIndex`: it imports no SQL, Slack or same-story code.

A failing feed never stops the others and a failing item never stops the rest of its feed: each
failure is recorded (and shown by `watchbot feeds`) and the cycle goes on. Everything is recorded
before it is delivered, so a crash at any point loses nothing and, on the next cycle, doubles
nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from watchbot.decide import by_channel, is_alertable, plan_alerts
from watchbot.errors import FeedError, StoreError
from watchbot.fetch import fetch_many, fetch_with_state, item_keys, make_client
from watchbot.health import judge
from watchbot.match import Matcher
from watchbot.metrics import Metrics
from watchbot.models import (
    Config,
    FeedConfig,
    FeedState,
    FeedUpdate,
    FetchResult,
    ItemIntent,
    RelatedMode,
    Story,
    Watchlist,
)
from watchbot.notify import DeliveryReport, Outbox
from watchbot.redact import redact
from watchbot.samestory import SameStoryIndex, make_index
from watchbot.store import StateStore

log = logging.getLogger("watchbot")

Clock = Callable[[], datetime]
IndexFactory = Callable[[timedelta], SameStoryIndex]

__all__ = ["CycleReport", "FeedOutcome", "Pipeline", "is_alertable", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class FeedOutcome:
    feed: str
    error: str | None = None
    stories: int = 0  # items in the feed this time
    new_items: int = 0
    alerts: int = 0  # new top-level alerts recorded
    related: int = 0  # related reports recorded
    not_modified: bool = False
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


class Pipeline:
    """Holds what lives longer than a cycle: the compiled matcher, the store, the outbox, the
    HTTP client and one same-story index per channel. Thread-safe: the daemon fetches feeds in
    parallel, and everything after the fetch runs under one lock."""

    def __init__(
        self,
        config: Config,
        watchlists: Sequence[Watchlist],
        store: StateStore,
        outbox: Outbox,
        *,
        clock: Clock = utc_now,
        client: httpx.Client | None = None,
        index_factory: IndexFactory = make_index,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.matcher = Matcher.compile(watchlists)
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.client = client or make_client()
        self.index_factory = index_factory
        self.metrics = metrics or Metrics(clock=clock)
        self._lock = threading.RLock()  # recording: matcher, same-story indexes, items
        self._indexes: dict[str, SameStoryIndex] = {}

    def use_watchlists(self, watchlists: Sequence[Watchlist]) -> None:
        """Swap in edited watchlists (the daemon reloads them without a restart)."""
        matcher = Matcher.compile(watchlists)
        with self._lock:
            self.matcher = matcher

    def use_config(self, config: Config, watchlists: Sequence[Watchlist]) -> None:
        """Swap in a reloaded config and its watchlists, whole (the daemon's hot reload). The
        same-story indexes are rebuilt from the store when the window changed."""
        matcher = Matcher.compile(watchlists)
        with self._lock:
            if config.dedup.window != self.config.dedup.window:
                self._indexes.clear()
            self.config, self.matcher = config, matcher

    def close(self) -> None:
        self.client.close()

    def health(self) -> tuple[bool, str]:
        """(healthy, why), as `/healthz` and the heartbeat say it."""
        return judge(
            self.metrics.health(),
            self.clock(),
            shortest_interval=min((f.interval for f in self.config.feeds), default=None),
            delivery_failing=self.config.health.delivery_failing,
        )

    # --- which feeds --------------------------------------------------------------------------

    def due_feeds(self, now: datetime | None = None) -> list[FeedConfig]:
        now = now or self.clock()
        states = self.store.feed_states()
        due = []
        for feed in self.config.feeds:
            state = states.get(feed.name)
            if state is None or state.next_due is None or state.next_due <= now:
                due.append(feed)
        return due

    # --- one cycle ------------------------------------------------------------------------------

    def run_cycle(self, feeds: Iterable[FeedConfig]) -> CycleReport:
        """Fetch `feeds`, record each as it arrives, then deliver and prune once."""
        report = CycleReport()
        states = self.store.feed_states()
        started = time.monotonic()
        for feed, fetched in fetch_many(list(feeds), states, self.client):
            seconds = time.monotonic() - started
            report.feeds.append(self._record_fetch(feed, states.get(feed.name), fetched, seconds))
            started = time.monotonic()
        report.delivery = self.deliver_pending()
        self.prune()
        return report

    def poll_feed(self, feed: FeedConfig, *, deliver: bool = True) -> FeedOutcome:
        """Fetch one feed, record its new items and the alerts they cause; deliver unless told
        not to. Never raises for a feed's own problems: they are recorded in the outcome."""
        state = self.store.feed_state(feed.name)
        started = time.monotonic()
        fetched = fetch_with_state(feed, state, self.client)
        outcome = self._record_fetch(feed, state, fetched, time.monotonic() - started)
        if deliver:
            self.deliver_pending()
        return outcome

    def deliver_pending(self) -> DeliveryReport:
        return self.outbox.deliver_pending()

    def _record_fetch(
        self,
        feed: FeedConfig,
        state: FeedState | None,
        fetched: FetchResult | FeedError,
        seconds: float = 0.0,
    ) -> FeedOutcome:
        outcome = self._record(feed, state, fetched)
        self.metrics.feed_polled(
            feed.name,
            seconds=seconds,
            error=outcome.error,
            new_items=outcome.new_items,
            alerts=outcome.alerts,
            related=outcome.related,
        )
        return outcome

    def _record(
        self, feed: FeedConfig, state: FeedState | None, fetched: FetchResult | FeedError
    ) -> FeedOutcome:
        outcome = FeedOutcome(feed.name)
        if isinstance(fetched, FeedError):
            now = self.clock()
            # logged once, here; stored and shown without the secrets a feed URL may carry
            outcome.error = redact(str(fetched))
            log.warning("%s", outcome.error, extra={"fields": {"feed": feed.name}})
            self.store.record_feed_update(
                FeedUpdate(feed.name, feed.url, now, now + feed.interval, error=outcome.error)
            )
            return outcome
        with self._lock:
            now = self.clock()
            first_poll = state is None or state.last_success is None
            outcome.not_modified = fetched.not_modified
            outcome.stories = len(fetched.stories)
            # oldest first, so a thread starts at the earliest report of a story
            ordered = sorted(
                fetched.stories, key=lambda s: s.published or datetime.max.replace(tzinfo=UTC)
            )
            for story in ordered:
                try:
                    self._record_story(feed, story, now, first_poll, outcome)
                except StoreError:
                    raise  # the database itself: no other item would fare better
                except Exception:  # one bad item must not cost the feed's other items
                    log.exception("feed %r: item %r could not be processed", feed.name, story.title)
                    outcome.item_errors += 1
            if fetched.permanent_redirect and fetched.final_url:
                log.info("feed %r moved permanently to %s", feed.name, redact(fetched.final_url))
            self.store.record_feed_update(
                FeedUpdate(
                    feed.name,
                    feed.url,
                    now,
                    now + feed.interval,
                    etag=fetched.etag,
                    last_modified=fetched.last_modified,
                    moved_to=fetched.final_url if fetched.permanent_redirect else None,
                    new_items=outcome.new_items,
                )
            )
        log.log(
            logging.INFO if outcome.new_items else logging.DEBUG,
            "feed %r: %d item(s), %d new, %d alert(s), %d related%s",
            feed.name,
            outcome.stories,
            outcome.new_items,
            outcome.alerts,
            outcome.related,
            " (not modified)" if outcome.not_modified else "",
        )
        return outcome

    def _record_story(
        self, feed: FeedConfig, story: Story, now: datetime, first_poll: bool, out: FeedOutcome
    ) -> None:
        keys = item_keys(story)
        known = self.store.known_keys(keys)
        if known:
            if len(known) < len(keys):  # e.g. same GUID, new URL: remember the new key too
                self.store.add_keys(next(iter(known)), keys)
            return
        out.new_items += 1
        alertable = is_alertable(story, now, feed, first_poll)
        groups = {}
        if alertable:
            result = self.matcher.match(story.title, story.text)
            groups = by_channel(result.alerting, self.config.slack.channel)
        # what the decision needs, gathered first: the same-story answers and their threads
        parents = {channel: self._index(channel, now).find(story, now) for channel in groups}
        threads = {p: self.store.thread_feeds(p) for p in parents.values() if p is not None}
        fresh = [channel for channel, parent in parents.items() if parent is None]
        payload = self._index(fresh[0], now).payload(story) if fresh else None
        intents = plan_alerts(
            story,
            groups,
            parents,
            threads,
            payload,
            threads=self.config.dedup.related is RelatedMode.THREAD and self.outbox.can_thread,
        )
        item = ItemIntent(story, keys, now, alertable, tuple(intents))
        ids = self.store.record_item(item)
        for intent, alert_id in zip(intents, ids, strict=True):
            if alert_id is None:
                continue
            if intent.parent_id is not None:
                out.related += 1
                continue
            out.alerts += 1
            if intent.payload is not None:
                self._index(intent.channel, now).add(alert_id, intent.payload, now)

    def _index(self, channel: str, now: datetime) -> SameStoryIndex:
        """The same-story index of `channel`, loaded from the store on first use and kept up to
        date as alerts are recorded (this process is the only writer: the run lock)."""
        index = self._indexes.get(channel)
        if index is None:
            index = self.index_factory(self.config.dedup.window)
            since = now - self.config.dedup.window
            for alert_id, payload, created in self.store.window_alerts(channel, since):
                index.add(alert_id, payload, created)
            self._indexes[channel] = index
        return index

    # --- housekeeping ---------------------------------------------------------------------------

    def prune(self) -> None:
        now = self.clock()
        with self._lock:
            items, alerts = self.store.prune(now - self.config.dedup.retention)
            if items or alerts:
                log.info("pruned %d item(s) and %d alert(s) past retention", items, alerts)
            for index in self._indexes.values():
                index.prune(now - self.config.dedup.window)
