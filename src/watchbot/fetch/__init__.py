"""Fetching and reading feeds: the only code that talks HTTP to publishers.

- `http`: `fetch_feed` (conditional GET, or a local file) and `make_client`;
- `parse`: `parse_feed`, a pure function of the fetched bytes;
- `identity`: `item_keys` and `canonical_url`, which decide which items are the same item.

A new way to fetch (another transport, a feed API) is a module here that returns a `FetchResult`.
"""

from watchbot.fetch.http import (
    MAX_REDIRECTS,
    fetch_feed,
    fetch_many,
    fetch_with_state,
    is_local,
    make_client,
)
from watchbot.fetch.identity import canonical_url, item_keys, story_key
from watchbot.fetch.parse import parse_feed

__all__ = [
    "MAX_REDIRECTS",
    "canonical_url",
    "fetch_feed",
    "fetch_many",
    "fetch_with_state",
    "is_local",
    "item_keys",
    "make_client",
    "parse_feed",
    "story_key",
]
