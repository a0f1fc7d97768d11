"""The daemon's APScheduler wiring: one job per feed, first run at start, no pile-ups."""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path

from factories import Item, rss, write_setup
from servers import FeedServer, SlackServer
from watchbot.config import load_config
from watchbot.notify import Outbox, SlackSink
from watchbot.pipeline import Pipeline, utc_now
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
    scheduler = build_scheduler(pipeline, reload_watchlists=lambda: None)
    scheduler.start(paused=True)  # jobs get their run times, none runs
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"feed:A", "feed:B", "deliver", "prune", "reload"}
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
