"""How long a healthy channel's alert waits behind a refused one (issue 10's target: no longer
than without it).

The real Outbox, SlackSink (slack_sdk) and SQLite store, against the local Slack-compatible
server of tests/servers.py, with the real clock. Each trial records the alerts, then measures
from the start of delivery to the moment the server stored the healthy channel's post.

    without      #good has one alert; nothing else is pending
    refused      #bad's oldest alert is refused (invalid_blocks), 12 more wait behind it;
                 then #good's alert
    not-member   #bad refuses every post (not_in_channel), 12 more wait; then #good's
    retry-after  #bad's oldest alert gets 429 with Retry-After 120 s; then #good's

Both modes: `poll` (the caller delivers) and `run` (the outbox's own thread, woken by a poll).

    .venv/bin/python bench/bench_delivery.py [trials]
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from factories import new_alert
from servers import SlackServer
from watchbot.models import ItemIntent, Story
from watchbot.notify import Outbox, SlackSink
from watchbot.store import SqliteStore


def utc_now() -> datetime:
    return datetime.now(UTC)


def record(store: SqliteStore, n: int, channel: str) -> None:
    story = Story("Wire", f"g{n}", f"https://w.example/{n}", None, f"Sheinbaum {n}", "", utc_now())
    store.record_item(
        ItemIntent(story, (f"guid:Wire:g{n}",), utc_now(), True, (new_alert(channel),))
    )


def trial(ss: SlackServer, scenario: str, daemon: bool) -> float:
    """Milliseconds from the start of delivery until #good's post is stored."""
    ss.reset()
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore.open(Path(tmp) / "state.db")
        n = 0
        if scenario != "without":
            if scenario == "refused":
                ss.refuse_next("invalid_blocks", channel="#bad")
            elif scenario == "not-member":
                ss.non_member_channels.add("#bad")
            elif scenario == "retry-after":
                ss.fail_next(1, status=429, retry_after=120, channel="#bad")
            for n in range(1, 14):
                record(store, n, "#bad")
        record(store, n + 1, "#good")
        outbox = Outbox(store, SlackSink("xoxb-test", api_url=ss.api_url), utc_now)
        if daemon:
            outbox.start()
        start = time.time()
        outbox.deliver_pending()
        assert ss.wait_for_messages(1, timeout=10)
        if daemon:
            deadline = time.monotonic() + 10
            while not ss.posts("#good") and time.monotonic() < deadline:
                threading.Event().wait(0.001)
        [good] = ss.posts("#good")
        outbox.close()
        store.close()
    return (float(good["ts"]) - start) * 1000


def main() -> None:
    trials = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    logging.disable(logging.CRITICAL)  # the refusals are expected; their log lines are not news
    with SlackServer() as ss:
        trial(ss, "without", False)  # warm up the client and the server
        print(f"{trials} trials each; ms from the start of delivery to #good's post stored")
        print(f"{'mode':<5} {'scenario':<12} {'median':>8} {'p90':>8} {'max':>8} {'× without':>10}")
        for daemon in (False, True):
            base = None
            for scenario in ("without", "refused", "not-member", "retry-after"):
                waits = sorted(trial(ss, scenario, daemon) for _ in range(trials))
                median = statistics.median(waits)
                base = base or median
                p90 = waits[int(0.9 * (len(waits) - 1))]
                mode = "run" if daemon else "poll"
                print(
                    f"{mode:<5} {scenario:<12} {median:8.1f} {p90:8.1f} {waits[-1]:8.1f}"
                    f" {median / base:10.2f}"
                )


if __name__ == "__main__":
    main()
