"""An in-memory index of the stories alerted lately in one channel, for the rules method."""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Generic, TypeVar

from watchbot.models import Story
from watchbot.samestory import Match, Verdict
from watchbot.samestory.payload import decode
from watchbot.samestory.rules import same_story
from watchbot.samestory.signature import (
    Signature,
    signature,
    signature_to_json,
)

K = TypeVar("K")


@dataclass
class _Alerted(Generic[K]):
    key: K
    sig: Signature
    when: datetime
    tokens: frozenset[str]


class RelatedIndex(Generic[K]):
    """In-memory index of the stories alerted within `dedup.window` in one channel.

    `find` does not compare a new story with every alerted one: it looks up the alerted stories
    that share its rarest tokens (an inverted index, read rarest token first within a fixed
    budget of postings, so tokens carried by very many stories are skipped), ranks them by the
    IDF weight of what they share, and asks `same_story` only about the best few. Its cost
    depends on that budget, not on the size of the index.
    """

    QUERY_TOKENS = 10  # rarest tokens of a new story looked up ...
    POSTINGS_BUDGET = 3000  # ... while the postings read stay within this budget
    SHORTLIST = 200  # best stories on the tokens read, ranked again on all looked-up tokens
    CANDIDATES = 12  # best-ranked stories checked with same_story

    def __init__(self) -> None:
        self._entries: dict[int, _Alerted[K]] = {}
        self._postings: dict[str, list[int]] = {}
        self._next = 0

    def __len__(self) -> int:
        return len(self._entries)

    def add(self, key: K, sig: Signature, when: datetime) -> None:
        """Record that the story `key` with signature `sig` was alerted at `when`."""
        ident = self._next
        self._next += 1
        tokens = sig.index_tokens()
        self._entries[ident] = _Alerted(key, sig, when, tokens)
        for token in tokens:
            self._postings.setdefault(token, []).append(ident)

    def candidates(self, sig: Signature) -> list[tuple[K, Signature, datetime]]:
        """The alerted stories likeliest to be `sig`'s story on the tokens they share, best
        first, at most CANDIDATES: (key, signature, when)."""
        found = sorted((len(p), t) for t in sig.index_tokens() if (p := self._postings.get(t)))
        if not found:
            return []
        # the rarest tokens first, until the postings budget is spent; a story made only of
        # common tokens gets its rarest one read in its most recent postings
        total = len(self._entries) + 1
        idf = {token: math.log(total / df) for df, token in found[: self.QUERY_TOKENS]}
        scores: dict[int, float] = {}
        read = 0
        for df, token in found[: self.QUERY_TOKENS]:
            if read and read + df > self.POSTINGS_BUDGET:
                break
            postings = self._postings[token][-self.POSTINGS_BUDGET :]
            read += len(postings)
            for ident in postings:
                scores[ident] = scores.get(ident, 0.0) + idf[token]
        # rank the likeliest again on every looked-up token, read or not
        shortlist = heapq.nlargest(self.SHORTLIST, scores, key=scores.__getitem__)
        ranked = heapq.nlargest(
            self.CANDIDATES,
            shortlist,
            key=lambda i: sum(w for t, w in idf.items() if t in self._entries[i].tokens),
        )
        return [(e.key, e.sig, e.when) for e in (self._entries[i] for i in ranked)]

    def find(self, sig: Signature, now: datetime, window: timedelta) -> K | None:
        """The key of the earliest-alerted story within `window` before `now` that is the same
        story as `sig`, or None."""
        since = now - window
        best: tuple[K, datetime] | None = None
        for key, other, when in self.candidates(sig):
            if when < since or (best is not None and when >= best[1]):
                continue
            if same_story(sig, other):
                best = (key, when)
        return None if best is None else best[0]

    def prune(self, before: datetime) -> None:
        """Forget the stories alerted before `before`."""
        old = [i for i, e in self._entries.items() if e.when < before]
        if not old:
            return
        dirty: set[str] = set()
        for ident in old:
            dirty |= self._entries.pop(ident).tokens
        for token in dirty:
            kept = [i for i in self._postings[token] if i in self._entries]
            if kept:
                self._postings[token] = kept
            else:
                del self._postings[token]


@lru_cache(maxsize=256)
def _signature(title: str, text: str) -> Signature:
    """`find` and then `payload` ask for the same story's signature: compute it once."""
    return signature(title, text)


class RulesIndex:
    """The rules-based same-story method behind the `SameStoryIndex` interface: signatures of
    names, numbers, dates and bilingual concepts, compared by `rules.same_story`. It files a
    thread reply under its thread, so a report that is the same story as any report of a
    thread joins it. Its payload is the signature as JSON (UTF-8); it reads the meaning
    method's payloads too (their signature), so a switch of method keeps the threads."""

    method = "rules"

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self._index: RelatedIndex[int] = RelatedIndex()

    def __len__(self) -> int:
        return len(self._index)

    def payload(self, story: Story) -> bytes:
        return signature_to_json(_signature(story.title, story.text)).encode("utf-8")

    def add(self, alert_id: int, payload: bytes, when: datetime, thread: int | None = None) -> None:
        self._index.add(alert_id if thread is None else thread, decode(payload).sig, when)

    def find(self, story: Story, now: datetime) -> Match | None:
        found = self._index.find(_signature(story.title, story.text), now, self.window)
        return None if found is None else Match(found, Verdict.SAME, "rules")

    def prune(self, before: datetime) -> None:
        self._index.prune(before)
