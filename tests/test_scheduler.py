"""The daemon's APScheduler wiring: one job per feed, first run at start, no pile-ups."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from factories import Item, rss, write_setup
from servers import FeedServer, SlackServer
from watchbot.config import load_config
from watchbot.errors import StoreError
from watchbot.models import FeedConfig
from watchbot.notify import Outbox, SlackSink
from watchbot.pipeline import Pipeline, utc_now
from watchbot.reload import Reloader
from watchbot.scheduler import build_scheduler, run_daemon
from watchbot.store import SqliteStore
from watchbot.watchlist import load_watchlists


def make_pipeline(tmp_path: Path, fs: FeedServer, ss: SlackServer) -> tuple[Pipeline, SqliteStore]:
    config_path = write_setup(
        tmp_path,
        [("A", fs.url_for("/a.xml")), ("B", fs.url_for("/b.xml"))],
        slack=f'channel: "#news-alerts"\napi_url: {ss.api_url}',
    )
    config = load_config(config_path)
    store = SqliteStore.open(config.database)
    poster = SlackSink("xoxb-test", api_url=ss.api_url, channels=store)
    outbox = Outbox(store, poster, utc_now)
    return Pipeline(config, load_watchlists(config.watchlists), store, outbox), store


def test_one_job_per_feed_starting_now_with_no_pile_ups(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    pipeline, store = make_pipeline(tmp_path, feed_server, slack_server)
    scheduler, _ = build_scheduler(pipeline, reload_watchlists=lambda: None)
    scheduler.start(paused=True)  # jobs get their run times, none runs
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"feed:A", "feed:B", "deliver", "prune", "heartbeat", "reload"}
    feed_job = jobs["feed:A"]
    assert feed_job.trigger.interval == timedelta(minutes=10)
    assert feed_job.coalesce is True and feed_job.max_instances == 1
    # first run at start, not after one interval
    assert feed_job.next_run_time < jobs["deliver"].next_run_time
    assert feed_job.args[0].name == "A"
    scheduler.shutdown(wait=False)
    pipeline.close()
    store.close()


def test_daemon_polls_every_feed_then_stops_when_asked(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/a.xml", rss([Item("Sheinbaum speaks on cartels", guid="a1")]))
    feed_server.set("/b.xml", rss([Item("Extradition to Mexico approved", guid="b1")]))
    pipeline, store = make_pipeline(tmp_path, feed_server, slack_server)
    stop = threading.Event()

    def stop_after_both_alerts() -> None:
        slack_server.wait_for_messages(2, timeout=30)
        stop.set()

    watcher = threading.Thread(target=stop_after_both_alerts)
    watcher.start()
    run_daemon(pipeline, stop=stop)  # returns once stopped and in-flight work is done
    watcher.join()
    assert len(slack_server.posts()) == 2
    assert {s.name for s in store.feed_states().values() if s.polls == 1} == {"A", "B"}
    pipeline.close()
    store.close()


# --- hot reload, heartbeat, stop: the real scheduler, waiting on conditions ---------------------


class Records(logging.Handler):
    """watchbot's log records as they come (INFO and up), with a way to wait for one."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._cond = threading.Condition()

    def __enter__(self) -> Records:
        logger = logging.getLogger("watchbot")
        self._level = logger.level
        logger.setLevel(logging.INFO)
        logger.addHandler(self)
        return self

    def __exit__(self, *exc: object) -> None:
        logger = logging.getLogger("watchbot")
        logger.removeHandler(self)
        logger.setLevel(self._level)

    def emit(self, record: logging.LogRecord) -> None:
        with self._cond:
            self.records.append(record)
            self._cond.notify_all()

    def wait_for(self, text: str, timeout: float = 30) -> logging.LogRecord | None:
        def found() -> logging.LogRecord | None:
            return next((r for r in self.records if text in r.getMessage()), None)

        with self._cond:
            self._cond.wait_for(lambda: found() is not None, timeout)
            return found()


class Daemon:
    """run_daemon in a thread, with a short reload interval; stops on exit."""

    def __init__(self, pipeline: Pipeline, **options: Any) -> None:
        self.pipeline = pipeline
        self.stop = threading.Event()
        self.ready = threading.Event()
        self.scheduler: Any = None
        self.reloader: Reloader | None = None
        self.finished: bool | None = None

        def on_start(scheduler: Any, reloader: Reloader | None) -> None:
            self.scheduler, self.reloader = scheduler, reloader
            self.ready.set()

        def target() -> None:
            self.finished = run_daemon(pipeline, stop=self.stop, on_start=on_start, **options)

        self.thread = threading.Thread(target=target)

    def __enter__(self) -> Daemon:
        self.thread.start()
        assert self.ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(30)

    def feed_jobs(self) -> dict[str, FeedConfig]:
        jobs = self.scheduler.get_jobs()
        return {j.id.removeprefix("feed:"): j.args[0] for j in jobs if j.id.startswith("feed:")}


def write_feeds(
    tmp_path: Path, fs: FeedServer, ss: SlackServer, feeds: list[tuple[str, str]]
) -> Path:
    return write_setup(
        tmp_path,
        [(name, fs.url_for(path)) for name, path in feeds],
        slack=f'channel: "#news-alerts"\napi_url: {ss.api_url}',
    )


def test_edited_config_starts_stops_and_reschedules_feed_jobs(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    for path in ("/a.xml", "/b.xml", "/a2.xml", "/c.xml"):
        feed_server.set(path, rss([]))
    pipeline, store = make_pipeline(tmp_path, feed_server, slack_server)
    try:
        with Records() as records, Daemon(pipeline, reload_every=timedelta(seconds=0.2)) as daemon:
            assert set(daemon.feed_jobs()) == {"A", "B"}
            assert daemon.reloader is not None
            # A moves and polls every 5m, B goes, C comes
            config = write_feeds(
                tmp_path, feed_server, slack_server, [("A", "/a2.xml"), ("C", "/c.xml")]
            )
            text = config.read_text(encoding="utf-8").replace(
                "    url: " + feed_server.url_for("/a2.xml"),
                "    url: " + feed_server.url_for("/a2.xml") + "\n    interval: 5m",
            )
            config.write_text(text, encoding="utf-8")
            assert daemon.reloader.wait(1, timeout=30)
            jobs = daemon.feed_jobs()
            assert set(jobs) == {"A", "C"}
            assert jobs["A"].url.endswith("/a2.xml") and jobs["A"].interval == timedelta(minutes=5)
            assert set(pipeline.config.feeds) == set(jobs.values())
            for path in ("/a2.xml", "/c.xml"):  # new and changed feeds are polled at once
                assert wait_for_path(feed_server, path)

            # a broken edit: every problem logged with file and line; the previous one runs on
            config.write_text(text.replace("interval: 5m", "interval: 5 minutes"), encoding="utf-8")
            watchlist = tmp_path / "watchlists" / "desk.yaml"
            watchlist.write_text(
                watchlist.read_text(encoding="utf-8") + "  - id: x\n    terms: []\n"
            )
            assert daemon.reloader.wait(2, timeout=30)
            failed = records.wait_for("edit not applied")
            assert failed is not None
            problems = failed.fields["problems"]  # type: ignore[attr-defined]
            assert any(p.startswith(f"{config}:") and "interval" in p for p in problems), problems
            assert set(daemon.feed_jobs()) == {"A", "C"}
            assert pipeline.matcher.match("Sheinbaum speaks", "").alert  # old watchlists in force
    finally:
        store.close()


def test_a_watchlist_edit_is_swapped_in_whole(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    pipeline, store = make_pipeline(tmp_path, feed_server, slack_server)
    feed_server.set("/a.xml", rss([]))
    feed_server.set("/b.xml", rss([]))
    try:
        with Daemon(pipeline, reload_every=timedelta(seconds=0.2)) as daemon:
            assert daemon.reloader is not None
            watchlist = tmp_path / "watchlists" / "desk.yaml"
            edited = watchlist.read_text(encoding="utf-8").replace(
                "Sheinbaum]", "Sheinbaum, Ebrard]"
            )
            watchlist.write_text(edited, encoding="utf-8")
            assert daemon.reloader.wait(1, timeout=30)
            assert pipeline.matcher.match("Ebrard in Washington", "").alert
    finally:
        store.close()


def test_one_heartbeat_per_shortest_interval_with_the_counts(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/a.xml", rss([Item("Sheinbaum speaks on cartels", guid="a1")]))
    feed_server.set("/b.xml", rss([]))
    config_path = write_setup(
        tmp_path,
        [("A", feed_server.url_for("/a.xml")), ("B", feed_server.url_for("/b.xml"))],
        slack=f'channel: "#news-alerts"\napi_url: {slack_server.api_url}',
        defaults="interval: 1s",
    )
    config = load_config(config_path)
    store = SqliteStore.open(config.database)
    sink = SlackSink("xoxb-test", api_url=slack_server.api_url, channels=store)
    pipeline = Pipeline(
        config, load_watchlists(config.watchlists), store, Outbox(store, sink, utc_now)
    )
    try:
        with Records() as records, Daemon(pipeline, reload=False):
            beat = records.wait_for("heartbeat:")
            assert beat is not None and beat.levelno == logging.INFO
            fields = beat.fields  # type: ignore[attr-defined]
            assert {
                "polls",
                "polls_failed",
                "items",
                "alerts",
                "sent",
                "pending",
                "healthy",
            } <= set(fields)
    finally:
        store.close()


def wait_for_path(fs: FeedServer, path: str, timeout: float = 30) -> bool:
    with fs._cond:
        return fs._cond.wait_for(lambda: any(r.path == path for r in fs._requests), timeout)


def test_sigterm_stops_the_daemon_within_10s_while_a_fetch_hangs(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.hang("/hang.xml")
    feed_server.set("/a.xml", rss([Item("Sheinbaum speaks on cartels", guid="a1")]))
    config = write_setup(
        tmp_path,
        [("Hang", feed_server.url_for("/hang.xml")), ("A", feed_server.url_for("/a.xml"))],
        defaults="timeout: 120s",  # its own timeout would not end it in time
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WATCHBOT_"))}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "watchbot", "run", "--config", str(config)],
        env=base,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    printed = threading.Event()

    def read_alerts() -> None:
        assert daemon.stdout is not None
        for line in daemon.stdout:
            if "Sheinbaum speaks on cartels" in line:
                printed.set()

    reader = threading.Thread(target=read_alerts)
    reader.start()
    try:
        assert wait_for_path(feed_server, "/hang.xml"), "the hanging fetch never started"
        assert printed.wait(30), "the other feed's alert never came"
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(timeout=10)  # the bound the issue sets
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        reader.join(10)
        assert daemon.stdout is not None
        daemon.stdout.close()
    assert daemon.stderr is not None
    err = daemon.stderr.read()
    daemon.stderr.close()
    assert daemon.returncode == 0, err
    assert "still running" in err and "watchbot stopped" in err
    rows = (
        sqlite3.connect(tmp_path / "var" / "watchbot.db")
        .execute("SELECT COUNT(*) FROM items")
        .fetchall()
    )
    assert rows == [(1,)]  # its item recorded whole; the database opens cleanly


def test_a_database_failing_under_the_daemon_stops_it_with_the_reason(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/a.xml", rss([Item("Sheinbaum speaks on cartels", guid="a1")]))
    feed_server.set("/b.xml", rss([]))
    pipeline, store = make_pipeline(tmp_path, feed_server, slack_server)
    store.conn.execute("PRAGMA query_only = ON")  # as if the disk had turned read-only
    try:
        with pytest.raises(StoreError, match=r"watchbot\.db is read-only for this user"):
            run_daemon(pipeline, reload=False)
    finally:
        store.close()
