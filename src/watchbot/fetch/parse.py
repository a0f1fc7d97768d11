"""Parsing feeds: a pure function of the fetched bytes and the response's Content-Type.
feedparser reads only those bytes: it never fetches anything (external entities included).

What is done here beyond feedparser, each for a kind of feed met in the wild:
- the charset: the response's `Content-Type` is passed on, and a declared single-byte charset
  (HTTP or XML) is overruled when the bytes are valid UTF-8 with non-ASCII in them: that is how
  headlines get a stray "Â" or "Ã©" (`choose_charset`);
- malformed or truncated XML: feedparser's lenient parser keeps the items it could read; the
  feed is then *degraded* (`ParsedFeed.warning`), not failing. A well-formed feed with no items
  is fine;
- entities escaped twice (`&amp;ldquo;` in the source) are decoded once more;
- an item with no title is titled by its text, cut at a word with an ellipsis;
- relative links resolve against the response URL, or for a local file the channel's link;
- Portuguese, Spanish and Italian dates (`dates.py`).

feedparser strips a DOCTYPE's entity declarations unless they are plain text, so a "billion
laughs" document never expands, and it turns off external entities in its SAX parser, so no
file or URL named in a document is read (tests/test_fetch_bad_inputs.py serves both).
"""

from __future__ import annotations

import calendar
import codecs
import html
import io
import re
import time
import xml.sax
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import feedparser

from watchbot.errors import FeedError
from watchbot.fetch import dates
from watchbot.fetch.identity import canonical_url
from watchbot.models import Story
from watchbot.text import strip_html

dates.register()

TITLE_FROM_TEXT = 120  # characters of its text an untitled item gets as its headline

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_SINGLE_BYTE = frozenset(
    {"iso-8859-1", "latin-1", "latin1", "windows-1252", "cp1252", "us-ascii", "ascii"}
)
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_CHARSET = re.compile(r"""charset\s*=\s*["']?([A-Za-z0-9._:-]+)""", re.IGNORECASE)
# an entity left after decoding: the source escaped it twice (`&amp;ldquo;`)
_LEFT_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#x[0-9A-Fa-f]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


class ParsedFeed(NamedTuple):
    """What `read_feed` found: the stories, and why the feed is degraded if it is."""

    stories: tuple[Story, ...]
    warning: str | None = None


def parse_feed(name: str, data: bytes, base_url: str | None = None) -> tuple[Story, ...]:
    """Stories of an RSS/Atom document (see `read_feed`)."""
    return read_feed(name, data, base_url=base_url).stories


def read_feed(
    name: str, data: bytes, *, content_type: str | None = None, base_url: str | None = None
) -> ParsedFeed:
    """Stories of an RSS/Atom document, and a warning when it is malformed but items could be
    read. Pure: bytes in, stories out. `content_type` is the response's header (None for a local
    file), `base_url` where the bytes came from. Raises FeedError when the bytes are no feed."""
    # feedparser is told the charset only where it would guess wrong; the media type is always
    # XML's, because the real one only changes feedparser's defaults (text/xml: ASCII)
    charset = choose_charset(data, content_type)
    headers = {
        "content-type": f"application/xml; charset={charset}" if charset else "application/xml"
    }
    if base_url:
        headers["content-location"] = base_url
    parsed: Any = feedparser.parse(
        io.BytesIO(data),
        response_headers=headers,
        sanitize_html=False,  # every field is reduced to plain text (strip_html) anyway
        resolve_relative_uris=False,  # only rewrites links inside HTML fields, which are dropped
    )
    entries = parsed.get("entries") or []
    broken = parsed.get("bozo") and isinstance(parsed.get("bozo_exception"), xml.sax.SAXException)
    if not entries and (broken or not parsed.get("version")):
        raise FeedError(name, f"not a valid RSS or Atom feed{_why(data, parsed, content_type)}")
    channel = parsed.get("feed", {})
    base = base_url or _absolute(channel.get("link"))
    language = channel.get("language")
    stories = tuple(s for e in entries if (s := _story(name, e, language, base)) is not None)
    warning = None
    if broken:
        warning = f"malformed XML ({parsed['bozo_exception']}); kept {len(stories)} item(s)"
    return ParsedFeed(stories, warning)


def choose_charset(data: bytes, content_type: str | None) -> str | None:
    """The charset to read `data` with, or None to let feedparser find it (XML declaration,
    UTF-16/32 without BOM, else UTF-8): a BOM wins, then the Content-Type's charset; but a
    single-byte charset declared (by HTTP or XML) for bytes that are valid UTF-8 with non-ASCII
    in them gives UTF-8, the common mislabel (the reverse mislabel cannot decode as UTF-8, and
    feedparser falls back by itself)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    m = _CHARSET.search(content_type or "")
    declared = m.group(1).lower() if m else None
    if (declared or _declared_xml_encoding(data)) in _SINGLE_BYTE and _is_utf8(data):
        return "utf-8"
    return declared


def _declared_xml_encoding(data: bytes) -> str | None:
    m = _XML_ENCODING.match(data[:200].lstrip())
    return m.group(1).decode("ascii").lower() if m else None


def _is_utf8(data: bytes) -> bool:
    if data.isascii():
        return False  # nothing to overrule: ASCII reads the same in every one of them
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _why(data: bytes, parsed: Any, content_type: str | None) -> str:
    head = data[:512].lstrip().lower()
    if not head:
        return ": the answer is empty"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        kind = f" ({content_type.split(';')[0]})" if content_type else ""
        return f": an HTML page{kind}; is the url the feed's and not the site's?"
    why = parsed.get("bozo_exception")
    return f": {why}" if why else ""


def _absolute(url: str | None) -> str | None:
    return url if url and urlsplit(url).scheme in ("http", "https") else None


def _story(name: str, entry: Any, feed_language: str | None, base: str | None) -> Story | None:
    title = _text(entry.get("title") or "")
    summary = entry.get("summary") or ""
    if not summary and entry.get("content"):
        summary = entry["content"][0].get("value") or ""
    text = _text(summary)
    if text == title:
        text = ""
    link = (entry.get("link") or "").strip() or None
    if link and base and not urlsplit(link).scheme:
        link = urljoin(base, link)
    guid = (entry.get("id") or "").strip() or None
    if not title and not text:
        return None  # nothing to match or show
    return Story(
        feed=name,
        guid=guid,
        url=link,
        canonical_url=canonical_url(link),
        title=title or headline_from(text),
        text=text,
        published=_published(entry),
        language=entry.get("language") or feed_language,
    )


def _text(value: str) -> str:
    text = strip_html(value)
    if "&" in text and _LEFT_ENTITY.search(text):
        # escaped twice in the source: `&amp;ldquo;` reads `&ldquo;` after one decoding
        text = strip_html(html.unescape(text))
    return text


def headline_from(text: str, limit: int = TITLE_FROM_TEXT) -> str:
    """The headline of an untitled item: its text, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:.-–—") + "…"


def _published(entry: Any) -> datetime | None:
    # dict.get: feedparser's own get() maps a missing updated_parsed to published_parsed, with
    # a DeprecationWarning
    parsed: time.struct_time | None = dict.get(entry, "published_parsed") or dict.get(
        entry, "updated_parsed"
    )
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (OverflowError, ValueError, OSError):
        return None
