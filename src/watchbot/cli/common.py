"""What every command shares: options, loading, logging, exit codes, and the factories that
build a run's store, sink and outbox (`session`). The only place, with the commands beside it,
that prints and picks exit codes.

Exit codes: 0 done; 2 bad config or watchlist (systemd should not restart into the same error);
3 every feed failed, or Slack refused our credentials; 75 another run holds the lock (EX_TEMPFAIL:
cron simply tries again next time).
"""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn, TypeVar, cast

import click

from watchbot.config import config_path, load_config
from watchbot.errors import ConfigError, DeliveryError, LockedError, SlackAuthError
from watchbot.logs import FORMATS, LEVELS, add_secrets, json_logs, scrub, setup_logging
from watchbot.metrics import Metrics
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


def logging_options(func: F) -> F:
    """--log-level, --log-format and -v (debug) on a command; logging is set up before it runs."""

    @functools.wraps(func)
    def wrapper(*args: Any, log_level: str, log_format: str, verbose: bool, **kwargs: Any) -> Any:
        setup_logging("debug" if verbose else log_level, log_format)
        return func(*args, **kwargs)

    for option in reversed(
        [
            click.option(
                "--log-level",
                type=click.Choice(LEVELS, case_sensitive=False),
                default="info",
                show_default=True,
                help="Least severity logged to stderr.",
            ),
            click.option(
                "--log-format",
                type=click.Choice(FORMATS),
                default="text",
                show_default=True,
                help="text for people, json for log shippers (one record per line).",
            ),
            click.option("-v", "--verbose", is_flag=True, help="Shorthand for --log-level debug."),
        ]
    ):
        wrapper = option(wrapper)
    return cast(F, wrapper)


def say(message: str, *, level: int = logging.WARNING, **fields: Any) -> None:
    """A message of the command itself on stderr: `watchbot: …` for people, or with
    --log-format json a record like any other, so log shippers read one format."""
    message = scrub(message)
    if json_logs():  # the record's level says what the text's "warning: " says
        log.log(
            level, message.removeprefix("warning: "), extra={"fields": fields} if fields else None
        )
        return
    click.echo(f"watchbot: {message}", err=True)
    for value in fields.values():
        if isinstance(value, list):
            for item in value:
                click.echo(f"  {scrub(str(item))}", err=True)


def json_lines(stream: Iterable[str]) -> Iterator[tuple[int, dict[str, Any]]]:
    """The JSON objects of `stream`, one a line, with their line numbers; blank lines are
    skipped, and any other line that is not an object is said to be skipped."""
    for number, line in enumerate(stream, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("expected a JSON object")
        except ValueError as e:
            say(f"stdin line {number}: not a JSON object ({e}); skipped")
            continue
        yield number, item


def fail(code: int, message: str) -> NoReturn:
    say(message, level=logging.ERROR)
    sys.exit(code)


def load(config_file: Path | None) -> tuple[Config, list[Watchlist]]:
    """Config and watchlists, or exit 2 with every problem listed."""
    path = config_path(config_file)
    try:
        config = load_config(path)
        watchlists = load_watchlists(config.watchlists)
    except ConfigError as e:
        count = len(e.problems)
        problems = [str(p) for p in e.problems]
        head = f"{count} problem{'s' if count != 1 else ''} found:"
        say(head, level=logging.ERROR, problems=problems)
        sys.exit(EXIT_CONFIG)
    return config, watchlists


def channels_of(config: Config, watchlists: list[Watchlist]) -> list[str]:
    """Every channel alerts may go to, in the order the watchlists name them."""
    return list(dict.fromkeys(w.channel or config.slack.channel for w in watchlists))


@contextmanager
def session(
    config: Config,
    *,
    dry_run: bool,
    channels: Sequence[str] = (),
    daemon: bool = False,
    metrics: Metrics | None = None,
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
    except BaseException:
        lock.release()
        raise  # a StoreError: `main` says it in one line and exits 2
    try:
        add_secrets(
            *(os.environ.get(n) for n in (config.slack.token_env, config.slack.webhook_env))
        )
        delivery = make_sink(config, dry_run=dry_run, channels=store)
        if delivery.warning:
            say(f"warning: {delivery.warning}")
        try:
            delivery.sink.check()
        except SlackAuthError as e:
            fail(EXIT_FAILED, str(e))
        except DeliveryError as e:  # Slack unreachable: poll anyway, alerts wait as pending
            say(f"warning: {e}; alerts stay pending until it answers")
        _adopt_history(config, store, delivery.sink, channels)
        outbox = Outbox(store, delivery.sink, utc_now, metrics=metrics)
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
