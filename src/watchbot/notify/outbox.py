"""The outbox: delivers what the store holds pending, through one sink, channel by channel.

It owns the delivery policy, and nothing one channel does holds up another:
- channels take turns (round-robin), each in its own order: oldest first, a reply right after
  its first alert and never before it;
- each channel keeps Slack's pace, about one message a second with short bursts (a token bucket
  per channel, `pace.py`);
- a transient failure (429, 5xx, no connection) keeps the alert pending and defers only its
  channel: by Slack's Retry-After, else by a backoff that doubles (1 s … 5 min). A run waits out
  short deferrals (up to `max_wait`) and leaves longer ones for the next run, so a long
  Retry-After never holds the cycle;
- a permanent refusal (`invalid_blocks`, `not_in_channel`, …) marks that alert failed with the
  reason (`watchbot alerts` lists them, `--retry` puts them back); a refusal of the channel
  itself, or three refusals in a row, pauses that channel alone for `CHANNEL_PAUSE`;
- refused credentials stop every channel; `auth_failed_since` says since when, so the daemon
  keeps recording (and its health check fails), retrying every `AUTH_RETRY` with one log line.

Everything it delivers was recorded first, and each attempt is recorded before it is made, so a
crash at any point loses nothing and, on the next run, doubles nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from watchbot.errors import DeliveryError, RefusedError, SlackAuthError, TransientDeliveryError
from watchbot.metrics import Metrics
from watchbot.models import AlertStatus, Notice, PendingAlert
from watchbot.notify.pace import BURST, RATE_PER_SECOND, ChannelPace, TokenBucket, backoff
from watchbot.notify.sink import Sink
from watchbot.store import StateStore

log = logging.getLogger("watchbot")

MAX_WAIT = timedelta(seconds=3)  # a run waits out deferrals this short; longer ones wait a run
CHANNEL_PAUSE = timedelta(minutes=10)  # after the channel itself refused a post
REFUSALS_TO_PAUSE = 3  # refusals in a row that pause a channel
AUTH_RETRY = timedelta(minutes=5)  # with refused credentials: try (and log) this often


@dataclass
class DeliveryReport:
    sent: int = 0
    replies: int = 0
    printed: bool = False  # the sink is the console: "printed", not "posted"
    errors: list[str] = field(default_factory=list)  # transient: kept pending
    failed: list[str] = field(default_factory=list)  # refused for good: marked failed
    deferred: dict[str, str] = field(default_factory=dict)  # channel → why it waits a run
    auth_error: str | None = None

    def summary(self) -> str:
        verb = "printed" if self.printed else "posted"
        return (
            f"{verb} {self.sent} + {self.replies} thread repl{'y' if self.replies == 1 else 'ies'}"
        )


class _Step(Enum):
    SKIPPED = "skipped"  # nothing sent: recorded as related/failed, or waiting for its parent
    ATTEMPTED = "attempted"
    STOP = "stop"  # credentials refused: stop every channel


Sleep = Callable[[float], object]


class Outbox:
    """Delivers pending alerts. Thread-safe: one delivery run at a time; a call made while one
    runs returns at once, and the run in progress delivers what it recorded too."""

    def __init__(
        self,
        store: StateStore,
        sink: Sink,
        clock: Callable[[], datetime],
        *,
        sleep: Sleep | None = None,
        max_wait: timedelta = MAX_WAIT,
        rate: float = RATE_PER_SECOND,
        burst: int = BURST,
        metrics: Metrics | None = None,
    ) -> None:
        self.metrics = metrics or Metrics(clock=clock)
        self.store = store
        self.sink = sink
        self.clock = clock
        self.max_wait = max_wait
        self._stop = threading.Event()
        self.sleep: Sleep = sleep or self._stop.wait  # wakes at once on stop()
        self._rate, self._burst = rate, burst
        self._paces: dict[str, ChannelPace] = {}
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._auth_failed_since: datetime | None = None
        self._auth_retry_at: datetime | None = None
        self._kick = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def can_thread(self) -> bool:
        return self.sink.can_thread

    @property
    def auth_failed_since(self) -> datetime | None:
        """When Slack first refused our credentials, while it still does; else None."""
        return self._auth_failed_since

    def stop(self) -> None:
        """Make a run in progress return soon (between two posts, or from a wait)."""
        self._stop.set()
        self._kick.set()

    def start(self) -> None:
        """Deliver on the outbox's own thread (the daemon): `deliver_pending` then only wakes
        it and returns at once, so no poll ever waits for Slack, and a deferred channel is
        retried as soon as it is due rather than at the next poll."""
        self.max_wait = timedelta(0)  # the thread waits between runs, where a kick wakes it
        self._thread = threading.Thread(target=self._background, name="outbox", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 5.0) -> None:
        """Stop the delivery thread, waiting at most `timeout` for a post in flight (an alert
        cut off mid-post stays pending, and is looked up before it is posted again)."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout)

    def _background(self) -> None:
        while not self._stop.is_set():
            self._kick.wait(self._idle())
            self._kick.clear()
            if self._stop.is_set():
                return
            try:
                with self._lock:
                    self._run(DeliveryReport())
            except Exception:  # the thread must outlive a bug; the alerts stay pending
                log.exception("delivery run failed")

    def _idle(self) -> float:
        """Seconds until a deferred channel (or a retry of refused credentials) is due; at most
        a minute, so alerts put back by `watchbot alerts --retry` are seen."""
        now = self.clock()
        due = [p.ready_at(now) for p in self._paces.values() if p.ready_at(now) > now]
        if self._auth_retry_at is not None:
            due.append(self._auth_retry_at)
        wait = min([(d - now).total_seconds() for d in due], default=60.0)
        return max(0.05, min(60.0, wait))

    def deferred(self, now: datetime | None = None) -> dict[str, datetime]:
        """Channels waiting (Retry-After, backoff, pause) and until when."""
        now = now or self.clock()
        return {
            c: p.not_before for c, p in self._paces.items() if p.not_before and p.not_before > now
        }

    def deliver_pending(self) -> DeliveryReport:
        """Deliver what is pending, channel by channel, until it is delivered or every channel
        with something left waits longer than `max_wait`. What fails stays pending (or, refused
        for good, failed) for the next run."""
        report = DeliveryReport(printed=self.sink.delivered_status is AlertStatus.PRINTED)
        if self._thread is not None:
            self._kick.set()  # the delivery thread does it
            return report
        self._wanted.set()
        while self._wanted.is_set() and not self._stop.is_set():
            if not self._lock.acquire(blocking=False):
                return report  # the run in progress reads the store again before it ends
            try:
                while self._wanted.is_set() and not self._stop.is_set():
                    self._wanted.clear()
                    self._run(report)
            finally:
                self._lock.release()
        return report

    # --- one run ---------------------------------------------------------------------------

    def _run(self, report: DeliveryReport) -> None:
        try:
            self._deliver_queues(report)
        finally:
            self.metrics.pending(self.store.counts().get("pending", 0))

    def _deliver_queues(self, report: DeliveryReport) -> None:
        now = self.clock()
        if self._auth_retry_at is not None and now < self._auth_retry_at:
            return  # credentials refused: try again every AUTH_RETRY, not every poll
        handled: set[int] = set()
        while not self._stop.is_set():
            owed = self.sink.delivered_status is AlertStatus.SENT
            pending = [a for a in self.store.pending_alerts(owed) if a.id not in handled]
            queues: dict[str, deque[PendingAlert]] = {}
            for alert in _replies_after_parents(pending):
                queues.setdefault(alert.channel, deque()).append(alert)
            if not queues or not self._pass(queues, handled, report):
                return

    def _pass(
        self, queues: dict[str, deque[PendingAlert]], handled: set[int], report: DeliveryReport
    ) -> bool:
        """Deliver `queues` taking turns; True when they are empty (read the store again),
        False when the run ends (credentials refused, stopping, or the rest waits a run)."""
        tried: set[int] = set()
        while queues:
            if self._stop.is_set():
                return False
            now = self.clock()
            attempted, next_ready = False, None
            for channel in list(queues):
                pace = self._pace(channel)
                ready = pace.ready_at(now)
                if ready > now:
                    next_ready = ready if next_ready is None else min(next_ready, ready)
                    continue
                step = self._step(queues[channel], pace, now, tried, handled, report)
                if step is _Step.STOP:
                    return False
                attempted = attempted or step is _Step.ATTEMPTED
                if not queues[channel]:
                    del queues[channel]
            if attempted or not queues:
                continue
            if next_ready is None:
                return True
            if not self._wait(next_ready - now, queues, report):
                return False
        return True

    def _wait(
        self, wait: timedelta, queues: dict[str, deque[PendingAlert]], r: DeliveryReport
    ) -> bool:
        """Wait out a short deferral; False when it is too long for this run."""
        if wait > self.max_wait:
            for channel in queues:
                reason = self._pace(channel).reason
                if reason:
                    r.deferred[channel] = reason
            return False
        before = self.clock()
        self.sleep(wait.total_seconds())
        return self.clock() > before  # a clock that does not move (a test's) ends the run

    def _step(
        self,
        queue: deque[PendingAlert],
        pace: ChannelPace,
        now: datetime,
        tried: set[int],
        handled: set[int],
        report: DeliveryReport,
    ) -> _Step:
        """Deliver the head of one channel's queue."""
        alert = queue[0]
        notice = self._notice(alert, report)
        if notice is None:
            queue.popleft()
            handled.add(alert.id)
            return _Step.SKIPPED
        pace.bucket.take(now)
        try:
            ts = self._post(alert, notice, maybe_posted=alert.attempts > 0 or alert.id in tried)
        except SlackAuthError as e:
            self.metrics.alert_failed(alert.channel, str(e))
            self.store.mark_attempt_failed(alert.id, str(e))
            self._auth_refused(now, str(e), report)
            return _Step.STOP
        except RefusedError as e:
            queue.popleft()
            handled.add(alert.id)
            self._refused(alert, pace, now, e, report)
            return _Step.ATTEMPTED
        except Exception as e:  # transient, or a bug: kept pending, this channel backs off
            tried.add(alert.id)
            self._transient(alert, pace, now, e, report)
            return _Step.ATTEMPTED
        queue.popleft()
        handled.add(alert.id)
        self._delivered(alert, notice, ts, report)
        pace.succeeded()
        return _Step.ATTEMPTED

    def _post(self, alert: PendingAlert, notice: Notice, *, maybe_posted: bool) -> str | None:
        if self.sink.delivered_status is AlertStatus.SENT:
            self.store.mark_attempt(alert.id)  # from here on, it may have been posted
        started = time.monotonic()
        ts = self.sink.post(notice, maybe_posted=maybe_posted, since=alert.created)
        if self.sink.delivered_status is AlertStatus.SENT:  # printed alerts are not sent
            self.metrics.alert_sent(alert, time.monotonic() - started)
        return ts

    def _delivered(
        self, alert: PendingAlert, notice: Notice, ts: str | None, report: DeliveryReport
    ) -> None:
        if self.sink.delivered_status is AlertStatus.PRINTED:
            self.store.mark_printed(alert.id)
        else:
            self.store.mark_sent(alert.id, ts, self.clock())
        log.debug("alert %d delivered to %s (ts %s)", alert.id, alert.channel, ts)
        if self._auth_failed_since is not None:
            log.info("Slack accepts our credentials again")
            self._auth_failed_since = self._auth_retry_at = None
        if notice.thread_ts is None:
            report.sent += 1
        else:
            report.replies += 1

    def _transient(
        self, alert: PendingAlert, pace: ChannelPace, now: datetime, e: Exception, r: DeliveryReport
    ) -> None:
        if isinstance(e, DeliveryError):
            message = str(e)
        else:
            log.exception("alert %d: unexpected error", alert.id)
            message = f"{e.__class__.__name__}: {e}"
        self.metrics.alert_failed(alert.channel, message)
        self.store.mark_attempt_failed(alert.id, message)
        pace.failures += 1
        after = e.retry_after if isinstance(e, TransientDeliveryError) else None
        wait = timedelta(seconds=after) if after is not None else backoff(pace.failures)
        pace.defer(now, wait, message)
        r.errors.append(message)
        log.warning(
            "alert %d: %s (kept pending; %s retries in %gs)",
            alert.id,
            message,
            alert.channel,
            wait.total_seconds(),
        )

    def _refused(
        self,
        alert: PendingAlert,
        pace: ChannelPace,
        now: datetime,
        e: RefusedError,
        r: DeliveryReport,
    ) -> None:
        self.metrics.alert_failed(alert.channel, str(e))
        self.store.mark_status(alert.id, AlertStatus.FAILED, str(e))
        r.failed.append(f"alert {alert.id}: {e}")
        pace.refusals += 1
        log.error("alert %d failed: %s (see `watchbot alerts`)", alert.id, e)
        if e.channel_wide or pace.refusals >= REFUSALS_TO_PAUSE:
            pace.defer(now, CHANNEL_PAUSE, str(e))
            log.error(
                "%s paused for %d minutes: its other alerts stay pending",
                alert.channel,
                CHANNEL_PAUSE.total_seconds() // 60,
            )

    def _auth_refused(self, now: datetime, error: str, report: DeliveryReport) -> None:
        report.auth_error = error
        if self._auth_failed_since is None:
            self._auth_failed_since = now
        self._auth_retry_at = now + AUTH_RETRY
        log.error(
            "%s (refused since %s; alerts are kept pending, retried every %d minutes)",
            error,
            self._auth_failed_since.strftime("%Y-%m-%d %H:%M:%S UTC"),
            AUTH_RETRY.total_seconds() // 60,
        )

    def _pace(self, channel: str) -> ChannelPace:
        pace = self._paces.get(channel)
        if pace is None:
            bucket = TokenBucket(rate=self._rate, burst=self._burst, tokens=self._burst)
            pace = self._paces[channel] = ChannelPace(bucket)
        return pace

    def _notice(self, alert: PendingAlert, report: DeliveryReport) -> Notice | None:
        """What to deliver for `alert`; None when it cannot go out now or at all (recorded)."""
        if alert.parent_id is None:
            return Notice(
                alert.channel, alert.story, alert.story_key, alert.verdicts, follows=alert.follows
            )
        if not self.sink.can_thread:
            self.store.mark_status(alert.id, AlertStatus.RELATED, "this sink cannot thread")
            return None
        parent = self.store.alert(alert.parent_id)  # fresh: it may have just been sent
        if parent is None or parent.status is AlertStatus.RELATED:
            self.store.mark_status(alert.id, AlertStatus.RELATED, "first alert has no thread")
            return None
        if parent.status is AlertStatus.FAILED:
            reason = (
                f"its first alert ({parent.id}) failed; `watchbot alerts --retry {parent.id}`"
                " retries both"
            )
            self.store.mark_status(alert.id, AlertStatus.FAILED, reason)
            report.failed.append(f"alert {alert.id}: {reason}")
            return None
        if self.sink.delivered_status is AlertStatus.SENT:
            ready = parent.status is AlertStatus.SENT and bool(parent.ts)
        else:  # the console threads under what it printed, or what Slack has
            ready = parent.status in (AlertStatus.SENT, AlertStatus.PRINTED)
        if not ready:
            return None  # the first alert is not delivered yet: reply after it
        thread = parent.ts or f"printed.{parent.id}"
        return Notice(
            alert.channel, alert.story, alert.story_key, thread_ts=thread, parent=parent.story
        )


def _replies_after_parents(alerts: list[PendingAlert]) -> list[PendingAlert]:
    """Oldest first, each reply moved right after its first alert when that is pending too: a
    thread reads as one piece (on the console, a reply prints under its own parent)."""
    ids = {a.id for a in alerts}
    replies: dict[int, list[PendingAlert]] = {}
    for alert in alerts:
        if alert.parent_id in ids:
            replies.setdefault(alert.parent_id, []).append(alert)
    ordered = []
    for alert in alerts:
        if alert.parent_id not in ids:
            ordered += [alert, *replies.get(alert.id, [])]
    return ordered
