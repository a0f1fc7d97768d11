"""config.py: durations, a full valid config, every problem at once, and which config is used."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from factories import line_of
from watchbot.config import (
    CONFIG_ENV,
    DEFAULT_CONFIG,
    config_path,
    format_duration,
    load_config,
    parse_duration,
)
from watchbot.errors import ConfigError, Problem
from watchbot.models import RelatedMode

WriteConfig = Callable[[str], Path]


@pytest.fixture
def write_config(tmp_path: Path) -> WriteConfig:
    """Write a YAML string to <tmp>/config/watchbot.yaml and return its path."""

    def write(text: str) -> Path:
        path = tmp_path / "config" / "watchbot.yaml"
        path.parent.mkdir(exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def problems_of(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value.problems


# --- durations ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("10m", timedelta(minutes=10)),
        ("2h", timedelta(hours=2)),
        ("3d", timedelta(days=3)),
        (" 5m ", timedelta(minutes=5)),
    ],
    ids=["seconds", "minutes", "hours", "days", "surrounding-spaces"],
)
def test_parse_duration_accepts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "value",
    ["10 minutes", "0s", 5, "", "1.5h", "-5m", "10", "5w", None],
    ids=["words", "zero", "bare-int", "empty", "fraction", "negative", "no-unit", "weeks", "null"],
)
def test_parse_duration_rejects_with_the_expected_form(value: object) -> None:
    with pytest.raises(ValueError, match=r"expected a duration like 90s, 10m, 2h or 3d, got "):
        parse_duration(value)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(seconds=90), "90s"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=2), "2h"),
        (timedelta(days=3), "3d"),
        (timedelta(hours=72), "3d"),
    ],
    ids=["90s", "10m", "2h", "3d", "72h-as-days"],
)
def test_format_duration_writes_the_largest_whole_unit(value: timedelta, text: str) -> None:
    assert format_duration(value) == text
    assert parse_duration(format_duration(value)) == value


# --- a valid config -------------------------------------------------------------------------------

FULL = """\
    database: ../var/watchbot.db
    watchlists: ../watchlists
    defaults:
      interval: 10m
      timeout: 20s
      max_age: 48h
    feeds:
      - name: Example World
        url: https://www.example.com/world/rss.xml
        interval: 5m
      - name: Local Wire
        url: feeds/wire.xml
        timeout: 90s
      - name: File URL
        url: file:feeds/other.atom
        max_age: 3d
    slack:
      channel: "#mexico-desk"
      token_env: MY_BOT_TOKEN
      webhook_env: MY_WEBHOOK
      api_url: http://127.0.0.1:9/api/
    dedup:
      window: 24h
      related: drop
      retention: 7d
"""


def test_full_config_resolves_paths_relative_to_its_folder(write_config: WriteConfig) -> None:
    path = write_config(FULL)
    folder = path.parent.resolve()

    config = load_config(path)

    assert config.path == path
    assert config.database == (folder.parent / "var" / "watchbot.db").resolve()
    assert config.watchlists == (folder.parent / "watchlists").resolve()
    urls = [feed.url for feed in config.feeds]
    assert urls == [
        "https://www.example.com/world/rss.xml",
        str(folder / "feeds" / "wire.xml"),
        str(folder / "feeds" / "other.atom"),
    ]


def test_full_config_applies_defaults_per_feed(write_config: WriteConfig) -> None:
    config = load_config(write_config(FULL))

    world, wire, other = config.feeds
    assert (world.name, world.interval, world.timeout, world.max_age) == (
        "Example World",
        timedelta(minutes=5),
        timedelta(seconds=20),
        timedelta(hours=48),
    )
    assert (wire.interval, wire.timeout, wire.max_age) == (
        timedelta(minutes=10),
        timedelta(seconds=90),
        timedelta(hours=48),
    )
    assert other.max_age == timedelta(days=3)
    assert config.slack.channel == "#mexico-desk"
    assert config.slack.token_env == "MY_BOT_TOKEN"
    assert config.slack.webhook_env == "MY_WEBHOOK"
    assert config.slack.api_url == "http://127.0.0.1:9/api/"
    assert config.dedup.window == timedelta(hours=24)
    assert config.dedup.related is RelatedMode.DROP
    assert config.dedup.retention == timedelta(days=7)


def test_empty_config_gets_every_default(write_config: WriteConfig) -> None:
    path = write_config("# nothing yet\n")
    config = load_config(path)

    assert config.database == path.parent.resolve() / "watchbot.db"
    assert config.watchlists == (path.parent.resolve().parent / "watchlists")
    assert config.feeds == ()
    assert config.slack.channel == "#news-alerts"
    assert config.slack.token_env == "SLACK_BOT_TOKEN"
    assert config.slack.webhook_env == "SLACK_WEBHOOK_URL"
    assert config.slack.api_url is None
    assert config.dedup.window == timedelta(hours=72)
    assert config.dedup.related is RelatedMode.THREAD
    assert config.dedup.retention == timedelta(days=30)


def test_absolute_and_home_paths_are_kept(write_config: WriteConfig, tmp_path: Path) -> None:
    database = tmp_path / "elsewhere" / "state.db"
    config = load_config(write_config(f"database: {database}\nwatchlists: ~/lists\n"))

    assert config.database == database
    assert config.watchlists == Path("~/lists").expanduser()


def test_shipped_config_is_valid() -> None:
    shipped = Path(__file__).parents[1] / "config" / "watchbot.yaml"
    config = load_config(shipped)
    assert config.feeds, "the shipped config should come with demo feeds"
    assert config.watchlists == (shipped.parent.parent / "watchlists").resolve()


# --- every problem at once ------------------------------------------------------------------------

BROKEN = """\
    database: ../var/watchbot.db
    feed_list: []
    defaults:
      interval: 10 minutes
    feeds:
      - name: Wire
        url: ftp://example.com/wire.xml
        intervall: 5m
      - name: Wire  # again
        url: https://example.com/rss
        timeout: 0s
    slack:
      token_env: xoxb-1234-5678-abcdef
      webhook_env: https://hooks.slack.com/services/T0/B0/XXXX
    dedup:
      window: 72h
      retention: 48h
"""

# (dotted key, text on the problem's line, part of the message)
BROKEN_PROBLEMS = [
    ("feed_list", "feed_list:", "unknown key; did you mean `feeds`?"),
    ("defaults.interval", "interval: 10 minutes", "expected a duration like 90s, 10m, 2h or 3d"),
    ("feeds[0].url", "ftp://", "expected an http(s) URL or a local file path"),
    ("feeds[0].intervall", "intervall:", "unknown key; did you mean `interval`?"),
    ("feeds[1].name", "name: Wire  # again", "feed name 'Wire' is already used by feeds[0]"),
    ("feeds[1].timeout", "timeout: 0s", "expected a duration like 90s, 10m, 2h or 3d, got '0s'"),
    ("slack.token_env", "token_env:", "this looks like a secret: put the NAME of an environment"),
    ("slack.webhook_env", "webhook_env:", "this looks like a secret"),
    ("dedup.retention", "retention:", "must be longer than dedup.window"),
]


def test_every_problem_is_reported_at_once(write_config: WriteConfig) -> None:
    problems = problems_of(write_config(BROKEN))
    assert sorted(p.where for p in problems) == sorted(where for where, _, _ in BROKEN_PROBLEMS)


@pytest.mark.parametrize(
    ("where", "on_line", "message"),
    BROKEN_PROBLEMS,
    ids=[
        "unknown-top-level-key",
        "bad-default-duration",
        "bad-url-scheme",
        "unknown-feed-key",
        "duplicate-feed-name",
        "zero-duration",
        "secret-token-env",
        "secret-webhook-env",
        "retention-not-longer-than-window",
    ],
)
def test_each_problem_has_file_line_key_and_fix(
    write_config: WriteConfig, where: str, on_line: str, message: str
) -> None:
    path = write_config(BROKEN)
    problem = next(p for p in problems_of(path) if p.where == where)

    assert problem.path == path
    assert problem.line == line_of(path, on_line)
    assert message in problem.message
    line = f"{path}:{problem.line}: {where}: "
    assert str(problem).startswith(line)


def test_error_message_lists_one_problem_a_line(write_config: WriteConfig) -> None:
    path = write_config(BROKEN)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    lines = str(info.value).splitlines()
    assert len(lines) == len(BROKEN_PROBLEMS)
    assert all(line.startswith(f"{path}:") for line in lines)


@pytest.mark.parametrize(
    ("yaml_text", "where", "message"),
    [
        ("dedup:\n  window: 72h\n  retention: 72h\n", "dedup.retention", "must be longer"),
        ("dedup:\n  related: threads\n", "dedup.related", "'thread' or 'drop'"),
        ("slack:\n  token_env: SLACK BOT TOKEN\n", "slack.token_env", "environment variable"),
        ("slack:\n  chanel: '#x'\n", "slack.chanel", "did you mean `channel`?"),
        ("feeds:\n  - url: https://x.example/rss\n", "feeds[0].name", "required key is missing"),
        ("feeds:\n  - name: X\n    url: mailto:a@b.c\n", "feeds[0].url", "http(s) URL"),
        ("feeds:\n  - name: X\n    url: https:///rss\n", "feeds[0].url", "http(s) URL"),
        ("feeds: {name: X}\n", "feeds", "valid list"),
    ],
    ids=[
        "retention-equal-to-window",
        "unknown-related-mode",
        "env-name-with-spaces",
        "misspelt-slack-key",
        "feed-without-name",
        "mailto-url",
        "http-url-without-host",
        "feeds-not-a-list",
    ],
)
def test_single_problem(
    write_config: WriteConfig, yaml_text: str, where: str, message: str
) -> None:
    (problem,) = problems_of(write_config(yaml_text))
    assert problem.where == where
    assert message in problem.message


def test_invalid_yaml_names_the_line(write_config: WriteConfig) -> None:
    path = write_config(
        """\
        feeds:
          - name: Wire
            url: https://example.com/rss
           interval: 5m
        """
    )
    (problem,) = problems_of(path)
    assert problem.path == path
    assert problem.line == line_of(path, "interval: 5m")
    assert problem.message.startswith("invalid YAML: ")
    assert "check indentation" in problem.message


def test_a_config_that_is_not_a_mapping(write_config: WriteConfig) -> None:
    (problem,) = problems_of(write_config("- just\n- a list\n"))
    assert problem.line == 1
    assert "expected a mapping" in problem.message


def test_missing_config_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.yaml"
    (problem,) = problems_of(path)
    assert problem.path == path
    assert problem.message == "file not found"
    assert str(problem) == f"{path}: file not found"


# --- which config file ----------------------------------------------------------------------------


def test_config_option_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, "/etc/watchbot/from-env.yaml")
    assert config_path("given.yaml") == Path("given.yaml")


def test_environment_wins_over_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONFIG_ENV, "/etc/watchbot/from-env.yaml")
    assert config_path(None) == Path("/etc/watchbot/from-env.yaml")


@pytest.mark.parametrize("env", [None, ""], ids=["unset", "empty"])
def test_default_config_path(monkeypatch: pytest.MonkeyPatch, env: str | None) -> None:
    if env is None:
        monkeypatch.delenv(CONFIG_ENV, raising=False)
    else:
        monkeypatch.setenv(CONFIG_ENV, env)
    assert config_path(None) == DEFAULT_CONFIG == Path("config/watchbot.yaml")


def test_an_empty_feeds_key_means_no_feeds(write_config: WriteConfig) -> None:
    assert load_config(write_config("feeds:\n")).feeds == ()
