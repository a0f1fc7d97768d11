"""The meaning method's measured figures, asserted as floors (README, "Same story").

Every figure here is **in-sample**: the method's weights and bars were set looking at these
five sets and at storybench (`same_story_blind2.jsonl` was scored blind once, then tuned on in
the next round). The blind sets of that round (`same_story_blind3.jsonl`, `..._blind4.jsonl`)
are reported in the README and asserted below exactly as measured (a ceiling each figure may only
improve on without anyone looking), never tuned on. Each test embeds its set with the real
model (a few seconds).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from samestory_scoring import Figures, score
from storybench_scoring import PAIRS
from storybench_scoring import score as score_storybench

DATA = Path(__file__).parent / "data"

# set → (missed pairs, false merges, duplicate alerts, misthreaded), as measured
MEASURED = {
    "same_story": (2, 5, 1, 0),
    "same_story_heldout": (10, 5, 4, 1),
    "same_story_blind": (19, 2, 11, 0),
    "same_story_final": (23, 7, 10, 5),
    "same_story_blind2": (25, 10, 15, 3),
}


def assert_at_most(figures: Figures, measured: tuple[int, int, int, int]) -> None:
    """Each figure no worse than as measured: missed pairs, false merges, duplicate alerts and
    misthreaded reports."""
    print("\n" + figures.summary())
    missed, merges, duplicates, misthreaded = measured
    assert figures.missed <= missed, figures.summary()
    assert figures.false_merges <= merges, figures.summary()
    assert figures.duplicates <= duplicates, figures.summary()
    assert figures.misthreaded <= misthreaded, figures.summary()


@pytest.mark.parametrize("name", sorted(MEASURED))
def test_meaning_method_on_the_labelled_sets(name: str) -> None:
    figures: Figures = score(DATA / f"{name}.jsonl", "meaning")
    assert_at_most(figures, MEASURED[name])


@pytest.mark.skipif(not PAIRS.is_file(), reason=f"third-party pairs not found at {PAIRS}")
def test_meaning_method_on_storybench() -> None:
    """AUC same-vs-different per language pairing (targets 0.95 / 0.95 / 0.93: met), and the
    share merged at the decision: same ≥ 60% (met: 60.5%), different ≤ 1% (1.1%)."""
    figures = score_storybench()
    print("\n" + figures.summary())
    assert figures.auc["en-en"] >= 0.95 and figures.auc["es-es"] >= 0.95, figures.summary()
    assert figures.auc["es-en"] >= 0.93, figures.summary()
    assert figures.merged["same"][0] >= 49, figures.summary()
    assert figures.merged["different"][0] <= 2, figures.summary()


# the blind sets of round 2, each written by a helper who saw only SPEC's description of the
# desk, never read while tuning. Blind set 3 was scored on main before the round (61, 23, 35, 9),
# after it (40, 39, 22, 10), and a third time after the step and drug guards that came from the
# in-sample sets (below; kept on that evidence though they cost one pair here). Blind set 4
# arrived after them and was scored once with round 1's method (76, 18, 43, 6) and once with
# this one (below). Round 3's blind sets 5 and 6, written by other helpers the same way (told to
# write as outlets do, without a shared distinctive phrase), were each scored once on main 4a6d3eb,
# and no change of the method followed. Set 5 has since been read in aggregate (guards and cosines
# by pairing) and used to compare models, so set 6 is the one still blind.
BLIND_MEASURED = {  # missed pairs, false merges, duplicate alerts, misthreaded
    "same_story_blind3": (41, 39, 23, 10),
    "same_story_blind4": (62, 27, 34, 6),
    "same_story_blind5": (122, 35, 64, 15),
    "same_story_blind6": (130, 13, 72, 8),
}


@pytest.mark.parametrize("name", sorted(BLIND_MEASURED))
def test_blind_set_shape(name: str) -> None:
    """What issue 9 asked of a blind set: 40+ groups of 2–4 reports, English, Spanish and
    mixed, and 25+ same-topic stories that are different ones (next steps among them)."""
    text = (DATA / f"{name}.jsonl").read_text(encoding="utf-8")
    rows = [json.loads(line) for line in text.splitlines() if line]
    groups: dict[str, set[str]] = {}
    for row in rows:
        groups.setdefault(row["group"], set()).add(row["lang"])
    sizes = [sum(r["group"] == g for r in rows) for g in groups]
    assert sum(2 <= n <= 4 for n in sizes) >= 40
    assert sum(langs == {"en", "es"} for langs in groups.values()) >= 10
    related = {r["group"] for r in rows if r.get("follows") or r.get("near")}
    assert len(related) >= 25 and sum(bool(r.get("follows")) for r in rows) >= 20


@pytest.mark.parametrize("name", sorted(BLIND_MEASURED))
def test_meaning_method_on_the_blind_sets_as_measured(name: str) -> None:
    figures: Figures = score(DATA / f"{name}.jsonl", "meaning")
    assert_at_most(figures, BLIND_MEASURED[name])
