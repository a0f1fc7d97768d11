"""The rules-based same-story decision: `same_story(a, b)` on two signatures. Pure.

The same *story* is not the same *topic*: two reports are different when their headlines fill
one slot differently, each with something the other never mentions (two counts of one thing,
two days, two people, two places); otherwise they are the same when their weighted overlap is
high enough, or when they share a telling figure and another name or figure.
"""

from __future__ import annotations

from functools import lru_cache

from rapidfuzz import fuzz

from watchbot.samestory import quantities
from watchbot.samestory import vocabulary as V
from watchbot.samestory.signature import Signature


def _is_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and 1900 <= int(token) <= 2100


@lru_cache(maxsize=1 << 16)
def _base_weight(token: str) -> float:
    if token in V.UBIQUITOUS:
        return 0.5
    if token in V.GENERIC_CONCEPTS:
        return 0.4
    if token[:1].isdigit() or token.startswith("~"):
        return 1.0 if _is_year(token) else 3.0
    if token.startswith("@"):
        return 2.0
    return 1.0


def _weight(token: str, names: frozenset[str]) -> float:
    """How much sharing `token` says two reports are one story: numbers, days and names most,
    Mexico, the US and generic words least."""
    weight = _base_weight(token)
    return 2.5 if weight == 1.0 and token in names else weight


def _dice(a: frozenset[str], b: frozenset[str], names: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    shared = sum(_weight(t, names) for t in a & b)
    total = sum(_weight(t, names) for t in a) + sum(_weight(t, names) for t in b)
    return 2 * shared / total


def _value(number: str) -> float | None:
    try:
        return float(number)
    except ValueError:
        return None  # "@fri", "30%"


def _unmatched_numbers(mine: frozenset[str], theirs: frozenset[str]) -> frozenset[str]:
    """Numbers of `mine` not in `theirs`. A large amount given whole counts as given when the
    other report has it with decimals ("$124 billion" is "$124.3 billion"), and a quantity or a
    rough figure when the other report gives one that `quantities.agrees` with ("300 kilos" and
    "660 pounds", "nearly 40" and 37); anything else must be exact (2,689 migrants are not 2,702;
    a 7.5% rate is not a 7% rate)."""
    missing = mine - theirs
    if not missing:
        return missing
    decimals = {int(v) for t in theirs if "." in t and (v := _value(t)) is not None and v >= 100}
    wholes = {int(t) for t in theirs if t.isdigit() and int(t) >= 100}

    def given(number: str) -> bool:
        if any(quantities.agrees(number, other) for other in theirs):
            return True
        value = _value(number)
        if value is None or value < 100:
            return False
        return int(value) in (wholes if "." in number else decimals)

    return frozenset(number for number in missing if not given(number))


def _unmatched_names(mine: Signature, other: Signature) -> frozenset[str]:
    """Names in `mine`'s headline the other report never mentions, not even spelled another way
    (`japon`/`japan`, `Culiacán`/`Culiacan` are one name). Mexico and the US, named by nearly
    every story, count only against a headline that names another country."""
    missing = mine.title_names - other.body
    if missing & V.UBIQUITOUS and not (other.title_names & V.COUNTRIES) - V.UBIQUITOUS - mine.body:
        missing -= V.UBIQUITOUS
    return frozenset(
        name
        for name in missing
        if len(name) < 5 or not any(fuzz.ratio(name, theirs) >= 80 for theirs in other.names)
    )


def _number_form(number: str) -> str:
    """What sort of figure `number` is: a count (rough or not), a percentage, percentage points,
    a day, a month, or a quantity's unit ("kg"). Figures of different sorts never contradict
    each other."""
    if number.startswith("@m") and number[2:].isdigit():  # "@m03"; "@mon" is a day
        return "month"
    if number.startswith("@"):
        return "day"
    if number.endswith("%"):
        return "percent"
    if number.endswith("pp"):
        return "points"
    return quantities.unit_of(number) or "count"


def _counts(sig: Signature, number: str) -> frozenset[str]:
    """What `number` counts in `sig`'s headline: the words after it ("20 bodies", "four
    hanging"), Mexico and the US left out."""
    prefix = number + "|"
    return (
        frozenset(kind[len(prefix) :] for kind in sig.title_kinds if kind.startswith(prefix))
        - V.UBIQUITOUS
    )


def _agreed_count(a: Signature, b: Signature) -> bool:
    """Whether both headlines give one same count (not a year): "20 bodies" / "20 cadáveres"."""
    shared = a.title_numbers & b.title_numbers
    return any(_number_form(n) == "count" and not _is_year(n) for n in shared)


def _numbers_conflict(
    a: Signature, a_lone: frozenset[str], b: Signature, b_lone: frozenset[str]
) -> bool:
    """Whether each headline gives a figure the other report never mentions, *of the same sort*:
    two percentages, two days, two counts. Two counts of plainly different things are details,
    not a contradiction, when the reports already agree on a count: "four hanging" and "five
    beheaded" can both be true of "20 bodies found"."""
    # a date in each headline is the story's day or month: two different ones are two stories,
    # even when one report mentions the other's date in passing ("up from 7,180 in March")
    for form in ("day", "month"):
        a_dates = {n for n in a.title_numbers if _number_form(n) == form}
        b_dates = {n for n in b.title_numbers if _number_form(n) == form}
        if a_dates and b_dates and not a_dates & b_dates:
            return True
    agreed = _agreed_count(a, b)
    for x in a_lone:
        for y in b_lone:
            form = _number_form(x)
            if form != _number_form(y):
                continue
            if form != "count":
                return True
            x_counts, y_counts = _counts(a, x), _counts(b, y)
            if not agreed or not x_counts or not y_counts or x_counts & y_counts:
                return True
    return False


def _name_kind(sig: Signature, name: str) -> str:
    if name in V.REGIONS:
        return "region"
    if name in sig.places:
        return "place"
    return "org" if name in sig.orgs else "person"


def _names_conflict(a: Signature, b: Signature) -> bool:
    """Whether each headline names someone or somewhere the other report never mentions, *in
    the same slot*: two people, two places or two bodies. One outlet naming the town and the other
    the state, or one the Pentagon and the other Trump, is not a different story."""
    a_kinds = {_name_kind(a, name) for name in _unmatched_names(a, b)}
    return bool(a_kinds) and bool(
        a_kinds & {_name_kind(b, name) for name in _unmatched_names(b, a)}
    )


def _event_words(sig: Signature) -> frozenset[str]:
    """The headline's words that say what happened: not names, numbers or generic words."""
    return frozenset(
        t
        for t in sig.title - sig.names
        if t not in V.GENERIC_CONCEPTS and t not in V.UBIQUITOUS and not t[:1].isdigit()
    )


# Thresholds, tuned on tests/data/same_story.jsonl (see tests/test_dedup.py).
BODY_THRESHOLD = 0.45  # weighted Dice of headline + summary tokens: same story on its own
TITLE_THRESHOLD = 0.5  # weighted Dice of the headlines ...
TITLE_BODY_FLOOR = 0.3  # ... with at least this much of the whole
STRONG_SHARED = 9.0  # weight of shared names and numbers (not Mexico, US, years) ...
STRONG_BODY_FLOOR = 0.25  # ... with at least this much of the whole
OTHER_EVENT_BODY = 0.7  # headlines with no event word in common need this much of the whole
# headlines sharing a word about what happened, where neither gives a figure the other report
# lacks and nothing contradicts, need only this much of the whole
PLAIN_BODY = 0.29
# headlines sharing two names or telling figures ("29" and "Caro Quintero"; "Tabasco" and
# "Paraguay") with nothing contradicting need only this much of the whole
ANCHOR_BODY_FLOOR = 0.12


def _shared_strong(a: Signature, b: Signature, names: frozenset[str]) -> float:
    """The weight of the names and numbers both reports give (not Mexico, the US, years)."""
    return sum(
        _weight(t, names)
        for t in (a.names & b.names) | (a.numbers & b.numbers)
        if t not in V.UBIQUITOUS and not _is_year(t)
    )


def _headline_anchors(a: Signature, b: Signature) -> frozenset[str]:
    """What both headlines name or give: names (not Mexico, the US) and telling figures (not
    years, not small counts like "4 dead" that many stories share)."""

    def telling(number: str) -> bool:
        value = _value(number)
        return not _is_year(number) and (value is None or value >= 10 or "." in number)

    names = (a.title_names & b.title_names) - V.UBIQUITOUS
    return names | frozenset(n for n in a.title_numbers & b.title_numbers if telling(n))


def same_story(a: Signature, b: Signature) -> bool:
    """Whether two reports tell the same story, not merely the same topic. Symmetric and pure.

    Different when both headlines fill one slot differently, each with something the other report
    never mentions: two figures of one sort (two counts of the same thing, two percentages, two
    days), two people, two places or two bodies. A town against its state, a person against an
    institution, a country against a sea, or side counts when the headlines agree on the main
    count ("20 bodies"; "four hanging" / "five beheaded") are not a contradiction.
    Otherwise the same when the weighted token overlap (names and numbers weigh most, Mexico/US
    and generic words least) of headline + summary is high; or, the headlines sharing a word about
    what happened and neither giving a figure the other lacks, when it is fair; or when the
    headlines' overlap is high, or enough names and numbers are shared. Headlines without a word
    in common about what happened ("pleads guilty" / "charged") need a much higher overlap: both
    reports matched the same watchlist, so sharing the topic is never enough.
    """
    names = a.names | b.names
    a_lone = _unmatched_numbers(a.title_numbers, b.numbers)
    b_lone = _unmatched_numbers(b.title_numbers, a.numbers)
    body = _dice(a.body | a.numbers, b.body | b.numbers, names)
    if body < ANCHOR_BODY_FLOOR:  # the lowest bar of all the rules below
        return False
    # each headline gives a figure or a name in one slot that the other report never mentions
    if _numbers_conflict(a, a_lone, b, b_lone) or _names_conflict(a, b):
        return False
    # both headlines carry the same telling figure and another name or figure in common, and
    # nothing contradicts
    anchors = _headline_anchors(a, b)
    if len(anchors) >= 2 and any(t[:1].isdigit() for t in anchors):
        return True
    if body < STRONG_BODY_FLOOR:
        return False
    a_events, b_events = _event_words(a), _event_words(b)
    if a_events and b_events and not a_events & b_events:
        return body >= OTHER_EVENT_BODY
    if body >= BODY_THRESHOLD:
        return True
    # a figure only one report gives is a detail when the headlines agree on the main count
    if (a_lone or b_lone) and not _agreed_count(a, b):
        return False
    if body >= PLAIN_BODY:
        return True
    title = _dice(a.title | a.title_numbers, b.title | b.title_numbers, names)
    if title >= TITLE_THRESHOLD and body >= TITLE_BODY_FLOOR:
        return True
    return _shared_strong(a, b, names) >= STRONG_SHARED


# --- what the meaning method asks of the rules ---------------------------------------------------


# what each guard `conflict` can name means, in the words `watchbot same` prints
GUARDS = {
    "figures": "different figures (each headline gives a figure of one sort the other lacks)",
    "names": "different names (each headline names someone or somewhere else in one slot)",
    "step": "different steps of the story (an arrest and an extradition, a threat and a pause)",
    "substance": "different drugs (each headline names a drug the other does not)",
}


def conflict(a: Signature, b: Signature) -> str | None:
    """The guard that keeps two reports apart, if one fires: "figures" when each headline gives
    a figure of one sort the other report never mentions (29 against 26 cartel members, two
    days, two rates), "names" when each names someone or somewhere else in one slot, "step"
    when the headlines report two steps of a storyline (an arrest, an extradition), "substance"
    when they name two drugs and none in common (a cocaine seizure, a meth seizure)."""
    a_lone = _unmatched_numbers(a.title_numbers, b.numbers)
    b_lone = _unmatched_numbers(b.title_numbers, a.numbers)
    if _numbers_conflict(a, a_lone, b, b_lone):
        return "figures"
    if _names_conflict(a, b):
        return "names"
    a_steps, b_steps = _steps(a), _steps(b)
    if a_steps and b_steps and not a_steps & b_steps:
        return "step"
    a_drugs, b_drugs = a.title & V.SUBSTANCES, b.title & V.SUBSTANCES
    if a_drugs and b_drugs and not a_drugs & b_drugs:
        return "substance"
    return None


def _steps(sig: Signature) -> frozenset[int]:
    """The steps of a storyline the headline reports (an arrest, an extradition, a plea)."""
    return frozenset(V.STAGES[t] for t in sig.title if t in V.STAGES)


def overlap(a: Signature, b: Signature) -> float:
    """The weighted word overlap of the two whole reports (0–1): names and figures weigh most."""
    return _dice(a.body | a.numbers, b.body | b.numbers, a.names | b.names)


def shared_facts(a: Signature, b: Signature) -> tuple[str, ...]:
    """The names and figures both reports give, Mexico and the US left out, sorted."""
    shared = (a.names & b.names) | (a.numbers & b.numbers)
    return tuple(sorted(shared - V.UBIQUITOUS))
