"""Fetching feeds: the only code that talks HTTP to publishers.

`fetch_feed` does one conditional GET with httpx (or reads a local file) within a total
deadline (`deadline.py`) and size caps (`body.py`), and hands the bytes and their Content-Type
to `parse.read_feed`. `fetch_with_state` adds what the store remembers of the feed (validators,
a permanent redirect, the last body's hash); `fetch_many` runs it for many feeds at once
(`pool.py`). Every failure is a `FeedError` naming the feed, what happened and what to check;
`FeedThrottled` (429/503 with the server's wait) and `FeedGone` (410) tell the pipeline to wait
or to stop polling.
"""

from __future__ import annotations

import hashlib
import logging
import ssl
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from watchbot import USER_AGENT
from watchbot.errors import FeedError
from watchbot.fetch.body import read_body
from watchbot.fetch.deadline import DeadlineTransport, deadline
from watchbot.fetch.parse import read_feed
from watchbot.fetch.pool import HostSlots, host_of, run_pool
from watchbot.models import FeedConfig, FeedState, FetchConfig, FetchResult

log = logging.getLogger("watchbot")

MAX_REDIRECTS = 5
_PERMANENT = {301, 308}
_DEFAULTS = FetchConfig()
_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


class FeedThrottled(FeedError):
    """The server asked us to wait (HTTP 429, or 503 with Retry-After): `retry_after` seconds,
    or None when it did not say how long."""

    def __init__(self, feed: str, message: str, retry_after: float | None) -> None:
        super().__init__(feed, message)
        self.retry_after = retry_after


class FeedGone(FeedError):
    """HTTP 410 Gone: the publisher removed the feed; it is not polled again."""


def make_client(settings: FetchConfig | None = None) -> httpx.Client:
    """One HTTP client for all feeds: keeps connections alive (enough for every worker), sends
    our User-Agent, and enforces each fetch's total deadline on every socket operation."""
    size = (settings or _DEFAULTS).workers + 4
    limits = httpx.Limits(
        max_connections=size, max_keepalive_connections=size, keepalive_expiry=30.0
    )
    return httpx.Client(
        headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT, "Accept-Encoding": "gzip, deflate"},
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        transport=DeadlineTransport(limits),
    )


def is_local(url: str) -> bool:
    return not url.lower().startswith(("http://", "https://"))


def fetch_many(
    feeds: Sequence[FeedConfig],
    states: Mapping[str, FeedState],
    client: httpx.Client,
    *,
    workers: int = _DEFAULTS.workers,
    slots: HostSlots | None = None,
    max_size: int = _DEFAULTS.max_size,
) -> Iterator[tuple[FeedConfig, FetchResult | FeedError]]:
    """Fetch `feeds`, up to `workers` at once and `slots.per_host` per host, yielding each with
    its result or its error as it is done (so the caller records while others still fetch)."""

    def fetch(feed: FeedConfig) -> FetchResult | FeedError:
        return fetch_with_state(feed, states.get(feed.name), client, max_size=max_size)

    def target(feed: FeedConfig) -> str:
        saved = _saved(feed, states.get(feed.name))
        return (saved.moved_to if saved else None) or feed.url

    slots = slots or HostSlots(_DEFAULTS.per_host)
    yield from run_pool(feeds, fetch, workers=workers, slots=slots, url_of=target)


def _saved(feed: FeedConfig, state: FeedState | None) -> FeedState | None:
    return state if state is not None and state.url == feed.url else None


def fetch_with_state(
    feed: FeedConfig,
    state: FeedState | None,
    client: httpx.Client,
    *,
    max_size: int = _DEFAULTS.max_size,
    slots: HostSlots | None = None,
) -> FetchResult | FeedError:
    """Fetch one feed with what the store remembers of it (validators, a permanent redirect,
    the last body's hash), holding one of its host's `slots` if given. Never raises: a feed's
    own problem, or a bug, comes back as the FeedError to record."""
    saved = _saved(feed, state)
    url = saved.moved_to if saved else None
    try:
        if slots is None:
            return _fetch_saved(feed, client, saved, max_size)
        with slots.hold(host_of(url or feed.url)):
            return _fetch_saved(feed, client, saved, max_size)
    except FeedError as e:
        return e
    except Exception as e:  # a bug must not stop the other feeds either
        log.exception("feed %r: unexpected error", feed.name)
        return FeedError(feed.name, f"unexpected error: {e.__class__.__name__}: {e}")


def _fetch_saved(
    feed: FeedConfig, client: httpx.Client, saved: FeedState | None, max_size: int
) -> FetchResult:
    return fetch_feed(
        feed,
        client,
        url=saved.moved_to if saved else None,
        etag=saved.etag if saved else None,
        last_modified=saved.last_modified if saved else None,
        body_hash=saved.body_hash if saved else None,
        max_size=max_size,
    )


def fetch_feed(
    feed: FeedConfig,
    client: httpx.Client,
    *,
    url: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
    body_hash: str | None = None,
    max_size: int = _DEFAULTS.max_size,
) -> FetchResult:
    """Fetch and parse one feed. `url` overrides feed.url (where a permanent redirect led); a
    body whose hash is `body_hash` is not parsed again. Raises FeedError with a message that
    says what went wrong and what to check."""
    target = url or feed.url
    if is_local(target):
        return _read_local(feed, target, body_hash, max_size)
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    seconds = feed.timeout.total_seconds()
    answered = False
    try:
        with (
            deadline(seconds),
            client.stream("GET", target, headers=headers, timeout=seconds) as response,
        ):
            answered = True
            if response.status_code == 304:
                return FetchResult((), etag=etag, last_modified=last_modified, not_modified=True)
            _check_status(feed.name, target, response)
            length = response.headers.get("Content-Length", "")
            data = read_body(
                feed.name,
                response.iter_raw(),
                response.headers.get("Content-Encoding", ""),
                max_size,
                int(length) if length.isdigit() else None,
            )
            return _result(feed.name, target, response, data, body_hash)
    except httpx.TimeoutException as e:
        if answered:
            raise FeedError(
                feed.name,
                f"answer from {target} still incomplete after {seconds:g}s (a server that "
                "drips?); cut off at its timeout",
            ) from e
        raise FeedError(
            feed.name, f"no answer from {target} within {seconds:g}s; raise its timeout?"
        ) from e
    except httpx.TooManyRedirects as e:
        raise FeedError(feed.name, f"more than {MAX_REDIRECTS} redirects from {target}") from e
    except httpx.ConnectError as e:
        raise FeedError(feed.name, _connect_error(target, e)) from e
    except httpx.HTTPError as e:
        raise FeedError(feed.name, f"cannot fetch {target}: {e.__class__.__name__}: {e}") from e


def _read_local(feed: FeedConfig, path: str, body_hash: str | None, max_size: int) -> FetchResult:
    try:
        size = Path(path).stat().st_size
        if size > max_size:
            raise FeedError(feed.name, f"{path} is larger than fetch.max_size ({size} bytes)")
        data = Path(path).read_bytes()
    except OSError as e:
        raise FeedError(feed.name, f"cannot read {path}: {e.strerror or e}") from e
    digest = _digest(data)
    if digest == body_hash:
        return FetchResult((), body_hash=digest, unchanged=True)
    parsed = read_feed(feed.name, data)
    return FetchResult(parsed.stories, warning=parsed.warning, body_hash=digest)


def _check_status(name: str, target: str, response: httpx.Response) -> None:
    status = response.status_code
    if status < 400:
        return
    said = f"HTTP {status} {response.reason_phrase} from {target}"
    wait = _retry_after(response.headers.get("Retry-After"))
    if status == 429 or (status == 503 and wait is not None):
        how_long = f"{wait:g}s" if wait is not None else "a while (it did not say how long)"
        raise FeedThrottled(name, f"{said}: the server asks us to wait {how_long}", wait)
    if status == 410:
        raise FeedGone(
            name,
            f"{said}: the publisher removed this feed; it is no longer polled (remove it from "
            "the config, or give it a new url)",
        )
    raise FeedError(name, f"{said}; check the feed's url (or whether the site is down)")


def _retry_after(value: str | None) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date; None if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _result(
    name: str, target: str, response: httpx.Response, data: bytes, body_hash: str | None
) -> FetchResult:
    moved = [r for r in response.history if r.status_code in _PERMANENT]
    final = str(response.url)
    common: dict[str, Any] = {
        "etag": response.headers.get("ETag"),
        "last_modified": response.headers.get("Last-Modified"),
        "final_url": final if moved and final != target else None,
        "permanent_redirect": bool(moved) and len(moved) == len(response.history),
        "body_hash": _digest(data),
    }
    if common["body_hash"] == body_hash:
        return FetchResult((), unchanged=True, **common)
    content_type = response.headers.get("Content-Type", "")
    parsed = read_feed(name, data, content_type=content_type, base_url=final)
    return FetchResult(parsed.stories, warning=parsed.warning, **common)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _connect_error(target: str, e: httpx.ConnectError) -> str:
    host = urlsplit(target).hostname or target
    cause: BaseException | None = e
    while cause is not None and not isinstance(cause, OSError):
        cause = cause.__cause__ or cause.__context__
    text = str(e)
    if isinstance(cause, ssl.SSLError) or "SSL" in text or "TLS" in text:
        return f"TLS handshake with {host} failed ({text}); is the url really https?"
    if (
        "Name or service not known" in text
        or "nodename nor servname" in text
        or ("name resolution" in text.lower())
    ):
        return f"cannot resolve host name {host!r}; check the feed's url"
    if "refused" in text.lower():
        return f"connection refused by {host} ({target}); is the site down, or the port wrong?"
    return f"cannot fetch {target}: ConnectError: {text}"
