"""`watchbot check`: validate config and watchlists; say where alerts would go; with `--slack`,
ask Slack whether they can."""

from __future__ import annotations

import os
from pathlib import Path

import click

from watchbot.cli.common import EXIT_CONFIG, channels_of, config_option, fail, load, logging_options
from watchbot.config import format_duration
from watchbot.fetch import is_local
from watchbot.models import Config
from watchbot.notify import SlackSink, make_sink
from watchbot.notify.slackcheck import check_slack
from watchbot.redact import redact
from watchbot.samestory import method_status


def warnings(config: Config) -> list[str]:
    """What is valid but will not work as the operator may think."""
    out = []
    slack = config.slack
    token, webhook = os.environ.get(slack.token_env), os.environ.get(slack.webhook_env)
    if not token and not webhook:
        out.append(
            f"${slack.token_env} and ${slack.webhook_env} are not set: alerts will be printed "
            "to stdout (recorded as printed, still owed to Slack); set one to post"
        )
    elif not token:
        out.append(
            f"${slack.token_env} is not set: posting through the webhook in "
            f"${slack.webhook_env} (one channel, no threads)"
        )
    for feed in config.feeds:
        if is_local(feed.url) and not Path(feed.url).is_file():
            out.append(f"feed {feed.name!r}: local file {feed.url} does not exist")
    return out


@click.command()
@config_option
@click.option(
    "--slack", "ask_slack", is_flag=True, help="Also ask Slack: token, scopes, each channel."
)
@logging_options
def check(config_file: Path | None, ask_slack: bool) -> None:
    """Validate config and every watchlist; print a summary. Exit 2 on any problem."""
    config, watchlists = load(config_file)
    for warning in warnings(config):
        click.echo(f"watchbot: warning: {warning}", err=True)
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
    click.echo(f"same-story  {method_status(config.dedup.method)}")
    if ask_slack:
        _ask_slack(config, channels_of(config, watchlists))
    click.echo("ok")


def _ask_slack(config: Config, channels: list[str]) -> None:
    token = os.environ.get(config.slack.token_env, "").strip()
    if not token:
        fail(
            EXIT_CONFIG,
            f"check --slack needs a bot token in ${config.slack.token_env} (a webhook cannot "
            "be checked without posting)",
        )
    sink = SlackSink(token, api_url=config.slack.api_url, timeout=10)
    findings = check_slack(sink, channels, config.slack.token_env)
    click.echo("slack")
    for finding in findings:
        click.echo(f"  {'ok ' if finding.ok else 'FAIL'}  {finding.message}")
    problems = [f for f in findings if not f.ok]
    if problems:
        fail(EXIT_CONFIG, f"{len(problems)} problem(s) with Slack; see the fixes above")
