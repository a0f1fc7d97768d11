"""`watchbot poll` (one cycle, for cron) and `watchbot run` (the daemon)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import click

from watchbot.cli.common import (
    EXIT_FAILED,
    config_option,
    fail,
    load,
    log,
    logging_options,
    say,
    session,
)
from watchbot.errors import ConfigError
from watchbot.models import Config
from watchbot.pipeline import CycleReport, Pipeline
from watchbot.watchlist import load_watchlists, watchlist_files


@click.command()
@config_option
@click.option("--all", "all_feeds", is_flag=True, help="Fetch every feed, due or not.")
@click.option("--dry-run", is_flag=True, help="Print alerts instead of posting; change no state.")
@logging_options
def poll(config_file: Path | None, all_feeds: bool, dry_run: bool) -> None:
    """One cycle: fetch due feeds, match, deduplicate, deliver, exit. For cron."""
    config, watchlists = load(config_file)
    with session(config, dry_run=dry_run) as (store, outbox):
        pipeline = Pipeline(config, watchlists, store, outbox)
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
    if report.all_failed:
        fail(EXIT_FAILED, "every feed failed; see the errors above and `watchbot feeds`")


@click.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Print alerts instead of posting; change no state.")
@logging_options
def run(config_file: Path | None, dry_run: bool) -> None:
    """Daemon: poll each feed on its interval until SIGTERM/SIGINT."""
    from watchbot.scheduler import run_daemon  # APScheduler is only needed here

    config, watchlists = load(config_file)
    with session(config, dry_run=dry_run) as (store, outbox):
        pipeline = Pipeline(config, watchlists, store, outbox)
        reload = _watchlist_reloader(config, pipeline)
        try:
            run_daemon(pipeline, reload_watchlists=reload)
        finally:
            pipeline.close()


def _watchlist_reloader(config: Config, pipeline: Pipeline) -> Callable[[], None]:
    """Reload watchlists when their files change; a broken edit is logged and the running
    watchlists stay in force until it is fixed."""

    def stamp() -> tuple[tuple[str, float], ...]:
        try:
            files = watchlist_files(config.watchlists)
            return tuple((str(f), f.stat().st_mtime) for f in files)
        except OSError:
            return ()

    last = stamp()

    def reload() -> None:
        nonlocal last
        current = stamp()
        if current == last:
            return
        last = current
        try:
            pipeline.use_watchlists(load_watchlists(config.watchlists))
        except ConfigError as e:
            log.error("watchlist edit not applied, keeping the previous watchlists:\n%s", e)
            return
        log.info("watchlists reloaded")

    return reload
