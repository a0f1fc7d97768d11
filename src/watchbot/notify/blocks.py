"""Slack messages built from notices: Block Kit, escaped, pure. Also their console form."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from watchbot.models import FollowsLink, Notice, Story, WatchlistVerdict
from watchbot.text import excerpt


def escape(text: str) -> str:
    """Slack's three control characters. With them escaped, feed text can never form a
    mention (`<!channel>`, `<@U123>`) or a disguised link (`<https://evil|bank.com>`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SAFE_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for `<url|text>`: characters that would end the link are encoded."""
    if not url or not _SAFE_URL.match(url):
        return None
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")


def _when(published: datetime | None) -> str:
    return published.strftime("%Y-%m-%d %H:%M UTC") if published else "time not given"


def _reasons(verdicts: Sequence[WatchlistVerdict]) -> list[str]:
    """One line per watchlist: its matched entries and the words that matched."""
    lines = []
    for verdict in verdicts:
        fired = [
            f"{escape(h.label)} (“{escape(h.matched)}”)" for h in verdict.hits if not h.context
        ]
        setting = [escape(h.label) for h in verdict.hits if h.context]  # alert: false entries
        line = f"*{escape(verdict.watchlist)}*: {', '.join(fired)}"
        if setting:
            line += f" — context: {', '.join(setting)}"
        lines.append(line)
    return lines


@dataclass(frozen=True)
class Message:
    channel: str
    text: str  # plain fallback (notifications, clients without blocks)
    blocks: tuple[dict[str, Any], ...]
    story_key: str  # sent as metadata so the message can be found again
    thread_ts: str | None = None


def alert_message(
    story: Story, verdicts: Sequence[WatchlistVerdict], channel: str, story_key: str
) -> Message:
    """The Block Kit alert: headline as a link, outlet and time, why it fired, an excerpt."""
    title = escape(story.title)
    link = safe_url(story.url)
    headline = f"<{link}|{title}>" if link else title
    reasons = _reasons(verdicts)
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{headline}*"}},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": f"{escape(story.feed)} · {_when(story.published)}"}
            ],
        },
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": "\n".join(f"• {r}" for r in reasons)},
        },
    ]
    if story.text:
        blocks.append(
            {"type": "section", "text": {"type": "mrkdwn", "text": escape(excerpt(story.text))}}
        )
    watchlists = ", ".join(escape(v.watchlist) for v in verdicts)
    text = f"{title} — {escape(story.feed)} [{watchlists}]"
    return Message(channel, text, tuple(blocks), story_key)


def related_message(story: Story, channel: str, story_key: str, thread_ts: str) -> Message:
    """A later report of an alerted story, for the first alert's thread."""
    link = safe_url(story.url)
    title = escape(story.title)
    headline = f"<{link}|{title}>" if link else title
    text = f"Also reported by {escape(story.feed)} — {headline}"
    blocks = ({"type": "section", "text": {"type": "mrkdwn", "text": text}},)
    return Message(channel, text, blocks, story_key, thread_ts=thread_ts)


def console_text(message: Message) -> str:
    """The message as a terminal shows it: the blocks' text, links as `text (url)`."""
    parts = []
    for block in message.blocks:
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts.append(" ".join(e["text"] for e in block["elements"]))
    body = re.sub(r"\*([^*\n]+)\*", r"\1", "\n".join(parts))  # mrkdwn bold
    body = re.sub(r"<([^|>]+)\|([^>]*)>", r"\2 (\1)", body)
    body = body.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    if message.thread_ts:
        return "  ↳ " + body.replace("\n", "\n    ")
    return f"── {message.channel}\n{body}"


def slack_message(notice: Notice) -> Message:
    """The Slack message for `notice`: an alert, or a reply in the thread of `thread_ts`."""
    if notice.thread_ts is not None:
        return related_message(notice.story, notice.channel, notice.story_key, notice.thread_ts)
    message = alert_message(notice.story, notice.verdicts, notice.channel, notice.story_key)
    if notice.follows is not None:
        message = with_follows(message, notice.follows)
    return message


# --- "Follows:" (same-story issue 9): an alert that is a next step of an earlier one links it


def with_follows(message: Message, follows: FollowsLink) -> Message:
    """`message` with a last line naming and linking the earlier alert it follows."""
    link = safe_url(follows.url)
    title = escape(follows.title)
    earlier = f"<{link}|{title}>" if link else title
    line = f"Follows: {earlier} ({escape(follows.feed)})"
    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}
    return replace(message, text=f"{message.text}\n{line}", blocks=(*message.blocks, block))
