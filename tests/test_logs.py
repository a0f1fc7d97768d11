"""Logs: text or JSON lines on every command, each failure once, secrets never. Through the real
command and the real code paths that build messages with URLs in them."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from factories import Item, rss, write_setup
from servers import FeedServer, SlackServer
from test_cli import STORY, watchbot
from watchbot.cli import main
from watchbot.logs import add_secrets, setup_logging

SECRETS = ("pass", "abc123", "sekret")


def leaky_setup(tmp_path: Path, fs: FeedServer) -> Path:
    """Feeds whose URLs carry credentials: one that fails (its error names the URL), one that
    moved permanently to a URL with a token, one over TLS to a server that speaks none."""
    fs.fail("/down.xml", status=503)
    fs.set("/new.xml", rss([STORY]))
    fs.redirect("/old.xml", "/new.xml?token=abc123", status=301)
    host = fs.url.removeprefix("http://")
    return write_setup(
        tmp_path,
        [
            ("Down", f"http://user:pass@{host}/down.xml?token=abc123"),
            ("Moved", f"http://user:pass@{host}/old.xml?key=abc123"),
            ("TLS", f"https://user:pass@{host}/down.xml?token=abc123"),
        ],
    )


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_no_secret_in_logs_or_output(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer, fmt: str
) -> None:
    config = leaky_setup(tmp_path, feed_server)
    hook = slack_server.webhook_url + "?sekret=1"
    slack_server.fail_next(3, status=500, method="webhook")
    env = {"SLACK_WEBHOOK_URL": hook}
    runs = [
        watchbot(
            "poll", "--log-level", "debug", "--log-format", fmt, "--config", str(config), env=env
        ),
        watchbot("feeds", "--config", str(config), env=env),
        watchbot("check", "--config", str(config), env=env),
    ]
    assert runs[0].returncode == 0, runs[0].stderr
    assert "feed 'Down': HTTP 503" in runs[0].stderr and "***" in runs[0].stderr
    assert "moved to" in runs[1].stdout
    for result in runs:
        for secret in (*SECRETS, hook):
            assert secret not in result.stdout + result.stderr, (secret, result.args)


def test_each_feed_failure_is_logged_once(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.fail("/down.xml", status=503)
    feed_server.set("/a.xml", rss([STORY]))
    config = write_setup(
        tmp_path, [("Down", feed_server.url_for("/down.xml")), ("A", feed_server.url_for("/a.xml"))]
    )
    result = watchbot("poll", "--config", str(config))
    assert result.returncode == 0
    assert result.stderr.count("HTTP 503") == 1, result.stderr
    assert "1 failed" in result.stderr  # the summary counts it, without saying it again


def test_json_lines_one_record_per_event(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.fail("/down.xml", status=503)
    feed_server.set("/a.xml", rss([STORY]))
    config = write_setup(
        tmp_path, [("Down", feed_server.url_for("/down.xml")), ("A", feed_server.url_for("/a.xml"))]
    )
    result = watchbot("poll", "--log-format", "json", "--config", str(config))
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stderr.splitlines()]
    assert all({"time", "level", "logger", "message"} <= set(r) for r in records)
    [failure] = [r for r in records if "HTTP 503" in r["message"]]
    assert failure["level"] == "warning" and failure["feed"] == "Down"
    assert any(r["message"].startswith("no Slack credentials") for r in records)
    assert records[-1]["message"].startswith("polled 2 feed(s), 1 failed")


def test_problems_of_a_config_are_one_record_with_fields(tmp_path: Path) -> None:
    broken = "name: desk\nentries:\n  - id: a\n    terms: []\n    exclude: [x]\n"
    config = write_setup(tmp_path, [], watchlists={"desk": broken})
    result = watchbot("check", "--log-format", "json", "--config", str(config))
    assert result.returncode == 2
    [record] = [json.loads(line) for line in result.stderr.splitlines()]
    assert record["level"] == "error" and record["message"] == "2 problems found:"
    assert len(record["problems"]) == 2 and all("desk.yaml:" in p for p in record["problems"])


def test_v_is_debug_and_every_command_takes_the_options(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.set("/a.xml", rss([Item("Weather", guid="w")]))
    config = write_setup(tmp_path, [("A", feed_server.url_for("/a.xml"))])
    quiet = watchbot("poll", "--config", str(config))
    assert "DEBUG" not in quiet.stderr
    loud = watchbot("poll", "--all", "-v", "--config", str(config))
    assert "DEBUG feed 'A': " in loud.stderr
    for command in ("poll", "run", "check", "match", "feeds", "backtest", "init"):
        help_text = CliRunner().invoke(main, [command, "--help"]).output
        assert "--log-level" in help_text and "--log-format" in help_text and "-v" in help_text


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    """The root logger, given back as it was: setup_logging replaces its handlers."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_the_filter_redacts_messages_fields_and_tracebacks(
    monkeypatch: pytest.MonkeyPatch, root_logger: logging.Logger
) -> None:
    monkeypatch.setenv("SLACK_WEBHOOK_URL", "http://127.0.0.1:9/webhook/T/B/sekret")
    out = io.StringIO()
    setup_logging("info", "json", stream=out)
    add_secrets("xoxb-not-a-pattern-but-known")
    log = logging.getLogger("watchbot.test")
    try:
        raise RuntimeError("bad token xoxp-99-abc123 for https://u:pass@h/x")
    except RuntimeError:
        log.exception(
            "posting to %s failed",
            "http://127.0.0.1:9/webhook/T/B/sekret",
            extra={"fields": {"urls": ["https://h/x?token=abc123"]}},
        )
    log.info("known: xoxb-not-a-pattern-but-known")
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    for secret in SECRETS:
        assert secret not in out.getvalue()
    assert first["message"] == "posting to *** failed"
    assert first["urls"] == ["https://h/x?token=***"]
    assert "RuntimeError" in first["exception"]
    assert second["message"] == "known: ***"
