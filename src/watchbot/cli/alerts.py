"""`watchbot alerts`: the alerts Slack refused, what still waits, and `--retry` once fixed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from watchbot.cli.common import EXIT_CONFIG, config_option, fail, load
from watchbot.models import AlertStatus, PendingAlert
from watchbot.store import open_store

EXIT_FAILED_ALERTS = 1


def _row(alert: PendingAlert) -> dict[str, Any]:
    return {
        "id": alert.id,
        "channel": alert.channel,
        "created": alert.created.isoformat(),
        "title": alert.story.title,
        "url": alert.story.canonical_url or alert.story.url,
        "reply_to": alert.parent_id,
        "reason": alert.last_error,
    }


@click.command()
@config_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object for scripts.")
@click.option("--retry", is_flag=True, help="Put failed alerts back to pending: IDs, or all.")
@click.argument("ids", nargs=-1, type=int)
def alerts(config_file: Path | None, as_json: bool, retry: bool, ids: tuple[int, ...]) -> None:
    """Alerts Slack refused (failed, with the reason) and what waits for delivery.

    Once the cause is fixed (the bot invited, the channel renamed), `watchbot alerts --retry`
    puts every failed alert back to pending, or only the IDs given (a thread's replies go with
    their first alert); the next poll delivers them. Exit 1 when failed alerts are listed.
    """
    config, _ = load(config_file)
    if ids and not retry:
        raise click.UsageError("alert IDs are for --retry")
    if not config.database.exists():
        if as_json:
            click.echo(json.dumps({"failed": [], "pending": 0, "printed": 0}))
        else:
            click.echo(f"no database yet at {config.database}: nothing delivered or failed")
        return
    store = open_store(config.database)
    try:
        if retry:
            _retry(store.retry_failed(list(ids) if ids else None), ids)
            return
        failed = store.alerts_with_status(AlertStatus.FAILED)
        counts = store.counts()
    finally:
        store.close()
    pending, printed = counts.get("pending", 0), counts.get("printed", 0)
    if as_json:
        out = {"failed": [_row(a) for a in failed], "pending": pending, "printed": printed}
        click.echo(json.dumps(out, ensure_ascii=False))
    else:
        _print(failed, pending, printed)
    if failed:
        raise SystemExit(EXIT_FAILED_ALERTS)


def _retry(done: list[int], asked: tuple[int, ...]) -> None:
    missing = sorted(set(asked) - set(done))
    if done:
        listed = ", ".join(str(i) for i in done)
        click.echo(f"{len(done)} alert(s) back to pending ({listed}): the next poll delivers them")
    elif not asked:
        click.echo("no failed alerts")
    if missing:
        fail(
            EXIT_CONFIG,
            f"not failed alerts: {', '.join(map(str, missing))} (see `watchbot alerts`)",
        )


def _print(failed: list[PendingAlert], pending: int, printed: int) -> None:
    click.echo(f"failed: {len(failed)}")
    for alert in failed:
        when = alert.created.strftime("%Y-%m-%d %H:%M UTC")
        reply = f" (reply to {alert.parent_id})" if alert.parent_id else ""
        click.echo(f"  {alert.id:>5}  {alert.channel}  {when}  {alert.story.title[:80]}{reply}")
        click.echo(f"         {alert.last_error or 'no reason recorded'}")
    waiting = f"pending: {pending}"
    if printed:
        waiting += f"; printed to stdout, still owed to Slack: {printed}"
    click.echo(waiting)
    if failed:
        click.echo("once fixed: watchbot alerts --retry  (or --retry ID…)")
