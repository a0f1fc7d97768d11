"""What every command shares: options, loading, logging, exit codes, and the factories that
build a run's store, sink and outbox (`session`). The only place, with the commands beside it,
that prints and picks exit codes.

Exit codes: 0 done; 2 bad config or watchlist (systemd should not restart into the same error);
3 every feed failed, or Slack refused our credentials; 75 another run holds the lock (EX_TEMPFAIL:
cron simply tries again next time).
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from watchbot.config import config_path, load_config
from watchbot.errors import ConfigError, DeliveryError, LockedError, SlackAuthError, WatchbotError
from watchbot.models import Config, Watchlist
from watchbot.notify import Outbox, Sink, make_sink
from watchbot.notify.history import adopt_history, is_empty
from watchbot.pipeline import utc_now
from watchbot.store import RunLock, StateStore, open_store
from watchbot.watchlist import load_watchlists

EXIT_OK, EXIT_CONFIG, EXIT_FAILED, EXIT_LOCKED = 0, 2, 3, 75

log = logging.getLogger("watchbot")
F = TypeVar("F", bound=Callable[..., Any])


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_file",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        help="Config file. Default: $WATCHBOT_CONFIG, else config/watchbot.yaml.",
    )(func)


def verbose_option(func: F) -> F:
    return click.option("-v", "--verbose", is_flag=True, help="Log more detail to stderr.")(func)


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
        force=True,
    )
    # third-party chatter (and URLs with secrets in them) stays out of the log
    for noisy in ("httpx", "httpcore", "apscheduler", "slack_sdk", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def fail(code: int, message: str) -> NoReturn:
    click.echo(f"watchbot: {message}", err=True)
    sys.exit(code)


def load(config_file: Path | None) -> tuple[Config, list[Watchlist]]:
    """Config and watchlists, or exit 2 with every problem listed."""
    path = config_path(config_file)
    try:
        config = load_config(path)
        watchlists = load_watchlists(config.watchlists)
    except ConfigError as e:
        count = len(e.problems)
        click.echo(f"watchbot: {count} problem{'s' if count != 1 else ''} found:", err=True)
        for problem in e.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(EXIT_CONFIG)
    return config, watchlists


def channels_of(config: Config, watchlists: list[Watchlist]) -> list[str]:
    """Every channel alerts may go to, in the order the watchlists name them."""
    return list(dict.fromkeys(w.channel or config.slack.channel for w in watchlists))


@contextmanager
def session(
    config: Config, *, dry_run: bool, channels: Sequence[str] = (), daemon: bool = False
) -> Iterator[tuple[StateStore, Outbox]]:
    """The run lock, the store and the outbox for `poll` and `run`. A dry run changes no state,
    so it takes no lock: an editor can preview while the daemon runs."""
    lock = RunLock(config.database)
    try:
        if not dry_run:
            lock.acquire()
    except LockedError as e:
        fail(EXIT_LOCKED, str(e))
    try:
        # a dry run works on a copy of the state: it shows what would happen, changes nothing
        store = open_store(config.database, copy=dry_run)
    except WatchbotError as e:
        lock.release()
        fail(EXIT_CONFIG, str(e))
    try:
        delivery = make_sink(config, dry_run=dry_run, channels=store)
        if delivery.warning:
            click.echo(f"watchbot: warning: {delivery.warning}", err=True)
        try:
            delivery.sink.check()
        except SlackAuthError as e:
            fail(EXIT_FAILED, str(e))
        except DeliveryError as e:  # Slack unreachable: poll anyway, alerts wait as pending
            click.echo(f"watchbot: warning: {e}; alerts stay pending until it answers", err=True)
        _adopt_history(config, store, delivery.sink, channels)
        outbox = Outbox(store, delivery.sink, utc_now)
        if daemon:
            outbox.start()  # the daemon delivers on a thread of its own: no poll waits for Slack
        try:
            yield store, outbox
        finally:
            outbox.close()
    finally:
        store.close()
        lock.release()


def _adopt_history(config: Config, store: StateStore, sink: Sink, channels: Sequence[str]) -> None:
    """On a new or emptied database, record what the channels already show (issue: a lost
    database must not repost what is in the channel)."""
    if not channels or not is_empty(store):
        return
    now = utc_now()
    lookback = max([config.dedup.window, *(f.max_age for f in config.feeds)])
    recorded, problems = adopt_history(store, sink, channels, now - lookback, now)
    for problem in problems:
        click.echo(f"watchbot: warning: {problem}", err=True)
    if recorded:
        click.echo(
            f"watchbot: the database is new or empty: {recorded} stories already posted in "
            "Slack recorded as seen, not posted again",
            err=True,
        )
