"""Delivery: the only code that talks to Slack.

- `Outbox` (outbox.py) delivers what the store holds pending: order, pauses, refusals;
- `Sink` (sink.py) is the interface of every way out: `SlackSink` (a bot token, threads),
  `WebhookSink` (an incoming webhook, no threads), `ConsoleSink` (stdout);
- blocks.py builds Slack's Block Kit messages from a `Notice`, purely, within Slack's limits;
- pace.py keeps each channel's pace (token bucket, backoff), purely;
- history.py reads the channels' history into the store when the database is new or empty;
- slackcheck.py is `watchbot check --slack`: credentials, scopes, each channel.

A new way out (Teams, email, a desk's own webhook) is one module here with a class that has the
`Sink` interface, plus one branch in `make_sink`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from watchbot.models import Config
from watchbot.notify.outbox import DeliveryReport, Outbox
from watchbot.notify.sink import ConsoleSink, Sink
from watchbot.notify.slack import ChannelIds, SlackSink
from watchbot.notify.webhook import WebhookSink


@dataclass(frozen=True)
class Delivery:
    """The sink chosen for a run, how `check` describes it, and a warning to show first."""

    sink: Sink
    description: str
    warning: str | None = None


def make_sink(
    config: Config,
    *,
    dry_run: bool = False,
    channels: ChannelIds | None = None,
    env: Mapping[str, str] = os.environ,
) -> Delivery:
    """Where alerts go: a Slack bot token, else a webhook, else stdout (with a warning). Secrets
    come from the environment only, and are never printed."""
    if dry_run:
        return Delivery(ConsoleSink(), "stdout (dry run)")
    slack = config.slack
    token = env.get(slack.token_env, "").strip()
    if token:
        sink = SlackSink(token, api_url=slack.api_url, channels=channels)
        return Delivery(sink, f"Slack Web API (token from ${slack.token_env})")
    webhook = env.get(slack.webhook_env, "").strip()
    if webhook:
        return Delivery(
            WebhookSink(webhook), f"Slack incoming webhook (URL from ${slack.webhook_env})"
        )
    return Delivery(
        ConsoleSink(),
        "stdout (no Slack credentials in the environment)",
        f"no Slack credentials (set ${slack.token_env} or ${slack.webhook_env}); "
        "printing alerts to stdout, recorded as printed: they still go to Slack once it is set",
    )


__all__ = [
    "ConsoleSink",
    "Delivery",
    "DeliveryReport",
    "Outbox",
    "Sink",
    "SlackSink",
    "WebhookSink",
    "make_sink",
]
