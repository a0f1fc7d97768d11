"""Parsing feeds: a pure function of the fetched bytes. feedparser reads only those bytes."""

from __future__ import annotations

import calendar
import io
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from watchbot.errors import FeedError
from watchbot.fetch.identity import canonical_url
from watchbot.models import Story
from watchbot.text import strip_html


def parse_feed(name: str, data: bytes, base_url: str | None = None) -> tuple[Story, ...]:
    """Stories of an RSS/Atom document. Pure: bytes in, stories out. Raises FeedError when the
    bytes are not a feed at all; a feed with small errors but readable items is accepted."""
    headers = {"content-location": base_url} if base_url else None
    parsed: Any = feedparser.parse(io.BytesIO(data), response_headers=headers)
    entries = parsed.get("entries") or []
    if not entries and (parsed.get("bozo") or not parsed.get("version")):
        why = parsed.get("bozo_exception")
        detail = f": {why}" if why else ""
        raise FeedError(name, f"not a valid RSS or Atom feed{detail}")
    feed_language = parsed.get("feed", {}).get("language")
    stories = []
    for entry in entries:
        story = _story(name, entry, feed_language)
        if story is not None:
            stories.append(story)
    return tuple(stories)


def _story(name: str, entry: Any, feed_language: str | None) -> Story | None:
    title = strip_html(entry.get("title") or "")
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value") or ""
    text = strip_html(summary)
    if text == title:
        text = ""
    link = entry.get("link") or None
    guid = (entry.get("id") or "").strip() or None
    if not title and not text:
        return None  # nothing to match or show
    return Story(
        feed=name,
        guid=guid,
        url=link,
        canonical_url=canonical_url(link),
        title=title or text[:120],
        text=text,
        published=_published(entry),
        language=entry.get("language") or feed_language,
    )


def _published(entry: Any) -> datetime | None:
    parsed: time.struct_time | None = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
