"""Quantities: a figure with a unit, and a figure given roughly. Pure: no IO.

Outlets give one figure in their own units and their own precision: "300 kilos de fentanilo"
and "660 pounds of fentanyl", "110 km de la frontera" and "about 70 miles from the border",
"202,000 acre-feet" and "249 millones de metros cúbicos", "$4.63 billion" and "4 mil 630
millones de dólares", "37 presuntos integrantes" and "nearly 40 cartel defendants". Read as bare
numbers, each pair contradicts itself, and the guard that keeps 29 cartel members apart from
26 would keep one story apart from itself.

So a figure followed by a unit of mass, length, volume or money becomes one token in a base
unit (`"300kg"`, `"110km"`, `"249000000m3"`, `"4630000000usd"`, to three significant digits),
a figure after "nearly", *casi*, "about" or *unos* becomes an approximate one (`"~40"`), and
`agrees` tells whether two figures can be the same figure: one quantity within `CONVERTED` of
another of its unit, or a rough figure within `ROUGH` of a count. Everything else stays exact.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable

# base unit → {unit word: factor to the base unit}
_UNITS: dict[str, dict[str, float]] = {
    "kg": {
        "kg": 1.0,
        "kgs": 1.0,
        "kilo": 1.0,
        "kilos": 1.0,
        "kilogram": 1.0,
        "kilograms": 1.0,
        "kilogramme": 1.0,
        "kilogrammes": 1.0,
        "kilogramo": 1.0,
        "kilogramos": 1.0,
        "lb": 0.45359237,
        "lbs": 0.45359237,
        "pound": 0.45359237,
        "pounds": 0.45359237,
        "libra": 0.45359237,
        "libras": 0.45359237,
        "ton": 1000.0,
        "tons": 1000.0,
        "tonne": 1000.0,
        "tonnes": 1000.0,
        "tonelada": 1000.0,
        "toneladas": 1000.0,
    },
    "km": {
        "km": 1.0,
        "kms": 1.0,
        "kilometer": 1.0,
        "kilometers": 1.0,
        "kilometre": 1.0,
        "kilometres": 1.0,
        "kilometro": 1.0,
        "kilometros": 1.0,
        "kilómetro": 1.0,
        "kilómetros": 1.0,
        "mile": 1.609344,
        "miles": 1.609344,
        "milla": 1.609344,
        "millas": 1.609344,
    },
    "m3": {
        "cubic meters": 1.0,
        "cubic metres": 1.0,
        "cubic meter": 1.0,
        "cubic metre": 1.0,
        "metros cúbicos": 1.0,
        "metros cubicos": 1.0,
        "metro cúbico": 1.0,
        "m3": 1.0,
        "acre-feet": 1233.48,
        "acre feet": 1233.48,
        "acre-foot": 1233.48,
        "acres-pie": 1233.48,
        "acres pie": 1233.48,
    },
    "usd": {
        "dollars": 1.0,
        "dollar": 1.0,
        "dólares": 1.0,
        "dolares": 1.0,
        "usd": 1.0,
        "mdd": 1e6,  # millones de dólares
        "mmdd": 1e9,  # miles de millones de dólares
    },
    "mxn": {"pesos": 1.0, "mdp": 1e6, "mmdp": 1e9},
}
_FACTOR = {word: (base, f) for base, words in _UNITS.items() for word, f in words.items()}
_SCALES = {
    "million": 1e6,
    "millions": 1e6,
    "millón": 1e6,
    "millon": 1e6,
    "millones": 1e6,
    "mil millones": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
}


def _alternation(words: Iterable[str]) -> str:
    """A regex alternative of `words`, longest first, any run of spaces where they have one."""
    return "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
    )


# after a number: an optional scale, an optional "de"/"of", a unit word
_AFTER = re.compile(
    rf"\s*(?:(?P<scale>{_alternation(_SCALES)})\s+)?(?:(?:de|of)\s+)?"
    rf"(?P<unit>{_alternation(_FACTOR)})\b",
    re.IGNORECASE,
)
# money written before the number: "$4.6", "US$ 300", "USD 5"; the scale follows it
_DOLLAR_BEFORE = re.compile(r"(?:US\s?\$|\$|USD\s?)\s?$")
_SCALE_AFTER = re.compile(rf"\s*(?P<scale>{_alternation(_SCALES)})\b", re.IGNORECASE)
# the words that make a figure rough: "nearly 40", "casi 40", "some 30", "más de 300"
_ROUGH_BEFORE = re.compile(
    r"\b(?:nearly|almost|about|around|roughly|some|approximately|more\s+than|over|close\s+to"
    r"|casi|cerca\s+de|alrededor\s+de|unos|unas|aproximadamente|más\s+de|mas\s+de)\s+$",
    re.IGNORECASE,
)

CONVERTED = 0.05  # two quantities of one unit within 5% of each other can be one figure
ROUGH = 0.15  # a rough figure ("nearly 40") can be a count within 15% of it (37)


def _three_digits(value: float) -> str:
    """`value` to three significant digits, plainly written: 299.37 → "299", 1.234 → "1.23"."""
    if value <= 0:
        return "0"
    digits = 2 - math.floor(math.log10(value))
    rounded = round(value, digits)
    if digits <= 0:
        return str(int(rounded))
    return f"{rounded:.{digits}f}".rstrip("0").rstrip(".")


def read(text: str, start: int, end: int, value: float) -> tuple[str, int] | None:
    """The quantity token of the number `value` written at `text[start:end]`, and where the
    words it took end; None when the number has no unit and nothing makes it rough."""
    before = text[max(0, start - 24) : start]
    rough = "~" if _ROUGH_BEFORE.search(before) else ""
    # the unit written after the figure first: Mexican outlets write pesos as "$5 millones de
    # pesos"; a bare "$" before it is dollars
    if (m := _AFTER.match(text, end)) is not None:
        base, factor = _FACTOR[_key(m.group("unit"))]
        if m.group("scale"):
            factor *= _SCALES[_key(m.group("scale"))]
        return rough + _three_digits(value * factor) + base, m.end()
    if _DOLLAR_BEFORE.search(before):
        scale = _SCALE_AFTER.match(text, end)
        factor = _SCALES[_key(scale.group("scale"))] if scale else 1.0
        return rough + _three_digits(value * factor) + "usd", scale.end() if scale else end
    if rough:
        return rough + _three_digits(value), end
    return None


def _key(words: str) -> str:
    return " ".join(words.lower().split())


def parse(token: str) -> tuple[float, str, bool] | None:
    """A figure token's value, unit ("" for a count) and whether it is rough; None for days,
    months, percentages and points."""
    rough = token.startswith("~")
    body = token[1:] if rough else token
    unit = body.lstrip("0123456789.")
    number = body[: len(body) - len(unit)]
    if not number or (unit and unit not in _UNITS):
        return None
    try:
        return float(number), unit, rough
    except ValueError:
        return None


def unit_of(token: str) -> str | None:
    """The base unit of a quantity token (`"300kg"` → `"kg"`), None for anything else."""
    parsed = parse(token)
    return parsed[1] if parsed is not None and parsed[1] else None


def agrees(a: str, b: str) -> bool:
    """Whether the figures `a` and `b` can be one figure given two ways: quantities of one unit
    within `CONVERTED`, or a rough figure and a count within `ROUGH`. Exact figures that differ
    never agree (29 cartel members are not 26)."""
    pa, pb = parse(a), parse(b)
    if pa is None or pb is None or pa[1] != pb[1]:
        return False
    (x, unit, rough_a), (y, _, rough_b) = pa, pb
    if unit:
        tolerance = ROUGH if rough_a or rough_b else CONVERTED
    elif rough_a or rough_b:
        tolerance = ROUGH
    else:
        return False
    return abs(x - y) <= tolerance * max(x, y)
