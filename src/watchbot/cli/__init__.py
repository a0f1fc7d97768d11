"""The `watchbot` command. Each command lives in its own module here; `common` holds what they
share (options, loading, exit codes, the run's factories)."""

from __future__ import annotations

import click

from watchbot import __version__
from watchbot.cli.alerts import alerts
from watchbot.cli.backtest import backtest
from watchbot.cli.check import check
from watchbot.cli.feeds import feeds
from watchbot.cli.match import explain, highlight, match
from watchbot.cli.run import poll, run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="watchbot")
def main() -> None:
    """watchbot watches news feeds and posts one Slack alert per story that matches a watchlist.

    Alerts go to Slack with a bot token in $SLACK_BOT_TOKEN (or a webhook URL in
    $SLACK_WEBHOOK_URL); without either they are printed. See README.md.
    """


for command in (poll, run, check, match, feeds, alerts, backtest):
    main.add_command(command)

__all__ = ["explain", "highlight", "main"]
