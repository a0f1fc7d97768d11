"""`watchbot init DIR`: a starter config, the shipped watchlist and demo feeds, for an install
outside a checkout."""

from __future__ import annotations

from pathlib import Path

import click

from watchbot.cli.common import fail, logging_options
from watchbot.starter import starter_files

EXIT_EXISTS = 1


@click.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite files that are already there.")
@logging_options
def init(directory: Path, force: bool) -> None:
    """Write a starter config (DIRECTORY/watchbot.yaml), the shipped watchlist and demo feeds.

    Then `watchbot check --config DIRECTORY/watchbot.yaml`, and `watchbot poll` with the same
    --config prints the demo feeds' alerts. Replace the demo feeds with real ones before setting
    Slack credentials.
    """
    wanted = starter_files()
    existing = [directory / name for name in wanted if (directory / name).exists()]
    if existing and not force:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        fail(EXIT_EXISTS, f"{existing[0]} exists{more}; nothing written: --force overwrites")
    try:
        for name, data in wanted.items():
            path = directory / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            click.echo(f"wrote {path}")
    except OSError as e:
        fail(EXIT_EXISTS, f"cannot write into {directory}: {e.strerror or e}")
    config = directory / "watchbot.yaml"
    click.echo(f"next: watchbot check --config {config}")
