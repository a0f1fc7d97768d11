"""/healthz and /metrics: the verdict as a pure function, then the real daemon serving both."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from factories import Item, rss, write_setup
from servers import FeedServer, SlackServer
from watchbot.health import HealthServer, judge
from watchbot.metrics import HealthFacts, Metrics

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def facts(**changes: object) -> HealthFacts:
    base: dict[str, object] = {
        "started": NOW - 60 * MIN,
        "last_good_poll": NOW - 2 * MIN,
        "last_poll_error": None,
        "delivery_failing_since": None,
        "last_delivery_error": None,
        "pending": 0,
    }
    return HealthFacts(**{**base, **changes})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "healthy", "reason"),
    [
        ({}, True, "ok: last good poll 2m ago, 0 alert(s) pending"),
        ({"last_good_poll": None, "started": NOW - MIN}, True, "ok: starting"),
        ({"last_good_poll": None}, False, "no feed polled successfully since the start"),
        (
            {"last_good_poll": NOW - 21 * MIN, "last_poll_error": "feed 'A': HTTP 503"},
            False,
            "no feed polled successfully for 21m, more than twice the shortest interval (10m); "
            "last error: feed 'A': HTTP 503",
        ),
        ({"delivery_failing_since": NOW - 14 * MIN}, True, "ok"),
        (
            {
                "delivery_failing_since": NOW - 16 * MIN,
                "last_delivery_error": "Slack: HTTP 500",
                "pending": 3,
            },
            False,
            "delivery failing for 16m (limit 15m), 3 alert(s) pending; last error: Slack: HTTP 500",
        ),
    ],
)
def test_judge(changes: dict[str, object], healthy: bool, reason: str) -> None:
    got = judge(facts(**changes), NOW, shortest_interval=10 * MIN, delivery_failing=15 * MIN)
    assert got[0] is healthy and got[1].startswith(reason), got


def test_no_feeds_means_no_poll_age_to_judge() -> None:
    assert judge(facts(last_good_poll=None), NOW, shortest_interval=None, delivery_failing=MIN)[0]


def test_the_server_serves_the_verdict_and_its_own_registry() -> None:
    verdict = [(True, "ok: fine")]
    metrics = Metrics()
    metrics.feed_polled("A", seconds=0.2, new_items=3, alerts=1)
    server = HealthServer(metrics, lambda: verdict[-1], 0)
    try:
        assert server.host == "127.0.0.1"
        ok = httpx.get(f"{server.url}/healthz")
        assert (ok.status_code, ok.text) == (200, "ok: fine\n")
        verdict.append((False, "delivery failing for 16m"))
        bad = httpx.get(f"{server.url}/healthz")
        assert (bad.status_code, bad.text) == (503, "delivery failing for 16m\n")
        scraped = httpx.get(f"{server.url}/metrics").text
        assert 'watchbot_feed_polls_total{feed="A",outcome="ok"} 1.0' in scraped
        assert 'watchbot_items_seen_total{feed="A"} 3.0' in scraped
        assert "python_gc" not in scraped  # its own registry, not the global one
        assert httpx.get(f"{server.url}/nope").status_code == 404
    finally:
        server.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until(check: object, timeout: float = 30) -> bool:
    """Ask `check()` until it is true, a tenth of a second apart, for at most `timeout`."""
    deadline = threading.Event()
    timer = threading.Timer(timeout, deadline.set)
    timer.start()
    try:
        while not deadline.is_set():
            try:
                if check():  # type: ignore[operator]
                    return True
            except httpx.HTTPError:
                pass  # not listening yet
            deadline.wait(0.1)
        return False
    finally:
        timer.cancel()


def test_run_health_port_serves_healthz_and_metrics(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    published = datetime.now(UTC) - timedelta(minutes=3)
    story = Item("Sheinbaum speaks on cartels", guid="a1", age=datetime.now(UTC) - published)
    feed_server.set("/a.xml", rss([story]))
    config = write_setup(
        tmp_path,
        [("A", feed_server.url_for("/a.xml"))],
        slack=f'channel: "#news-alerts"\napi_url: {slack_server.api_url}',
        defaults="interval: 1s",
    )
    port = free_port()
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WATCHBOT_"))}
    daemon = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "watchbot",
            "run",
            "--health-port",
            str(port),
            "--config",
            str(config),
        ],
        env={**base, "SLACK_BOT_TOKEN": "xoxb-test"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        assert slack_server.wait_for_messages(1, timeout=30)
        assert wait_until(lambda: "alerts_sent_total" in httpx.get(f"{url}/metrics").text)
        health = httpx.get(f"{url}/healthz")
        assert health.status_code == 200 and health.text.startswith("ok: last good poll")
        scraped = httpx.get(f"{url}/metrics").text
        for name in (
            'watchbot_alerts_sent_total{channel="#news-alerts"} 1.0',
            "watchbot_alerts_matched_total 1.0",
            "watchbot_alerts_pending 0.0",
            "watchbot_fetch_seconds_bucket",
            "watchbot_delivery_seconds_count 1.0",
            'watchbot_publication_to_alert_seconds_bucket{le="300.0"} 1.0',
        ):
            assert name in scraped, name

        feed_server.fail("/a.xml", status=503)  # from now on every poll fails
        assert wait_until(lambda: httpx.get(f"{url}/healthz").status_code == 503)
        reason = httpx.get(f"{url}/healthz").text
        assert "no feed polled successfully for" in reason and "HTTP 503" in reason
        assert len(reason.strip().splitlines()) == 1
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=10)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()
    assert daemon.returncode == 0, err
    assert f"health and metrics on {url}/healthz" in err
    assert "heartbeat: " in err
