"""Slack messages built from notices: Block Kit, escaped, within Slack's limits, pure. Also their
console form.

An alert says why at a glance: the headline as a link (tracking parameters removed), the outlet,
the time as Slack's `<!date>` token (each reader sees local time), the entries that made it alert
with the words that matched and where (*title* or *summary*), the context that held, and an
excerpt around the matched words. Every piece is cut to a budget well inside Block Kit's limits
(section text 3,000 characters, at most 50 blocks), so no feed text can make Slack refuse a post.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from watchbot.models import FollowsLink, Hit, Notice, Story, WatchlistVerdict

SECTION_LIMIT = 3000  # Block Kit: a section's text
TITLE_LIMIT = 300  # characters of a headline shown (cut at a word, with an ellipsis)
OUTLET_LIMIT = 150
EXCERPT_LIMIT = 300
MATCHED_LIMIT = 80  # the matched words quoted for one entry
URL_LIMIT = 2000  # a longer link is left out rather than risk the block
FALLBACK_LIMIT = 3000  # the plain `text` shown in notifications


def escape(text: str) -> str:
    """Slack's three control characters. With them escaped, feed text can never form a
    mention (`<!channel>`, `<@U123>`) or a disguised link (`<https://evil|bank.com>`)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_SAFE_URL = re.compile(r"^https?://[^\s]+$", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_url(url: str | None) -> str | None:
    """An http(s) URL fit for `<url|text>`: characters that would end the link are encoded."""
    if not url or not _SAFE_URL.match(url):
        return None
    safe = quote(url, safe=":/?#[]@!$&'()*+,;=%~-._")
    return safe if len(safe) <= URL_LIMIT else None


def _clean(text: str) -> str:
    """One line of plain text: control and bidi-override characters dropped (an RTL override
    in a headline must not reorder the rest of the message), whitespace collapsed."""
    return " ".join(_CONTROL.sub("", text).split())


def cut(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut at a word with an ellipsis when too long."""
    if len(text) <= limit:
        return text
    head = text[: max(1, limit - 1)]
    at_word = head.rsplit(" ", 1)[0] if " " in head[limit // 2 :] else head
    return at_word.rstrip(" ,;:.-–—") + "…"


def fit(text: str, limit: int) -> str:
    """`text` cleaned, cut at a word and escaped, in at most `limit` characters once escaped."""
    text = _clean(text)
    budget = limit
    while True:
        out = escape(cut(text, budget))
        if len(out) <= limit or budget <= 1:
            return out[:limit]
        budget -= max(1, (len(out) - limit) // 4)  # each escape adds at most 4 characters


def date_token(published: datetime | None) -> str:
    """Slack shows `<!date^…>` in each reader's own time zone; the fallback is UTC."""
    if published is None:
        return "time not given"
    fallback = published.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(published.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _headline(story: Story, limit: int = TITLE_LIMIT) -> str:
    title = fit(story.title, limit) or "(no headline)"
    link = safe_url(story.canonical_url or story.url)
    return f"<{link}|{title}>" if link else title


def _field_name(hit: Hit) -> str:
    return "title" if hit.field == "title" else "summary"


def _entry_line(hits: Sequence[Hit], *, context: bool) -> str:
    """`*Label* — title: “words”; summary: “words”` for one entry."""
    where = "; ".join(
        f"{_field_name(h)}: “{fit(h.matched, MATCHED_LIMIT)}”" for h in _distinct(hits)
    )
    label = fit(hits[0].label, OUTLET_LIMIT)
    return f"{'context ' if context else ''}*{label}* — {where}"


def _distinct(hits: Sequence[Hit]) -> list[Hit]:
    seen: set[tuple[str, str]] = set()
    out = []
    for h in hits:
        if (h.field, h.matched.casefold()) not in seen:
            seen.add((h.field, h.matched.casefold()))
            out.append(h)
    return out


def shown_context(verdict: WatchlistVerdict) -> list[Hit]:
    """The context hits an alert shows. Seam: today every context entry that matched is shown;
    once the matcher reports which entries satisfied `requires`, return only those here."""
    return [h for h in verdict.hits if h.context]


def _grouped(hits: Sequence[Hit]) -> list[list[Hit]]:
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.entry, []).append(hit)
    return list(groups.values())


def reasons(verdicts: Sequence[WatchlistVerdict]) -> str:
    """Why it fired: per watchlist, each entry that alerted and then the context that held,
    each with the words that matched and where. Cut with "… and N more" to fit a section."""
    lines: list[str] = []
    for verdict in verdicts:
        lines.append(f"*{fit(verdict.watchlist, OUTLET_LIMIT)}*")
        fired = [h for h in verdict.hits if not h.context]
        lines += [f"• {_entry_line(g, context=False)}" for g in _grouped(fired)]
        lines += [f"• {_entry_line(g, context=True)}" for g in _grouped(shown_context(verdict))]
    out: list[str] = []
    size = 0
    for number, line in enumerate(lines):
        more = f"… and {len(lines) - number} more"
        if size + len(line) + 1 > SECTION_LIMIT - len(more) - 1:
            out.append(more)
            break
        out.append(line)
        size += len(line) + 1
    return "\n".join(out)


def _flat(text: str) -> str:
    return re.sub(r"\s", " ", _CONTROL.sub("", text))


def excerpt_of(story: Story, verdicts: Sequence[WatchlistVerdict]) -> str:
    """A short excerpt of the summary: around the first words that matched in it (in bold)
    when there are some, else its beginning."""
    text = story.text
    spans = sorted(
        (h.start, h.end)
        for v in verdicts
        for h in v.hits
        if h.field == "text" and 0 <= h.start < h.end <= len(text)
    )
    if not spans:
        return fit(text, EXCERPT_LIMIT)
    first = spans[0][0]
    start = 0 if first < 100 else text.rfind(" ", 0, first - 80) + 1
    stop = min(len(text), start + EXCERPT_LIMIT)
    if stop < len(text):
        space = text.rfind(" ", spans[0][1], stop)
        stop = space if space > 0 else stop
    out, pos = ["…" if start else ""], start
    for s, e in spans:
        if s < pos or e > stop:
            continue
        out += [escape(_flat(text[pos:s])), f"*{escape(_flat(text[s:e]).strip())}*"]
        pos = e
    out.append(escape(_flat(text[pos:stop]).rstrip()))
    out.append("…" if stop < len(text) else "")
    return " ".join("".join(out).split())


@dataclass(frozen=True)
class Message:
    channel: str
    text: str  # plain fallback (notifications, clients without blocks)
    blocks: tuple[dict[str, Any], ...]
    story_key: str  # sent as metadata so the message can be found again
    thread_ts: str | None = None


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text[:SECTION_LIMIT]}]}


def alert_message(
    story: Story, verdicts: Sequence[WatchlistVerdict], channel: str, story_key: str
) -> Message:
    """The Block Kit alert: headline as a link, outlet and time, why it fired, an excerpt."""
    outlet = fit(story.feed, OUTLET_LIMIT)
    blocks: list[dict[str, Any]] = [
        _section(f"*{_headline(story)}*"),
        _context(f"{outlet} · {date_token(story.published)}"),
        _section(reasons(verdicts)),
    ]
    if story.text.strip():
        blocks.append(_section(excerpt_of(story, verdicts)))
    watchlists = ", ".join(fit(v.watchlist, OUTLET_LIMIT) for v in verdicts)
    title = fit(story.title, TITLE_LIMIT)
    text = cut(f"{title} — {outlet} [{watchlists}]", FALLBACK_LIMIT)
    return Message(channel, text, tuple(blocks), story_key)


def related_message(story: Story, channel: str, story_key: str, thread_ts: str) -> Message:
    """A later report of an alerted story, for the first alert's thread: outlet, time, headline."""
    outlet = fit(story.feed, OUTLET_LIMIT)
    text = f"Also reported by {outlet} — {_headline(story)}"
    blocks = (
        _section(f"Also reported by *{outlet}* — {_headline(story)}"),
        _context(date_token(story.published)),
    )
    return Message(channel, text, blocks, story_key, thread_ts=thread_ts)


def console_text(message: Message) -> str:
    """The message as a terminal shows it: the blocks' text, links as `text (url)`, times in
    UTC."""
    parts = []
    for block in message.blocks:
        if block["type"] == "section":
            parts.append(block["text"]["text"])
        elif block["type"] == "context":
            parts.append(" ".join(e["text"] for e in block["elements"]))
    body = "\n".join(parts)
    body = re.sub(r"<!date\^[^|>]*\|([^>]*)>", r"\1", body)
    body = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", body)  # mrkdwn bold
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
    title = escape(cut(follows.title, TITLE_LIMIT))
    earlier = f"<{link}|{title}>" if link else title
    line = f"Follows: {earlier} ({escape(follows.feed)})"
    block = {"type": "context", "elements": [{"type": "mrkdwn", "text": line}]}
    return replace(message, text=f"{message.text}\n{line}", blocks=(*message.blocks, block))
