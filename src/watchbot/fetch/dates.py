"""Dates written with Portuguese, Spanish or Italian day and month names, taught to feedparser.

Feeds from those countries often write RFC 822 dates in their own language ("Seg, 24 Set 2018
10:00:00 -0300", "mié, 05 jun 2024 08:00:00 +0200", "Lun, 10 Giu 2024 …"). feedparser reads only
English names and gives such an item no date, so its alert has no time and a first poll treats
it as too old. `parse_romance_date` translates the names and hands the result to feedparser's
own RFC 822 reader; `register` installs it once (feedparser keeps its handlers globally).
"""

from __future__ import annotations

import re
import time
import unicodedata

from feedparser.datetimes.rfc822 import _parse_date_rfc822

# first three letters, accents removed, lower case → English; only names that are not already
# English (or that mean something else in English: none of these do)
_MONTHS = {
    # Portuguese
    "fev": "feb",
    "abr": "apr",
    "mai": "may",
    "ago": "aug",
    "set": "sep",
    "out": "oct",
    "dez": "dec",
    # Spanish
    "ene": "jan",
    "dic": "dec",
    # Italian
    "gen": "jan",
    "mag": "may",
    "giu": "jun",
    "lug": "jul",
    "ott": "oct",
}
_MONTHS_LONG = {
    "janeiro": "jan",
    "fevereiro": "feb",
    "marco": "mar",
    "abril": "apr",
    "maio": "may",
    "junho": "jun",
    "julho": "jul",
    "agosto": "aug",
    "setembro": "sep",
    "outubro": "oct",
    "novembro": "nov",
    "dezembro": "dec",
    "enero": "jan",
    "febrero": "feb",
    "marzo": "mar",
    "mayo": "may",
    "junio": "jun",
    "julio": "jul",
    "septiembre": "sep",
    "setiembre": "sep",
    "octubre": "oct",
    "noviembre": "nov",
    "diciembre": "dec",
    "gennaio": "jan",
    "febbraio": "feb",
    "aprile": "apr",
    "maggio": "may",
    "giugno": "jun",
    "luglio": "jul",
    "settembre": "sep",
    "ottobre": "oct",
    "dicembre": "dec",
}
# day names: only recognised so they can be dropped (the date itself says the day)
_DAYS = frozenset(
    "seg ter qua qui sex sab dom lun mar mie jue vie mer gio ven "
    "segunda terca quarta quinta sexta sabado domingo lunes martes miercoles jueves viernes "
    "lunedi martedi mercoledi giovedi venerdi".split()
)
_WORD = re.compile(r"[^\W\d_]+")


def _plain(word: str) -> str:
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).removesuffix("-feira")


def parse_romance_date(value: str) -> time.struct_time | None:
    """An RFC 822 date with Portuguese, Spanish or Italian names, as feedparser's UTC tuple;
    None when it is not one (feedparser then tries its other handlers)."""
    words = _WORD.findall(value)
    if not words:
        return None
    changed = False
    parts = value.replace(",", " ").split()
    if parts and _plain(parts[0]).rstrip(".") in _DAYS:
        parts = parts[1:]
        changed = True
    out = []
    for part in parts:
        key = _plain(part).rstrip(".")
        month = _MONTHS_LONG.get(key) or (_MONTHS.get(key) if len(key) <= 4 else None)
        if month is not None and not part[:1].isdigit():
            out.append(month)
            changed = True
        elif key == "de":  # "24 de setembro de 2018"
            changed = True
        else:
            out.append(part)
    if not changed:
        return None
    result: time.struct_time | None = _parse_date_rfc822(" ".join(out))
    return result


_registered = False


def register() -> None:
    """Teach feedparser these dates (idempotent)."""
    global _registered
    if not _registered:
        import feedparser

        feedparser.registerDateHandler(parse_romance_date)
        _registered = True
