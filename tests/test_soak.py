"""Soak: the real daemon (`watchbot run` in a child process) for many one-second cycles against
local feeds and the local Slack server, with feeds and Slack failing now and then. At the end
every story is delivered exactly once (or recorded as a related report), resident memory is
flat from cycle to cycle (the slope is printed; only a generous bound is asserted), and SIGTERM
in the middle of a fetch ends the daemon with status 0 within 10 s. About 40 s of wall time."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from factories import Item, rss, write_setup
from servers import FeedServer, SlackServer

FEEDS = ["Wire", "Diario", "Post"]
CITIES = ["Texas", "Arizona", "Sonora", "Sinaloa", "Jalisco", "Chihuahua", "Tijuana", "Reynosa"]
FEEDING_SECONDS = 20
SETTLE_SECONDS = 30  # bound on waiting for the last alerts after the faults stop

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc")


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def slope(samples: list[tuple[float, int]]) -> float:
    """Least-squares KiB per second."""
    n = len(samples)
    mean_t = sum(t for t, _ in samples) / n
    mean_m = sum(m for _, m in samples) / n
    var = sum((t - mean_t) ** 2 for t, _ in samples)
    return sum((t - mean_t) * (m - mean_m) for t, m in samples) / var


def delivered(db: Path) -> tuple[int, dict[str, str]]:
    """(alerts still pending, story key → status) as the daemon has recorded them."""
    with sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT story_key, status FROM alerts").fetchall()
    statuses = {key: status for key, status in rows}
    return sum(1 for s in statuses.values() if s == "pending"), statuses


def test_daemon_soak_loses_nothing_doubles_nothing_and_stops_on_sigterm(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    rng = random.Random(10)
    items: dict[str, list[Item]] = {name: [] for name in FEEDS}
    for name in FEEDS:
        feed_server.set(f"/{name}.xml", rss([]))
    config = write_setup(
        tmp_path,
        [(name, feed_server.url_for(f"/{name}.xml")) for name in FEEDS],
        slack=f'channel: "#news-alerts"\napi_url: {slack_server.api_url}',
        defaults="interval: 1s\ntimeout: 3s",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WATCHBOT_"))}
    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [sys.executable, "-m", "watchbot", "run", "--config", str(config)],
        env={**env, "SLACK_BOT_TOKEN": "xoxb-test"},
        stdout=log,
        stderr=log,
    )
    memory: list[tuple[float, int]] = []
    start = time.monotonic()
    expected: set[str] = set()
    faults: Counter[str] = Counter()
    try:
        for second in range(FEEDING_SECONDS):
            name = FEEDS[second % len(FEEDS)]
            guid = f"{name}-{second}"
            title = f"Sheinbaum says {100 + second} cartel members sent to {CITIES[second % 8]}"
            items[name].append(Item(title, guid=guid, link=f"https://{name}.example/{second}"))
            feed_server.set(f"/{name}.xml", rss(items[name]))
            expected.add(f"guid:{name}:{guid}")
            fault = rng.choice(["none", "none", "feed", "slack500", "slack429", "drop"])
            if fault.startswith(("slack", "drop")) and slack_server.faults_left:
                fault = "none"  # Slack fails now and then, not at every attempt
            faults[fault] += 1
            if fault == "feed":
                feed_server.fail(f"/{rng.choice(FEEDS)}.xml", status=503)
            elif fault == "slack500":
                slack_server.fail_next(1, status=500)
            elif fault == "slack429":
                slack_server.fail_next(1, status=429, retry_after=1)
            elif fault == "drop":
                slack_server.drop_next(1)  # Slack stores it, the answer is lost
            threading.Event().wait(1.0)  # the feeds' pace: one new story a second
            for other in FEEDS:  # a failed feed comes back
                feed_server.set(f"/{other}.xml", rss(items[other]))
            memory.append((time.monotonic() - start, rss_kib(daemon.pid)))
            assert daemon.poll() is None, (tmp_path / "daemon.log").read_text()

        db = config.parent.parent / "var" / "watchbot.db"
        deadline = time.monotonic() + SETTLE_SECONDS
        pending, statuses = delivered(db)
        while (pending or not expected <= set(statuses)) and time.monotonic() < deadline:
            threading.Event().wait(0.5)
            memory.append((time.monotonic() - start, rss_kib(daemon.pid)))
            pending, statuses = delivered(db)

        posted = Counter(p["metadata"]["event_payload"]["story_key"] for p in slack_server.posts())
        assert set(statuses) == expected and pending == 0, statuses  # nothing lost
        assert max(posted.values()) == 1, posted  # nothing doubled
        sent = {k for k, s in statuses.items() if s == "sent"}
        assert set(posted) == sent and {"sent"} >= set(statuses.values()) - {"related"}

        # SIGTERM in the middle of a fetch that never answers
        feed_server.hang("/Wire.xml")
        seen = len(feed_server.requests)
        feed_server.wait_for_requests(seen + len(FEEDS), timeout=10)
        stopped = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(timeout=15)
        took = time.monotonic() - stopped
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.wait()
        log.close()
    late = [m for m in memory if m[0] >= 5.0]  # after imports and the first cycles
    growth = slope(late)
    print(
        f"\nsoak: {len(expected)} stories, {len(posted)} posts, faults {dict(faults)}, "
        f"{len(memory)} memory samples; "
        f"RSS {late[0][1]} → {late[-1][1]} KiB, slope {growth:+.1f} KiB/s; SIGTERM → exit "
        f"{code} in {took:.2f} s"
    )
    assert code == 0, (tmp_path / "daemon.log").read_text()
    assert took < 10
    assert growth < 1024, f"resident memory grows {growth:.0f} KiB/s"  # generous: 1 MiB/s
