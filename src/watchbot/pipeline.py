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
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx

from watchbot.decide import by_channel, is_alertable, plan_alerts
from watchbot.errors import FeedError, StoreError
from watchbot.fetch import (
    FeedGone,
    FeedThrottled,
    HostSlots,
    fetch_many,
    fetch_with_state,
    item_keys,
    local_id,
    make_client,
)
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
    KnownItem,
    RelatedMode,
    Story,
    Watchlist,
)
from watchbot.notify import DeliveryReport, Outbox
from watchbot.redact import redact
from watchbot.report import CycleReport, FeedOutcome
from watchbot.samestory import SameStoryIndex, Verdict, make_index
from watchbot.store import StateStore

log = logging.getLogger("watchbot")

Clock = Callable[[], datetime]
IndexFactory = Callable[[timedelta, str], SameStoryIndex]

__all__ = ["Pipeline", "is_alertable", "utc_now"]


def utc_now() -> datetime:
    return datetime.now(UTC)


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
        rng: random.Random | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.matcher = Matcher.compile(watchlists)
        self.store = store
        self.outbox = outbox
        self.clock = clock
        self.client = client or make_client(config.fetch)
        self.slots = HostSlots(config.fetch.per_host)  # shared by cycles and the daemon's jobs
        self.rng = rng or random.Random()  # jitter; seeded in tests
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
        """Feeds whose next poll is due (a disabled feed never is)."""
        now = now or self.clock()
        states = self.store.feed_states()
        due = []
        for feed in self.config.feeds:
            state = states.get(feed.name)
            if state is not None and state.disabled and state.url == feed.url:
                continue
            if state is None or state.next_due is None or state.next_due <= now:
                due.append(feed)
        return due

    # --- one cycle ------------------------------------------------------------------------------

    def run_cycle(self, feeds: Iterable[FeedConfig]) -> CycleReport:
        """Fetch `feeds` concurrently (`fetch.workers`, `fetch.per_host`), record each as it
        arrives while the others are still fetching, then deliver and prune once. A disabled
        feed (410 Gone) is left out."""
        report = CycleReport()
        states = self.store.feed_states()
        wanted = [f for f in feeds if not _disabled(f, states.get(f.name))]
        settings = self.config.fetch
        results = fetch_many(
            wanted,
            states,
            self.client,
            workers=settings.workers,
            slots=self.slots,
            max_size=settings.max_size,
        )
        for feed, fetched in results:
            # fetches overlap: a feed's fetch time is not seen from here, so the fetch
            # histogram is fed by poll_feed (the daemon) and the cycle's total by this loop
            report.feeds.append(self._record_fetch(feed, states.get(feed.name), fetched))
        report.delivery = self.deliver_pending()
        self.prune()
        return report

    def poll_feed(self, feed: FeedConfig, *, deliver: bool = True) -> FeedOutcome:
        """Fetch one feed (the daemon's job: the same fetch as a cycle's, holding one of its
        host's slots), record its new items and the alerts they cause; deliver unless told not
        to. A disabled feed, or one backing off after failures, is skipped until it is due.
        Never raises for a feed's own problems: they are recorded in the outcome."""
        state = self.store.feed_state(feed.name)
        now = self.clock()
        if _disabled(feed, state):
            return FeedOutcome(feed.name, skipped="disabled")
        if state is not None and state.error_count and state.next_due and state.next_due > now:
            return FeedOutcome(feed.name, skipped="backing off")
        settings = self.config.fetch
        started = time.monotonic()
        fetched = fetch_with_state(
            feed, state, self.client, max_size=settings.max_size, slots=self.slots
        )
        outcome = self._record_fetch(feed, state, fetched, time.monotonic() - started)
        if deliver:
            self.outbox.deliver_pending()
        return outcome

    def deliver_pending(self) -> DeliveryReport:
        return self.outbox.deliver_pending()

    # --- when next ------------------------------------------------------------------------------

    def _jittered(self, delay: timedelta) -> timedelta:
        return delay * (1 + self.rng.uniform(0, self.config.fetch.jitter))

    def _retry_delay(
        self, feed: FeedConfig, state: FeedState | None, error: FeedError
    ) -> timedelta:
        """After a failure: the server's Retry-After, else the interval doubled for each failure
        in a row, capped at `fetch.backoff_max` (never less than the interval), with jitter."""
        cap = max(self.config.fetch.backoff_max, feed.interval)
        if isinstance(error, FeedThrottled) and error.retry_after is not None:
            wait = timedelta(seconds=error.retry_after)
            return min(max(wait, feed.interval), cap)
        failures = (state.error_count if state is not None else 0) + 1
        return min(self._jittered(feed.interval * 2 ** min(failures - 1, 20)), cap)

    def _record_error(
        self, feed: FeedConfig, state: FeedState | None, error: FeedError, outcome: FeedOutcome
    ) -> FeedOutcome:
        now = self.clock()
        # logged once, here; stored and shown without the secrets a feed URL may carry
        outcome.error = redact(str(error))
        log.warning("%s", outcome.error, extra={"fields": {"feed": feed.name}})
        self.store.record_feed_update(
            FeedUpdate(
                feed.name,
                feed.url,
                now,
                now + self._retry_delay(feed, state, error),
                error=outcome.error,
                throttled=isinstance(error, FeedThrottled),
                disabled=isinstance(error, FeedGone),
            )
        )
        return outcome

    def _record_fetch(
        self,
        feed: FeedConfig,
        state: FeedState | None,
        fetched: FetchResult | FeedError,
        seconds: float | None = None,
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
            return self._record_error(feed, state, fetched, outcome)
        with self._lock:
            now = self.clock()
            first_poll = state is None or state.last_success is None
            outcome.not_modified = fetched.not_modified or fetched.unchanged
            outcome.stories = len(fetched.stories)
            outcome.warning = fetched.warning
            present = {f"guid:{feed.name}:{i}" for s in fetched.stories if (i := local_id(s))}
            # oldest first, so a thread starts at the earliest report of a story
            ordered = sorted(
                fetched.stories, key=lambda s: s.published or datetime.max.replace(tzinfo=UTC)
            )
            for story in ordered:
                try:
                    self._record_story(feed, story, now, first_poll, present, outcome)
                except StoreError:
                    raise  # the database itself: no other item would fare better
                except Exception:  # one bad item must not cost the feed's other items
                    log.exception("feed %r: item %r could not be processed", feed.name, story.title)
                    outcome.item_errors += 1
            if fetched.permanent_redirect and fetched.final_url:
                log.info("feed %r moved permanently to %s", feed.name, redact(fetched.final_url))
            if fetched.warning:
                log.warning("feed %r is degraded: %s", feed.name, fetched.warning)
            self.store.record_feed_update(
                FeedUpdate(
                    feed.name,
                    feed.url,
                    now,
                    # up to `jitter` early, never late: a cron poll at the interval finds it due
                    now + feed.interval * (1 - self.rng.uniform(0, self.config.fetch.jitter)),
                    etag=fetched.etag,
                    last_modified=fetched.last_modified,
                    moved_to=fetched.final_url if fetched.permanent_redirect else None,
                    new_items=outcome.new_items,
                    # a 304 or an identical body says nothing new about the XML: keep the mark
                    warning=state.warning if outcome.not_modified and state else fetched.warning,
                    body_hash=fetched.body_hash,
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

    def _seen(self, story: Story, keys: tuple[str, ...], present: set[str]) -> bool:
        """Whether `story` is an item recorded before (remembering any new key of it).

        Its own GUID known: seen. Otherwise a known canonical URL makes it seen (the same story
        in another feed, or this entry with a new GUID) unless the item with that URL is another
        entry of this feed: one whose GUID is in this same fetch, or whose link has another
        `#fragment`. Then the two are distinct entries sharing a page (live blogs, aggregators).
        """
        known = self.store.known_keys(keys)
        if not known:
            return False
        primary = keys[0]
        if primary not in known and primary.startswith("guid:"):
            url_key = next((k for k in keys[1:] if k.startswith("url:")), None)
            owner = self.store.item_of_key(url_key) if url_key in known else None
            if owner is not None and _another_entry(story, primary, owner, present):
                return False
        if len(known) < len(keys):  # e.g. same GUID, new URL: remember the new key too
            self.store.add_keys(next(iter(known)), keys)
        return True

    def _record_story(
        self,
        feed: FeedConfig,
        story: Story,
        now: datetime,
        first_poll: bool,
        present: set[str],
        out: FeedOutcome,
    ) -> None:
        keys = item_keys(story)
        if self._seen(story, keys, present):
            return
        out.new_items += 1
        alertable = is_alertable(story, now, feed, first_poll)
        groups = {}
        if alertable:
            result = self.matcher.match(story.title, story.text)
            groups = by_channel(result.alerting, self.config.slack.channel)
        # what the decision needs, gathered first: the same-story answers and their threads
        found = {channel: self._index(channel, now).find(story, now) for channel in groups}
        parents = {
            c: m.alert_id if m and m.verdict is Verdict.SAME else None for c, m in found.items()
        }
        follows = {c: m.alert_id for c, m in found.items() if m and m.verdict is Verdict.RELATED}
        for channel, m in found.items():
            if m is not None:
                log.debug(
                    "%s: %r is %s alert %d: %s", channel, story.title, m.verdict, m.alert_id, m.why
                )
        threads = {p: self.store.thread_feeds(p) for p in parents.values() if p is not None}
        payload = self._index(next(iter(groups)), now).payload(story) if groups else None
        intents = plan_alerts(
            story,
            groups,
            parents,
            threads,
            payload,
            threads=self.config.dedup.related is RelatedMode.THREAD and self.outbox.can_thread,
            follows=follows,
        )
        item = ItemIntent(story, keys, now, alertable, tuple(intents))
        ids = self.store.record_item(item)
        for intent, alert_id in zip(intents, ids, strict=True):
            if alert_id is None:
                continue
            if intent.parent_id is not None:
                out.related += 1
            else:
                out.alerts += 1
            if intent.payload is not None:  # the index learns thread replies too
                index = self._index(intent.channel, now)
                index.add(alert_id, intent.payload, now, thread=intent.parent_id)

    def _index(self, channel: str, now: datetime) -> SameStoryIndex:
        """The same-story index of `channel`, loaded from the store on first use and kept up to
        date as alerts are recorded (this process is the only writer: the run lock)."""
        index = self._indexes.get(channel)
        if index is None:
            index = self.index_factory(self.config.dedup.window, self.config.dedup.method)
            since = now - self.config.dedup.window
            for report in self.store.window_alerts(channel, since):
                try:
                    index.add(report.id, report.payload, report.created, thread=report.thread)
                except ValueError as e:  # one unreadable record must not cost the others
                    log.warning("alert %d: same-story record skipped (%s)", report.id, e)
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


def _disabled(feed: FeedConfig, state: FeedState | None) -> bool:
    # a new url in the config gives a feed disabled by a 410 another chance
    return state is not None and state.disabled is not None and state.url == feed.url


def _another_entry(story: Story, primary: str, owner: KnownItem, present: set[str]) -> bool:
    """Whether `owner`, the item with `story`'s canonical URL, is another entry of its feed."""
    siblings = {k for k in owner.keys if k.startswith(f"guid:{story.feed}:")} - {primary}
    if not siblings:
        return False  # another feed's item, or this entry before it had a GUID: the same item
    if siblings & present:
        return True  # both entries are in the feed right now
    ours = urlsplit(story.url or "").fragment
    theirs = urlsplit(owner.url or "").fragment
    return bool(ours and theirs and ours != theirs)
