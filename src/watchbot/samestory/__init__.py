"""The same-story decision: is a new report the same story as one alerted lately in a channel?

Everything else sees one small interface, `SameStoryIndex`, and an opaque payload that the store
keeps with each top-level alert (so that after a restart the window's alerts are added again).
The pipeline never looks inside a payload, and the store never parses one.

A new same-story method is one module here with a class that has this interface, plus one line
in `make_index`. Methods load their models and vocabulary once, lazily: `make_index` imports
them only when a channel first needs an index, so `check` and `match` never pay for them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from watchbot.models import Story


@runtime_checkable
class SameStoryIndex(Protocol):
    """The stories alerted within the window in one channel, and the decision against them."""

    method: str  # the method's name, for `check` and the logs

    def payload(self, story: Story) -> bytes:
        """What to store with a new top-level alert of `story`: opaque to everyone but this
        method, and given back to `add` (now, and after a restart)."""
        ...

    def add(self, alert_id: int, payload: bytes, when: datetime) -> None:
        """Remember that the story of `payload` was alerted as `alert_id` at `when`."""
        ...

    def find(self, story: Story, now: datetime) -> int | None:
        """The id of the alert within the window before `now` that `story` is clearly the same
        story as, or None: then `story` is a new alert."""
        ...

    def prune(self, before: datetime) -> None:
        """Forget alerts made before `before`."""
        ...


def make_index(window: timedelta) -> SameStoryIndex:
    """A new, empty index for one channel, of the method in use."""
    from watchbot.samestory.index import RulesIndex  # its vocabulary loads on first use

    return RulesIndex(window)


__all__ = ["SameStoryIndex", "make_index"]
