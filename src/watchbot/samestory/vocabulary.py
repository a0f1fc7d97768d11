"""The word lists of the rules-based same-story method, read once from `vocabulary.json`.

They are data, not code: a desk with other subjects edits the JSON (concepts that English and
Spanish reports share, names that are places or bodies, stopwords) without touching the rules.
This module is imported only when a story first needs a same-story decision.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from watchbot.text import fold


def _load() -> dict[str, Any]:
    text = resources.files("watchbot.samestory").joinpath("vocabulary.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


_DATA = _load()


def _words(key: str) -> frozenset[str]:
    return frozenset(str(_DATA[key]).split())


STOPWORDS = _words("stopwords")
GENERIC = _words("generic")  # words that say little about *which* story: counted lightly
UBIQUITOUS = _words("ubiquitous")  # the two countries almost every story of this desk names
# English and Spanish forms of the words this desk's stories turn on, mapped to one concept
CONCEPTS: dict[str, str] = dict(_DATA["concepts"])
# two-word names written as one thing ("Estados Unidos" → us)
PHRASES: dict[tuple[str, str], str] = {(a, b): c for a, b, c in _DATA["phrases"]}
DAYS: dict[str, str] = dict(_DATA["days"])  # name → "@tag other forms"
MONTHS: dict[str, str] = dict(_DATA["months"])
SMALL_NUMBERS: dict[str, int] = dict(_DATA["small_numbers"])
TENS: dict[str, int] = dict(_DATA["tens"])
UNITS: dict[str, int] = dict(_DATA["units"])
KNOWN_NAMES = _words("known_names")
PLACES = _words("places")  # names that are places whatever the words around them
REGIONS = _words("regions")  # seas and oceans: where at sea, not which town or country
ORGS = _words("orgs")
LOCATIVES = _words("locatives")  # words after which a name is a place ("in Tula")
COUNTRIES = _words("countries")
COUNT_FILLERS = _words("count_fillers")  # words between a number and what it counts
SPANISH_HINTS = _words("spanish_hints")
ENGLISH_HINTS = _words("english_hints")
GENERIC_CONCEPTS = GENERIC | frozenset({"say"})


def stem(word: str) -> str:
    """A light stemmer for English and Spanish: plurals and -ed/-ing off, a final -e off, so that
    `charges`/`charge`/`charged` and `carteles`/`cartel` meet."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("es") and len(word) > 4:
        word = word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if word.endswith("ing") and len(word) >= 6:
        word = word[:-3]
    elif word.endswith("ed") and len(word) >= 5:
        word = word[:-2]
    if word.endswith("e") and len(word) > 4:
        word = word[:-1]
    return word


def _build_lexicon() -> dict[str, str]:
    lexicon: dict[str, str] = {}
    for concept, forms in CONCEPTS.items():
        for form in [concept, *forms.split()]:
            low = fold(form)
            lexicon.setdefault(low, concept)
            lexicon.setdefault(stem(low), concept)
    for table in (DAYS, MONTHS):
        for name, forms in table.items():
            tag, *others = forms.split()
            for form in [name, *others]:
                lexicon[form] = tag
    return lexicon


LEXICON = _build_lexicon()  # folded word (or its stem) → the token it counts as


def normalise(low: str) -> str:
    """One folded, lower-cased word → the token it counts as."""
    concept = LEXICON.get(low)
    if concept is not None:
        return concept
    root = stem(low)
    return LEXICON.get(root, root)


# the steps of one storyline (arrest, extradition, plea, sentence…): concept → its step
SUBSTANCES = _words("substances")  # drugs a seizure is about: another one is another seizure
STAGES: dict[str, int] = {
    concept: step for step, line in enumerate(_DATA["stages"]) for concept in line.split()
}
