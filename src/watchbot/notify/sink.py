"""The interface every way out implements, and the console sink."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Protocol, TextIO, runtime_checkable

from watchbot.models import Notice
from watchbot.notify.blocks import console_text, slack_message


@runtime_checkable
class Sink(Protocol):
    """Where notices go. `post` returns the message's id in the sink (Slack's ts; None where
    the sink gives none); a sink that can thread replies to `notice.thread_ts`."""

    can_thread: bool

    def check(self) -> None:
        """Raise SlackAuthError if the sink refuses our credentials, DeliveryError if it cannot
        be reached."""
        ...

    def post(
        self, notice: Notice, *, maybe_posted: bool = False, since: datetime | None = None
    ) -> str | None:
        """Deliver `notice`. `maybe_posted`: an earlier attempt may have been delivered without
        our hearing back; look for it (delivered after `since`) before delivering again. Raises
        DeliveryError (kept pending) or SlackAuthError (stop delivering)."""
        ...


class ConsoleSink:
    """stdout, for `--dry-run` and for running without credentials."""

    can_thread = True

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self._count = 0
        self._titles: dict[str, str] = {}  # ts → headline, to show which thread a reply is in

    def check(self) -> None:
        return None

    def post(
        self, notice: Notice, *, maybe_posted: bool = False, since: datetime | None = None
    ) -> str | None:
        self._count += 1
        message = slack_message(notice)
        text = console_text(message)
        parent = self._titles.get(message.thread_ts or "")
        if parent:
            text = f"  ↳ in the thread of “{parent}”:\n    " + text.strip().removeprefix("↳ ")
        print(text, file=self.out, flush=True)
        ts = f"console.{self._count}"
        self._titles[ts] = message.text.split(" — ")[0]
        return ts
