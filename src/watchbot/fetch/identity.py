"""Item identity: which feed items are the same item. Pure: no IO.

`item_keys` gives every identity an item has (its feed GUID, its canonical URL, or, lacking both,
a hash of feed, folded title and date), so a title edit, a reorder or a republication with a new
date never makes a new alert. Keys use the feed's *name*, never its URL, so a feed that moved
(301) keeps its items. `local_id` is what tells the entries of one feed apart: two different
GUIDs there are two items even when their links are equal (see `pipeline._seen`).
"""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from w3lib.url import canonicalize_url, url_query_cleaner

from watchbot.models import Story
from watchbot.text import fold

_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hsa_")
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ttclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "ref_src",
        "ref_url",
        "cmpid",
        "s_cid",
        "ocid",
        "smid",
        "sr_share",
        "ito",
        "at_medium",
        "at_campaign",
        "rss",
        "cmp",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _is_tracking(name: str) -> bool:
    low = name.lower()
    return low in _TRACKING_PARAMS or low.startswith(_TRACKING_PREFIXES)


def canonical_url(url: str | None) -> str | None:
    """The form of `url` that identifies an item: scheme and host lower-cased, default port,
    fragment and tracking parameters (`utm_*`, `fbclid`, `gclid`, …) dropped, the remaining query
    parameters sorted. The path keeps its case. `None` or blank gives `None`.

    Idempotent: `canonical_url(canonical_url(u)) == canonical_url(u)`.
    """
    if url is None or not url.strip():
        return None
    url = url.strip()
    query = urlsplit(url).query
    tracking = [name for name, _ in parse_qsl(query, keep_blank_values=True) if _is_tracking(name)]
    if tracking:
        url = url_query_cleaner(url, sorted(set(tracking)), remove=True, unique=False)
    url = canonicalize_url(url)
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: leave the URL as canonicalize_url made it
        return url
    if port is not None and _DEFAULT_PORTS.get(parts.scheme) == port:
        host = parts.netloc.rsplit(":", 1)[0]
        url = urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
    return url


def local_id(story: Story) -> str | None:
    """What tells `story` apart from the other entries of its own feed: its GUID, else its link
    as written when that has a `#fragment` (live blogs give each entry an anchor of one page),
    else None. Two entries of one feed with different local ids are two items."""
    guid = (story.guid or "").strip()
    if guid:
        return guid
    link = (story.url or "").strip()
    return link if "#" in link and link.split("#", 1)[1] else None


def item_keys(story: Story) -> tuple[str, ...]:
    """Every identity of `story`, the primary one first: `guid:<feed>:<local id>` when it has
    one (`local_id`), `url:<canonical url>` when the item has a URL, else one `hash:` of feed,
    folded title and published date.

    The guid key is exact within a feed. The url key recognises the same item in another feed
    or after its GUID changed; whether a known url key makes an item seen is decided with the
    other entries of the fetch (`pipeline`), so it never swallows a distinct entry of one feed.
    """
    keys: list[str] = []
    ident = local_id(story)
    if ident:
        keys.append(f"guid:{story.feed}:{ident}")
    url = story.canonical_url or canonical_url(story.url)
    if url:
        keys.append(f"url:{url}")
    if not keys:
        day = story.published.date().isoformat() if story.published else ""
        blob = f"{story.feed}\n{' '.join(fold(story.title).split())}\n{day}"
        keys.append("hash:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:32])
    return tuple(keys)


def story_key(story: Story) -> str:
    """The primary identity key of `story`: `item_keys(story)[0]`."""
    return item_keys(story)[0]
