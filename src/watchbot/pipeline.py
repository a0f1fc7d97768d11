"""One polling cycle: where the stages meet.

    fetch_feed → Story → seen before? → Matcher.match → same story alerted? → store → Slack

A failing feed never stops the others and a failing alert never stops the rest: each failure is
recorded (and shown by `watchbot feeds`) and the cycle goes on. Everything is recorded before it
is posted, so a crash at any point loses nothing and, on the next cycle, doubles nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx

from watchbot.dedup import (
    RelatedIndex,
    Signature,
    item_keys,
    signature,
    signature_from_json,
    signature_to_json,
)
from watchbot.errors import DeliveryError, FeedError, SlackAuthError
from watchbot.feeds import fetch_feed, make_client
from watchbot.match import Matcher
from watchbot.models import (
    AlertStatus,
    Config,
    FeedConfig,
    RelatedMode,
    Story,
    Watchlist,
    WatchlistVerdict,
)
from watchbot.slack import Poster, alert_message, related_message
from watchbot.store import NewAlert, Store, StoredAlert, verdicts_from_json, verdicts_to_json

log = logging.getLogger("watchbot")

Clock = Callable[[], datetime]
DELIVERY_PAUSE = timedelta(seconds=45)


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
class DeliveryReport:
    sent: int = 0
    replies: int = 0
    errors: list[str] = field(default_factory=list)
    auth_error: str | None = None


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
            f"{alerts} alert(s), {related} related report(s); posted {d.sent}"
            f" + {d.replies} thread repl{'y' if d.replies == 1 else 'ies'}"
        )
        item_errors = sum(f.item_errors for f in self.feeds)
        if item_errors:
            text += f"; {item_errors} item(s) skipped by an error (see the log; retried next poll)"
        if d.errors:
            text += f"; {len(d.errors)} delivery error(s), kept pending for the next cycle"
        return text


class Pipeline:
    """Holds what lives longer than a cycle: the compiled matcher, the store, the Slack poster,
    the HTTP client and the related-story indexes. Thread-safe: the daemon fetches feeds in
    parallel, and everything after the fetch runs under one lock."""

    def __init__(
        self,
        config: Config,
        watchlists: Sequence[Watchlist],
        store: Store,
        poster: Poster,
        *,
        clock: Clock = utc_now,
        client: httpx.Client | None = None,
    ) -> None:
        self.config = config
        self.matcher = Matcher.compile(watchlists)
        self.store = store
        self.poster = poster
        self.clock = clock
        self.client = client or make_client()
        self._lock = threading.RLock()  # recording: matcher, related indexes, items
        self._delivery_lock = threading.Lock()  # posting: one thread at a time
        self._pause_until: datetime | None = None  # after a failed delivery, let Slack recover
        self._related: dict[str, RelatedIndex] = {}

    def use_watchlists(self, watchlists: Sequence[Watchlist]) -> None:
        """Swap in edited watchlists (the daemon reloads them without a restart)."""
        matcher = Matcher.compile(watchlists)
        with self._lock:
            self.matcher = matcher

    def close(self) -> None:
        self.client.close()

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
        report = CycleReport()
        for feed in feeds:
            report.feeds.append(self.poll_feed(feed, deliver=False))
        report.delivery = self.deliver_pending()
        self.prune()
        return report

    def poll_feed(self, feed: FeedConfig, *, deliver: bool = True) -> FeedOutcome:
        """Fetch one feed, record its new items and the alerts they cause; deliver unless told
        not to. Never raises for a feed's own problems: they are recorded in the outcome."""
        outcome = FeedOutcome(feed.name)
        state = self.store.feed_state(feed.name)
        use_saved = state is not None and state.url == feed.url
        try:
            result = fetch_feed(
                feed,
                self.client,
                url=state.moved_to if state and use_saved else None,
                etag=state.etag if state and use_saved else None,
                last_modified=state.last_modified if state and use_saved else None,
            )
        except FeedError as e:
            now = self.clock()
            log.warning("%s", e)
            outcome.error = str(e)
            self.store.record_fetch_error(
                feed.name, feed.url, now=now, next_due=now + feed.interval, error=str(e)
            )
            return outcome
        except Exception as e:  # a bug must not stop the other feeds either
            now = self.clock()
            log.exception("feed %r: unexpected error", feed.name)
            outcome.error = f"feed {feed.name!r}: unexpected error: {e.__class__.__name__}: {e}"
            self.store.record_fetch_error(
                feed.name, feed.url, now=now, next_due=now + feed.interval, error=outcome.error
            )
            return outcome

        with self._lock:
            now = self.clock()
            first_poll = state is None or state.last_success is None
            outcome.not_modified = result.not_modified
            outcome.stories = len(result.stories)
            # oldest first, so a thread starts at the earliest report of a story
            ordered = sorted(
                result.stories, key=lambda s: s.published or datetime.max.replace(tzinfo=UTC)
            )
            for story in ordered:
                try:
                    self._record_story(feed, story, now, first_poll, outcome)
                except Exception:  # one bad item must not cost the feed's other items
                    log.exception("feed %r: item %r could not be processed", feed.name, story.title)
                    outcome.item_errors += 1
            if result.permanent_redirect and result.final_url:
                log.info("feed %r moved permanently to %s", feed.name, result.final_url)
            self.store.record_fetch_success(
                feed.name,
                feed.url,
                now=now,
                next_due=now + feed.interval,
                etag=result.etag,
                last_modified=result.last_modified,
                moved_to=result.final_url if result.permanent_redirect else None,
                new_items=outcome.new_items,
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
        if deliver:
            self.deliver_pending()
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
        alerts: list[NewAlert] = []
        sig: Signature | None = None
        if alertable:
            result = self.matcher.match(story.title, story.text)
            if result.alert:
                sig = signature(story.title, story.text)
                alerts = self._plan_alerts(story, result.alerting, sig, now)
        ids = self.store.record_item(story, keys, now=now, alertable=alertable, alerts=alerts)
        for alert, alert_id in zip(alerts, ids, strict=True):
            if alert_id is None:
                continue
            if alert.parent_id is None:
                out.alerts += 1
                if sig is not None:
                    self._index(alert.channel, now).add(alert_id, sig, now)
            else:
                out.related += 1

    def _plan_alerts(
        self, story: Story, verdicts: Sequence[WatchlistVerdict], sig: Signature, now: datetime
    ) -> list[NewAlert]:
        """One alert per channel; a report of a story already alerted in that channel within
        the window becomes a related report of that alert. Only other outlets' reports go in the
        thread, each outlet once: a republished copy from an outlet already there is recorded."""
        by_channel: dict[str, list[WatchlistVerdict]] = {}
        for verdict in verdicts:
            channel = verdict.channel or self.config.slack.channel
            by_channel.setdefault(channel, []).append(verdict)
        alerts = []
        for channel, group in by_channel.items():
            parent = self._index(channel, now).find(sig, now, self.config.dedup.window)
            if parent is None:
                alerts.append(NewAlert(channel, verdicts_to_json(group), signature_to_json(sig)))
                continue
            parent_id = int(str(parent))
            thread = (
                self.config.dedup.related is RelatedMode.THREAD
                and self.poster.can_thread
                and story.feed not in self.store.thread_feeds(parent_id)
            )
            alerts.append(
                NewAlert(
                    channel,
                    verdicts_to_json(group),
                    None,
                    parent_id=parent_id,
                    status=AlertStatus.PENDING if thread else AlertStatus.RELATED,
                )
            )
        return alerts

    def _index(self, channel: str, now: datetime) -> RelatedIndex:
        """The related-story index of `channel`, loaded from the store on first use and kept
        up to date as alerts are recorded (this process is the only writer: the run lock)."""
        index = self._related.get(channel)
        if index is None:
            index = RelatedIndex()
            since = now - self.config.dedup.window
            for alert_id, sig_json, created in self.store.window_alerts(channel, since):
                index.add(alert_id, signature_from_json(sig_json), created)
            self._related[channel] = index
        return index

    # --- delivery -------------------------------------------------------------------------------

    def deliver_pending(self) -> DeliveryReport:
        """Post every pending alert, oldest first. What fails stays pending for the next cycle.

        Posting has its own lock, so a slow or unreachable Slack never holds up fetching and
        recording; after a failure, deliveries pause for `DELIVERY_PAUSE` (the daemon's retry
        job comes back every minute) instead of every feed's poll hitting Slack again."""
        report = DeliveryReport()
        with self._delivery_lock:
            if self._pause_until is not None and self.clock() < self._pause_until:
                return report
            self._pause_until = None
            failed_channels: set[str] = set()
            for alert in self.store.pending_alerts():
                if alert.channel in failed_channels:
                    continue  # one refusal per channel per cycle is enough
                try:
                    self._deliver(alert, report)
                except SlackAuthError as e:
                    self.store.mark_attempt_failed(alert.id, str(e))
                    report.auth_error = str(e)
                    log.error("%s", e)
                    break  # every other post would be refused too
                except DeliveryError as e:
                    self.store.mark_attempt_failed(alert.id, str(e))
                    report.errors.append(str(e))
                    failed_channels.add(alert.channel)
                    log.warning("alert %d: %s (kept pending)", alert.id, e)
                except Exception as e:  # a bug must not stop the other alerts
                    log.exception("alert %d: unexpected error (kept pending)", alert.id)
                    self.store.mark_attempt_failed(alert.id, f"{e.__class__.__name__}: {e}")
                    report.errors.append(f"alert {alert.id}: {e.__class__.__name__}: {e}")
            if report.errors or report.auth_error:
                self._pause_until = self.clock() + DELIVERY_PAUSE
        return report

    def _deliver(self, alert: StoredAlert, report: DeliveryReport) -> None:
        if alert.parent_id is not None:
            if not self.poster.can_thread:
                self.store.mark_status(alert.id, AlertStatus.RELATED, "this poster cannot thread")
                return
            parent = self.store.alert(alert.parent_id)  # fresh: it may have just been sent
            if parent is None or parent.status not in (AlertStatus.PENDING, AlertStatus.SENT):
                self.store.mark_status(alert.id, AlertStatus.RELATED, "first alert has no thread")
                return
            if parent.ts is None:
                return  # the first alert is not posted yet: reply after it
            message = related_message(alert.story, alert.channel, alert.story_key, parent.ts)
        else:
            verdicts = verdicts_from_json(alert.verdicts_json)
            message = alert_message(alert.story, verdicts, alert.channel, alert.story_key)
        maybe_posted = alert.attempts > 0
        self.store.mark_attempt(alert.id)
        ts = self.poster.post(message, maybe_posted=maybe_posted, since=alert.created)
        self.store.mark_sent(alert.id, ts, self.clock())
        log.debug("alert %d sent to %s (ts %s)", alert.id, alert.channel, ts)
        if alert.parent_id is None:
            report.sent += 1
        else:
            report.replies += 1

    # --- housekeeping ---------------------------------------------------------------------------

    def prune(self) -> None:
        now = self.clock()
        with self._lock:
            items, alerts = self.store.prune(now - self.config.dedup.retention)
            if items or alerts:
                log.info("pruned %d item(s) and %d alert(s) past retention", items, alerts)
            for index in self._related.values():
                index.prune(now - self.config.dedup.window)


def is_alertable(story: Story, now: datetime, feed: FeedConfig, first_poll: bool) -> bool:
    """Items published longer ago than max_age are recorded, never alerted. On a feed's first
    poll an item without a date cannot prove it is young, so it is recorded too: adding a feed
    never floods the channel."""
    if story.published is None:
        return not first_poll
    return now - story.published <= feed.max_age
