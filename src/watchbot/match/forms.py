"""Word forms: the inflections a common word may take, and whether a word is a dictionary word.

- **Inflection** (`stems`): English and Spanish Snowball stemmers (`snowballstemmer`): "strikes",
  "striking" and "strike" share the stem *strike*; "embarcación" and "embarcaciones" share
  *embarc*. A term word and a story word are forms of one word when their stems agree in either
  language. A stem shorter than 4 letters says too little (Spanish "casa" and "caso" are both
  *cas*), so such words only match as written.
- **Dictionary words** (`dictionary_language`): the English and Spanish word-frequency lists that
  `pyspellchecker` ships in its wheel, accents folded. A story word used at least once in a
  million words of either language is an ordinary word, never taken for a misspelling of a name:
  "carter" is not "cartel", "madura" is not "Maduro". The lists load on first use (under a
  second), so a process that never meets a fuzzy candidate never loads them.
"""

from __future__ import annotations

import gzip
import json
from functools import cache
from importlib import resources

import snowballstemmer

from watchbot.text import fold

MIN_STEM_LEN = 4  # shorter stems: the word matches only as written
PER_MILLION = 1.0  # a story word this frequent in English or Spanish is a dictionary word

_EN = snowballstemmer.stemmer("english")
_ES = snowballstemmer.stemmer("spanish")
_LANGUAGES = {"en": "English", "es": "Spanish"}


def stems(word: str) -> tuple[str, str]:
    """The English and Spanish stems of a lower-case folded word ("" when too short to say)."""
    en = _EN.stemWord(word)
    es = _ES.stemWord(word)
    return (en if len(en) >= MIN_STEM_LEN else ""), (es if len(es) >= MIN_STEM_LEN else "")


@cache
def _frequent(lang: str) -> frozenset[str]:
    """The folded words used at least PER_MILLION times in a million in `lang`'s list."""
    source = resources.files("spellchecker") / "resources" / f"{lang}.json.gz"
    with source.open("rb") as f:
        counts: dict[str, int] = json.loads(gzip.decompress(f.read()))
    least = sum(counts.values()) * PER_MILLION / 1_000_000
    # fold only the frequent ones: folding all 160,000 words would take a second
    return frozenset(fold(word) for word, count in counts.items() if count >= least)


def dictionary_language(word: str) -> str | None:
    """ "English" or "Spanish" when the lower-case folded `word` is a dictionary word there."""
    for lang, name in _LANGUAGES.items():
        if word in _frequent(lang):
            return name
    return None
