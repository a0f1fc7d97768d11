"""The same-story decision: is a new report the same story as one alerted lately in a channel?

Everything else sees one small interface, `SameStoryIndex`, and an opaque payload that the store
keeps with each alert and thread reply (so that after a restart the window's threads are added
again). The pipeline never looks inside a payload, and the store never parses one.

`find` answers with a `Match`: `same` (a thread reply of that alert) or `related` (a story of
its own that follows that alert: a next step, a reaction), or None (a new story).

A new same-story method is one module here with a class that has this interface, plus one line
in `make_index`. Methods load their models and vocabulary once, lazily: `make_index` imports
them only when a channel first needs an index, and the embedding model loads only when a story
that matched a watchlist is first looked up, so `check` and `match` never pay for it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from watchbot.models import Story


class Verdict(enum.StrEnum):
    SAME = "same"  # the same story: a reply in the alert's thread
    RELATED = "related"  # a story of its own that follows the alert: a new alert linking it


@dataclass(frozen=True)
class Match:
    """What `find` says of a new report: the alert (the thread's first report) it is the same
    story as, or that it follows, and why, in words for the logs."""

    alert_id: int
    verdict: Verdict
    why: str = ""


@runtime_checkable
class SameStoryIndex(Protocol):
    """The reports alerted within the window in one channel, grouped in threads, and the
    decision against them."""

    @property
    def method(self) -> str:
        """The method in use, for `check` and the logs."""
        ...

    def payload(self, story: Story) -> bytes:
        """What to store with a recorded report of `story` (an alert or a thread reply): opaque
        to everyone but this method, and given back to `add` (now, and after a restart)."""
        ...

    def add(self, alert_id: int, payload: bytes, when: datetime, thread: int | None = None) -> None:
        """Remember the report of `payload` recorded as `alert_id` at `when`: a new alert, or,
        with `thread`, a reply in the thread of that alert."""
        ...

    def find(self, story: Story, now: datetime) -> Match | None:
        """What `story` is to the threads within the window before `now`: the same story as
        one (clearly, by a margin over any other), a story following one, or None (new)."""
        ...

    def prune(self, before: datetime) -> None:
        """Forget reports made before `before`."""
        ...


METHODS = ("meaning", "rules")


def make_index(window: timedelta, method: str = "meaning") -> SameStoryIndex:
    """A new, empty index for one channel. `meaning` (the default) combines a multilingual
    sentence embedding with the rules' guards, and falls back to `rules` by itself when its
    model cannot be loaded; `rules` is the word-and-figure method alone."""
    if method == "rules":
        from watchbot.samestory.index import RulesIndex  # its vocabulary loads on first use

        return RulesIndex(window)
    from watchbot.samestory.threads import MeaningIndex  # the model loads on first find

    return MeaningIndex(window)


def method_status(method: str = "meaning") -> str:
    """Which method runs, in words, without loading any model (for `check`)."""
    from watchbot.samestory.embedding import model_status

    if method == "rules":
        return "rules (dedup.method: rules)"
    problem = model_status()
    if problem:
        return f"rules only: {problem}"
    return "meaning + rules guards (model loads on the first matched story)"


__all__ = ["METHODS", "Match", "SameStoryIndex", "Verdict", "make_index", "method_status"]
