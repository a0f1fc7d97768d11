"""`watchbot backtest`: replay stored stories against the current watchlists."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TypeVar

import click

from watchbot.cli.common import EXIT_CONFIG, config_option, fail, load, logging_options
from watchbot.config import parse_duration
from watchbot.match import Matcher
from watchbot.pipeline import utc_now
from watchbot.store import open_store

T = TypeVar("T")


def _with_progress(items: list[T], *, label: str, long: int = 2000) -> Iterator[T]:
    """`items`, with a progress bar on stderr when it is a terminal and the run is long."""
    if len(items) < long:
        yield from items
        return
    if not sys.stderr.isatty():
        click.echo(f"watchbot: {label} {len(items)} stories…", err=True)
        yield from items
        return
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


@click.command()
@config_option
@logging_options
@click.option("--since", default="7d", show_default=True, help="How far back: 90s, 10m, 2h, 3d.")
@click.option("--show", default=20, show_default=True, help="How many differing stories to list.")
def backtest(config_file: Path | None, since: str, show: int) -> None:
    """Replay stored stories against the current watchlists, without posting.

    Shows what would alert now and how that differs from what did alert: the effect of a
    watchlist edit before it is committed.
    """
    try:
        horizon = parse_duration(since)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--since") from e
    config, watchlists = load(config_file)
    if not config.database.exists():
        fail(EXIT_CONFIG, f"no database at {config.database}: nothing to replay yet")
    matcher = Matcher.compile(watchlists)
    store = open_store(config.database, writable=False)
    try:
        stories = [s for s in store.stories_since(utc_now() - horizon) if s.alertable]
    finally:
        store.close()
    gained, lost, would, did = [], [], 0, 0
    for stored in _with_progress(stories, label="replaying"):
        alert = matcher.match(stored.story.title, stored.story.text).alert
        would += alert
        did += stored.alerted
        if alert and not stored.alerted:
            gained.append(stored)
        elif stored.alerted and not alert:
            lost.append(stored)
    click.echo(
        f"replayed {len(stories)} stories from the last {since}: {would} would alert now, "
        f"{did} did alert (or were threaded) then"
    )
    click.echo(f"new alerts gained: {len(gained)}")
    for stored in gained[:show]:
        click.echo(f"  + {stored.story.feed}: {stored.story.title}")
    click.echo(f"alerts lost: {len(lost)}")
    for stored in lost[:show]:
        click.echo(f"  - {stored.story.feed}: {stored.story.title}")
