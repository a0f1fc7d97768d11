"""From the term hits of one story to its verdicts: which entries matched, which alert, and why.

Pure: the decision depends only on the hits and the compiled entries.
"""

from __future__ import annotations

from typing import NamedTuple

from watchbot.match.index import RawHit, RawNearMiss
from watchbot.match.words import Words
from watchbot.models import Entry, Hit, MatchResult, NearMiss, Watchlist, WatchlistVerdict

# per entry: the best hit and its sort key (score, in title, a phrase, -first word)
_Best = dict[int, tuple[tuple[int, bool, bool, int], RawHit]]


class EntryRef(NamedTuple):
    watchlist: int  # index in the matcher's watchlists
    name: str  # the watchlist's
    entry: Entry


def _best_hits(hits: list[RawHit]) -> tuple[_Best, dict[int, str]]:
    """The best hit of each entry, and the first exclude term that hit each entry."""
    best: _Best = {}
    excluded: dict[int, str] = {}
    for raw in hits:
        e = raw.term.entry
        if raw.term.exclude:
            excluded.setdefault(e, raw.term.source)
            continue
        # highest score, title before text, then the earliest (a phrase before a regex)
        key = (raw.score, raw.field == "title", not raw.chars, -raw.first)
        if e not in best or key > best[e][0]:
            best[e] = (key, raw)
    return best, excluded


def _hit(ref: EntryRef, raw: RawHit, words: Words) -> Hit:
    if raw.chars:
        start, end = raw.first, raw.last
    else:
        start, end = words.span(raw.field, raw.first, raw.last)
    source = words.title if raw.field == "title" else words.text
    entry = ref.entry
    return Hit(
        ref.name,
        entry.id,
        entry.label,
        raw.term.source,
        source[start:end],
        raw.score,
        start,
        end,
        raw.field,
        context=not entry.alert,
    )


class Decider:
    """Decides verdicts for the entries and watchlists of one compiled matcher."""

    def __init__(self, entries: list[EntryRef], watchlists: tuple[Watchlist, ...]) -> None:
        self._entries = entries
        self._watchlists = watchlists

    def result(self, words: Words, hits: list[RawHit], near: list[RawNearMiss]) -> MatchResult:
        """The verdicts of every watchlist with a hit, and the near misses."""
        best, excluded = _best_hits(hits)
        entries = self._entries
        matched_ids = {entries[e].entry.id for e in best if e not in excluded}  # for `requires`
        verdicts: list[WatchlistVerdict] = []
        found: list[Hit] = []
        reasons: list[str] = []
        alert = False
        current = -1  # the watchlist being gathered; entries are numbered in watchlist order
        for e in sorted(best):
            ref = entries[e]
            if ref.watchlist != current:
                if found or reasons:
                    verdicts.append(self._verdict(current, alert, found, reasons))
                found, reasons, alert, current = [], [], False, ref.watchlist
            entry = ref.entry
            if e in excluded:
                reasons.append(f"{entry.id}: excluded by '{excluded[e]}'")
                continue
            found.append(_hit(ref, best[e][1], words))
            alerts, reason = _requirement(entry, matched_ids)
            alert = alert or alerts
            if reason:
                reasons.append(reason)
        if found or reasons:
            verdicts.append(self._verdict(current, alert, found, reasons))
        return MatchResult(tuple(verdicts), self._near_misses(words, near, best) if near else ())

    def _verdict(
        self, index: int, alert: bool, hits: list[Hit], reasons: list[str]
    ) -> WatchlistVerdict:
        watchlist = self._watchlists[index]
        return WatchlistVerdict(
            watchlist.name, watchlist.channel, alert, tuple(hits), tuple(reasons)
        )

    def _near_misses(
        self, words: Words, near: list[RawNearMiss], best: _Best
    ) -> tuple[NearMiss, ...]:
        near_misses: list[NearMiss] = []
        seen: set[tuple[int, str, str]] = set()
        for miss in sorted(near, key=lambda m: (-m.score, m.term.entry)):
            e = miss.term.entry
            if e in best or miss.term.exclude:
                continue
            start, end = words.span(miss.field, miss.first, miss.last)
            matched = (words.title if miss.field == "title" else words.text)[start:end]
            if (e, miss.term.source, matched) in seen:
                continue
            seen.add((e, miss.term.source, matched))
            ref = self._entries[e]
            near_misses.append(
                NearMiss(
                    watchlist=ref.name,
                    entry=ref.entry.id,
                    term=miss.term.source,
                    matched=matched,
                    score=miss.score,
                    threshold=miss.term.threshold or 0,
                )
            )
        return tuple(near_misses)


def _requirement(entry: Entry, matched_ids: set[str]) -> tuple[bool, str]:
    """Whether a matched entry alerts, and the reason to show (empty when it simply alerts)."""
    if not entry.alert:
        return False, f"{entry.id}: context only (alert: false)"
    if not entry.requires:
        return True, ""
    wanted = ", ".join(entry.requires)
    met = [r for r in entry.requires if r in matched_ids]
    if met:
        return True, f"{entry.id}: requires one of [{wanted}] — {', '.join(met)} matched"
    return False, f"{entry.id}: requires one of [{wanted}] — none matched"
