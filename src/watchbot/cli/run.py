"""`watchbot poll` (one cycle, for cron) and `watchbot run` (the daemon)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import click

from watchbot.cli.common import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    channels_of,
    config_option,
    fail,
    load,
    log,
    logging_options,
    say,
    session,
)
from watchbot.logs import flush
from watchbot.metrics import Metrics
from watchbot.pipeline import Pipeline, utc_now
from watchbot.report import CycleReport


@click.command()
@config_option
@click.option("--all", "all_feeds", is_flag=True, help="Fetch every feed, due or not.")
@click.option("--dry-run", is_flag=True, help="Print alerts instead of posting; change no state.")
@logging_options
def poll(config_file: Path | None, all_feeds: bool, dry_run: bool) -> None:
    """One cycle: fetch due feeds, match, deduplicate, deliver, exit. For cron."""
    config, watchlists = load(config_file)
    metrics = Metrics(clock=utc_now)  # counted, not served: the report below says them
    channels = channels_of(config, watchlists)
    with session(config, dry_run=dry_run, channels=channels, metrics=metrics) as (store, outbox):
        pipeline = Pipeline(config, watchlists, store, outbox, metrics=metrics)
        try:
            feeds = list(config.feeds) if all_feeds else pipeline.due_feeds()
            report = pipeline.run_cycle(feeds)
        finally:
            pipeline.close()
    _report(report)


def _report(report: CycleReport) -> None:
    # each failed feed was logged once as it failed; the summary counts them
    say(report.summary(), level=logging.INFO)
    if report.delivery.auth_error:
        fail(EXIT_FAILED, report.delivery.auth_error)
    delivery = report.delivery
    if delivery.failed and not (delivery.sent or delivery.replies):
        fail(EXIT_FAILED, "Slack refused every alert it was sent; see `watchbot alerts`")
    if report.all_failed:
        fail(EXIT_FAILED, "every feed failed; see the errors above and `watchbot feeds`")


@click.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Print alerts instead of posting; change no state.")
@click.option(
    "--health-port",
    type=click.IntRange(0, 65535),
    default=None,
    help="Serve /healthz and /metrics on this port (0: any free port, logged).",
)
@click.option(
    "--health-host", default="127.0.0.1", show_default=True, help="Address to serve them on."
)
@logging_options
def run(config_file: Path | None, dry_run: bool, health_port: int | None, health_host: str) -> None:
    """Daemon: poll each feed on its interval until SIGTERM/SIGINT; reload edited files."""
    from watchbot.health import HealthServer  # only the daemon serves HTTP
    from watchbot.scheduler import run_daemon  # APScheduler is only needed here

    config, watchlists = load(config_file)
    metrics = Metrics(clock=utc_now)
    channels = channels_of(config, watchlists)
    with session(config, dry_run=dry_run, channels=channels, daemon=True, metrics=metrics) as (
        store,
        outbox,
    ):
        pipeline = Pipeline(config, watchlists, store, outbox, metrics=metrics)
        server = None
        try:
            if health_port is not None:
                try:
                    server = HealthServer(metrics, pipeline.health, health_port, health_host)
                except OSError as e:
                    fail(EXIT_CONFIG, f"cannot serve health on {health_host}:{health_port}: {e}")
                log.info("health and metrics on %s/healthz and %s/metrics", server.url, server.url)
            finished = run_daemon(pipeline)
        finally:
            if server is not None:
                server.close()
            pipeline.close()
    if not finished:
        flush()
        # stuck fetches would keep the interpreter waiting for their threads at exit; every
        # write is a whole transaction, so leaving now is safe (see scheduler.py)
        os._exit(EXIT_OK)
