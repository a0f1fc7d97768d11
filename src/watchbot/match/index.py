"""How a story's words are looked up in the compiled terms (`lexicon`), and the trie walked.

Each distinct story word is resolved once (`Lexicon.resolve_low`) and the answer memoised (news
vocabulary repeats; the memo starts over at 200,000 words). Per story, title and text are folded
and split into words by a cached character table and `str.split`; only words that resolve to a
pattern start a walk in the trie; spans of the source are found only for hits. Regular
expressions are compiled once; each costs one search of each field, so keep them few.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import compress
from operator import itemgetter
from typing import NamedTuple

from watchbot.match.forms import dictionary_language
from watchbot.match.fuzzy import NEAR_MISS_MARGIN, WORD_PENALTY, score
from watchbot.match.lexicon import ACRONYM_CANDIDATE, End, Lexicon, Node, Pairs, Term
from watchbot.match.words import PLAIN, SEPARATOR, SPLIT_CASE, SPLIT_LOW, Words, split

MEMO_LIMIT = 200_000  # distinct story words remembered before the memo starts over
NO_WORDS = Words("", "", "", [], -1)  # what `find` gives with no hit: nothing to explain


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

    def _infos(self, lows: list[str]) -> Sequence[Pairs]:
        """What each of the story's words matches, from the memo (one C-level look-up of them
        all when every word is known, as most are)."""
        try:
            if len(lows) > 1:
                infos: Sequence[Pairs] = itemgetter(*lows)(self.memo_low)
                return infos
            return [self.memo_low[lows[0]]]
        except KeyError:  # a new word: resolve it
            pass
        memo = self.memo_low
        if len(memo) > MEMO_LIMIT:  # start over, this story's words included
            memo.clear()
            self._acronym_candidates.clear()
        resolved: list[Pairs] = []
        for low in lows:
            info = memo.get(low)
            if info is None:
                info = memo[low] = self._resolve_low(low)
            resolved.append(info)
        return resolved

    def _resolve_acronyms(
        self, title: str, text: str, lows: list[str], infos: Sequence[Pairs]
    ) -> list[Pairs]:
        """`infos` with the acronym markers replaced by what the case-kept words match."""
        resolved = list(infos)
        words = split(title, text, SPLIT_CASE)[1]
        if len(words) != len(lows):
            return resolved
        memo_case = self._memo_case
        if len(memo_case) > MEMO_LIMIT:
            memo_case.clear()
        for i, info in enumerate(resolved):
            if info and info[-1] == ACRONYM_CANDIDATE:
                extra = memo_case.get(words[i])
                if extra is None:
                    extra = memo_case[words[i]] = self._lexicon.resolve_case(words[i])
                resolved[i] = info[:-1] + extra
        return resolved

    # --- finding ---------------------------------------------------------------------------------

    def find(
        self, title: str, text: str, explain: bool
    ) -> tuple[Words, list[RawHit], list[RawNearMiss] | None]:
        """Every term hit in the story (excludes included) and, with `explain`, near misses; with
        the story's words, or `NO_WORDS` when neither was found (nothing to explain)."""
        hits: list[RawHit] = []
        near: list[RawNearMiss] | None = [] if explain else None
        # the lower-case words of title and text, with a `|` between them (no term can match it,
        # so no phrase runs across)
        mapped, lows = split(title, text, SPLIT_LOW)
        infos = self._infos(lows)
        if self._acronym_candidates and not self._acronym_candidates.isdisjoint(lows):
            infos = self._resolve_acronyms(title, text, lows, infos)
        sep = self._walk(lows, infos, hits, near)
        if self._regexes:
            for field_name, value in (("title", title), ("text", text)):
                plain = PLAIN.map(value)
                for term, pattern in self._regexes:
                    m = pattern.search(plain)
                    if m is not None:
                        hits.append(RawHit(term, field_name, 100, m.start(), m.end(), True))
        if not hits and not near:
            return NO_WORDS, hits, near
        if sep < 0:
            sep = lows.index(SEPARATOR)
        return Words(title, text, mapped, lows, sep), hits, near

    def _walk(
        self,
        lows: list[str],
        infos: Sequence[Pairs],
        hits: list[RawHit],
        near: list[RawNearMiss] | None,
    ) -> int:
        """Walk the trie from every word that matches a pattern; the separator's index, or -1
        when no word matched any (then nothing needed it)."""
        starts = list(compress(range(len(lows)), infos))
        if not starts:
            return -1
        n = len(lows)
        sep = lows.index(SEPARATOR)
        root = self._root.children
        for i in starts:
            for pid, edits in infos[i]:
                node = root.get(pid)
                if node is not None:
                    if node.ends:
                        _ends(node.ends, edits, lows, i, i, sep, hits, near)
                    if node.children and i + 1 < n and infos[i + 1]:
                        _deeper(node, edits, lows, infos, i, i + 1, sep, hits, near)
        return sep


def _deeper(
    node: Node,
    edits: int,
    lows: list[str],
    infos: Sequence[Pairs],
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
            if child.children and j + 1 < len(lows) and infos[j + 1]:
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
