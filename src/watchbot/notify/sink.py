"""The interface every way out implements, and the console sink."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Protocol, TextIO, runtime_checkable

from watchbot.models import AlertStatus, Notice, PostedStory
from watchbot.notify.blocks import console_text, cut, slack_message


@runtime_checkable
class Sink(Protocol):
    """Where notices go. `post` returns the message's id in the sink (Slack's ts; None where
    the sink gives none); a sink that can thread replies to `notice.thread_ts`.
    `delivered_status` is what a delivered alert becomes: `sent`, or `printed` for stdout (an
    alert only printed is still owed to Slack)."""

    can_thread: bool
    delivered_status: AlertStatus

    def check(self) -> None:
        """Raise SlackAuthError if the sink refuses our credentials, DeliveryError if it cannot
        be reached."""
        ...

    def post(
        self, notice: Notice, *, maybe_posted: bool = False, since: datetime | None = None
    ) -> str | None:
        """Deliver `notice`, in one attempt: retrying is the outbox's business. `maybe_posted`:
        an earlier attempt may have been delivered without our hearing back; look for it
        (delivered after `since`) before delivering again. Raises TransientDeliveryError (kept
        pending, with Slack's Retry-After), RefusedError (marked failed) or SlackAuthError."""
        ...

    def recent_posts(self, channel: str, since: datetime) -> list[PostedStory]:
        """watchbot's own posts in `channel` since `since`, found by their metadata (empty
        where the sink cannot read history)."""
        ...


class ConsoleSink:
    """stdout, for `--dry-run` and for running without credentials. What it prints is recorded
    as `printed`, never `sent`: Slack still gets it once credentials are set."""

    can_thread = True
    delivered_status = AlertStatus.PRINTED

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._count = 0

    def check(self) -> None:
        return None

    def post(
        self, notice: Notice, *, maybe_posted: bool = False, since: datetime | None = None
    ) -> str | None:
        self._count += 1
        text = console_text(slack_message(notice))
        if notice.thread_ts is not None:
            parent = cut(" ".join(notice.parent.title.split()), 120) if notice.parent else "?"
            text = f"  ↳ in the thread of “{parent}”:\n    " + text.strip().removeprefix("↳ ")
        print(text, file=self.out, flush=True)
        return f"console.{self._count}"

    def recent_posts(self, channel: str, since: datetime) -> list[PostedStory]:
        return []
