"""Match stories against watchlists: compile the terms once per load, then match each story fast.

`Matcher.compile(watchlists)` does all the work that depends only on the watchlists; `match(title,
text)` is a pure function of the story (apart from a bounded memo of story words) and never raises.

Term language
=============

A term is matched on whole words of the title and of the summary separately: a phrase never runs
from the title into the summary. Words are what `watchbot.text.tokenize` finds: case, accents and
typographic quotes are ignored, hyphens and dashes separate words like spaces do, and an English
possessive is its word (`Sheinbaum's` is `Sheinbaum`).

- **Phrase** (`Garcia Harfuch`): its words, in order, as consecutive words of the story
  (punctuation between them is ignored, like hyphens).
- **Joined form**: a phrase of several words also matches its words written together as one word,
  exactly (never fuzzily): `narco-terrorism` matches "narco terrorism", "narco-terrorism" and
  "narcoterrorism"; `narco-terror*` matches "narcoterrorismo". (No joined form when a word other
  than the last ends in `*`.)
- **Wildcard**: a `*` at the end of a word matches that word with any ending, or none:
  `extradit*` matches extradite, extradited, extradition; it may end any word of a phrase
  (`cártel* del Golfo`), only at the end of a word, after at least 3 letters or digits.
- **Acronym**: a term with no lower-case letter and at most 5 letters in all (`CJNG`, `USMCA`,
  `T-MEC`, `CDN`, `U.S.`) is matched case-sensitively on the accent-folded words: `CDN` does not
  match "cdn" or "Cdn". `CÁRTEL` (6 letters) is an ordinary, case-insensitive term.
- **Regular expression** (`/narco-?terror(ism|ist)s?/`): Python `re`, case-insensitive, searched in
  the field with accents stripped and quotes/dashes made ASCII (`text.fold_plain`; case and hyphens
  kept). The expression is folded the same way, so `/extradición/` works. Put `\\b` where you want
  word boundaries. An expression that matches the empty text is refused. The first match in each
  field counts.

Fuzzy matching
==============

Only phrases tolerate misspellings: never acronyms, regular expressions, joined forms or terms with
a `*`. An entry's `fuzzy` is the least similarity accepted (0–100; `None` turns it off). A window
of the story fuzzily matches a term when all of these hold:

1. the window has exactly as many words as the term (never substring or partial matching, so
   `Rodrigo Peña` never matches "Enrique Peña Nieto", and a term never half-matches a longer name);
2. term words shorter than 5 letters match exactly;
3. each differing word is at most 1 edit (Levenshtein: insert, delete or substitute one character)
   away if the term word has 5–8 letters, at most 2 edits if it has 9 or more;
4. the score, `rapidfuzz.fuzz.ratio` of the folded term against the folded window (words joined by
   single spaces), is at least the threshold.

`Sheinbam` → Sheinbaum scores 94 and `Inzunsa Noriega` → Inzunza Noriega 93: both match at 90;
`carter` never matches `cartel` (83). Exact matches score 100; fuzzy scores are rounded down, so a
reported score is never above the true similarity. Excludes follow the same rules as terms,
including the entry's fuzzy threshold.

Entries and watchlists
======================

An entry matches when one of its terms matches and none of its `excludes` matches anywhere in the
title or summary. A watchlist alerts when an entry with `alert: true` matches and, if the entry has
`requires`, at least one required entry (from any watchlist, `alert: false` allowed) matches too,
honouring its own excludes. A verdict lists every entry that matched, context entries included, with
one `Hit` each: the best one (highest score, then title before text, then the earliest). `Hit.term`
is the term as written, `Hit.matched` the story's words as written (a slice of the field at
`start:end`). `reasons` say what requires, excludes and `alert: false` decided, e.g.
"extradition: requires one of [mexico] — none matched", "cartels: excluded by 'OPEC'",
"mexico: context only (alert: false)". A `requires` naming no known entry never matches.

With `explain=True`, `near_misses` lists fuzzy candidates that passed rules 1–3 and scored within
15 points under the threshold, for entries that did not match otherwise.

How it is fast
==============

All that depends only on the watchlists happens in `compile`. Term words become *patterns*
(lower-case word, lower-case prefix, case-kept word, case-kept prefix) and terms become paths in a
trie of pattern ids; joined forms are one-word paths. Each distinct story word is resolved once to
the patterns it matches, and the answer memoised (news vocabulary repeats; the memo starts over at
200,000 words): dictionary look-ups for words and for prefixes of each wildcard length, and for
misspellings a SymSpell-style index of the deletions (1 or 2, as rule 3 allows) of every fuzzy
term word, each candidate checked with `rapidfuzz.distance.Levenshtein`. Per story, title and text
are folded and split into words by a cached character table and `str.split` (an order of magnitude
cheaper than `tokenize`, and tested to agree with it); only words that resolve to a pattern start a
walk in the trie; spans of the source are found only for hits. Regular expressions are compiled
once; each costs one search of each field, so keep them few.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import compress, islice
from typing import NamedTuple, cast

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from watchbot.errors import ConfigError, Problem
from watchbot.models import Entry, Hit, MatchResult, NearMiss, Watchlist, WatchlistVerdict
from watchbot.text import fold, fold_plain, tokenize

__all__ = ["Matcher", "term_problem"]

_NEAR_MISS_MARGIN = 15  # near misses: scores in [threshold - 15, threshold)
_MIN_FUZZY_LEN = 5  # shorter term words must match exactly
_MIN_STEM = 3  # letters or digits before a `*`
_ACRONYM_MAX_LETTERS = 5
_MEMO_LIMIT = 200_000  # distinct story words remembered before the memo starts over

# --- splitting text into words -------------------------------------------------------------------
#
# `text.tokenize` is the reference; it builds a NamedTuple per word with a regular expression, which
# costs more than all the matching. Here every character is folded and classified once (cached in
# the tables below): a letter or digit stays, an apostrophe stays (for possessives), anything else
# becomes a space, and `str.split` does the rest. str.translate is fast on ASCII text but takes
# ~70 ns a character once a text holds one accent or curly quote, so such text is encoded to ASCII
# with an error handler that maps the runs of other characters through the table, then mapped with
# bytes.translate; text whose folded letters are not ASCII (Greek, Cyrillic…) takes str.translate.
# Every mapping keeps the length, so spans come from the same mapped text. tests/test_matcher.py
# checks that words and spans agree with `tokenize`.


class _NotAscii(Exception):
    pass


class _CharMap(dict[int, str]):
    """A str.translate table that maps each character once, on first use: `fold` (low), or
    `fold_plain` (plain), each classifying into word characters, apostrophes and spaces (split)."""

    def __init__(self, name: str, lower: bool, split: bool) -> None:
        super().__init__()
        self.lower = lower
        self.split = split
        self.ascii = bytes(ord(self[c]) for c in range(128)) + bytes(range(128, 256))
        self.errors = f"watchbot-{name}"
        codecs.register_error(self.errors, self._replace)

    def __missing__(self, code_point: int) -> str:
        char = chr(code_point)
        plain = fold_plain(char)
        value = fold(char) if self.lower else plain
        if self.split and not plain.isalnum():
            value = "'" if plain == "'" else " "
        self[code_point] = value
        return value

    def _replace(self, error: UnicodeError) -> tuple[str, int]:
        if not isinstance(error, UnicodeEncodeError):
            raise error
        run = error.object[error.start : error.end].translate(self)
        if not run.isascii():
            raise _NotAscii
        return run, error.end

    def map(self, text: str) -> str:
        """`text` with each character mapped; the same length."""
        try:
            return text.encode("ascii", self.errors).translate(self.ascii).decode("ascii")
        except _NotAscii:
            return text.translate(self)


_SPLIT_LOW = _CharMap("split-low", lower=True, split=True)
_SPLIT_CASE = _CharMap("split-case", lower=False, split=True)
_PLAIN = _CharMap("plain", lower=False, split=False)  # text.fold_plain, faster


def _drop_possessives(parts: list[str]) -> list[str]:
    """Split words at apostrophes; drop an `s` that directly follows `word'` (as tokenize does)."""
    out: list[str] = []
    for part in parts:
        if "'" not in part:
            out.append(part)
            continue
        after_word = False
        for k, piece in enumerate(part.split("'")):
            if not piece or (k and after_word and piece in ("s", "S")):
                after_word = False
            else:
                out.append(piece)
                after_word = True
    return out


_SEPARATOR = "|"  # between title and text words: never a word, as no mapping gives "|"


def _split(title: str, text: str, table: _CharMap) -> tuple[str, list[str]]:
    """The mapped `title | text` and its words, the separator included."""
    mapped = f"{table.map(title)} {_SEPARATOR} {table.map(text)}"
    parts = mapped.split()
    return mapped, _drop_possessives(parts) if "'" in mapped else parts


_RUN = re.compile(r"[^ ']+")


def _word_spans(text: str, upto: int) -> list[tuple[int, int]]:
    """Spans of the first `upto + 1` words `_split` finds (the mapping keeps lengths)."""
    mapped = _SPLIT_LOW.map(text)
    spans: list[tuple[int, int]] = []
    if "'" not in mapped:  # each word is the next run of non-spaces
        end = 0
        for word in islice(mapped.split(), upto + 1):
            start = mapped.find(word, end)
            end = start + len(word)
            spans.append((start, end))
        return spans
    kept_end = -2
    for m in _RUN.finditer(mapped):
        start, end = m.span()
        possessive = end - start == 1 and mapped[start] == "s" and mapped[start - 1] == "'"
        if possessive and start >= 2 and kept_end == start - 1:  # "word's": the s is no word
            continue
        spans.append((start, end))
        if len(spans) > upto:
            break
        kept_end = end
    return spans


def split_words(text: str) -> tuple[list[str], list[str]]:
    """The words of `text` as `tokenize` finds them: (case kept, lower-cased), both folded."""
    case, low = _split(text, "", _SPLIT_CASE)[1], _split(text, "", _SPLIT_LOW)[1]
    return case[:-1], low[:-1]


# --- terms ---------------------------------------------------------------------------------------


class _Word(NamedTuple):
    text: str  # folded; lower-cased unless the term is an acronym
    prefix: bool  # written with a trailing `*`


@dataclass(frozen=True)
class _Phrase:
    words: tuple[_Word, ...]
    acronym: bool

    @property
    def wildcard(self) -> bool:
        return any(w.prefix for w in self.words)


@dataclass(frozen=True)
class _Regex:
    pattern: re.Pattern[str]


def _parse_term(term: str) -> _Phrase | _Regex | str:
    """The parsed term, or a one-line problem an editor can act on."""
    if not isinstance(term, str):  # YAML reads unquoted 1910 or yes as other types
        return f"term {term!r} is not text: put it in quotes"
    term = term.strip()
    if not term:
        return "empty term"
    if term.startswith("/"):
        if len(term) < 2 or not term.endswith("/"):
            return "a regular expression must end with / too (e.g. /narco-?terror(ism|ist)s?/)"
        body = fold_plain(term[1:-1])
        if not body:
            return "empty regular expression"
        try:
            pattern = re.compile(body, re.IGNORECASE)
        except re.error as e:
            # counted in the term as written, opening slash included: where the editor looks
            where = f" at position {e.pos + 1}" if e.pos is not None else ""
            return f"invalid regular expression: {e.msg}{where}"
        except (OverflowError, RecursionError, ValueError) as e:
            return f"invalid regular expression: {e}"
        if pattern.search("") is not None:
            return "regular expression matches empty text, so it would match every story"
        return _Regex(pattern)
    plain = fold_plain(term)
    for i, char in enumerate(plain):
        if char == "*":
            before = plain[i - 1] if i else ""
            after = plain[i + 1] if i + 1 < len(plain) else ""
            if not before.isalnum() or after.isalnum() or after == "*":
                return "use * only at the end of a word (e.g. extradit*)"
    tokens = tokenize(plain)
    if not tokens:
        return "term has no letters or digits after folding and can never match"
    letters = sum(c.isalpha() for c in plain)
    acronym = 0 < letters <= _ACRONYM_MAX_LETTERS and not any(c.islower() for c in plain)
    words: list[_Word] = []
    for token in tokens:
        prefix = plain[token.end : token.end + 1] == "*"
        if prefix and token.end - token.start < _MIN_STEM:
            stem = plain[token.start : token.end]
            return (
                f"put at least {_MIN_STEM} letters before * ({stem}* would match too many words; "
                "e.g. extradit*)"
            )
        words.append(_Word(token.word if acronym else fold(token.word), prefix))
    return _Phrase(tuple(words), acronym)


def term_problem(term: str) -> str | None:
    """None if the term is usable; else a one-line message an editor can act on."""
    parsed = _parse_term(term)
    return parsed if isinstance(parsed, str) else None


# --- compiled form -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Term:
    entry: int  # index into Matcher._entries
    exclude: bool  # an `excludes` term rather than a `terms` one
    source: str  # as written in the watchlist (stripped)
    folded: str  # lower-cased words joined by spaces: what fuzzy scores compare
    threshold: int | None  # None: exact only


class _End(NamedTuple):
    term: _Term
    fuzzy: bool  # whether a path with edits may end here (False for joined forms)


@dataclass
class _Node:
    children: dict[int, _Node] = field(default_factory=dict)
    ends: list[_End] = field(default_factory=list)


class _EntryRef(NamedTuple):
    watchlist: int  # index in Matcher._watchlists
    name: str  # the watchlist's
    entry: Entry


# pattern kinds
_LOW, _LOW_PREFIX, _CASE, _CASE_PREFIX = "w", "p", "W", "P"
# a marker in a lower-case word's patterns: the case-kept word may match an acronym
_ACRONYM_CANDIDATE = (-1, 0)

_Pairs = tuple[tuple[int, int], ...]  # (pattern id, edits)
_EMPTY = MatchResult()


def _max_edits(word: str) -> int:
    return 1 if len(word) <= 8 else 2


def _deletions(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


class _Words:
    """A story's words as matched, and where they are in its title and text."""

    def __init__(self, title: str, text: str, mapped: str, lows: list[str], sep: int) -> None:
        self.title = title
        self.text = text
        self.mapped = mapped  # `title | text`, mapped by _SPLIT_LOW: same offsets as the source
        self.lows = lows
        self.sep = sep  # index of the separator in lows
        self._padded = ""
        self._spans: dict[str, list[tuple[int, int]]] = {}

    def span(self, field_name: str, first: int, last: int) -> tuple[int, int]:
        """Character span in `field_name` of its words `first` to `last`."""
        title = field_name == "title"
        i, j = (first, last) if title else (first + self.sep + 1, last + self.sep + 1)
        lows = self.lows
        # A possessive s is dropped from the words but is still in the text: when a word could be
        # confused with it, take the reference way below.
        if 0 <= i <= j < len(lows) and ("'" not in self.mapped or "s" not in lows[i : j + 1]):
            # Find the first word as a whole word, as often as it occurs before, then the next
            # ones: C-level searches instead of a Python loop over every word of the field.
            if not self._padded:
                self._padded = " " + self.mapped.replace("'", " ") + " "
            padded = self._padded
            word = lows[i]
            start = -1
            for _ in range(lows[:i].count(word) + 1):
                start = padded.find(f" {word} ", start + 1)
            end = start + len(word)
            for k in range(i + 1, j + 1):
                at = padded.find(f" {lows[k]} ", end) if start >= 0 else -1
                start, end = (start, at + len(lows[k])) if at >= 0 else (-1, -1)
            if start >= 0:  # always, unless the words were not found: never raise
                shift = 0 if title else len(self.title) + len(_SEPARATOR) + 2
                return start - shift, end - shift
        # possessive s around: the reference way
        if field_name not in self._spans:  # every span of the field: this path is rare
            self._spans[field_name] = _word_spans(self.title if title else self.text, len(lows))
        spans = self._spans[field_name]
        if last >= len(spans):  # cannot happen: the same words were found; never raise
            return 0, 0
        return spans[first][0], spans[last][1]


class _RawHit(NamedTuple):
    term: _Term
    field: str
    score: int
    first: int  # word index (phrases) or character offset (regexes)
    last: int  # word index of the last word, or character end
    chars: bool  # first/last are character offsets


# per entry: the best hit and its sort key (score, in title, a phrase, -first word)
_Best = dict[int, tuple[tuple[int, bool, bool, int], "_RawHit"]]


class _RawNearMiss(NamedTuple):
    term: _Term
    field: str
    score: int
    first: int
    last: int


class Matcher:
    """Watchlists compiled for matching. Build with `Matcher.compile`; `match` each story."""

    def __init__(self) -> None:
        self._entries: list[_EntryRef] = []
        self._watchlists: tuple[Watchlist, ...] = ()
        self._patterns: dict[tuple[str, str], int] = {}
        self._low: dict[str, int] = {}
        self._low_prefix: dict[int, dict[str, int]] = {}
        self._case: dict[str, int] = {}
        self._case_prefix: dict[int, dict[str, int]] = {}
        self._acronym_low: set[str] = set()
        self._acronym_low_prefix: dict[int, set[str]] = {}
        self._fuzzy_words: dict[int, str] = {}  # pattern id -> lower-case term word
        self._deletes: dict[str, list[int]] = {}
        self._fuzzy_lengths = (0, -1)
        self._root = _Node()
        self._regexes: list[tuple[_Term, re.Pattern[str]]] = []
        self._memo_low: dict[str, _Pairs] = {}
        self._memo_case: dict[str, _Pairs] = {}
        self._acronym_candidates: set[str] = set()  # lower-case words that may be acronyms

    # --- compiling -------------------------------------------------------------------------------

    @classmethod
    def compile(cls, watchlists: Sequence[Watchlist]) -> Matcher:
        """Compile every term of every watchlist. Raises ConfigError for an unusable term (the
        watchlist loader reports those first, with their lines)."""
        self = cls()
        self._watchlists = tuple(watchlists)
        problems: list[Problem] = []
        for w, watchlist in enumerate(watchlists):
            for entry in watchlist.entries:
                index = len(self._entries)
                self._entries.append(_EntryRef(w, watchlist.name, entry))
                for exclude, terms in ((False, entry.terms), (True, entry.excludes)):
                    for source in terms:
                        parsed = _parse_term(source)
                        if isinstance(parsed, str):
                            where = f"entry {entry.id!r} term {source!r}"
                            problems.append(Problem(watchlist.path, entry.line, where, parsed))
                        else:
                            self._add(index, exclude, source.strip(), parsed, entry.fuzzy)
        if problems:
            raise ConfigError(problems)
        self._index_fuzzy_words()
        return self

    def _pattern(self, kind: str, text: str) -> int:
        key = (kind, text)
        pid = self._patterns.get(key)
        if pid is None:
            pid = self._patterns[key] = len(self._patterns)
            if kind == _LOW:
                self._low[text] = pid
            elif kind == _LOW_PREFIX:
                self._low_prefix.setdefault(len(text), {})[text] = pid
            elif kind == _CASE:
                self._case[text] = pid
                self._acronym_low.add(fold(text))
            else:
                self._case_prefix.setdefault(len(text), {})[text] = pid
                self._acronym_low_prefix.setdefault(len(text), set()).add(fold(text))
        return pid

    def _word_pattern(self, word: _Word, acronym: bool) -> int:
        if acronym:
            return self._pattern(_CASE_PREFIX if word.prefix else _CASE, word.text)
        return self._pattern(_LOW_PREFIX if word.prefix else _LOW, word.text)

    def _add_path(self, pids: Iterable[int], end: _End) -> None:
        node = self._root
        for pid in pids:
            node = node.children.setdefault(pid, _Node())
        node.ends.append(end)

    def _add(
        self, entry: int, exclude: bool, source: str, parsed: _Phrase | _Regex, fuzzy: int | None
    ) -> None:
        if isinstance(parsed, _Regex):
            self._regexes.append((_Term(entry, exclude, source, "", None), parsed.pattern))
            return
        fuzzy_ok = fuzzy is not None and not parsed.acronym and not parsed.wildcard
        words = parsed.words
        term = _Term(
            entry,
            exclude,
            source,
            " ".join(w.text for w in words),
            fuzzy if fuzzy_ok else None,
        )
        pids = [self._word_pattern(w, parsed.acronym) for w in words]
        self._add_path(pids, _End(term, fuzzy_ok))
        if fuzzy_ok:
            for w, pid in zip(words, pids, strict=True):
                if len(w.text) >= _MIN_FUZZY_LEN:
                    self._fuzzy_words[pid] = w.text
        if len(words) > 1 and not any(w.prefix for w in words[:-1]):
            joined = _Word("".join(w.text for w in words), words[-1].prefix)
            self._add_path([self._word_pattern(joined, parsed.acronym)], _End(term, False))

    def _index_fuzzy_words(self) -> None:
        for pid, word in self._fuzzy_words.items():
            for deletion in _deletions(word, _max_edits(word)):
                self._deletes.setdefault(deletion, []).append(pid)
        if self._fuzzy_words:
            words = self._fuzzy_words.values()
            self._fuzzy_lengths = (
                min(len(w) - _max_edits(w) for w in words),
                max(len(w) + _max_edits(w) for w in words),
            )

    # --- resolving story words -------------------------------------------------------------------

    def _resolve_low(self, low: str) -> _Pairs:
        """What a lower-case story word matches: pattern ids with their edit distances."""
        pairs: list[tuple[int, int]] = []
        pid = self._low.get(low)
        if pid is not None:
            pairs.append((pid, 0))
        n = len(low)
        for length, stems in self._low_prefix.items():
            if length <= n:
                pid = stems.get(low[:length])
                if pid is not None:
                    pairs.append((pid, 0))
        low_len, high_len = self._fuzzy_lengths
        if low_len <= n <= high_len:
            seen: set[int] = set()
            words = self._fuzzy_words
            for deletion in _deletions(low, 2):
                for pid in self._deletes.get(deletion, ()):
                    if pid in seen:
                        continue
                    seen.add(pid)
                    word = words[pid]
                    if word == low:
                        continue
                    limit = _max_edits(word)
                    if abs(len(word) - n) <= limit:
                        edits = Levenshtein.distance(low, word, score_cutoff=limit)
                        if edits <= limit:
                            pairs.append((pid, edits))
        if low in self._acronym_low or any(
            length <= n and low[:length] in stems
            for length, stems in self._acronym_low_prefix.items()
        ):
            pairs.append(_ACRONYM_CANDIDATE)
            self._acronym_candidates.add(low)
        return tuple(pairs)

    def _resolve_case(self, word: str) -> _Pairs:
        pairs: list[tuple[int, int]] = []
        pid = self._case.get(word)
        if pid is not None:
            pairs.append((pid, 0))
        for length, stems in self._case_prefix.items():
            if length <= len(word):
                pid = stems.get(word[:length])
                if pid is not None:
                    pairs.append((pid, 0))
        return tuple(pairs)

    def _infos(self, title: str, text: str) -> tuple[_Words, list[_Pairs]]:
        """The lower-case words of title and text, with a `|` between them (no term can match it,
        so no phrase runs across), and what each word matches."""
        mapped, lows = _split(title, text, _SPLIT_LOW)
        sep = lows.index(_SEPARATOR)
        memo = self._memo_low
        infos = list(map(memo.get, lows))
        if None in infos:
            if len(memo) > _MEMO_LIMIT:  # start over, this story's words included
                memo.clear()
                self._acronym_candidates.clear()
                infos = [None] * len(lows)
            for i, info in enumerate(infos):
                if info is None:
                    info = memo.get(lows[i])
                    if info is None:
                        info = memo[lows[i]] = self._resolve_low(lows[i])
                    infos[i] = info
        resolved = cast(list[_Pairs], infos)  # no None left
        if self._acronym_candidates and not self._acronym_candidates.isdisjoint(lows):
            words = _split(title, text, _SPLIT_CASE)[1]
            if len(words) == len(lows):
                memo_case = self._memo_case
                if len(memo_case) > _MEMO_LIMIT:
                    memo_case.clear()
                for i, info in enumerate(resolved):
                    if info and info[-1] == _ACRONYM_CANDIDATE:
                        extra = memo_case.get(words[i])
                        if extra is None:
                            extra = memo_case[words[i]] = self._resolve_case(words[i])
                        resolved[i] = info[:-1] + extra
        return _Words(title, text, mapped, lows, sep), resolved

    # --- matching --------------------------------------------------------------------------------

    def _walk(
        self,
        lows: list[str],
        infos: list[_Pairs],
        sep: int,
        hits: list[_RawHit],
        near: list[_RawNearMiss] | None,
    ) -> None:
        """Walk the trie from every word that matches a pattern."""
        n = len(lows)
        root = self._root.children
        for i in compress(range(n), infos):
            for pid, edits in infos[i]:
                node = root.get(pid)
                if node is not None:
                    if node.ends:
                        self._ends(node.ends, edits, lows, i, i, sep, hits, near)
                    if node.children and i + 1 < n:
                        self._deeper(node, edits, lows, infos, i, i + 1, sep, hits, near)

    def _deeper(
        self,
        node: _Node,
        edits: int,
        lows: list[str],
        infos: list[_Pairs],
        first: int,
        j: int,
        sep: int,
        hits: list[_RawHit],
        near: list[_RawNearMiss] | None,
    ) -> None:
        """Continue a walk that matched words `first` to `j - 1` with word `j`."""
        children = node.children
        for pid, more in infos[j]:
            child = children.get(pid)
            if child is not None:
                if child.ends:
                    self._ends(child.ends, edits + more, lows, first, j, sep, hits, near)
                if child.children and j + 1 < len(lows):
                    self._deeper(child, edits + more, lows, infos, first, j + 1, sep, hits, near)

    @staticmethod
    def _ends(
        ends: list[_End],
        edits: int,
        lows: list[str],
        first: int,
        last: int,
        sep: int,
        hits: list[_RawHit],
        near: list[_RawNearMiss] | None,
    ) -> None:
        field_name, offset = ("title", 0) if first < sep else ("text", sep + 1)
        window = ""
        for term, fuzzy_ok in ends:
            if not edits:
                hits.append(_RawHit(term, field_name, 100, first - offset, last - offset, False))
                continue
            threshold = term.threshold
            if not fuzzy_ok or threshold is None:
                continue
            window = window or " ".join(lows[first : last + 1])
            score = int(fuzz.ratio(term.folded, window))
            if score >= threshold:
                hits.append(_RawHit(term, field_name, score, first - offset, last - offset, False))
            elif near is not None and score >= threshold - _NEAR_MISS_MARGIN:
                near.append(_RawNearMiss(term, field_name, score, first - offset, last - offset))

    def match(self, title: str, text: str = "", *, explain: bool = False) -> MatchResult:
        """Which watchlists `title` and `text` (the summary, as plain text) alert, and why."""
        title = title if isinstance(title, str) else ""
        text = text if isinstance(text, str) else ""
        hits: list[_RawHit] = []
        near: list[_RawNearMiss] | None = [] if explain else None
        words, infos = self._infos(title, text)
        self._walk(words.lows, infos, words.sep, hits, near)
        if self._regexes:
            for field_name, value in (("title", title), ("text", text)):
                plain = _PLAIN.map(value)
                for term, pattern in self._regexes:
                    m = pattern.search(plain)
                    if m is not None:
                        hits.append(_RawHit(term, field_name, 100, m.start(), m.end(), True))
        if not hits and not near:
            return _EMPTY
        return self._result(words, hits, near or [])

    # --- deciding --------------------------------------------------------------------------------

    def _result(self, words: _Words, hits: list[_RawHit], near: list[_RawNearMiss]) -> MatchResult:
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
            raw = best[e][1]
            if raw.chars:
                start, end = raw.first, raw.last
            else:
                start, end = words.span(raw.field, raw.first, raw.last)
            source = words.title if raw.field == "title" else words.text
            found.append(
                Hit(
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
            )
            if not entry.alert:
                reasons.append(f"{entry.id}: context only (alert: false)")
            elif entry.requires:
                wanted = ", ".join(entry.requires)
                met = [r for r in entry.requires if r in matched_ids]
                if met:
                    alert = True
                    reasons.append(
                        f"{entry.id}: requires one of [{wanted}] — {', '.join(met)} matched"
                    )
                else:
                    reasons.append(f"{entry.id}: requires one of [{wanted}] — none matched")
            else:
                alert = True
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
        self, words: _Words, near: list[_RawNearMiss], best: _Best
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
