"""The same-story decision of the meaning method, for one pair of reports. Pure.

Meaning is the cosine of two multilingual sentence embeddings (headline, and headline with
summary), which sees that "Think tank warns strikes could backfire" and "CSIS report: US strikes
would fragment cartels" tell one story, in English or Spanish. Meaning alone merges stories on
one topic, so the rules' guards still decide what cannot be one story (29 against 26 cartel
members, another person, place or day), and time raises the bar: a report two days later needs
more evidence than one an hour later.

Two reports are one story when no guard fires and either the rules alone say so (with a
cosine of at least `RULES_COSINE`, within `RULES_HOURS`), or the combined score clears the
bar. Meaning therefore only adds merges to what the rules find, and the guards veto both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from watchbot.samestory.rules import conflict, overlap, same_story, shared_facts
from watchbot.samestory.signature import Signature

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Vector = npt.NDArray[np.float16]  # stored as half floats: half the memory


# The score: cosine of headline+summary, 0.75 of the cosine of the headlines, 0.6 of the rules'
# weighted word overlap, and a bonus when the rules alone call it the same story. Weights and
# bars were set on tests/data/same_story*.jsonl and ../shared/storybench (see README): in-sample.
# (Round 2, by a grid over the five sets' pairs and storybench: most same-story pairs merged
# with false merges held near 0.1% of pairs and at most 2 of storybench's 185 `different`.)
HEADLINE_WEIGHT = 0.75
OVERLAP_WEIGHT = 0.6
RULES_BONUS = 0.15
GUARD_PENALTY = 0.1  # a guard that fired lowers the score too, so the score ranks pairs
SAME_BAR = 1.1  # the score at which two reports an hour apart are one story ...
TIME_SLOPE = 0.06  # ... plus this much for each day between them (up to the window)
RELATED_COSINE = 0.55  # headline+summary cosine above which a story follows another
# the rules alone calling it one story are enough, unless meaning says the two reports are far
# apart (real pairs the rules merge wrongly had cosines of 0.36–0.38; one story's, above 0.41)
RULES_COSINE = 0.4
RULES_HOURS = 24.0  # ... and only within a day: later, the score must clear the time's bar


@dataclass(frozen=True)
class Report:
    """One report as the method sees it: its rules signature and, when the model ran, the
    normalised vectors of its headline and of headline with summary."""

    sig: Signature
    headline: Vector | None = None
    full: Vector | None = None


@dataclass(frozen=True)
class Evidence:
    """Why two reports are, or are not, one story."""

    same: bool
    related: bool  # not the same story, but one that follows the other
    score: float  # higher is likelier one story; comparable across pairs of one method
    cosine: float | None  # headline+summary cosine; None on the rules alone
    bar: float  # the score `same` needed, time included
    guard: str | None  # the guard that fired: "figures", "names", or None
    rules: bool  # whether the rules alone call it the same story
    shared: tuple[str, ...]  # names and figures both give

    def why(self) -> str:
        parts = [f"score {self.score:.2f} (bar {self.bar:.2f})"]
        if self.cosine is not None:
            parts.append(f"cosine {self.cosine:.2f}")
        if self.guard:
            parts.append(f"guard: different {self.guard}")
        if self.shared:
            parts.append("shared: " + ", ".join(self.shared[:6]))
        return "; ".join(parts)


def bar(hours: float) -> float:
    """The score two reports `hours` apart need to be one story."""
    return SAME_BAR + TIME_SLOPE * min(max(hours, 0.0), 72.0) / 24.0


def judge(a: Report, b: Report, hours: float = 0.0) -> Evidence:
    """Whether `a` and `b`, published `hours` apart, are one story, a story and its follow-up,
    or unrelated. Symmetric. Without vectors on either side, the rules alone decide."""
    guard = conflict(a.sig, b.sig)
    rules = same_story(a.sig, b.sig)
    words = overlap(a.sig, b.sig)
    shared = shared_facts(a.sig, b.sig)
    needed = bar(hours)
    if a.full is None or b.full is None or a.headline is None or b.headline is None:
        # the rules alone: their verdict, and the overlap as the score
        score = words + (RULES_BONUS if rules else 0.0)
        return Evidence(rules, False, score, None, needed, guard, rules, shared)
    cosine = float(a.full.astype("f4") @ b.full.astype("f4"))
    headlines = float(a.headline.astype("f4") @ b.headline.astype("f4"))
    score = cosine + HEADLINE_WEIGHT * headlines + OVERLAP_WEIGHT * words
    score += RULES_BONUS if rules else 0.0
    if guard:
        score -= GUARD_PENALTY
    by_rules = rules and cosine >= RULES_COSINE and hours <= RULES_HOURS
    same = guard is None and (by_rules or score >= needed)
    related = not same and cosine >= RELATED_COSINE
    return Evidence(same, related, score, cosine, needed, guard, rules, shared)
