"""Fetching and reading feeds: the only code that talks HTTP to publishers.

- `http`: `fetch_feed` (conditional GET within a total deadline and size caps, or a local
  file), `fetch_with_state`, `fetch_many` (a bounded pool, per-host limits) and `make_client`;
- `pool`: the worker pool and `HostSlots`; `deadline`: the total deadline per fetch; `body`:
  bounded reading and decompression;
- `parse`: `read_feed`/`parse_feed`, a pure function of the fetched bytes and Content-Type;
  `dates`: Portuguese, Spanish and Italian dates;
- `identity`: `item_keys` and `canonical_url`, which decide which items are the same item.

A new way to fetch (another transport, a feed API) is a module here that returns a `FetchResult`.
"""

from watchbot.fetch.http import (
    MAX_REDIRECTS,
    FeedGone,
    FeedThrottled,
    fetch_feed,
    fetch_many,
    fetch_with_state,
    is_local,
    make_client,
)
from watchbot.fetch.identity import canonical_url, item_keys, local_id, story_key
from watchbot.fetch.parse import ParsedFeed, parse_feed, read_feed
from watchbot.fetch.pool import HostSlots, host_of

__all__ = [
    "MAX_REDIRECTS",
    "FeedGone",
    "FeedThrottled",
    "HostSlots",
    "ParsedFeed",
    "canonical_url",
    "fetch_feed",
    "fetch_many",
    "fetch_with_state",
    "host_of",
    "is_local",
    "item_keys",
    "local_id",
    "make_client",
    "parse_feed",
    "read_feed",
    "story_key",
]
