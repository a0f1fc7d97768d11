"""Text normalisation shared by the matcher and the same-story method. Pure functions.

Folding maps every character to exactly one character, so a folded string has the same length as
its source and a span found in one is the same span in the other: the matcher finds words in the
folded text and shows the editor the words as written.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import NamedTuple

_QUOTES = "‘’‚‛′ʼʹ`´＇"
_DOUBLE_QUOTES = "“”„‟″«»＂"
_DASHES = "‐‑‒–—―−﹘﹣－⁃"


def _fold_char(char: str) -> str:
    if char in _QUOTES:
        return "'"
    if char in _DOUBLE_QUOTES:
        return '"'
    if char in _DASHES:
        return "-"
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    return base[0] if base else char


class _FoldTable(dict[int, str]):
    """A str.translate table that computes each code point's folding once, on first use."""

    def __init__(self, lower: bool) -> None:
        super().__init__()
        self.lower = lower

    def __missing__(self, code_point: int) -> str:
        folded = _fold_char(chr(code_point))
        if self.lower:
            low = folded.lower()
            folded = low if len(low) == 1 else folded
        self[code_point] = folded
        return folded


_PLAIN = _FoldTable(lower=False)
_LOWER = _FoldTable(lower=True)


def fold_plain(text: str) -> str:
    """Accents stripped (NFKD), typographic quotes and dashes made ASCII; case kept."""
    return text.translate(_PLAIN)


def fold(text: str) -> str:
    """`fold_plain` and lower-cased: the form most terms are matched in."""
    return text.translate(_LOWER)


class Token(NamedTuple):
    word: str  # accent-folded, case kept (acronyms match this)
    low: str  # accent-folded and lower-cased (other terms match this)
    start: int  # span in the source text
    end: int


_WORD = re.compile(r"[^\W_]+")


def tokenize(text: str) -> list[Token]:
    """Words of `text` with their spans. Hyphens, dashes and spaces all separate words; an
    English possessive (`Sheinbaum's`, `USMCA’s`) is reduced to its word."""
    plain = fold_plain(text)
    low = plain.lower() if len(plain.lower()) == len(plain) else fold(text)
    tokens: list[Token] = []
    for m in _WORD.finditer(plain):
        start, end = m.span()
        # "word's": drop the "s" after an apostrophe that directly follows a word
        if (
            end - start == 1
            and plain[start] in "sS"
            and tokens
            and plain[start - 1] == "'"
            and tokens[-1].end == start - 1
        ):
            continue
        tokens.append(Token(plain[start:end], low[start:end], start, end))
    return tokens


class _TextExtractor(HTMLParser):
    _BLOCK = frozenset(
        "p br div li ul ol tr td th h1 h2 h3 h4 h5 h6 blockquote section article header "
        "footer figure figcaption table hr".split()
    )
    _SKIP = frozenset({"script", "style", "noscript", "template"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in self._BLOCK:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


_SPACE = re.compile(r"\s+")
# control characters (C0, DEL, C1) other than whitespace: a feed must not be able to send
# terminal escape sequences to whoever reads `watchbot poll` output
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


def strip_html(html: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, control characters
    removed, whitespace collapsed."""
    if "<" in html or "&" in html:
        parser = _TextExtractor()
        parser.feed(html)
        parser.close()
        html = "".join(parser.parts)
    return _SPACE.sub(" ", _CONTROL.sub("", html)).strip()


def excerpt(text: str, limit: int = 280) -> str:
    """At most `limit` characters of `text`, cut at a word boundary, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(" ,;:.-")
    return cut + "…"
