"""From the term hits of one story to its verdicts: which entries hold, which alert, and why.

An entry *matches* when one of its terms matched. It *holds* when it matches, none of its
excludes and exclusions applies, and every one of its requirements is met. Requirements chain:
a required entry counts only when it holds itself, and (with `near`) only when one of its matches
is near one of the entry's own. A cycle of requirements never holds (the watchlist loader reports
cycles first). A watchlist alerts when one of its entries with `alert: true` holds.

Each matched entry gets one `Decision`: the rule that decided, in the words `watchbot match`
prints. Pure: the decision depends only on the hits, the story's words and the compiled entries.
"""

from __future__ import annotations

from typing import NamedTuple

from watchbot.match.index import RawHit, RawNearMiss
from watchbot.match.words import Words
from watchbot.models import (
    Decision,
    Entry,
    Exclusion,
    Hit,
    MatchResult,
    NearMiss,
    Nearness,
    Requirement,
    Watchlist,
    WatchlistVerdict,
)


class EntryRef(NamedTuple):
    watchlist: int  # index in the matcher's watchlists
    name: str  # the watchlist's
    entry: Entry


SAID_LIMIT = 10_000  # distinct (entry, rule) texts remembered before starting over

_Key = tuple[int, bool, bool, int]  # (score, in title, a phrase, -first word): higher is better


def _key(raw: RawHit) -> _Key:
    # highest score, title before text, then the earliest (a phrase before a regex)
    return (raw.score, raw.field == "title", not raw.chars, -raw.first)


def _anywhere(near: Nearness) -> bool:
    return near.words is None and not near.sentence


def _list(ids: tuple[str, ...]) -> str:
    return f"[{', '.join(ids)}]"


def describe(req: Requirement) -> str:
    """A requirement in words: "requires one of [a, b] and all of [c] in the same sentence"."""
    parts = []
    if req.any_of:
        parts.append(f"one of {_list(req.any_of)}")
    if req.all_of:
        parts.append(f"all of {_list(req.all_of)}")
    near = "" if _anywhere(req.near) else f" {req.near}"
    return f"requires {' and '.join(parts)}{near}"


class _Rule(NamedTuple):
    req: Requirement
    text: str  # `describe(req)`
    # a requirement of one of some entries anywhere: their numbers (those that exist), and the
    # reason when none of them matched; None for other requirements
    one_of: tuple[int, ...] | None
    none: str


class _Story:
    """The evaluation of one story: each entry's hits, and whether it holds (memoised)."""

    __slots__ = ("decider", "excluded", "holding", "rule", "scoped", "terms", "words")

    def __init__(self, decider: Decider, words: Words, hits: list[RawHit]) -> None:
        self.decider = decider
        self.words = words
        self.terms: dict[int, list[RawHit]] = {}  # entry -> its term hits
        self.excluded: dict[int, str] = {}  # entry -> the first exclude term (anywhere) that hit
        self.scoped: dict[tuple[int, int], list[RawHit]] = {}  # (entry, exclusion) -> hits
        self.holding: dict[int, bool] = {}
        self.rule: dict[int, str] = {}  # entry -> what decided, in words
        terms = self.terms
        for raw in hits:
            term = raw.term
            if not term.exclude:
                mine = terms.get(term.entry)
                if mine is None:
                    terms[term.entry] = [raw]
                else:
                    mine.append(raw)
            elif term.scope:
                self.scoped.setdefault((term.entry, term.scope - 1), []).append(raw)
            else:
                self.excluded.setdefault(term.entry, term.source)

    def holds(self, e: int) -> bool:
        """Whether entry `e` matches and all of its rules hold; records what decided."""
        known = self.holding.get(e)
        if known is not None:
            return known
        self.holding[e] = False  # while it is being decided: a cycle does not hold
        if e not in self.terms:
            self.rule[e] = "did not match"
            return False
        if e in self.excluded:
            self.rule[e] = f"excluded by '{self.excluded[e]}'"
            return False
        rules = self.decider.rules[e]
        exclusions = self.decider.entries[e].entry.exclusions
        if not rules and not exclusions:  # most entries: nothing more to check
            self.holding[e] = True
            self.rule[e] = "matched"
            return True
        if exclusions:
            for k, exclusion in enumerate(exclusions):
                why = self._exclusion(e, k, exclusion)
                if why:
                    self.rule[e] = why
                    return False
        said = []
        for req, rule, one_of, none in rules:
            if one_of is None:
                met, why = self._requirement(e, req, rule)
            elif self.terms.keys().isdisjoint(one_of):  # none of them matched: the common case
                met, why = False, none
            else:
                met, why = self._one_of(req, rule)
            if not met:
                self.rule[e] = why
                return False
            said.append(why)
        self.holding[e] = True
        self.rule[e] = "; ".join(said) or "matched"
        return True

    def _counts(self, e: int, other: str, near: Nearness) -> bool:
        o = self.decider.index_of.get(other)
        if o is None or not self.holds(o):
            return False
        return _anywhere(near) or self._near(self.terms[e], self.terms[o], near)

    def _holding(self, ids: tuple[str, ...]) -> list[str]:
        """Those of `ids` that hold (the common case: no `within`), memo first."""
        index_of, holding, terms = self.decider.index_of, self.holding, self.terms
        out = []
        for other in ids:
            o = index_of.get(other)
            if o is not None and o in terms:
                known = holding.get(o)
                if known or (known is None and self.holds(o)):
                    out.append(other)
        return out

    def _one_of(self, req: Requirement, rule: str) -> tuple[bool, str]:
        """A requirement of one of some entries, anywhere, of which some matched."""
        met = self._holding(req.any_of)
        if met:
            return True, f"{rule} — {', '.join(met)} matched"
        return False, f"{rule} — {self._none(req.any_of, req.near)}"

    def _requirement(self, e: int, req: Requirement, rule: str) -> tuple[bool, str]:
        met = [r for r in req.any_of if self._counts(e, r, req.near)]
        if req.any_of and not met:
            return False, f"{rule} — {self._none(req.any_of, req.near)}"
        missing = [r for r in req.all_of if not self._counts(e, r, req.near)]
        if missing:
            return False, f"{rule} — {self._none(tuple(missing), req.near, every=True)}"
        return True, f"{rule} — {', '.join([*met, *req.all_of])} matched"

    def _none(self, ids: tuple[str, ...], near: Nearness, every: bool = False) -> str:
        """Why none of `ids` counts (or, with `every`, why each of them does not)."""
        why = []
        for other in ids:
            o = self.decider.index_of.get(other)
            if o is None or o not in self.terms:
                if every:
                    why.append(f"{other} did not match")
            elif not self.holds(o):
                why.append(f"{other} matched but does not count ({other}: {self.rule[o]})")
            else:
                why.append(f"{other} matched but not {near}")
        return "; ".join(why) if why else "none matched"

    def _exclusion(self, e: int, k: int, exclusion: Exclusion) -> str:
        """Drop the hits of entry `e` that exclusion `k` rules out; say why when none is left.

        Without `near` an exclusion rules out every hit; with it, only the hits near one of its
        terms or of an excluding entry's hits: "New Mexico" within 0 words of Mexico drops that
        mention, not the Mexico in the next sentence."""
        near = exclusion.near
        where = "" if _anywhere(near) else f" {near}"
        against: list[tuple[str, list[RawHit]]] = [
            (f"excluded by '{raw.term.source}'{where}", [raw])
            for raw in self.scoped.get((e, k), ())
        ]
        for other in exclusion.entries:
            o = self.decider.index_of.get(other)
            if o is not None and self.holds(o):
                against.append((f"excluded: {other} matched{where}", self.terms[o]))
        for why, theirs in against:
            if _anywhere(near):
                self.terms[e] = []
            else:
                self.terms[e] = [h for h in self.terms[e] if not self._near([h], theirs, near)]
            if not self.terms[e]:
                return why
        return ""

    def _near(self, mine: list[RawHit], theirs: list[RawHit], near: Nearness) -> bool:
        """Whether one of `mine` is near one of `theirs`: same field, and sentence or words."""
        words = self.words
        for a in mine:
            fa, a1, a2 = self._place(a)
            for b in theirs:
                fb, b1, b2 = self._place(b)
                if fa != fb:
                    continue
                if near.sentence:
                    if words.sentence(fa, a1) == words.sentence(fb, b1):
                        return True
                elif near.words is not None and max(b1 - a2, a1 - b2) - 1 <= near.words:
                    return True
        return False

    def _place(self, raw: RawHit) -> tuple[str, int, int]:
        if raw.chars:
            return (raw.field, *self.words.word_range(raw.field, raw.first, raw.last))
        return raw.field, raw.first, raw.last


def _hit(ref: EntryRef, raw: RawHit, words: Words) -> Hit:
    field_name, first, last = raw.field, raw.first, raw.last
    if raw.chars:
        start, end = first, last
    else:
        start, end = words.span(field_name, first, last)
    source = words.title if field_name == "title" else words.text
    entry = ref.entry
    form = "exact" if raw.score == 100 else "fuzzy"
    joined = raw.term.joined
    if (
        joined
        and form == "exact"
        and not raw.chars
        and words.joined(field_name, first, last) != joined
    ):
        form = "inflected"
    return new_hit(
        {
            "watchlist": ref.name,
            "entry": entry.id,
            "label": entry.label,
            "term": raw.term.source,
            "matched": source[start:end],
            "score": raw.score,
            "start": start,
            "end": end,
            "field": field_name,
            "context": not entry.alert,
            "form": form,
        }
    )


def new_hit(fields: dict[str, object]) -> Hit:
    """`Hit(**fields)`, in less than half the time: a frozen dataclass's __init__ sets each field
    through object.__setattr__, which cost more than all the rest of making a hit. The object is
    the same (the class, and every field in its __dict__ as __init__ puts it: equal, hashed and
    serialised alike; `Hit` has no __post_init__). tests/test_match_decide.py holds it to that."""
    hit: Hit = object.__new__(Hit)
    object.__setattr__(hit, "__dict__", fields)
    return hit


class Decider:
    """Decides verdicts for the entries and watchlists of one compiled matcher."""

    def __init__(self, entries: list[EntryRef], watchlists: tuple[Watchlist, ...]) -> None:
        self.entries = entries
        self.watchlists = watchlists
        self.index_of = {ref.entry.id: e for e, ref in enumerate(entries)}
        # per entry number: its requirements, each with its text (entry.rules builds them)
        self.rules = [tuple(self._rule(req) for req in ref.entry.rules) for ref in entries]
        # per entry number: whether it holds whenever it matches and no exclude hit (most do)
        self.plain = [not ref.entry.rules and not ref.entry.exclusions for ref in entries]
        # (entry, holds, rule) -> the reason ("" for none) and the Decision: the same few
        # texts recur story after story, and both are immutable
        self._said: dict[tuple[int, bool, str], tuple[str, Decision]] = {}

    def _rule(self, req: Requirement) -> _Rule:
        text = describe(req)
        if not _anywhere(req.near) or req.all_of:
            return _Rule(req, text, None, "")
        known = tuple(self.index_of[i] for i in req.any_of if i in self.index_of)
        return _Rule(req, text, known, f"{text} — none matched")

    def result(self, words: Words, hits: list[RawHit], near: list[RawNearMiss]) -> MatchResult:
        """The verdicts of every watchlist with a hit, and the near misses."""
        story = _Story(self, words, hits)
        verdicts: list[WatchlistVerdict] = []
        group: list[int] = []
        for e in sorted(story.terms):
            if group and self.entries[group[0]].watchlist != self.entries[e].watchlist:
                verdicts.append(self._verdict(story, group))
                group = []
            group.append(e)
        if group:
            verdicts.append(self._verdict(story, group))
        verdicts = [v for v in verdicts if v.hits or v.reasons]
        near_misses = self._near_misses(words, near, story) if near else ()
        return MatchResult(tuple(verdicts), near_misses)

    def _verdict(self, story: _Story, group: list[int]) -> WatchlistVerdict:
        hits: list[Hit] = []
        reasons: list[str] = []
        decisions: list[Decision] = []
        alert = False
        terms, excluded, said = story.terms, story.excluded, self._said
        for e in group:
            ref = self.entries[e]
            if self.plain[e] and e not in excluded:
                holds, rule = True, "matched"
            else:
                holds = story.holds(e)
                rule = story.rule[e]
            mine = terms[e]
            if not mine or e in excluded:  # excluded: anywhere, or every match near
                reasons.append(f"{ref.entry.id}: {rule}")
                decisions.append(Decision(ref.entry.id, False, rule))
                continue
            hits.append(_hit(ref, mine[0] if len(mine) == 1 else max(mine, key=_key), story.words))
            reason, decision = said.get((e, holds, rule)) or self._say(e, holds, rule)
            if reason:
                reasons.append(reason)
            decisions.append(decision)
            alert = alert or decision.alerts
        watchlist = self.watchlists[self.entries[group[0]].watchlist]
        return WatchlistVerdict(
            watchlist.name, watchlist.channel, alert, tuple(hits), tuple(reasons), tuple(decisions)
        )

    def _say(self, e: int, holds: bool, rule: str) -> tuple[str, Decision]:
        """The reason (or "") and the Decision of matched entry `e`, remembered."""
        entry = self.entries[e].entry
        said = rule
        if not entry.alert:
            said = "context only (alert: false)" + (f"; {rule}" if self.rules[e] else "")
        reason = f"{entry.id}: {said}" if said != "matched" else ""
        if len(self._said) >= SAID_LIMIT:
            self._said.clear()
        answer = self._said[(e, holds, rule)] = (
            reason,
            Decision(entry.id, holds and entry.alert, said),
        )
        return answer

    def _near_misses(
        self, words: Words, near: list[RawNearMiss], story: _Story
    ) -> tuple[NearMiss, ...]:
        near_misses: list[NearMiss] = []
        seen: set[tuple[int, str, str]] = set()
        for miss in sorted(near, key=lambda m: (-m.score, m.term.entry)):
            e = miss.term.entry
            if e in story.terms or miss.term.exclude:
                continue
            start, end = words.span(miss.field, miss.first, miss.last)
            matched = (words.title if miss.field == "title" else words.text)[start:end]
            if (e, miss.term.source, matched) in seen:
                continue
            seen.add((e, miss.term.source, matched))
            ref = self.entries[e]
            near_misses.append(
                NearMiss(
                    watchlist=ref.name,
                    entry=ref.entry.id,
                    term=miss.term.source,
                    matched=matched,
                    score=miss.score,
                    threshold=miss.term.threshold or 0,
                    why=miss.why,
                )
            )
        return tuple(near_misses)
