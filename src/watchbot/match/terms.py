"""Parse watchlist terms: phrases (with wildcards and acronyms) and regular expressions.

Parsing is apart from matching so that the watchlist loader can check a term (`term_problem`)
without compiling anything; `watchbot.match` documents the term language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from watchbot.text import fold, fold_plain, tokenize

MIN_STEM = 3  # letters or digits before a `*`
ACRONYM_MAX_LETTERS = 5


class Word(NamedTuple):
    text: str  # folded; lower-cased unless the term is an acronym
    prefix: bool  # written with a trailing `*`
    common: bool = False  # written in lower case: an ordinary word, which may be inflected


@dataclass(frozen=True)
class Phrase:
    words: tuple[Word, ...]
    acronym: bool

    @property
    def wildcard(self) -> bool:
        return any(w.prefix for w in self.words)


@dataclass(frozen=True)
class Regex:
    pattern: re.Pattern[str]


def parse_term(term: str) -> Phrase | Regex | str:
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
        return Regex(pattern)
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
    acronym = 0 < letters <= ACRONYM_MAX_LETTERS and not any(c.islower() for c in plain)
    words: list[Word] = []
    for token in tokens:
        prefix = plain[token.end : token.end + 1] == "*"
        if prefix and token.end - token.start < MIN_STEM:
            stem = plain[token.start : token.end]
            return (
                f"put at least {MIN_STEM} letters before * ({stem}* would match too many words; "
                "e.g. extradit*)"
            )
        common = not acronym and not prefix and token.word.islower()
        words.append(Word(token.word if acronym else fold(token.word), prefix, common))
    return Phrase(tuple(words), acronym)


def term_problem(term: str) -> str | None:
    """None if the term is usable; else a one-line message an editor can act on."""
    parsed = parse_term(term)
    return parsed if isinstance(parsed, str) else None
