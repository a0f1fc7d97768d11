"""Hot reload for the daemon: it notices edited config and watchlist files, loads and validates
them whole, and only then swaps them in. An edit with a problem is logged (every problem, with
file and line, as one record) and the previous version keeps running until the files change
again.

What a reload can change: the feeds (added, removed, changed: the scheduler starts, stops or
reschedules their jobs), the watchlists, `defaults`, `dedup` and `health`. The database and the
Slack settings are fixed for the life of the process (the store, its lock and the sink are
open); an edit to them is logged as needing a restart, and the rest applies.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from watchbot.config import load_config
from watchbot.errors import ConfigError
from watchbot.models import Config, FeedConfig, Watchlist
from watchbot.watchlist import load_watchlists, watchlist_files

log = logging.getLogger("watchbot")

Stamp = tuple[tuple[str, int, int], ...]
Apply = Callable[[Config, Sequence[Watchlist], "FeedChanges"], None]


@dataclass(frozen=True)
class FeedChanges:
    """How the feeds of two configs differ, by name."""

    added: tuple[FeedConfig, ...] = ()
    removed: tuple[FeedConfig, ...] = ()
    changed: tuple[FeedConfig, ...] = ()  # the new version of each

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def describe(self) -> str:
        parts = [
            f"{sign}{', '.join(repr(f.name) for f in feeds)}"
            for sign, feeds in (("+", self.added), ("-", self.removed), ("~", self.changed))
            if feeds
        ]
        return " ".join(parts) or "none"


def diff_feeds(old: Sequence[FeedConfig], new: Sequence[FeedConfig]) -> FeedChanges:
    before = {f.name: f for f in old}
    after = {f.name: f for f in new}
    return FeedChanges(
        added=tuple(f for name, f in after.items() if name not in before),
        removed=tuple(f for name, f in before.items() if name not in after),
        changed=tuple(f for name, f in after.items() if name in before and before[name] != f),
    )


def _stamp(paths: Sequence[Path]) -> Stamp:
    out = []
    for path in paths:
        try:
            st = path.stat()
            out.append((str(path), st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((str(path), -1, -1))
    return tuple(out)


class Reloader:
    """Checks the files when called (the scheduler calls it every few seconds). `generation`
    counts the edits it has looked at, applied or not; `wait` lets a caller wait for one."""

    def __init__(self, config: Config, apply: Apply) -> None:
        self.config = config
        self.apply = apply
        self.generation = 0
        self.applied = 0
        self._cond = threading.Condition()
        self._last = self._current()

    def _files(self, config: Config) -> list[Path]:
        try:
            return [config.path, *watchlist_files(config.watchlists)]
        except (OSError, ConfigError):
            return [config.path]

    def _current(self) -> Stamp:
        return _stamp(self._files(self.config))

    def __call__(self) -> None:
        stamp = self._current()
        if stamp == self._last:
            return
        self._last = stamp
        try:
            self._reload()
        finally:
            with self._cond:
                self.generation += 1
                self._cond.notify_all()

    def _reload(self) -> None:
        try:
            config = load_config(self.config.path)
            watchlists = load_watchlists(config.watchlists)
        except ConfigError as e:
            problems = [str(p) for p in e.problems]
            log.error(
                "edit not applied, the previous config and watchlists keep running: "
                "%d problem(s) found:",
                len(problems),
                extra={"fields": {"problems": problems}},
            )
            return
        fixed = [
            key
            for key in ("database", "slack")
            if getattr(config, key) != getattr(self.config, key)
        ]
        if fixed:
            log.warning(
                "config: %s changed; that needs a restart (the rest of the edit applies)",
                " and ".join(fixed),
            )
            config = dataclasses.replace(
                config, database=self.config.database, slack=self.config.slack
            )
        changes = diff_feeds(self.config.feeds, config.feeds)
        self.apply(config, watchlists, changes)
        self.config = config
        self.applied += 1
        self._last = self._current()  # a new watchlists folder has other files to watch
        log.info(
            "config and watchlists reloaded: %d feed(s) (changes: %s), %d watchlist(s)",
            len(config.feeds),
            changes.describe(),
            len(watchlists),
            extra={"fields": {"feeds": len(config.feeds), "watchlists": len(watchlists)}},
        )

    def wait(self, generation: int, timeout: float) -> bool:
        """Block until `generation` edits have been looked at; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self.generation >= generation, timeout)
