"""Load and validate `watchbot.yaml` into a frozen `Config`. Every problem is reported at once.

Relative paths in the file are relative to the file's folder. Durations are written `90s`,
`10m`, `2h` or `3d`. Secrets never live here: only the names of the environment variables.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from watchbot.errors import ConfigError, Problem
from watchbot.models import (
    Config,
    DedupConfig,
    FeedConfig,
    FetchConfig,
    HealthConfig,
    RelatedMode,
    SlackConfig,
)
from watchbot.yamlfile import YamlDoc, YamlProblem, load_yaml, problems_from

DEFAULT_CONFIG = Path("config/watchbot.yaml")
CONFIG_ENV = "WATCHBOT_CONFIG"

_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def parse_duration(value: object) -> timedelta:
    """`90s`, `10m`, `2h`, `3d` → timedelta. Raises ValueError with the expected form."""
    if isinstance(value, timedelta):
        return value
    m = _DURATION.match(str(value)) if isinstance(value, str) else None
    if not m or int(m.group(1)) == 0:
        raise ValueError(f"expected a duration like 90s, 10m, 2h or 3d, got {value!r}")
    return timedelta(**{_UNITS[m.group(2)]: int(m.group(1))})


def format_duration(value: timedelta, *, approximate: bool = False) -> str:
    """`value` as config writes it ("90s", "10m", "2h", "3d"): exactly, in the largest unit that
    divides it, or with `approximate`, rounded down to the largest unit it reaches ("1h")."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and (approximate or seconds % size == 0):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


Duration = Annotated[timedelta, BeforeValidator(parse_duration)]

_SIZE = re.compile(r"^\s*(\d+)\s*(B|KB|MB|GB)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 2**10, "mb": 2**20, "gb": 2**30}


def parse_size(value: object) -> int:
    """`10MB`, `512KB`, `2000000` (bytes) → bytes. Raises ValueError with the expected form."""
    m = _SIZE.match(str(value)) if isinstance(value, str | int) else None
    if isinstance(value, bool) or not m or int(m.group(1)) == 0:
        raise ValueError(f"expected a size like 10MB, 512KB or a number of bytes, got {value!r}")
    return int(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()]


Size = Annotated[int, BeforeValidator(parse_size)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Defaults(_Model):
    interval: Duration = timedelta(minutes=10)
    timeout: Duration = timedelta(seconds=20)
    max_age: Duration = timedelta(hours=48)


class _Feed(_Model):
    name: str = Field(min_length=1)
    url: str = Field(min_length=1)
    interval: Duration | None = None
    timeout: Duration | None = None
    max_age: Duration | None = None

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        scheme = urlsplit(value).scheme.lower()
        if scheme in ("http", "https") and urlsplit(value).netloc:
            return value
        if scheme in ("", "file") or len(scheme) == 1:  # a path (or a Windows drive letter)
            return value
        raise ValueError(f"expected an http(s) URL or a local file path, got {value!r}")


_ENV_NAME = r"^[A-Za-z_][A-Za-z0-9_]*$"


class _Slack(_Model):
    channel: str = "#news-alerts"
    token_env: str = Field(default="SLACK_BOT_TOKEN", pattern=_ENV_NAME)
    webhook_env: str = Field(default="SLACK_WEBHOOK_URL", pattern=_ENV_NAME)
    api_url: str | None = None

    @field_validator("token_env", "webhook_env", mode="before")
    @classmethod
    def _not_a_secret(cls, value: Any) -> Any:
        if isinstance(value, str) and (value.startswith(("xox", "http")) or len(value) > 64):
            raise ValueError(
                "this looks like a secret: put the NAME of an environment variable here "
                "(e.g. SLACK_BOT_TOKEN) and the secret itself in that variable"
            )
        if isinstance(value, str) and not re.match(_ENV_NAME, value):
            # said here rather than by the field's pattern, whose message shows a regex
            raise ValueError(
                f"{value!r} is not the name of an environment variable: use letters, digits "
                "and _ (e.g. SLACK_BOT_TOKEN)"
            )
        return value


class _Dedup(_Model):
    window: Duration = timedelta(hours=72)
    related: RelatedMode = RelatedMode.THREAD
    retention: Duration = timedelta(days=30)
    # meaning: a multilingual sentence embedding with the rules' guards; rules: the rules alone
    method: Literal["meaning", "rules"] = "meaning"


class _Health(_Model):
    delivery_failing: Duration = timedelta(minutes=15)


class _Fetch(_Model):
    workers: int = Field(default=FetchConfig.workers, ge=1, le=256)
    per_host: int = Field(default=FetchConfig.per_host, ge=1, le=64)
    max_size: Size = FetchConfig.max_size
    backoff_max: Duration = FetchConfig.backoff_max
    jitter: float = Field(default=FetchConfig.jitter, ge=0, le=1)


class _Config(_Model):
    database: str = "watchbot.db"
    watchlists: str = "../watchlists"
    defaults: _Defaults = _Defaults()
    feeds: list[_Feed] = []
    slack: _Slack = _Slack()
    dedup: _Dedup = _Dedup()
    health: _Health = _Health()
    fetch: _Fetch = _Fetch()

    @field_validator("feeds", mode="before")
    @classmethod
    def _no_feeds_yet(cls, value: Any) -> Any:
        return [] if value is None else value  # `feeds:` with nothing under it


def config_path(explicit: str | os.PathLike[str] | None) -> Path:
    """The config to use: `--config`, else $WATCHBOT_CONFIG, else config/watchbot.yaml."""
    if explicit:
        return Path(explicit)
    return Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def _resolve(base: Path, value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _feed_url(base: Path, url: str) -> str:
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return url
    if scheme == "file":
        return str(_resolve(base, urlsplit(url).path))
    return str(_resolve(base, url))


def _cross_problems(data: dict[str, Any], doc: YamlDoc) -> list[Problem]:
    """Duplicate feed names and a retention not longer than the window, from the plain data."""
    problems: list[Problem] = []
    feeds = data.get("feeds")
    seen: dict[str, int] = {}
    for i, feed in enumerate(feeds if isinstance(feeds, list) else []):
        name = feed.get("name") if isinstance(feed, dict) else None
        if not isinstance(name, str):
            continue
        if name in seen:
            problems.append(
                Problem(
                    doc.path,
                    doc.line(("feeds", i, "name")),
                    f"feeds[{i}].name",
                    f"feed name {name!r} is already used by feeds[{seen[name]}]; "
                    "names identify feeds in the database, make each one unique",
                )
            )
        seen.setdefault(name, i)
    dedup = data.get("dedup")
    dedup = dedup if isinstance(dedup, dict) else {}
    try:
        window = parse_duration(dedup.get("window", _Dedup().window))
        retention = parse_duration(dedup.get("retention", _Dedup().retention))
    except ValueError:
        return problems  # the schema check reports the bad duration itself
    if retention <= window:
        problems.append(
            Problem(
                doc.path,
                doc.line(("dedup", "retention")),
                "dedup.retention",
                "must be longer than dedup.window, or related reports lose their first alert",
            )
        )
    return problems


def load_config(path: Path) -> Config:
    """Read and validate a config file. Raises ConfigError listing every problem."""
    try:
        doc = load_yaml(path)
    except YamlProblem as e:
        raise ConfigError([e.problem]) from e
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        raise ConfigError([Problem(path, 1, "", "expected a mapping of keys (database, feeds, …)")])
    # Schema errors and the checks across fields are reported together: the cross checks read
    # the plain data, so a typo elsewhere does not hide a duplicate feed name.
    problems = _cross_problems(data, doc)
    try:
        raw = _Config.model_validate(data)
    except ValidationError as e:
        found = problems_from(e, doc, _Config) + problems
        raise ConfigError(sorted(found, key=lambda p: p.line or 0)) from e
    if problems:
        raise ConfigError(problems)

    base = path.resolve().parent
    defaults = raw.defaults
    return Config(
        path=path,
        database=_resolve(base, raw.database),
        watchlists=_resolve(base, raw.watchlists),
        feeds=tuple(
            FeedConfig(
                name=f.name,
                url=_feed_url(base, f.url),
                interval=f.interval or defaults.interval,
                timeout=f.timeout or defaults.timeout,
                max_age=f.max_age or defaults.max_age,
            )
            for f in raw.feeds
        ),
        slack=SlackConfig(**raw.slack.model_dump()),
        dedup=DedupConfig(**raw.dedup.model_dump()),
        health=HealthConfig(**raw.health.model_dump()),
        fetch=FetchConfig(**raw.fetch.model_dump()),
    )
