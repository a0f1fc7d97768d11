"""How a story's words are looked up in the compiled terms (`lexicon`), and the trie walked.

Each distinct story word is resolved once (`Lexicon.resolve_low`) and the answer memoised (news
vocabulary repeats; the memo starts over at 200,000 words). Per story, title and text are folded
and split into words by a cached character table and `str.split`; only words that resolve to a
pattern start a walk in the trie; spans of the source are found only for hits. Regular
expressions are compiled once; each costs one search of each field, so keep them few.
"""

from __future__ import annotations

from itertools import compress
from typing import NamedTuple, cast

from watchbot.match.forms import dictionary_language
from watchbot.match.fuzzy import NEAR_MISS_MARGIN, WORD_PENALTY, score
from watchbot.match.lexicon import ACRONYM_CANDIDATE, End, Lexicon, Node, Pairs, Term
from watchbot.match.words import PLAIN, SEPARATOR, SPLIT_CASE, SPLIT_LOW, Words, split

MEMO_LIMIT = 200_000  # distinct story words remembered before the memo starts over


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
    """A compiled `Lexicon` and the memo of story words: `find` the terms in each story."""

    def __init__(self, lexicon: Lexicon) -> None:
        self._root = lexicon.root
        self._regexes = lexicon.regexes
        self._lexicon = lexicon
        self.memo_low: dict[str, Pairs] = {}
        self._memo_case: dict[str, Pairs] = {}
        self._acronym_candidates: set[str] = set()  # lower-case words that may be acronyms

    def _resolve_low(self, low: str) -> Pairs:
        pairs = self._lexicon.resolve_low(low)
        if pairs and pairs[-1] == ACRONYM_CANDIDATE:
            self._acronym_candidates.add(low)
        return pairs

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
            if info and info[-1] == ACRONYM_CANDIDATE:
                extra = memo_case.get(words[i])
                if extra is None:
                    extra = memo_case[words[i]] = self._lexicon.resolve_case(words[i])
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


def _deeper(
    node: Node,
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
    ends: list[End],
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
