"""Reading a response body within bounds: its size as sent, its size once decompressed, and how
far it inflates (a gzip bomb is refused after about a megabyte, not after it filled memory).

The body is read raw and decompressed here, a bounded step at a time, rather than through
httpx's decoded stream: httpx inflates each network chunk whole, and one 64 KB chunk of a gzip
bomb is 64 MB.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from watchbot.errors import FeedError

CHUNK = 64 * 1024  # raw bytes read at a time
STEP = 256 * 1024  # most bytes one decompression step may produce
BOMB_RATIO = 100  # real feeds deflate 5-20×; past BOMB_AFTER, more than this is a bomb
BOMB_AFTER = 1024 * 1024


def _mib(size: int) -> str:
    return f"{size / 2**20:g} MiB"


def read_body(
    name: str, chunks: Iterable[bytes], encoding: str, max_size: int, declared: int | None
) -> bytes:
    """The decoded body of raw `chunks` sent with Content-Encoding `encoding`. Raises FeedError
    when it is (or says it is) larger than `max_size`, sent or decoded, or inflates like a bomb.
    """
    coding = encoding.strip().lower()
    if coding in ("", "identity"):
        decoder = None
    elif coding in ("gzip", "x-gzip", "deflate"):
        # 47: zlib or gzip header, detected; raw deflate (some servers' "deflate") is tried below
        decoder = zlib.decompressobj(47)
    else:
        raise FeedError(
            name, f"the server sent Content-Encoding {encoding!r}, which watchbot cannot read"
        )
    if declared is not None and declared > max_size:
        raise FeedError(
            name,
            f"response of {_mib(declared)} is over the {_mib(max_size)} limit (fetch.max_size); "
            "not a feed?",
        )
    out = bytearray()
    sent = 0
    for chunk in chunks:
        sent += len(chunk)
        if sent > max_size:
            raise FeedError(
                name, f"response larger than {_mib(max_size)} (fetch.max_size); not a feed?"
            )
        if decoder is None:
            out += chunk
            continue
        data = chunk
        while data:
            try:
                piece = decoder.decompress(data, STEP)
            except zlib.error as e:
                if coding == "deflate" and not out and sent == len(chunk):
                    decoder = zlib.decompressobj(-zlib.MAX_WBITS)  # raw deflate, no header
                    continue
                raise FeedError(name, f"the {coding} body is corrupt: {e}") from e
            out += piece
            data = decoder.unconsumed_tail
            _check_inflation(name, len(out), sent - len(data), max_size)
    return bytes(out)


def _check_inflation(name: str, size: int, consumed: int, max_size: int) -> None:
    if size > max_size:
        raise FeedError(
            name, f"response larger than {_mib(max_size)} once decompressed (fetch.max_size)"
        )
    if size > BOMB_AFTER and size > BOMB_RATIO * max(consumed, 1):
        raise FeedError(
            name,
            f"compressed body inflates more than {BOMB_RATIO}× (a gzip bomb?); refused after "
            f"{_mib(size)}",
        )
