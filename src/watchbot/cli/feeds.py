"""`watchbot feeds`: feed health, and what waits for delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from watchbot.cli.common import config_option, load, logging_options
from watchbot.config import format_duration
from watchbot.pipeline import utc_now
from watchbot.redact import redact
from watchbot.store import open_store


@click.command()
@config_option
@logging_options
def feeds(config_file: Path | None) -> None:
    """Feed health: last success, last error, items seen, next due."""
    config, _ = load(config_file)
    if not config.database.exists():
        click.echo(f"no database yet at {config.database}: run `watchbot poll` first")
        for feed in config.feeds:
            click.echo(f"{feed.name}: never polled")
        return
    store = open_store(config.database, writable=False)
    try:
        states = store.feed_states()
        counts = store.counts()
        pending_error = store.pending_error()
    finally:
        store.close()
    now = utc_now()
    for feed in config.feeds:
        state = states.get(feed.name)
        click.echo(feed.name)
        if state is None:
            click.echo("  never polled")
            continue
        healthy = state.last_error_at is None or (
            state.last_success is not None and state.last_success >= state.last_error_at
        )
        click.echo(f"  status        {'ok' if healthy else 'FAILING'}")
        click.echo(f"  last success  {_ago(state.last_success, now)}")
        if state.last_error:
            click.echo(
                f"  last error    {_ago(state.last_error_at, now)}: {redact(state.last_error)}"
            )
        click.echo(f"  items seen    {state.items_seen} in {state.polls} poll(s)")
        click.echo(f"  next due      {_ago(state.next_due, now)}")
        if state.moved_to:
            click.echo(
                f"  moved to      {redact(state.moved_to)} (permanent redirect; update the config)"
            )
    pending = counts.get("pending", 0) + counts.get("printed", 0)
    click.echo(
        f"alerts: {counts.get('sent', 0)} sent, {pending} pending, {counts.get('related', 0)} "
        f"related recorded; {counts.get('items', 0)} items stored"
    )
    if counts.get("printed"):
        click.echo(f"  {counts['printed']} of the pending were printed to stdout, not yet sent")
    if counts.get("failed"):
        click.echo(
            f"  {counts['failed']} alert(s) refused by Slack: `watchbot alerts` lists them "
            "with the reason; `watchbot alerts --retry` once fixed"
        )
    if pending and pending_error:
        click.echo(f"last delivery error: {redact(pending_error)}")


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    delta = int((now - when).total_seconds())
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if delta >= 0:
        return f"{stamp} ({format_duration(timedelta(seconds=delta), approximate=True)} ago)"
    return f"{stamp} (in {format_duration(timedelta(seconds=-delta), approximate=True)})"
