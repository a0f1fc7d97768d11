"""The compiled terms of every watchlist: the tables a story word is looked up in.

All that depends only on the watchlists happens when terms are added. Term words become *patterns*
(lower-case word, lower-case prefix, case-kept word, case-kept prefix, inflected form) and terms
become paths in a trie of pattern ids (`Node`); joined forms are one-word paths. `resolve_low`
says which patterns one lower-case story word matches, with the edits: dictionary look-ups for
words and for prefixes of each wildcard length, the English and Spanish stems for forms, and for
misspellings a SymSpell-style index of the deletions (1 or 2, as the edit budget allows) of every
fuzzy term word, each candidate checked with `rapidfuzz.distance.OSA` (an adjacent swap is one
edit), dictionary words set apart (`forms.dictionary_language`). `watchbot.match.index` memoises
those answers per story word and walks the trie.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from watchbot.match.forms import dictionary_language, stems
from watchbot.match.fuzzy import MIN_FUZZY_LEN, WORD_PENALTY, deletions, max_edits
from watchbot.match.fuzzy import edits as count_edits
from watchbot.match.terms import Phrase, Regex, Word
from watchbot.text import fold

# pattern kinds; a form is a lower-case word that also matches its inflections
_LOW, _LOW_PREFIX, _CASE, _CASE_PREFIX, _FORM = "w", "p", "W", "P", "f"
# the last of a lower-case word's pairs when its case-kept spelling may match an acronym
ACRONYM_CANDIDATE = (-1, 0)

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


class End(NamedTuple):
    term: Term
    fuzzy: bool  # whether a path with edits may end here (False for joined forms)


@dataclass
class Node:
    """A trie node: the next pattern ids, and the terms whose path ends here."""

    children: dict[int, Node] = field(default_factory=dict)
    ends: list[End] = field(default_factory=list)


class Lexicon:
    """Every phrase term as trie paths of patterns, and every regex. `add` each term, `finish`
    once, then `resolve_low` (and `resolve_case` for acronym candidates) story words."""

    def __init__(self) -> None:
        self.root = Node()
        self.regexes: list[tuple[Term, re.Pattern[str]]] = []
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
        self._same_forms: set[tuple[int, bool, int, tuple[tuple[str, ...], ...]]] = set()

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

    def _add_path(self, pids: Iterable[int], end: End) -> None:
        node = self.root
        for pid in pids:
            node = node.children.setdefault(pid, Node())
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
            self.regexes.append((Term(entry, exclude, source, "", None, scope), parsed.pattern))
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
        self._add_path(pids, End(term, fuzzy_ok))
        if fuzzy_ok:
            for w, pid in zip(words, pids, strict=True):
                if len(w.text) >= MIN_FUZZY_LEN:
                    self._fuzzy_words[pid] = w.text
        if len(words) > 1 and not any(w.prefix for w in words[:-1]):
            joined = Word("".join(w.text for w in words), words[-1].prefix)
            self._add_path([self._word_pattern(joined, parsed.acronym)], End(term, False))

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

    def resolve_low(self, low: str) -> Pairs:
        """What a lower-case story word matches: pattern ids with their edit distances, and
        `ACRONYM_CANDIDATE` last when its case-kept spelling may match an acronym."""
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
            pairs.append(ACRONYM_CANDIDATE)
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

    def resolve_case(self, word: str) -> Pairs:
        """What a case-kept story word matches among the acronyms."""
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


def _form_key(word: Word) -> tuple[str, ...]:
    """What a term word matches, as a key: its stems when it inflects, else itself."""
    if word.common:
        en, es = stems(word.text)
        if en and es:
            return ("stems", en, es)
    return ("word", word.text, "*" if word.prefix else "")
