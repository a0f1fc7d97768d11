"""Builders for test inputs: RSS documents, and config and watchlist files from YAML strings."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from watchbot.models import AlertIntent, Hit, ItemIntent, Story, WatchlistVerdict

WATCHLIST = """
name: desk
description: test desk
entries:
  - id: sheinbaum
    label: Claudia Sheinbaum
    kind: person
    terms: [Claudia Sheinbaum, Sheinbaum]
  - id: cartels
    label: Cartels
    terms: ["cartel*", "cártel*"]
    excludes: [OPEC, oil cartel]
  - id: extradition
    label: Extraditions
    terms: ["extradit*", "extradición"]
    requires: [mexico]
  - id: mexico
    label: Mexico
    kind: place
    terms: [Mexico, México, "mexican*"]
    alert: false
"""


@dataclass(frozen=True)
class Item:
    title: str
    guid: str | None = None
    link: str | None = None
    summary: str = ""
    age: timedelta | None = timedelta(minutes=30)  # published this long before now; None: no date


def rss(items: list[Item], *, now: datetime | None = None, title: str = "Test feed") -> str:
    """An RSS 2.0 document; items are dated relative to `now` (default: the real now)."""
    now = now or datetime.now(UTC)
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0"><channel>',
        f"<title>{escape(title)}</title><link>https://example.com/</link>",
        "<description>test</description>",
    ]
    for item in items:
        parts.append("<item>")
        parts.append(f"<title>{escape(item.title)}</title>")
        if item.link:
            parts.append(f"<link>{escape(item.link)}</link>")
        if item.guid:
            parts.append(f'<guid isPermaLink="false">{escape(item.guid)}</guid>')
        if item.summary:
            parts.append(f"<description>{escape(item.summary)}</description>")
        if item.age is not None:
            parts.append(f"<pubDate>{format_datetime(now - item.age)}</pubDate>")
        parts.append("</item>")
    parts.append("</channel></rss>")
    return "\n".join(parts)


def write_setup(
    root: Path,
    feeds: list[tuple[str, str]],
    *,
    watchlists: dict[str, str] | None = None,
    slack: str = "",
    dedup: str = "",
    defaults: str = "",
) -> Path:
    """Write config/watchbot.yaml and watchlists/*.yaml under `root`; return the config path.
    `feeds` are (name, url) pairs; `slack`, `dedup`, `defaults` are YAML blocks' bodies."""
    (root / "config").mkdir(parents=True, exist_ok=True)
    (root / "watchlists").mkdir(parents=True, exist_ok=True)
    for name, body in (watchlists or {"desk": WATCHLIST}).items():
        (root / "watchlists" / f"{name}.yaml").write_text(textwrap.dedent(body), encoding="utf-8")
    lines = ["database: ../var/watchbot.db", "watchlists: ../watchlists"]
    lines.append("feeds:" if feeds else "feeds: []")
    for name, url in feeds:
        lines += [f"  - name: {name}", f"    url: {url}"]
    for key, body in (("slack", slack), ("dedup", dedup), ("defaults", defaults)):
        if body:
            lines.append(f"{key}:")
            lines += ["  " + line for line in textwrap.dedent(body).strip().splitlines()]
    path = root / "config" / "watchbot.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def line_of(path: Path, needle: str) -> int:
    """The 1-based number of the first line of `path` that contains `needle`."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


# --- store records (tests/test_store*.py) ---

STORE_NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def make_story(n: int, **changes: object) -> Story:
    fields: dict[str, object] = {
        "feed": "Wire",
        "guid": f"wire-{n}",
        "url": f"https://wire.example/{n}",
        "canonical_url": f"https://wire.example/{n}",
        "title": f"Story number {n}",
        "text": f"Text of story {n}",
        "published": STORE_NOW - timedelta(hours=1),
        "language": "en",
    }
    fields.update(changes)
    return Story(**fields)  # type: ignore[arg-type]


def keys_of(n: int) -> tuple[str, ...]:
    return (f"guid:Wire:wire-{n}", f"url:https://wire.example/{n}")


VERDICTS = (
    WatchlistVerdict(
        watchlist="mexico-security",
        channel="#mexico-desk",
        alert=True,
        hits=(
            Hit(
                watchlist="mexico-security",
                entry="sheinbaum",
                label="Claudia Sheinbaum",
                term="Sheinbaum",
                matched="Sheinbam",
                score=93,
                start=4,
                end=12,
                field="title",
            ),
        ),
        reasons=("requires mexico: matched",),
    ),
)


def new_alert(
    channel: str = "#news", parent_id: int | None = None, payload: bytes | None = None
) -> AlertIntent:
    return AlertIntent(
        channel=channel,
        verdicts=VERDICTS,
        payload=payload or (b'{"v": 1}' if parent_id is None else None),
        parent_id=parent_id,
    )


def record_story(
    store: Any, n: int, *alerts: AlertIntent, now: datetime = STORE_NOW
) -> list[int | None]:
    """Record story `n` (see `make_story`) with `alerts` in any StateStore; the alerts' ids."""
    ids: list[int | None] = store.record_item(
        ItemIntent(make_story(n), keys_of(n), now, True, alerts)
    )
    return ids


def only_id(ids: list[int | None]) -> int:
    """The one alert id of a `record_story` call that recorded one alert."""
    (only,) = ids
    assert only is not None
    return only
