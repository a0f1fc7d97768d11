"""The compiled terms of every watchlist, and how a story's words are looked up in them.

All that depends only on the watchlists happens when terms are added. Term words become *patterns*
(lower-case word, lower-case prefix, case-kept word, case-kept prefix) and terms become paths in a
trie of pattern ids; joined forms are one-word paths. Each distinct story word is resolved once to
the patterns it matches, and the answer memoised (news vocabulary repeats; the memo starts over at
200,000 words): dictionary look-ups for words and for prefixes of each wildcard length, and for
misspellings a SymSpell-style index of the deletions (1 or 2, as the edit budget allows) of every
fuzzy term word, each candidate checked with `rapidfuzz.distance.OSA` (an adjacent swap is one
edit), and dictionary words set apart (`forms.dictionary_language`). Per story, title and text
are folded and split into words by a cached character table and `str.split`; only words that
resolve to a pattern start a walk in the trie; spans of the source are found only for hits.
Regular expressions are compiled once; each costs one search of each field, so keep them few.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import compress
from typing import NamedTuple, cast

from watchbot.match.forms import dictionary_language, stems
from watchbot.match.fuzzy import (
    MIN_FUZZY_LEN,
    NEAR_MISS_MARGIN,
    WORD_PENALTY,
    deletions,
    max_edits,
    score,
)
from watchbot.match.fuzzy import (
    edits as count_edits,
)
from watchbot.match.terms import Phrase, Regex, Word
from watchbot.match.words import PLAIN, SEPARATOR, SPLIT_CASE, SPLIT_LOW, Words, split
from watchbot.text import fold

MEMO_LIMIT = 200_000  # distinct story words remembered before the memo starts over

# pattern kinds; a form is a lower-case word that also matches its inflections
_LOW, _LOW_PREFIX, _CASE, _CASE_PREFIX, _FORM = "w", "p", "W", "P", "f"
# a marker in a lower-case word's patterns: the case-kept word may match an acronym
_ACRONYM_CANDIDATE = (-1, 0)

Pairs = tuple[tuple[int, int], ...]  # (pattern id, edits)


@dataclass(frozen=True)
class Term:
    entry: int  # index of the entry, in the order the matcher numbered them
    exclude: bool  # an `excludes` term rather than a `terms` one
    source: str  # as written in the watchlist (stripped)
    folded: str  # lower-cased words joined by spaces: what fuzzy scores compare
    threshold: int | None  # None: exact only
    scope: int = 0  # for an exclude: 0 anywhere, k the entry's exclusion k - 1
    joined: str = ""  # a phrase without `*`: its lower-case letters, to tell an inflected hit


class _End(NamedTuple):
    term: Term
    fuzzy: bool  # whether a path with edits may end here (False for joined forms)


@dataclass
class _Node:
    children: dict[int, _Node] = field(default_factory=dict)
    ends: list[_End] = field(default_factory=list)


class RawHit(NamedTuple):
    term: Term
    field: str
    score: int
    first: int  # word index (phrases) or character offset (regexes)
    last: int  # word index of the last word, or character end
    chars: bool  # first/last are character offsets


class RawNearMiss(NamedTuple):
    term: Term
    field: str
    score: int
    first: int
    last: int
    why: str = ""


class TermIndex:
    """Every term, compiled. `add` each term, `finish` once, then `find` in each story."""

    def __init__(self) -> None:
        self._patterns: dict[tuple[str, str], int] = {}
        self._low: dict[str, int] = {}
        self._forms: dict[str, int] = {}  # a form's word as written -> pattern id
        self._stems: tuple[dict[str, list[int]], dict[str, list[int]]] = ({}, {})  # en, es
        self._low_prefix: dict[int, dict[str, int]] = {}
        self._case: dict[str, int] = {}
        self._case_prefix: dict[int, dict[str, int]] = {}
        self._acronym_low: set[str] = set()
        self._acronym_low_prefix: dict[int, set[str]] = {}
        self._fuzzy_words: dict[int, str] = {}  # pattern id -> lower-case term word
        self._deletes: dict[str, list[int]] = {}
        self._fuzzy_lengths = (0, -1)
        self._root = _Node()
        self._regexes: list[tuple[Term, re.Pattern[str]]] = []
        self._same_forms: set[tuple[int, bool, int, tuple[tuple[str, ...], ...]]] = set()
        self.memo_low: dict[str, Pairs] = {}
        self._memo_case: dict[str, Pairs] = {}
        self._acronym_candidates: set[str] = set()  # lower-case words that may be acronyms

    # --- compiling -------------------------------------------------------------------------------

    def _pattern(self, kind: str, text: str) -> int:
        key = (kind, text)
        pid = self._patterns.get(key)
        if pid is None:
            pid = self._patterns[key] = len(self._patterns)
            if kind == _LOW:
                self._low[text] = pid
            elif kind == _FORM:
                self._forms[text] = pid
                for stem, index in zip(stems(text), self._stems, strict=True):
                    if stem:
                        index.setdefault(stem, []).append(pid)
            elif kind == _LOW_PREFIX:
                self._low_prefix.setdefault(len(text), {})[text] = pid
            elif kind == _CASE:
                self._case[text] = pid
                self._acronym_low.add(fold(text))
            else:
                self._case_prefix.setdefault(len(text), {})[text] = pid
                self._acronym_low_prefix.setdefault(len(text), set()).add(fold(text))
        return pid

    def _word_pattern(self, word: Word, acronym: bool, inflect: bool = False) -> int:
        if acronym:
            return self._pattern(_CASE_PREFIX if word.prefix else _CASE, word.text)
        if inflect and word.common:
            return self._pattern(_FORM, word.text)
        return self._pattern(_LOW_PREFIX if word.prefix else _LOW, word.text)

    def _add_path(self, pids: Iterable[int], end: _End) -> None:
        node = self._root
        for pid in pids:
            node = node.children.setdefault(pid, _Node())
        node.ends.append(end)

    def add(
        self,
        entry: int,
        exclude: bool,
        source: str,
        parsed: Phrase | Regex,
        fuzzy: int | None,
        scope: int = 0,
        inflect: bool = False,
    ) -> None:
        """Add one term of entry number `entry` (an exclude one of exclusion `scope` - 1); with
        `inflect`, its lower-case words match their inflected forms too."""
        if isinstance(parsed, Regex):
            self._regexes.append((Term(entry, exclude, source, "", None, scope), parsed.pattern))
            return
        fuzzy_ok = fuzzy is not None and not parsed.acronym and not parsed.wildcard
        words = parsed.words
        if inflect and not fuzzy_ok and not parsed.acronym:
            # "cartel", "cartels" and "cárteles" in one entry match the same words once they
            # inflect: keep the first, so a story word makes one hit, not three
            forms = tuple(_form_key(w) for w in words)
            if (entry, exclude, scope, forms) in self._same_forms:
                return
            self._same_forms.add((entry, exclude, scope, forms))
        term = Term(
            entry,
            exclude,
            source,
            " ".join(w.text for w in words),
            fuzzy if fuzzy_ok else None,
            scope,
            "" if parsed.wildcard else "".join(w.text for w in words).lower(),
        )
        pids = [self._word_pattern(w, parsed.acronym, inflect) for w in words]
        self._add_path(pids, _End(term, fuzzy_ok))
        if fuzzy_ok:
            for w, pid in zip(words, pids, strict=True):
                if len(w.text) >= MIN_FUZZY_LEN:
                    self._fuzzy_words[pid] = w.text
        if len(words) > 1 and not any(w.prefix for w in words[:-1]):
            joined = Word("".join(w.text for w in words), words[-1].prefix)
            self._add_path([self._word_pattern(joined, parsed.acronym)], _End(term, False))

    def finish(self) -> None:
        """Index the fuzzy words; call once, after the last `add`."""
        for pid, word in self._fuzzy_words.items():
            for deletion in deletions(word, max_edits(word)):
                self._deletes.setdefault(deletion, []).append(pid)
        if self._fuzzy_words:
            words = self._fuzzy_words.values()
            self._fuzzy_lengths = (
                min(len(w) - max_edits(w) for w in words),
                max(len(w) + max_edits(w) for w in words),
            )

    # --- resolving story words -------------------------------------------------------------------

    def _resolve_low(self, low: str) -> Pairs:
        """What a lower-case story word matches: pattern ids with their edit distances."""
        pairs: list[tuple[int, int]] = []
        pid = self._low.get(low)
        if pid is not None:
            pairs.append((pid, 0))
        if self._forms:
            pairs.extend(self._inflected(low))
        n = len(low)
        for length, prefixes in self._low_prefix.items():
            if length <= n:
                pid = prefixes.get(low[:length])
                if pid is not None:
                    pairs.append((pid, 0))
        low_len, high_len = self._fuzzy_lengths
        if low_len <= n <= high_len:
            pairs.extend(self._misspelt(low))
        if low in self._acronym_low or any(
            length <= n and low[:length] in prefixes
            for length, prefixes in self._acronym_low_prefix.items()
        ):
            pairs.append(_ACRONYM_CANDIDATE)
            self._acronym_candidates.add(low)
        return tuple(pairs)

    def _inflected(self, low: str) -> list[tuple[int, int]]:
        """The forms that `low` is (as written, or sharing an English or Spanish stem)."""
        found = set()
        pid = self._forms.get(low)
        if pid is not None:
            found.add(pid)
        for stem, index in zip(stems(low), self._stems, strict=True):
            if stem:
                found.update(index.get(stem, ()))
        return [(pid, 0) for pid in sorted(found)]

    def _misspelt(self, low: str) -> list[tuple[int, int]]:
        """The fuzzy term words that `low` is a misspelling of, with the edits."""
        pairs: list[tuple[int, int]] = []
        seen: set[int] = set()
        words = self._fuzzy_words
        n = len(low)
        for deletion in deletions(low, 2):
            for pid in self._deletes.get(deletion, ()):
                if pid in seen:
                    continue
                seen.add(pid)
                word = words[pid]
                if word == low:
                    continue
                limit = max_edits(word)
                if abs(len(word) - n) <= limit:
                    count = count_edits(low, word, limit)
                    if count <= limit:
                        pairs.append((pid, count))
        if pairs and dictionary_language(low):  # an ordinary word, not a misspelt name
            return [(pid, count + WORD_PENALTY) for pid, count in pairs]
        return pairs

    def _resolve_case(self, word: str) -> Pairs:
        pairs: list[tuple[int, int]] = []
        pid = self._case.get(word)
        if pid is not None:
            pairs.append((pid, 0))
        for length, prefixes in self._case_prefix.items():
            if length <= len(word):
                pid = prefixes.get(word[:length])
                if pid is not None:
                    pairs.append((pid, 0))
        return tuple(pairs)

    def _infos(self, title: str, text: str) -> tuple[Words, list[Pairs]]:
        """The lower-case words of title and text, with a `|` between them (no term can match it,
        so no phrase runs across), and what each word matches."""
        mapped, lows = split(title, text, SPLIT_LOW)
        sep = lows.index(SEPARATOR)
        memo = self.memo_low
        infos = list(map(memo.get, lows))
        if None in infos:
            if len(memo) > MEMO_LIMIT:  # start over, this story's words included
                memo.clear()
                self._acronym_candidates.clear()
                infos = [None] * len(lows)
            for i, info in enumerate(infos):
                if info is None:
                    info = memo.get(lows[i])
                    if info is None:
                        info = memo[lows[i]] = self._resolve_low(lows[i])
                    infos[i] = info
        resolved = cast(list[Pairs], infos)  # no None left
        if self._acronym_candidates and not self._acronym_candidates.isdisjoint(lows):
            self._resolve_acronyms(title, text, lows, resolved)
        return Words(title, text, mapped, lows, sep), resolved

    def _resolve_acronyms(
        self, title: str, text: str, lows: list[str], resolved: list[Pairs]
    ) -> None:
        """Replace the acronym markers in `resolved` by what the case-kept words match."""
        words = split(title, text, SPLIT_CASE)[1]
        if len(words) != len(lows):
            return
        memo_case = self._memo_case
        if len(memo_case) > MEMO_LIMIT:
            memo_case.clear()
        for i, info in enumerate(resolved):
            if info and info[-1] == _ACRONYM_CANDIDATE:
                extra = memo_case.get(words[i])
                if extra is None:
                    extra = memo_case[words[i]] = self._resolve_case(words[i])
                resolved[i] = info[:-1] + extra

    # --- finding ---------------------------------------------------------------------------------

    def find(
        self, title: str, text: str, explain: bool
    ) -> tuple[Words, list[RawHit], list[RawNearMiss] | None]:
        """Every term hit in the story (excludes included) and, with `explain`, near misses."""
        hits: list[RawHit] = []
        near: list[RawNearMiss] | None = [] if explain else None
        words, infos = self._infos(title, text)
        self._walk(words.lows, infos, words.sep, hits, near)
        if self._regexes:
            for field_name, value in (("title", title), ("text", text)):
                plain = PLAIN.map(value)
                for term, pattern in self._regexes:
                    m = pattern.search(plain)
                    if m is not None:
                        hits.append(RawHit(term, field_name, 100, m.start(), m.end(), True))
        return words, hits, near

    def _walk(
        self,
        lows: list[str],
        infos: list[Pairs],
        sep: int,
        hits: list[RawHit],
        near: list[RawNearMiss] | None,
    ) -> None:
        """Walk the trie from every word that matches a pattern."""
        n = len(lows)
        root = self._root.children
        for i in compress(range(n), infos):
            for pid, edits in infos[i]:
                node = root.get(pid)
                if node is not None:
                    if node.ends:
                        _ends(node.ends, edits, lows, i, i, sep, hits, near)
                    if node.children and i + 1 < n:
                        _deeper(node, edits, lows, infos, i, i + 1, sep, hits, near)


def _form_key(word: Word) -> tuple[str, ...]:
    """What a term word matches, as a key: its stems when it inflects, else itself."""
    if word.common:
        en, es = stems(word.text)
        if en and es:
            return ("stems", en, es)
    return ("word", word.text, "*" if word.prefix else "")


def _deeper(
    node: _Node,
    edits: int,
    lows: list[str],
    infos: list[Pairs],
    first: int,
    j: int,
    sep: int,
    hits: list[RawHit],
    near: list[RawNearMiss] | None,
) -> None:
    """Continue a walk that matched words `first` to `j - 1` with word `j`."""
    children = node.children
    for pid, more in infos[j]:
        child = children.get(pid)
        if child is not None:
            if child.ends:
                _ends(child.ends, edits + more, lows, first, j, sep, hits, near)
            if child.children and j + 1 < len(lows):
                _deeper(child, edits + more, lows, infos, first, j + 1, sep, hits, near)


def _ends(
    ends: list[_End],
    edits: int,
    lows: list[str],
    first: int,
    last: int,
    sep: int,
    hits: list[RawHit],
    near: list[RawNearMiss] | None,
) -> None:
    """Record the terms that end at word `last`, having started at word `first`."""
    field_name, offset = ("title", 0) if first < sep else ("text", sep + 1)
    window = ""
    for term, fuzzy_ok in ends:
        if not edits:
            hits.append(RawHit(term, field_name, 100, first - offset, last - offset, False))
            continue
        threshold = term.threshold
        if not fuzzy_ok or threshold is None:
            continue
        window = window or " ".join(lows[first : last + 1])
        similarity = score(term.folded, window)
        # a dictionary word is no misspelling of a one-word term; in a longer name the other
        # words vouch for it ("Juan Campo Rivera" for Juan Campos Rivera)
        words_vouch = edits // WORD_PENALTY < last - first + 1
        if similarity >= threshold and (edits < WORD_PENALTY or words_vouch):
            hits.append(RawHit(term, field_name, similarity, first - offset, last - offset, False))
        elif near is not None and similarity >= threshold - NEAR_MISS_MARGIN:
            why = _dictionary_words(term.folded, lows[first : last + 1])
            near.append(
                RawNearMiss(term, field_name, similarity, first - offset, last - offset, why)
            )


def _dictionary_words(term: str, words: list[str]) -> str:
    """Why a near miss is one when its words are dictionary words; empty otherwise."""
    mine = term.split()
    for word, other in zip(words, mine, strict=False):
        if word != other:
            language = dictionary_language(word)
            if language:
                return f"{word!r} is a common {language} word, not a misspelling"
    return ""
