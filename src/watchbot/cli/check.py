"""`watchbot check`: validate config and watchlists; say where alerts would go."""

from __future__ import annotations

from pathlib import Path

import click

from watchbot.cli.common import config_option, load, logging_options
from watchbot.config import format_duration
from watchbot.notify import make_sink
from watchbot.redact import redact


@click.command()
@config_option
@logging_options
def check(config_file: Path | None) -> None:
    """Validate config and every watchlist; print a summary."""
    config, watchlists = load(config_file)
    click.echo(f"config      {config.path}")
    click.echo(f"database    {config.database}")
    click.echo(f"watchlists  {config.watchlists}")
    click.echo(f"feeds       {len(config.feeds)}")
    for feed in config.feeds:
        click.echo(
            f"  {feed.name:<28} every {format_duration(feed.interval):<5} {redact(feed.url)}"
        )
    entries = sum(len(w.entries) for w in watchlists)
    click.echo(f"watchlists  {len(watchlists)} with {entries} entries")
    for w in watchlists:
        alerting = sum(1 for e in w.entries if e.alert)
        channel = w.channel or f"{config.slack.channel} (default)"
        click.echo(f"  {w.name:<28} {len(w.entries)} entries ({alerting} alerting) → {channel}")
    delivery = make_sink(config)
    click.echo(f"delivery    {delivery.description}")
    if not delivery.sink.can_thread:
        if len({w.channel or config.slack.channel for w in watchlists}) > 1:
            click.echo(
                "  note: a webhook posts to the one channel it was made for; per-watchlist "
                "channels need a bot token"
            )
        click.echo("  note: webhooks cannot thread: related reports are recorded, not posted")
    click.echo(
        f"dedup       window {format_duration(config.dedup.window)}, related: "
        f"{config.dedup.related}, retention {format_duration(config.dedup.retention)}"
    )
    click.echo("ok")
