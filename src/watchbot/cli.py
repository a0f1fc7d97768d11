"""The `watchbot` command: the only place that prints and picks exit codes.

Exit codes: 0 done; 2 bad config or watchlist (systemd should not restart into the same error);
3 every feed failed, or Slack refused our credentials; 75 another run holds the lock (EX_TEMPFAIL:
cron simply tries again next time).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from watchbot import __version__
from watchbot.config import config_path, format_duration, load_config, parse_duration
from watchbot.errors import ConfigError, DeliveryError, LockedError, SlackAuthError, WatchbotError
from watchbot.match import Matcher
from watchbot.models import Config, MatchResult, Watchlist, WatchlistVerdict
from watchbot.pipeline import CycleReport, Pipeline, utc_now
from watchbot.slack import ConsolePoster, Poster, WebApiPoster, WebhookPoster
from watchbot.store import RunLock, Store
from watchbot.watchlist import load_watchlists, watchlist_files

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


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        stream=sys.stderr,
        force=True,
    )
    # third-party chatter (and URLs with secrets in them) stays out of the log
    for noisy in ("httpx", "httpcore", "apscheduler", "slack_sdk", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _fail(code: int, message: str) -> None:
    click.echo(f"watchbot: {message}", err=True)
    sys.exit(code)


def _load(config_file: Path | None) -> tuple[Config, list[Watchlist]]:
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


def make_poster(config: Config, *, dry_run: bool, store: Store) -> tuple[Poster, str | None]:
    """Where alerts go, and a warning to show when that is stdout for lack of credentials.
    Secrets come from the environment only, and are never printed."""
    if dry_run:
        return ConsolePoster(), None
    token = os.environ.get(config.slack.token_env, "").strip()
    if token:
        return WebApiPoster(token, api_url=config.slack.api_url, channels=store), None
    webhook = os.environ.get(config.slack.webhook_env, "").strip()
    if webhook:
        return WebhookPoster(webhook), None
    return ConsolePoster(), (
        f"no Slack credentials (set ${config.slack.token_env} or ${config.slack.webhook_env}); "
        "printing alerts to stdout"
    )


@contextmanager
def _session(config: Config, *, dry_run: bool) -> Iterator[tuple[Store, Poster]]:
    """The run lock, the store and the poster for `poll` and `run`. A dry run changes no state,
    so it takes no lock: an editor can preview while the daemon runs."""
    lock = RunLock(config.database)
    try:
        if not dry_run:
            lock.acquire()
    except LockedError as e:
        _fail(EXIT_LOCKED, str(e))
    try:
        # a dry run works on a copy of the state: it shows what would happen, changes nothing
        store = Store.open_copy(config.database) if dry_run else Store.open(config.database)
    except WatchbotError as e:
        lock.release()
        _fail(EXIT_CONFIG, str(e))
    try:
        poster, warning = make_poster(config, dry_run=dry_run, store=store)
        if warning:
            click.echo(f"watchbot: warning: {warning}", err=True)
        try:
            poster.check()
        except SlackAuthError as e:
            _fail(EXIT_FAILED, str(e))
        except DeliveryError as e:  # Slack unreachable: poll anyway, alerts wait as pending
            click.echo(f"watchbot: warning: {e}; alerts stay pending until it answers", err=True)
        yield store, poster
    finally:
        store.close()
        lock.release()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="watchbot")
def main() -> None:
    """watchbot watches news feeds and posts one Slack alert per story that matches a watchlist.

    Alerts go to Slack with a bot token in $SLACK_BOT_TOKEN (or a webhook URL in
    $SLACK_WEBHOOK_URL); without either they are printed. See README.md.
    """


@main.command()
@config_option
@click.option("--all", "all_feeds", is_flag=True, help="Fetch every feed, due or not.")
@click.option("--dry-run", is_flag=True, help="Print alerts instead of posting; change no state.")
@verbose_option
def poll(config_file: Path | None, all_feeds: bool, dry_run: bool, verbose: bool) -> None:
    """One cycle: fetch due feeds, match, deduplicate, deliver, exit. For cron."""
    _setup_logging(verbose)
    config, watchlists = _load(config_file)
    with _session(config, dry_run=dry_run) as (store, poster):
        pipeline = Pipeline(config, watchlists, store, poster)
        try:
            feeds = list(config.feeds) if all_feeds else pipeline.due_feeds()
            report = pipeline.run_cycle(feeds)
        finally:
            pipeline.close()
    _report(report)


def _report(report: CycleReport) -> None:
    for outcome in report.failed:
        click.echo(f"watchbot: {outcome.error}", err=True)
    click.echo(f"watchbot: {report.summary()}", err=True)
    if report.delivery.auth_error:
        _fail(EXIT_FAILED, report.delivery.auth_error)
    if report.all_failed:
        _fail(EXIT_FAILED, "every feed failed; see the errors above and `watchbot feeds`")


@main.command()
@config_option
@click.option("--dry-run", is_flag=True, help="Print alerts instead of posting; change no state.")
@verbose_option
def run(config_file: Path | None, dry_run: bool, verbose: bool) -> None:
    """Daemon: poll each feed on its interval until SIGTERM/SIGINT."""
    from watchbot.scheduler import run_daemon  # APScheduler is only needed here

    _setup_logging(verbose)
    config, watchlists = _load(config_file)
    with _session(config, dry_run=dry_run) as (store, poster):
        pipeline = Pipeline(config, watchlists, store, poster)
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


@main.command()
@config_option
def check(config_file: Path | None) -> None:
    """Validate config and every watchlist; print a summary."""
    config, watchlists = _load(config_file)
    click.echo(f"config      {config.path}")
    click.echo(f"database    {config.database}")
    click.echo(f"watchlists  {config.watchlists}")
    click.echo(f"feeds       {len(config.feeds)}")
    for feed in config.feeds:
        click.echo(f"  {feed.name:<28} every {format_duration(feed.interval):<5} {feed.url}")
    entries = sum(len(w.entries) for w in watchlists)
    click.echo(f"watchlists  {len(watchlists)} with {entries} entries")
    for w in watchlists:
        alerting = sum(1 for e in w.entries if e.alert)
        channel = w.channel or f"{config.slack.channel} (default)"
        click.echo(f"  {w.name:<28} {len(w.entries)} entries ({alerting} alerting) → {channel}")
    token = bool(os.environ.get(config.slack.token_env))
    webhook = bool(os.environ.get(config.slack.webhook_env))
    if token:
        delivery = f"Slack Web API (token from ${config.slack.token_env})"
    elif webhook:
        delivery = f"Slack incoming webhook (URL from ${config.slack.webhook_env})"
    else:
        delivery = "stdout (no Slack credentials in the environment)"
    click.echo(f"delivery    {delivery}")
    if webhook and not token:
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


@main.command()
@config_option
@click.argument("text", nargs=-1)
@click.option(
    "--json", "as_json", is_flag=True, help="Read JSON lines from stdin, write JSON lines."
)
def match(config_file: Path | None, text: tuple[str, ...], as_json: bool) -> None:
    """Show which watchlist entries TEXT would trigger, and why.

    TEXT is matched as a headline. With --json, each stdin line is {"id", "title", "summary"}
    and each output line {"id", "alert", "matches": [...]}.
    """
    _, watchlists = _load(config_file)
    matcher = Matcher.compile(watchlists)
    if as_json:
        _match_json(matcher)
        return
    if not text:
        raise click.UsageError("give a headline to match, or --json to read JSON lines")
    headline = " ".join(text)
    result = matcher.match(headline, "", explain=True)
    click.echo(explain(headline, result, color=sys.stdout.isatty()))


def _match_json(matcher: Matcher) -> None:
    for number, line in enumerate(sys.stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            if not isinstance(item, dict):
                raise ValueError("expected a JSON object")
        except ValueError as e:
            click.echo(f"watchbot: stdin line {number}: not a JSON object ({e}); skipped", err=True)
            continue
        result = matcher.match(str(item.get("title") or ""), str(item.get("summary") or ""))
        matches = [
            {
                "watchlist": hit.watchlist,
                "entry": hit.entry,
                "term": hit.term,
                "matched": hit.matched,
                "score": hit.score,
            }
            for verdict in result.verdicts
            for hit in verdict.hits
        ]
        out = {"id": item.get("id"), "alert": result.alert, "matches": matches}
        click.echo(json.dumps(out, ensure_ascii=False))


def highlight(text: str, spans: list[tuple[int, int]], *, color: bool) -> str:
    """`text` with the matched spans marked: bold on a terminal, [brackets] elsewhere."""
    out, pos = [], 0
    for start, end in sorted(set(spans)):
        if start < pos:
            continue
        out.append(text[pos:start])
        word = text[start:end]
        out.append(click.style(word, bold=True, fg="yellow") if color else f"[{word}]")
        pos = end
    out.append(text[pos:])
    return "".join(out)


def decided_by(verdict: WatchlistVerdict) -> str:
    """The rule that decided a watchlist's verdict, in one line."""
    alerting = [d for d in verdict.decisions if d.alerts]
    if alerting:
        first, *others = alerting
        rule = "it matched" if first.rule == "matched" else first.rule
        also = f" (also {', '.join(d.entry for d in others)})" if others else ""
        return f"alert, decided by {first.entry}: {rule}{also}"
    failed = [d.entry for d in verdict.decisions if not d.rule.startswith("context only")]
    if not failed:
        return "no alert: only context entries (alert: false) matched"
    whose = "its" if len(failed) == 1 else "their"
    return f"no alert: {', '.join(failed)} matched but {whose} rules do not hold (above)"


def explain(headline: str, result: MatchResult, *, color: bool = False) -> str:
    """The human explanation printed by `watchbot match`."""
    lines = []
    spans = [(h.start, h.end) for v in result.verdicts for h in v.hits if h.field == "title"]
    lines.append(highlight(headline, spans, color=color))
    lines.append("")
    for verdict in result.verdicts:
        state = "ALERT" if verdict.alert else "no alert"
        channel = f" → {verdict.channel}" if verdict.channel and verdict.alert else ""
        lines.append(f"{verdict.watchlist}: {state}{channel}")
        for hit in verdict.hits:
            how = f"fuzzy {hit.score}" if hit.form == "fuzzy" else hit.form
            lines.append(
                f"  ✓ {hit.entry} ({hit.label}): term {hit.term!r} matched {hit.matched!r} [{how}]"
            )
        for reason in verdict.reasons:
            lines.append(f"  · {reason}")
        lines.append(f"  ⇒ {decided_by(verdict)}")
    if result.near_misses:
        lines.append("near misses (fuzzy candidates that did not count):")
        for miss in result.near_misses:
            why = miss.why or f"{miss.score} < {miss.threshold}"
            lines.append(
                f"  ~ {miss.watchlist}/{miss.entry}: term {miss.term!r} vs {miss.matched!r}: {why}"
            )
    if not result.verdicts:
        lines.append("no entry matched.")
    lines.append("")
    lines.append("would alert" if result.alert else "would not alert")
    return "\n".join(lines)


@main.command()
@config_option
def feeds(config_file: Path | None) -> None:
    """Feed health: last success, last error, items seen, next due."""
    config, _ = _load(config_file)
    if not config.database.exists():
        click.echo(f"no database yet at {config.database}: run `watchbot poll` first")
        for feed in config.feeds:
            click.echo(f"{feed.name}: never polled")
        return
    store = Store.open(config.database)
    try:
        states = store.feed_states()
        counts = store.counts()
        pending_error = store.pending_error()
    finally:
        store.close()
    now = utc_now()
    for feed in config.feeds:
        state = states.get(feed.name)
        click.echo(feed.name)
        if state is None:
            click.echo("  never polled")
            continue
        healthy = state.last_error_at is None or (
            state.last_success is not None and state.last_success >= state.last_error_at
        )
        click.echo(f"  status        {'ok' if healthy else 'FAILING'}")
        click.echo(f"  last success  {_ago(state.last_success, now)}")
        if state.last_error:
            click.echo(f"  last error    {_ago(state.last_error_at, now)}: {state.last_error}")
        click.echo(f"  items seen    {state.items_seen} in {state.polls} poll(s)")
        click.echo(f"  next due      {_ago(state.next_due, now)}")
        if state.moved_to:
            click.echo(f"  moved to      {state.moved_to} (permanent redirect; update the config)")
    pending = counts.get("pending", 0)
    click.echo(
        f"alerts: {counts.get('sent', 0)} sent, {pending} pending, {counts.get('related', 0)} "
        f"related recorded; {counts.get('items', 0)} items stored"
    )
    if pending and pending_error:
        click.echo(f"last delivery error: {pending_error}")


T = TypeVar("T")


def _with_progress(items: list[T], *, label: str, long: int = 2000) -> Iterator[T]:
    """`items`, with a progress bar on stderr when it is a terminal and the run is long."""
    if len(items) < long:
        yield from items
        return
    if not sys.stderr.isatty():
        click.echo(f"watchbot: {label} {len(items)} stories…", err=True)
        yield from items
        return
    with click.progressbar(items, label=label, file=sys.stderr) as bar:
        yield from bar


def _ago(when: datetime | None, now: datetime) -> str:
    if when is None:
        return "never"
    delta = int((now - when).total_seconds())
    stamp = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if delta >= 0:
        return f"{stamp} ({_approx(delta)} ago)"
    return f"{stamp} (in {_approx(-delta)})"


def _approx(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


@main.command()
@config_option
@click.option("--since", default="7d", show_default=True, help="How far back: 90s, 10m, 2h, 3d.")
@click.option("--show", default=20, show_default=True, help="How many differing stories to list.")
def backtest(config_file: Path | None, since: str, show: int) -> None:
    """Replay stored stories against the current watchlists, without posting.

    Shows what would alert now and how that differs from what did alert: the effect of a
    watchlist edit before it is committed.
    """
    try:
        horizon = parse_duration(since)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--since") from e
    config, watchlists = _load(config_file)
    if not config.database.exists():
        _fail(EXIT_CONFIG, f"no database at {config.database}: nothing to replay yet")
    matcher = Matcher.compile(watchlists)
    store = Store.open(config.database)
    try:
        stories = [s for s in store.stories_since(utc_now() - horizon) if s.alertable]
    finally:
        store.close()
    gained, lost, would, did = [], [], 0, 0
    for stored in _with_progress(stories, label="replaying"):
        alert = matcher.match(stored.story.title, stored.story.text).alert
        would += alert
        did += stored.alerted
        if alert and not stored.alerted:
            gained.append(stored)
        elif stored.alerted and not alert:
            lost.append(stored)
    click.echo(
        f"replayed {len(stories)} stories from the last {since}: {would} would alert now, "
        f"{did} did alert (or were threaded) then"
    )
    click.echo(f"new alerts gained: {len(gained)}")
    for stored in gained[:show]:
        click.echo(f"  + {stored.story.feed}: {stored.story.title}")
    click.echo(f"alerts lost: {len(lost)}")
    for stored in lost[:show]:
        click.echo(f"  - {stored.story.feed}: {stored.story.title}")
