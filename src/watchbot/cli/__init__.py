"""The `watchbot` command. Each command lives in its own module here; `common` holds what they
share (options, loading, exit codes, the run's factories)."""

from __future__ import annotations

from typing import Any

import click

from watchbot import __version__
from watchbot.cli.alerts import alerts
from watchbot.cli.backtest import backtest
from watchbot.cli.check import check
from watchbot.cli.common import EXIT_CONFIG, fail
from watchbot.cli.feeds import feeds
from watchbot.cli.init import init
from watchbot.cli.match import explain, highlight, match
from watchbot.cli.run import poll, run
from watchbot.cli.same import same
from watchbot.errors import StoreError


class _Main(click.Group):
    """The command group; a database or lock file that cannot be used, met by any command at
    any point, ends it with one line naming the file and the fix, and exit 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StoreError as e:
            fail(EXIT_CONFIG, str(e))


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="watchbot")
def main() -> None:
    """watchbot watches news feeds and posts one Slack alert per story that matches a watchlist.

    Alerts go to Slack with a bot token in $SLACK_BOT_TOKEN (or a webhook URL in
    $SLACK_WEBHOOK_URL); without either they are printed. See README.md.
    """


for command in (poll, run, check, match, same, feeds, alerts, backtest, init):
    main.add_command(command)

__all__ = ["explain", "highlight", "main"]
