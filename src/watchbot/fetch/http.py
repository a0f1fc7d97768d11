"""Fetching feeds: the only code that talks HTTP to publishers.

`fetch_feed` does conditional GETs with httpx (or reads a local file) and hands the bytes to
`parse.parse_feed`, which uses feedparser on those bytes only: feedparser never fetches anything.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx

from watchbot import USER_AGENT
from watchbot.errors import FeedError
from watchbot.fetch.parse import parse_feed
from watchbot.models import FeedConfig, FeedState, FetchResult

log = logging.getLogger("watchbot")

MAX_REDIRECTS = 5
MAX_BYTES = 16 * 1024 * 1024  # a feed larger than this is refused rather than read into memory
_PERMANENT = {301, 308}


def make_client() -> httpx.Client:
    """One HTTP client for all feeds of a cycle: keeps connections, sends our User-Agent."""
    return httpx.Client(
        headers={"User-Agent": USER_AGENT, "Accept": _ACCEPT},
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
    )


_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)


def is_local(url: str) -> bool:
    return not url.lower().startswith(("http://", "https://"))


def fetch_many(
    feeds: Sequence[FeedConfig], states: Mapping[str, FeedState], client: httpx.Client
) -> Iterator[tuple[FeedConfig, FetchResult | FeedError]]:
    """Fetch `feeds`, yielding each with its result or its error as it is done."""
    for feed in feeds:
        yield feed, fetch_with_state(feed, states.get(feed.name), client)


def fetch_with_state(
    feed: FeedConfig, state: FeedState | None, client: httpx.Client
) -> FetchResult | FeedError:
    """Fetch one feed with what the store remembers of it (validators, a permanent redirect);
    never raises: a feed's own problem, or a bug, comes back as the FeedError to record."""
    saved = state if state is not None and state.url == feed.url else None
    try:
        return fetch_feed(
            feed,
            client,
            url=saved.moved_to if saved else None,
            etag=saved.etag if saved else None,
            last_modified=saved.last_modified if saved else None,
        )
    except FeedError as e:
        return e
    except Exception as e:  # a bug must not stop the other feeds either
        log.exception("feed %r: unexpected error", feed.name)
        return FeedError(feed.name, f"unexpected error: {e.__class__.__name__}: {e}")


def fetch_feed(
    feed: FeedConfig,
    client: httpx.Client,
    *,
    url: str | None = None,
    etag: str | None = None,
    last_modified: str | None = None,
) -> FetchResult:
    """Fetch and parse one feed. `url` overrides feed.url (where a permanent redirect led).
    Raises FeedError with a message that says what went wrong and what to check."""
    target = url or feed.url
    if is_local(target):
        try:
            data = Path(target).read_bytes()
        except OSError as e:
            raise FeedError(feed.name, f"cannot read {target}: {e.strerror or e}") from e
        return FetchResult(parse_feed(feed.name, data))

    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    seconds = feed.timeout.total_seconds()
    try:
        with client.stream("GET", target, headers=headers, timeout=seconds) as response:
            if response.status_code == 304:
                return FetchResult((), etag=etag, last_modified=last_modified, not_modified=True)
            if response.status_code >= 400:
                raise FeedError(
                    feed.name,
                    f"HTTP {response.status_code} {response.reason_phrase} from {target}; "
                    "check the feed's url (or whether the site is down)",
                )
            data = _read_limited(feed.name, response)
            moved = [r for r in response.history if r.status_code in _PERMANENT]
            final = str(response.url)
            return FetchResult(
                parse_feed(feed.name, data, base_url=final),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                final_url=final if moved and final != target else None,
                permanent_redirect=bool(moved) and len(moved) == len(response.history),
            )
    except httpx.TimeoutException as e:
        raise FeedError(
            feed.name, f"no answer from {target} within {seconds:g}s; raise its timeout?"
        ) from e
    except httpx.TooManyRedirects as e:
        raise FeedError(feed.name, f"more than {MAX_REDIRECTS} redirects from {target}") from e
    except httpx.HTTPError as e:
        raise FeedError(feed.name, f"cannot fetch {target}: {e.__class__.__name__}: {e}") from e


def _read_limited(name: str, response: httpx.Response) -> bytes:
    buf = bytearray()
    for chunk in response.iter_bytes():
        buf += chunk
        if len(buf) > MAX_BYTES:
            raise FeedError(name, f"response larger than {MAX_BYTES // 2**20} MiB; not a feed?")
    return bytes(buf)
