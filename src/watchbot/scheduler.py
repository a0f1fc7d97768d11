"""The daemon: APScheduler 3.x wiring and signals, nothing else.

One job per feed at its own interval (first run at start; `coalesce` and `max_instances=1`, so a
slow feed never piles up runs), one job that retries pending alerts every minute (a Slack outage
heals without waiting for new stories), and one that reloads edited watchlists. SIGTERM or SIGINT
stops scheduling, lets in-flight polls finish, and returns.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from datetime import timedelta
from types import FrameType

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from watchbot.pipeline import Pipeline

log = logging.getLogger("watchbot")

RETRY_EVERY = timedelta(minutes=1)
RELOAD_EVERY = timedelta(seconds=30)


def _seconds(value: timedelta) -> float:
    return value.total_seconds()


def build_scheduler(
    pipeline: Pipeline, reload_watchlists: Callable[[], None] | None = None
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        # as many threads as a cycle's fetch workers: a slow feed holds one thread (at most its
        # timeout, the fetch's total deadline), never another feed's schedule
        executors={"default": ThreadPoolExecutor(pipeline.config.fetch.workers)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
        timezone="UTC",
    )
    start = pipeline.clock()
    for feed in pipeline.config.feeds:
        scheduler.add_job(
            pipeline.poll_feed,
            IntervalTrigger(
                seconds=_seconds(feed.interval),
                timezone="UTC",
                # so that feeds with one interval do not all fire in the same second
                jitter=max(1, int(_seconds(feed.interval) * pipeline.config.fetch.jitter)),
            ),
            args=[feed],
            id=f"feed:{feed.name}",
            name=f"poll {feed.name}",
            next_run_time=start,
        )
    scheduler.add_job(
        pipeline.deliver_pending,
        IntervalTrigger(seconds=_seconds(RETRY_EVERY), timezone="UTC"),
        id="deliver",
        name="retry pending alerts",
    )
    scheduler.add_job(
        pipeline.prune,
        IntervalTrigger(hours=1, timezone="UTC"),
        id="prune",
        name="prune past retention",
    )
    if reload_watchlists is not None:
        scheduler.add_job(
            reload_watchlists,
            IntervalTrigger(seconds=_seconds(RELOAD_EVERY), timezone="UTC"),
            id="reload",
            name="reload edited watchlists",
        )
    return scheduler


def run_daemon(
    pipeline: Pipeline,
    *,
    reload_watchlists: Callable[[], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Run until SIGTERM/SIGINT (or `stop` is set), then finish in-flight work and return."""
    stop = stop or threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("received %s; finishing in-flight work", signal.Signals(signum).name)
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():  # signals reach the main thread
        previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler = build_scheduler(pipeline, reload_watchlists)
    scheduler.start()
    log.info(
        "watchbot running: %d feed(s); stop with SIGTERM or Ctrl-C", len(pipeline.config.feeds)
    )
    try:
        stop.wait()
    finally:
        scheduler.shutdown(wait=True)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    log.info("watchbot stopped")
