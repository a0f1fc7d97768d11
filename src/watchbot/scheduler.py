"""The daemon: APScheduler 3.x wiring and signals.

One job per feed at its own interval (first run at start; `coalesce` and `max_instances=1`, so a
slow feed never piles up runs), one job that retries pending alerts every minute (a Slack outage
heals without waiting for new stories), one that prunes, one heartbeat per shortest feed
interval (an INFO line with the counts since the last), and one that reloads edited config and
watchlists (`reload.py`), starting, stopping and rescheduling feed jobs to match.

SIGTERM or SIGINT stops scheduling and closes the HTTP client, so in-flight fetches abort; work
still running after `STOP_GRACE` is abandoned (`run_daemon` returns False and the caller exits
at once): every write is one SQLite transaction, whole or not at all, and an alert whose post
was under way was marked attempted first, so the next run looks for it before posting again.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import timedelta
from types import FrameType
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from watchbot.errors import StoreError
from watchbot.models import Config, FeedConfig, Watchlist
from watchbot.pipeline import Pipeline
from watchbot.reload import FeedChanges, Reloader

log = logging.getLogger("watchbot")

RETRY_EVERY = timedelta(minutes=1)
RELOAD_EVERY = timedelta(seconds=30)
STOP_GRACE = 5.0  # seconds given to in-flight work after SIGTERM (systemd waits longer)
NO_FEEDS_HEARTBEAT = timedelta(minutes=10)


def _trigger(every: timedelta, jitter: float = 0.0) -> IntervalTrigger:
    """Every `every`, stretched by up to `jitter` of it (so that feeds with one interval do
    not all fire in the same second)."""
    seconds = every.total_seconds()
    spread = max(1, int(seconds * jitter)) if jitter else None
    return IntervalTrigger(seconds=seconds, timezone="UTC", jitter=spread)


def heartbeat_every(feeds: Sequence[FeedConfig]) -> timedelta:
    return min((f.interval for f in feeds), default=NO_FEEDS_HEARTBEAT)


class Jobs:
    """The daemon's jobs and what they share: which are running (so a stop can wait for them)
    and whether the daemon is stopping (so no new one starts)."""

    def __init__(
        self,
        pipeline: Pipeline,
        scheduler: BackgroundScheduler,
        stop: threading.Event | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.scheduler = scheduler
        self.stop = stop or threading.Event()
        self.fatal: StoreError | None = None  # the database failed: the daemon stops, exit 2
        self.stopping = threading.Event()
        self._running = 0
        self._cond = threading.Condition()
        self._last_totals = pipeline.metrics.totals()

    def wrap(self, func: Callable[..., Any]) -> Callable[..., None]:
        def job(*args: Any) -> None:
            with self._cond:
                if self.stopping.is_set():
                    return
                self._running += 1
            try:
                func(*args)
            except StoreError as e:
                log.error("%s; stopping", e)
                self.fatal = self.fatal or e
                self.stop.set()
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()

        return job

    def wait_idle(self, timeout: float) -> bool:
        with self._cond:
            return self._cond.wait_for(lambda: self._running == 0, timeout)

    @property
    def running(self) -> int:
        with self._cond:
            return self._running

    # --- feed jobs --------------------------------------------------------------------------

    def add_feed(self, feed: FeedConfig, *, now: bool = True) -> None:
        self.scheduler.add_job(
            self.wrap(self.pipeline.poll_feed),
            _trigger(feed.interval, self.pipeline.config.fetch.jitter),
            args=[feed],
            id=f"feed:{feed.name}",
            name=f"poll {feed.name}",
            replace_existing=True,
            **({"next_run_time": self.pipeline.clock()} if now else {}),
        )

    def apply(self, config: Config, watchlists: Sequence[Watchlist], changes: FeedChanges) -> None:
        """Swap in a reloaded config: the pipeline's, then the feed jobs to match."""
        self.pipeline.use_config(config, watchlists)
        for feed in changes.removed:
            self.scheduler.remove_job(f"feed:{feed.name}")
        for feed in (*changes.added, *changes.changed):
            self.add_feed(feed)  # a new or changed feed is polled at once, then on its interval
        self.scheduler.reschedule_job("heartbeat", trigger=_trigger(heartbeat_every(config.feeds)))

    def add_reload(self, reload: Callable[[], None], every: timedelta) -> None:
        self.scheduler.add_job(
            self.wrap(reload), _trigger(every), id="reload", name="reload edited files"
        )

    # --- heartbeat --------------------------------------------------------------------------

    def heartbeat(self) -> None:
        totals = self.pipeline.metrics.totals()
        d = {k: v - self._last_totals.get(k, 0) for k, v in totals.items()}
        self._last_totals = totals
        healthy, reason = self.pipeline.health()
        pending = self.pipeline.metrics.health().pending
        log.info(
            "heartbeat: %d poll(s), %d failed; %d new item(s), %d alert(s), %d related; "
            "%d delivered, %d delivery failure(s); %d pending; %s",
            d["polls"],
            d["polls_failed"],
            d["items"],
            d["alerts"],
            d["related"],
            d["sent"],
            d["delivery_failed"],
            pending,
            reason,
            extra={"fields": {**d, "pending": pending, "healthy": healthy}},
        )


def build_scheduler(
    pipeline: Pipeline,
    reload_watchlists: Callable[[], None] | None = None,
    *,
    reload_every: timedelta = RELOAD_EVERY,
    stop: threading.Event | None = None,
) -> tuple[BackgroundScheduler, Jobs]:
    scheduler = BackgroundScheduler(
        # as many threads as a cycle's fetch workers: a slow feed holds one thread (at most its
        # timeout, the fetch's total deadline), never another feed's schedule
        executors={"default": ThreadPoolExecutor(pipeline.config.fetch.workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone="UTC",
    )
    jobs = Jobs(pipeline, scheduler, stop)
    for feed in pipeline.config.feeds:
        jobs.add_feed(feed)
    extra = [
        (pipeline.deliver_pending, RETRY_EVERY, "deliver", "retry pending alerts"),
        (pipeline.prune, timedelta(hours=1), "prune", "prune past retention"),
        (jobs.heartbeat, heartbeat_every(pipeline.config.feeds), "heartbeat", "heartbeat"),
    ]
    for func, every, job_id, name in extra:
        scheduler.add_job(jobs.wrap(func), _trigger(every), id=job_id, name=name)
    if reload_watchlists is not None:
        jobs.add_reload(reload_watchlists, reload_every)
    return scheduler, jobs


def run_daemon(
    pipeline: Pipeline,
    *,
    reload: bool = True,
    reload_every: timedelta = RELOAD_EVERY,
    stop: threading.Event | None = None,
    stop_grace: float = STOP_GRACE,
    on_start: Callable[[BackgroundScheduler, Reloader | None], None] | None = None,
) -> bool:
    """Run until SIGTERM/SIGINT (or `stop` is set). Returns True when every job had finished,
    False when some were still stuck `stop_grace` seconds after the stop (the caller should
    exit without waiting for them). Raises StoreError when the database failed under a job."""
    stop = stop or threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s; stopping", signal.Signals(signum).name)
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():  # signals reach the main thread
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler, jobs = build_scheduler(pipeline, stop=stop)
    reloader = Reloader(pipeline.config, jobs.apply) if reload else None
    if reloader is not None:
        jobs.add_reload(reloader, reload_every)
    scheduler.start()
    log.info(
        "watchbot running: %d feed(s); stop with SIGTERM or Ctrl-C", len(pipeline.config.feeds)
    )
    if on_start is not None:
        on_start(scheduler, reloader)
    try:
        stop.wait()
    finally:
        jobs.stopping.set()
        scheduler.shutdown(wait=False)
        pipeline.close()  # in-flight fetches lose their connections and end
        idle = jobs.wait_idle(stop_grace)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if not idle:
        log.warning(
            "%d job(s) still running %gs after the stop (a fetch that ignores its timeout?); "
            "exiting without them: nothing is half-written",
            jobs.running,
            stop_grace,
        )
    if jobs.fatal is not None:
        raise jobs.fatal  # the command says it in one line and exits 2
    log.info("watchbot stopped")
    return idle
