"""The outbox: delivers what the store holds pending, in order, through one sink.

It owns the delivery policy: oldest first (a thread's first alert before its replies), one
refusal per channel per run, a stop on refused credentials, and a pause after a failure so a
hung Slack is not hit again by every feed's poll. Everything it delivers was recorded first, so
a crash at any point loses nothing and, on the next run, doubles nothing.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from watchbot.errors import DeliveryError, SlackAuthError
from watchbot.metrics import Metrics
from watchbot.models import AlertStatus, Notice, PendingAlert
from watchbot.notify.sink import Sink
from watchbot.store import StateStore

log = logging.getLogger("watchbot")

DELIVERY_PAUSE = timedelta(seconds=45)


@dataclass
class DeliveryReport:
    sent: int = 0
    replies: int = 0
    errors: list[str] = field(default_factory=list)
    auth_error: str | None = None


class Outbox:
    """Delivers pending alerts. Thread-safe: one delivery run at a time."""

    def __init__(
        self,
        store: StateStore,
        sink: Sink,
        clock: Callable[[], datetime],
        metrics: Metrics | None = None,  # metrics
    ) -> None:
        self.metrics = metrics or Metrics(clock=clock)  # metrics
        self.store = store
        self.sink = sink
        self.clock = clock
        self._lock = threading.Lock()
        self._pause_until: datetime | None = None  # after a failed delivery, let Slack recover

    @property
    def can_thread(self) -> bool:
        return self.sink.can_thread

    def deliver_pending(self) -> DeliveryReport:
        """Deliver every pending alert, oldest first. What fails stays pending for the next run.

        Delivery has its own lock, so a slow or unreachable Slack never holds up fetching and
        recording; after a failure, deliveries pause for `DELIVERY_PAUSE` (the daemon's retry
        job comes back every minute) instead of every feed's poll hitting Slack again."""
        report = DeliveryReport()
        with self._lock:
            if self._pause_until is not None and self.clock() < self._pause_until:
                return report
            self._pause_until = None
            failed_channels: set[str] = set()
            for alert in self.store.pending_alerts():
                if alert.channel in failed_channels:
                    continue  # one refusal per channel per run is enough
                try:
                    self._deliver(alert, report)
                except SlackAuthError as e:
                    self.metrics.alert_failed(alert.channel, str(e))  # metrics
                    self.store.mark_attempt_failed(alert.id, str(e))
                    report.auth_error = str(e)
                    log.error("%s", e)
                    break  # every other post would be refused too
                except DeliveryError as e:
                    self.metrics.alert_failed(alert.channel, str(e))  # metrics
                    self.store.mark_attempt_failed(alert.id, str(e))
                    report.errors.append(str(e))
                    failed_channels.add(alert.channel)
                    log.warning("alert %d: %s (kept pending)", alert.id, e)
                except Exception as e:  # a bug must not stop the other alerts
                    log.exception("alert %d: unexpected error (kept pending)", alert.id)
                    self.metrics.alert_failed(alert.channel, type(e).__name__)  # metrics
                    self.store.mark_attempt_failed(alert.id, f"{e.__class__.__name__}: {e}")
                    report.errors.append(f"alert {alert.id}: {e.__class__.__name__}: {e}")
            if report.errors or report.auth_error:
                self._pause_until = self.clock() + DELIVERY_PAUSE
        return report

    def _notice(self, alert: PendingAlert) -> Notice | None:
        """What to deliver for `alert`; None when it cannot go out yet or at all (recorded)."""
        if alert.parent_id is None:
            return Notice(alert.channel, alert.story, alert.story_key, alert.verdicts)
        if not self.sink.can_thread:
            self.store.mark_status(alert.id, AlertStatus.RELATED, "this sink cannot thread")
            return None
        parent = self.store.alert(alert.parent_id)  # fresh: it may have just been sent
        if parent is None or parent.status not in (AlertStatus.PENDING, AlertStatus.SENT):
            self.store.mark_status(alert.id, AlertStatus.RELATED, "first alert has no thread")
            return None
        if parent.ts is None:
            return None  # the first alert is not delivered yet: reply after it
        return Notice(alert.channel, alert.story, alert.story_key, thread_ts=parent.ts)

    def _deliver(self, alert: PendingAlert, report: DeliveryReport) -> None:
        notice = self._notice(alert)
        if notice is None:
            return
        maybe_posted = alert.attempts > 0
        self.store.mark_attempt(alert.id)
        started = time.monotonic()  # metrics
        ts = self.sink.post(notice, maybe_posted=maybe_posted, since=alert.created)
        self.store.mark_sent(alert.id, ts, self.clock())
        self.metrics.alert_sent(alert, time.monotonic() - started)  # metrics
        log.debug("alert %d sent to %s (ts %s)", alert.id, alert.channel, ts)
        if notice.thread_ts is None:
            report.sent += 1
        else:
            report.replies += 1
