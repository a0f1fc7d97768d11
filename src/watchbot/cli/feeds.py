"""`watchbot feeds`: feed health, and what waits for delivery. Exit 1 when a feed is failing or
disabled (for monitoring), 0 otherwise; `--json` prints one JSON document for scripts."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import click

from watchbot.cli.common import config_option, load, logging_options
from watchbot.config import format_duration
from watchbot.models import FeedConfig, FeedState
from watchbot.pipeline import utc_now
from watchbot.redact import redact
from watchbot.store import open_store

UNHEALTHY = frozenset({"failing", "disabled"})


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON document, for scripts.")
@logging_options
def feeds(config_file: Path | None, as_json: bool) -> None:
    """Feed health: status, last success, last error, items seen, next due. Exit 1 when a feed
    is failing or disabled."""
    config, _ = load(config_file)
    states: dict[str, FeedState] = {}
    counts: dict[str, int] = {}
    pending_error = None
    if config.database.exists():
        store = open_store(config.database, writable=False)
        try:
            states = store.feed_states()
            counts = store.counts()
            pending_error = store.pending_error()
        finally:
            store.close()
    rows = [_row(feed, states.get(feed.name)) for feed in config.feeds]
    if as_json:
        alerts = {k: counts.get(k, 0) for k in ("sent", "pending", "printed", "failed", "related")}
        doc = {"feeds": rows, "alerts": alerts, "items": counts.get("items", 0)}
        click.echo(json.dumps({**doc, "last_delivery_error": pending_error}, indent=2))
    else:
        _print(config.feeds, states, rows, utc_now())
        if not config.database.exists():
            click.echo(f"no database yet at {config.database}: run `watchbot poll` first")
        else:
            _print_alerts(counts, pending_error)
    if any(row["status"] in UNHEALTHY for row in rows):
        sys.exit(1)


def _row(feed: FeedConfig, state: FeedState | None) -> dict[str, Any]:
    """One feed's health as plain data (the JSON form; the text form is printed from it)."""
    if state is None:
        return {"name": feed.name, "url": feed.url, "status": "never polled"}
    # a feed disabled under another url is polled again (its state resets then)
    status = "never polled" if state.disabled and state.url != feed.url else state.status
    return {
        "name": feed.name,
        "url": feed.url,
        "status": status,
        "last_success": _iso(state.last_success),
        "last_error": redact(state.last_error) if state.last_error else None,
        "last_error_at": _iso(state.last_error_at),
        "errors_in_a_row": state.error_count,
        "warning": state.warning,
        "disabled": state.disabled,
        "items_seen": state.items_seen,
        "polls": state.polls,
        "next_due": None if state.disabled else _iso(state.next_due),
        "moved_to": state.moved_to,
    }


def _print(
    feeds: tuple[FeedConfig, ...],
    states: dict[str, FeedState],
    rows: list[dict[str, Any]],
    now: datetime,
) -> None:
    for feed, row in zip(feeds, rows, strict=True):
        click.echo(feed.name)
        state = states.get(feed.name)
        if state is None:
            click.echo("  never polled")
            continue
        click.echo(f"  status        {row['status']}")
        click.echo(f"  last success  {_ago(state.last_success, now)}")
        if state.last_error:
            times = f" ({state.error_count} in a row)" if state.error_count else ""
            when = _ago(state.last_error_at, now)
            click.echo(f"  last error    {when}{times}: {redact(state.last_error)}")
        if state.warning:
            click.echo(f"  degraded      {state.warning}")
        click.echo(f"  items seen    {state.items_seen} in {state.polls} poll(s)")
        if state.disabled and row["status"] == "disabled":
            click.echo("  next due      never (disabled: remove the feed or give it a new url)")
        else:
            click.echo(f"  next due      {_ago(state.next_due, now)}")
        if state.moved_to:
            moved = redact(state.moved_to)
            click.echo(f"  moved to      {moved} (permanent redirect; update the config)")


def _print_alerts(counts: dict[str, int], pending_error: str | None) -> None:
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


def _iso(when: datetime | None) -> str | None:
    return when.astimezone(UTC).isoformat() if when else None


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    delta = int((now - when).total_seconds())
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if delta >= 0:
        return f"{stamp} ({format_duration(timedelta(seconds=delta), approximate=True)} ago)"
    return f"{stamp} (in {format_duration(timedelta(seconds=-delta), approximate=True)})"
