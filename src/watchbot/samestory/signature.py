"""Signatures: what the rules-based same-story method compares. Pure: no IO.

`signature` reduces a headline and its summary to content tokens (folded, stemmed, mapped to
bilingual concepts by `vocabulary`), numbers (`1,200` = `1.200` = 1200, "veintinueve" = 29),
days and months, and names, with which of them are places and which bodies. Signatures are
stored as JSON with each top-level alert, so a restart keeps its threads.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from watchbot.samestory import quantities
from watchbot.samestory import vocabulary as V
from watchbot.text import Token, fold, tokenize

# figures are written in ASCII digits (re.ASCII: \d alone also takes ٣ or 𑄶)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*", re.ASCII)
_PLAIN = re.compile(r"\d+(?:\.\d+)?", re.ASCII)  # what `_number` gives for a figure
_THOUSANDS = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*", re.ASCII)
# Spanish "10 mil" is 10,000 and "7 mil 181" is 7,181 ("10 mil millones" is 10 billion)
_MIL = re.compile(r"\s+mil\b(?!\s+mill)(?:\s+([0-9]{1,3})\b(?![.,][0-9]))?", re.IGNORECASE)
# a change of rate in percentage points: "50 basis points", "50 puntos base", "half a point"
_BASIS_POINTS = re.compile(r"\s*(?:basis[\s-]+points?|bps?|puntos?[\s-]+base|pb)\b", re.IGNORECASE)
_PERCENT_POINTS = re.compile(
    r"\s*(?:percentage[\s-]+points?|puntos?[\s-]+porcentual(?:es)?)\b", re.IGNORECASE
)
_FRACTION_POINT = re.compile(
    r"\b(half|quarter|medio|cuarto)(?:[\s-]+(?:of[\s-]+a|a|de))?(?:[\s-]+percentage)?"
    r"[\s-]+(?:point|punto)\b",
    re.IGNORECASE,
)
_FRACTIONS = {"half": "0.5pp", "medio": "0.5pp", "quarter": "0.25pp", "cuarto": "0.25pp"}
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s+cent\b|por\s+ciento\b)", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\n|]")


def _number(raw: str) -> str:
    """`"1,200"`/`"1.200"` → `"1200"`; `"1.5"`/`"1,5"` → `"1.5"`; leading zeros dropped."""
    if _THOUSANDS.fullmatch(raw):
        return raw.replace(",", "").replace(".", "").lstrip("0") or "0"
    parts = re.split(r"[.,]", raw)
    whole = parts[0].lstrip("0") or "0"
    if len(parts) == 2:
        frac = parts[1].rstrip("0")
        return f"{whole}.{frac}" if frac else whole
    return whole if len(parts) == 1 else raw.replace(",", ".")


def _points(value: float) -> str:
    return f"{value:g}pp"


def _numbers(text: str) -> dict[int, str]:
    """The numbers written in digits in `text`, by the offset where each starts, normalised:
    `"7,181"`, `"7 mil 181"` → `"7181"`; `"8.00%"` → `"8%"`; `"50 basis points"`,
    `"50 puntos base"`, `"half a point"` → `"0.5pp"`; quantities in a base unit and rough
    figures as `quantities` writes them: `"660 pounds"` → `"299kg"`, `"nearly 40"` → `"~40"`."""
    found: dict[int, str] = {}
    skip_to = -1
    for m in _NUMBER.finditer(text):
        if m.start() < skip_to:
            continue  # the "181" of "7 mil 181"
        value = _number(m.group())
        end = m.end()
        if not _PLAIN.fullmatch(value):  # "1.2.3": a version or a code, not a figure to read on
            found[m.start()] = value
            continue
        if (mil := _MIL.match(text, end)) is not None:
            thousands = float(value) * 1000 + (int(mil.group(1)) if mil.group(1) else 0)
            value = _number(str(round(thousands)))
            skip_to = end = mil.end()
        if _PERCENT.match(text, end):  # "30%" is not "30 days"
            value += "%"
        elif _BASIS_POINTS.match(text, end):
            value = _points(float(value) / 100)
        elif _PERCENT_POINTS.match(text, end):
            value = _points(float(value))
        elif (quantity := quantities.read(text, m.start(), end, float(value))) is not None:
            value, skip_to = quantity  # "300 kilos" → "300kg"; "nearly 40" → "~40"
        found[m.start()] = value
    for m in _FRACTION_POINT.finditer(text):
        found[m.start()] = _FRACTIONS[m.group(1).lower()]
    return found


_KIND_WORDS = 2  # words after a number that say what it counts ("20 bodies", "four hanging")


@dataclass(frozen=True)
class _Words:
    tokens: list[str]  # normalised content tokens, in order
    names: set[str]
    numbers: set[str]  # numbers and "@day"/"@month" tags
    places: set[str]  # names written as places ("in Tula", "near Eagle Pass"), or known places
    orgs: set[str]  # names of bodies: acronyms ("CBP") and known institutions ("Pentagon")
    kinds: set[str]  # what a number counts, as "<number>|<word>": "20|body", "4|hang"


def _merge_phrases(raw: list[Token]) -> list[tuple[Token, str]]:
    """Each token with the phrase it starts, if pairs of words are one name ("Estados Unidos",
    "T-MEC", "U.S."); the second word of a phrase is dropped."""
    merged: list[tuple[Token, str]] = []
    i = 0
    while i < len(raw):
        tok = raw[i]
        if i + 1 < len(raw):
            pair = (tok.low, raw[i + 1].low)
            # "departamento de justicia", "vinculan a proceso": skip one "de" or "a" inside
            if pair[1] in ("de", "del", "a") and i + 2 < len(raw):
                alt = (tok.low, raw[i + 2].low)
                if alt in V.PHRASES:
                    merged.append((tok, V.PHRASES[alt]))
                    i += 3
                    continue
            if pair in V.PHRASES and (pair != ("u", "s") or tok.word == "U"):
                merged.append((tok, V.PHRASES[pair]))
                i += 2
                continue
        merged.append((tok, ""))
        i += 1
    return merged


class _Analyser:
    """Reads one text word by word into `_Words`. State carried from word to word: a pending
    spelled-out ten ("treinta y siete"), the numbers whose kind the next words tell, the two
    words before, and whether the word before was a name of some kind ("Eagle Pass")."""

    def __init__(self, text: str, title_case: bool, spanish: bool, known: frozenset[str]) -> None:
        self.text, self.title_case, self.spanish, self.known = text, title_case, spanish, known
        self.digits = _numbers(text)
        self.out = _Words([], set(), set(self.digits.values()), set(), set(), set())
        self.pending_tens = 0
        self.prev_end = -1
        self.counted: list[str] = []
        self.kind_words = 0
        self.words_before: tuple[str, str] = ("", "")
        self.before = self.words_before
        self.run = ""
        self.prev_run = ""

    def analyse(self) -> _Words:
        for tok, phrase in _merge_phrases(tokenize(self.text)):
            self._word(tok, phrase)
        return self.out

    def _count(self, value: str) -> None:
        self.counted, self.kind_words = [value], _KIND_WORDS

    def _add_name(self, name: str, acronym: bool) -> None:
        self.out.names.add(name)
        before = self.before
        locative = before[1] in V.LOCATIVES or (
            before[1] in ("de", "a") and before[0] in V.LOCATIVES  # "cerca de", "frente a"
        )
        kind = "person"
        if name in V.PLACES or name in V.COUNTRIES or self.prev_run == "place" or locative:
            kind = "place"
            self.out.places.add(name)
        elif acronym or name in V.ORGS or self.prev_run == "org":
            kind = "org"
            self.out.orgs.add(name)
        self.run = kind

    def _number_word(self, low: str) -> bool:
        """Take a spelled-out number word ("twenty-nine", "veintinueve", "treinta y siete");
        False when `low` is none."""
        numbers = self.out.numbers
        if low in V.TENS:
            self.pending_tens = V.TENS[low]
            numbers.add(str(self.pending_tens))
            self._count(str(self.pending_tens))
            return True
        if self.pending_tens and low in V.UNITS:
            numbers.discard(str(self.pending_tens))
            numbers.add(str(self.pending_tens + V.UNITS[low]))
            self._count(str(self.pending_tens + V.UNITS[low]))
            self.pending_tens = 0
            return True
        if low == "y" and self.pending_tens:
            return True
        self.pending_tens = 0
        if low in V.SMALL_NUMBERS:
            numbers.add(str(V.SMALL_NUMBERS[low]))
            self._count(str(V.SMALL_NUMBERS[low]))
            return True
        return False

    def _word(self, tok: Token, phrase: str) -> None:
        initial = self.prev_end < 0 or bool(
            _SENTENCE_END.search(self.text, self.prev_end, tok.start)
        )
        self.prev_end = tok.end
        word, low = tok.word, tok.low
        self.prev_run, self.run = ("" if initial else self.run), ""
        self.before, self.words_before = self.words_before, (self.words_before[1], low)
        if phrase:
            self.out.tokens.append(phrase)
            if phrase not in V.CONCEPTS or phrase in V.KNOWN_NAMES:
                self._add_name(phrase, False)
            self.pending_tens = 0
            return
        if low.isdigit():
            if tok.start in self.digits:
                self._count(self.digits[tok.start])
            self.pending_tens = 0
            return
        if self._number_word(low):
            return
        acronym = len(word) >= 2 and word.isupper() and word.isalpha()
        if low in V.STOPWORDS and not acronym:
            return
        # EU: the European Union in English; in Spanish, the United States
        eu = "us" if self.spanish else "europe"
        norm = eu if acronym and low == "eu" else V.normalise(low)
        if norm.startswith("@"):
            self.out.numbers.add(norm)
            return
        self.out.tokens.append(norm)
        if self.kind_words and low not in V.COUNT_FILLERS:
            self.out.kinds.update(f"{value}|{norm}" for value in self.counted)
            self.kind_words -= 1
        if norm in V.CONCEPTS and norm not in V.KNOWN_NAMES:
            return  # "Cartel", "President": words, whatever their case
        capital = word[:1].isupper()
        if (
            acronym
            or norm in self.known
            or norm in V.COUNTRIES  # "productos mexicanos"
            or (capital and not self.title_case and not initial)
            or (capital and norm in V.KNOWN_NAMES)
        ):
            self._add_name(norm, acronym)


def _analyse(
    text: str, title_case: bool, spanish: bool, known: frozenset[str] = frozenset()
) -> _Words:
    """Content tokens, names, numbers and dates of one text. `known`: names already established
    (from the summary, for a title-case headline); `spanish`: the story is in Spanish."""
    return _Analyser(text, title_case, spanish, known).analyse()


_SPANISH_LETTERS = re.compile("[ñáéíóú¿¡]", re.IGNORECASE)


def _looks_spanish(text: str) -> bool:
    """Whether `text` reads as Spanish: more Spanish than English function words, or as many
    (a short headline: "EU ataca otra lancha") and a letter only Spanish writes."""
    low = fold(text).split()
    spanish = sum(w in V.SPANISH_HINTS for w in low)
    english = sum(w in V.ENGLISH_HINTS for w in low)
    return spanish > english or (spanish == english and bool(_SPANISH_LETTERS.search(text)))


def _is_title_case(title: str) -> bool:
    long = [t.word for t in tokenize(title)[1:] if len(t.word) >= 4 and t.word.isalpha()]
    if len(long) < 4:  # too few words to tell a title-case headline from names
        return False
    return sum(w[:1].isupper() for w in long) / len(long) > 0.6


@dataclass(frozen=True)
class Signature:
    """What `same_story` compares: the normalised content tokens, names, numbers and dates of a
    headline and of headline + summary. Persisted as JSON (`signature_to_json`)."""

    title: frozenset[str]
    body: frozenset[str]  # headline + summary
    title_names: frozenset[str]
    names: frozenset[str]
    title_numbers: frozenset[str]  # numbers, and days/months as "@fri", "@m03"
    numbers: frozenset[str]
    # version 2: which names are places and which bodies (the others are people), and what the
    # headline's numbers count ("20|body"); empty in a signature stored by version 1
    places: frozenset[str] = frozenset()
    orgs: frozenset[str] = frozenset()
    title_kinds: frozenset[str] = frozenset()

    def index_tokens(self) -> frozenset[str]:
        """The tokens `RelatedIndex` files this signature under."""
        return self.body | self.numbers


def signature(title: str, text: str) -> Signature:
    """The signature of a story: its headline and its summary as plain text."""
    title_case = _is_title_case(title) or title.isupper()
    spanish = _looks_spanish(f"{title} {text}")
    summary = _analyse(text, title_case=False, spanish=spanish)
    # a capitalised headline word is a name if the summary writes it capitalised too, even at
    # the start of a sentence ("Flossie strengthens…" / "Flossie was moving…")
    capitalised = {
        V.normalise(t.low)
        for t in tokenize(text)
        if t.word[:1].isupper() and t.low not in V.STOPWORDS and not t.low.isdigit()
    }
    headline = _analyse(title, title_case, spanish, known=frozenset(summary.names | capitalised))
    # a name first seen capitalised mid-sentence in the headline is a name at a summary's
    # sentence start too
    summary = _analyse(text, False, spanish, known=frozenset(headline.names | summary.names))
    names = headline.names | summary.names
    return Signature(
        title=frozenset(headline.tokens),
        body=frozenset(headline.tokens) | frozenset(summary.tokens),
        title_names=frozenset(headline.names),
        names=frozenset(names),
        title_numbers=frozenset(headline.numbers),
        numbers=frozenset(headline.numbers | summary.numbers),
        # a name is a place (or a body) if either text writes it as one
        places=frozenset(headline.places | summary.places),
        orgs=frozenset((headline.orgs | summary.orgs) - headline.places - summary.places),
        title_kinds=frozenset(headline.kinds),
    )


_JSON_FIELDS_V1 = ("title", "body", "title_names", "names", "title_numbers", "numbers")
_JSON_FIELDS = (*_JSON_FIELDS_V1, "places", "orgs", "title_kinds")
_JSON_VERSION = 2


def signature_to_json(sig: Signature) -> str:
    """`sig` as compact JSON text, stable for equal signatures."""
    data: dict[str, object] = {"v": _JSON_VERSION}
    data.update({name: sorted(getattr(sig, name)) for name in _JSON_FIELDS})
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def signature_from_json(text: str) -> Signature:
    """The signature stored by `signature_to_json`, of this version or of version 1 (stored
    before names had kinds: all its names count as people, its numbers' kinds as unknown, so it
    is judged as version 1 judged it). Raises ValueError on anything else."""
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("v") not in (1, _JSON_VERSION):
            raise ValueError("not a version 1 or 2 signature")
        fields = {}
        for name in _JSON_FIELDS if data["v"] == _JSON_VERSION else _JSON_FIELDS_V1:
            values = data[name]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValueError(f"{name} is not a list of strings")
            fields[name] = frozenset(values)
    except (KeyError, json.JSONDecodeError) as e:
        raise ValueError(f"not a stored signature: {e}") from e
    return Signature(**fields)
