"""Story text as words: a fast splitter that agrees with `watchbot.text.tokenize`, and the map from
word indices back to character spans of the title and summary as written."""

from __future__ import annotations

import codecs
import re
from bisect import bisect_left, bisect_right
from itertools import islice

from watchbot.text import fold, fold_plain

# `text.tokenize` is the reference; it builds a NamedTuple per word with a regular expression, which
# costs more than all the matching. Here every character is folded and classified once (cached in
# the tables below): a letter or digit stays, an apostrophe stays (for possessives), anything else
# becomes a space, and `str.split` does the rest. str.translate is fast on ASCII text but takes
# ~70 ns a character once a text holds one accent or curly quote, so text is encoded to Latin-1
# (Spanish accents, ñ, ¿ and « are one byte there) with an error handler that maps the runs of
# other characters (curly quotes, dashes) through the table, then mapped with bytes.translate;
# text whose folded letters are not ASCII (ß, Greek, Cyrillic…) takes str.translate.
# Every mapping keeps the length, so spans come from the same mapped text. tests/test_matcher.py
# checks that words and spans agree with `tokenize`.


class _NotAscii(Exception):
    pass


class CharMap(dict[int, str]):
    """A str.translate table that maps each character once, on first use: `fold` (low), or
    `fold_plain` (plain), each classifying into word characters, apostrophes and spaces (split)."""

    def __init__(self, name: str, lower: bool, split: bool) -> None:
        super().__init__()
        self.lower = lower
        self.split = split
        # a Latin-1 byte whose folding is not ASCII stays itself: decoding as ASCII then fails
        self.latin1 = bytes(ord(self[c]) if self[c].isascii() else c for c in range(256))
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
            return text.encode("latin-1", self.errors).translate(self.latin1).decode("ascii")
        except (_NotAscii, UnicodeDecodeError):
            return text.translate(self)


SPLIT_LOW = CharMap("split-low", lower=True, split=True)
SPLIT_CASE = CharMap("split-case", lower=False, split=True)
PLAIN = CharMap("plain", lower=False, split=False)  # text.fold_plain, faster


def drop_possessives(parts: list[str]) -> list[str]:
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


SEPARATOR = "|"  # between title and text words: never a word, as no mapping gives "|"


def split(title: str, text: str, table: CharMap) -> tuple[str, list[str]]:
    """The mapped `title | text` and its words, the separator included."""
    mapped = f"{table.map(title)} {SEPARATOR} {table.map(text)}"
    parts = mapped.split()
    return mapped, drop_possessives(parts) if "'" in mapped else parts


_RUN = re.compile(r"[^ ']+")


def word_spans(text: str, upto: int) -> list[tuple[int, int]]:
    """Spans of the first `upto + 1` words `_split` finds (the mapping keeps lengths)."""
    mapped = SPLIT_LOW.map(text)
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
    case, low = split(text, "", SPLIT_CASE)[1], split(text, "", SPLIT_LOW)[1]
    return case[:-1], low[:-1]


class Words:
    """A story's words as matched, and where they are in its title and text."""

    __slots__ = ("_padded", "_sentences", "_spans", "lows", "mapped", "sep", "text", "title")

    def __init__(self, title: str, text: str, mapped: str, lows: list[str], sep: int) -> None:
        self.title = title
        self.text = text
        self.mapped = mapped  # `title | text`, mapped by SPLIT_LOW: same offsets as the source
        self.lows = lows
        self.sep = sep  # index of the separator in lows
        self._padded = ""
        self._spans: dict[str, list[tuple[int, int]]] = {}
        self._sentences: dict[str, list[int]] = {}

    def span(self, field_name: str, first: int, last: int) -> tuple[int, int]:
        """Character span in `field_name` of its words `first` to `last`."""
        if field_name == "title":
            i, j, shift = first, last, 0
        else:
            i, j = first + self.sep + 1, last + self.sep + 1
            shift = len(self.title) + len(SEPARATOR) + 2
        lows = self.lows
        # A possessive s is dropped from the words but is still in the text: when a word could be
        # confused with it, take the reference way below.
        if 0 <= i <= j < len(lows) and ("'" not in self.mapped or "s" not in lows[i : j + 1]):
            # Find the first word as a whole word, as often as it occurs before, then the next
            # ones: C-level searches instead of a Python loop over every word of the field.
            padded = self._padded
            if not padded:
                padded = self._padded = " " + self.mapped.replace("'", " ") + " "
            word = lows[i]
            start = padded.find(f" {word} ")
            if lows.index(word) != i:  # not its first occurrence
                for _ in range(lows[:i].count(word)):
                    start = padded.find(f" {word} ", start + 1)
            end = start + len(word)
            if j > i:
                for k in range(i + 1, j + 1):
                    at = padded.find(f" {lows[k]} ", end) if start >= 0 else -1
                    start, end = (start, at + len(lows[k])) if at >= 0 else (-1, -1)
            if start >= 0:  # always, unless the words were not found: never raise
                return start - shift, end - shift
        # possessive s around: the reference way
        spans = self._field_spans(field_name)
        if last >= len(spans):  # cannot happen: the same words were found; never raise
            return 0, 0
        return spans[first][0], spans[last][1]

    def joined(self, field_name: str, first: int, last: int) -> str:
        """The lower-case folded words `first` to `last` of the field, written together."""
        offset = 0 if field_name == "title" else self.sep + 1
        if first == last:
            return self.lows[first + offset]
        return "".join(self.lows[first + offset : last + offset + 1])

    def _field_spans(self, field_name: str) -> list[tuple[int, int]]:
        """Every word span of the field, the reference way (rarely needed)."""
        if field_name not in self._spans:
            source = self.title if field_name == "title" else self.text
            self._spans[field_name] = word_spans(source, len(self.lows))
        return self._spans[field_name]

    def word_range(self, field_name: str, start: int, end: int) -> tuple[int, int]:
        """The first and last word of the field that the characters `start:end` touch."""
        starts = [s for s, _ in self._field_spans(field_name)]
        first = max(0, bisect_right(starts, start) - 1)
        return first, max(first, bisect_left(starts, end) - 1)

    def sentence(self, field_name: str, word: int) -> int:
        """The number of the sentence that word `word` of the field is in."""
        if field_name not in self._sentences:
            source = self.title if field_name == "title" else self.text
            self._sentences[field_name] = sentence_starts(source)
        spans = self._field_spans(field_name)
        char = spans[word][0] if word < len(spans) else 0
        return bisect_right(self._sentences[field_name], char)


# A sentence ends at . ! ? or … followed by a space and a capital, a digit or an opening mark;
# not after an initial or a common abbreviation ("U.S. Navy", "Gen. Smith", "Sr. López").
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’»)\]]*\s+(?=[\"'“‘«(¿¡]?[^\W\d_a-z]|\d)")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr sr sra srta gen gral lic ing st jr no vs col sgt lt cap capt gov sen rep "
    "pres dip mtro prof jan feb mar apr jun jul aug sep sept oct nov dec ene abr ago dic".split()
)


def sentence_starts(text: str) -> list[int]:
    """Character offsets where the sentences of `text` after the first begin."""
    starts: list[int] = []
    for m in _SENTENCE_END.finditer(text):
        before = text[: m.start()].rstrip(".!?…\"'”’»)]")
        word = before[len(before.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")) :]
        if len(word) == 1 or word.lower() in _ABBREVIATIONS:
            continue
        starts.append(m.end())
    return starts
