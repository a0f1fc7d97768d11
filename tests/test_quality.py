"""Matching quality against a labelled corpus of English and Spanish headlines.

tests/data/matcher_corpus.jsonl holds headlines with a one-sentence summary, each labelled twice:
`want` (would the US–Mexico security and trade desk want this alert?) and `test_alert` (what the
compact tests/data/matcher_watchlist.yaml should do by its own rules). Half the negatives are near
misses on purpose: OPEC "cartels", Peña Nieto, "morena" as a word, Canada's CSIS, other countries'
extraditions. tests/data/QUALITY.md records the figures; re-measure with

    .venv/bin/pytest tests/test_quality.py -q -s
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from watchbot.match import Matcher
from watchbot.models import Watchlist
from watchbot.watchlist import load_watchlists

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CORPUS = DATA / "matcher_corpus.jsonl"
TEST_WATCHLIST = DATA / "matcher_watchlist.yaml"
DEFAULT_WATCHLIST = ROOT / "watchlists" / "mexico-security.yaml"


def load(path: Path) -> list[Watchlist]:
    return load_watchlists(path)


def corpus(path: Path = CORPUS) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass
class Score:
    tp: list[str]
    fp: list[str]
    fn: list[str]
    tn: list[str]

    @property
    def precision(self) -> float:
        return len(self.tp) / max(1, len(self.tp) + len(self.fp))

    @property
    def recall(self) -> float:
        return len(self.tp) / max(1, len(self.tp) + len(self.fn))

    def report(self, name: str, label: str) -> str:
        return (
            f"{name} vs {label}: precision {self.precision:.3f}, recall {self.recall:.3f} "
            f"(TP {len(self.tp)}, FP {len(self.fp)}, FN {len(self.fn)}, TN {len(self.tn)}); "
            f"false positives {self.fp}; false negatives {self.fn}"
        )


def score(
    watchlists: list[Watchlist], label: str, path: Path = CORPUS, lang: str | None = None
) -> Score:
    matcher = Matcher.compile(watchlists)
    result = Score([], [], [], [])
    for item in corpus(path):
        if lang is not None and item["lang"] != lang:
            continue
        got = matcher.match(item["title"], item["summary"]).alert
        bucket = {
            (True, True): result.tp,
            (True, False): result.fp,
            (False, True): result.fn,
            (False, False): result.tn,
        }[(got, bool(item[label]))]
        bucket.append(item["id"])
    return result


# --- the corpus itself ---------------------------------------------------------------------------


def test_corpus_is_well_formed() -> None:
    items = corpus()
    keys = {"id", "title", "summary", "lang", "want", "test_alert", "note"}
    for item in items:
        assert set(item) == keys, item
        assert item["lang"] in ("en", "es"), item
        assert isinstance(item["want"], bool) and isinstance(item["test_alert"], bool), item
        assert item["title"].strip() and item["summary"].strip() and item["note"].strip(), item
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), "duplicate ids"
    titles = [item["title"] for item in items]
    assert len(titles) == len(set(titles)), "duplicate titles"
    spanish = sum(item["lang"] == "es" for item in items)
    negatives = sum(not item["want"] for item in items)
    assert len(items) >= 260
    assert spanish / len(items) >= 0.35
    assert negatives >= 90
    # test_alert is the rule-based label; it should differ from the editors' label only rarely
    differ = [item["id"] for item in items if item["want"] != item["test_alert"]]
    assert len(differ) <= len(items) // 20, differ


def test_test_watchlist_uses_every_rule() -> None:
    (watchlist,) = load(TEST_WATCHLIST)
    terms = [t for e in watchlist.entries for t in (*e.terms, *e.excludes)]
    assert any(t.startswith("/") and t.endswith("/") for t in terms), "a regular expression"
    assert any(w.endswith("*") for t in terms for w in t.split()), "a wildcard"
    assert any(t.isupper() and len(t) <= 5 for t in terms), "an acronym"
    assert any(" " in t and not t.startswith("/") for t in terms), "a phrase"
    assert any(t != t.encode("ascii", "ignore").decode() for t in terms), "an accented term"
    fuzzies = {e.fuzzy for e in watchlist.entries}
    assert {90, None} <= fuzzies and fuzzies - {90, None}, "default, custom and no fuzziness"
    assert any(e.requires for e in watchlist.entries)
    assert any(e.excludes for e in watchlist.entries)
    assert any(not e.alert for e in watchlist.entries)


# --- precision and recall ------------------------------------------------------------------------


def test_test_watchlist_precision_and_recall() -> None:
    result = score(load(TEST_WATCHLIST), "test_alert")
    message = result.report("tests/data/matcher_watchlist.yaml", "test_alert")
    print("\n" + message)
    assert result.precision >= 0.97 and result.recall >= 0.97, message


def test_default_watchlist_precision_and_recall() -> None:
    result = score(load(DEFAULT_WATCHLIST), "want")
    message = result.report("watchlists/mexico-security.yaml", "want")
    print("\n" + message)
    assert result.precision >= 0.95 and result.recall >= 0.95, message


DEV = DATA / "matcher_dev.jsonl"


def test_dev_set_is_well_formed() -> None:
    items = corpus(DEV)
    for item in items:
        assert set(item) == {"id", "title", "summary", "lang", "want", "note"}, item
        assert item["lang"] in ("en", "es") and isinstance(item["want"], bool), item
    assert len({item["id"] for item in items}) == len(items) == 60


@pytest.mark.parametrize("lang", ["en", "es"])
def test_default_watchlist_on_the_dev_set(lang: str) -> None:
    """60 items written for issue 11's classes of error (inflections, spelled-out agreement
    names, other countries' extraditions, slang cartels, chains, swapped letters). IN-SAMPLE:
    scored once before the watchlist was revised (precision 0.846, recall 0.943), then tuned
    on; it measures that the revision holds, not how it does on new text."""
    result = score(load(DEFAULT_WATCHLIST), "want", DEV, lang)
    message = result.report(f"watchlists/mexico-security.yaml on the dev set ({lang})", "want")
    print("\n" + message)
    assert result.precision >= 0.97 and result.recall >= 0.97, message


DEV_2 = DATA / "matcher_dev2.jsonl"


def test_dev_set_2_is_well_formed() -> None:
    items = corpus(DEV_2)
    for item in items:
        assert set(item) == {"id", "title", "summary", "lang", "want", "note"}, item
        assert item["lang"] in ("en", "es") and isinstance(item["want"], bool), item
        assert item["id"].startswith("d2-"), item
    assert len({item["id"] for item in items}) == len(items) == 298
    assert len({item["title"] for item in items}) == len(items), "duplicate titles"
    assert sum(item["lang"] == "es" for item in items) >= len(items) * 0.45
    assert sum(not item["want"] for item in items) >= len(items) * 0.40


@pytest.mark.parametrize("lang", ["en", "es"])
def test_default_watchlist_on_dev_set_2(lang: str) -> None:
    """298 items written from SPEC's description of the desk, every bullet of what it wants in
    several wordings, 40 % hard negatives. IN-SAMPLE: its first 257 items were scored once on
    main's watchlist (English 0.956 / 0.915, Spanish 0.985 / 0.815), then tuned on; 41 more
    were written after that and scored once (English 1.000 / 1.000, Spanish 1.000 / 0.769)
    before they too were tuned on. The floor says the revision holds; the figures to quote for
    new text are the blind sets'."""
    result = score(load(DEFAULT_WATCHLIST), "want", DEV_2, lang)
    message = result.report(f"watchlists/mexico-security.yaml on dev set 2 ({lang})", "want")
    print("\n" + message)
    assert result.precision >= 0.98 and result.recall >= 0.98, message


@pytest.mark.parametrize("lang", ["en", "es"])
def test_default_watchlist_per_language(lang: str) -> None:
    result = score(load(DEFAULT_WATCHLIST), "want", CORPUS, lang)
    message = result.report(f"watchlists/mexico-security.yaml ({lang})", "want")
    print("\n" + message)
    assert result.precision >= 0.99 and result.recall >= 0.99, message


HELD_OUT = DATA / "matcher_heldout.jsonl"


def test_default_watchlist_on_the_blind_held_out_set() -> None:
    """120 items written by someone who never saw the watchlist or the corpus: the honest
    estimate for new headlines. Measured blind: precision 0.949, recall 0.933. Its three false
    alarms (other senses of "cartel") then led to new excludes: 1.000 / 0.933 since. Do not
    tune the watchlist on it further; write new items into matcher_corpus.jsonl instead."""
    result = score(load(DEFAULT_WATCHLIST), "want", HELD_OUT)
    message = result.report("watchlists/mexico-security.yaml on the held-out set", "want")
    print("\n" + message)
    assert len(result.tp + result.fp + result.fn + result.tn) == 120
    assert result.precision >= 0.90 and result.recall >= 0.90, message


# Blind sets written for issue 11 by someone who saw only SPEC's description of the desk: 220
# items each, 110 per language, most negatives hard. MEASURED, NOT TUNED ON: each floor is the
# figure as measured, per language, so a change that makes it worse fails; never edit the
# watchlist to make these items pass (write new items into the corpus or a dev set instead), or
# the set stops measuring anything. See QUALITY.md.
BLIND_MEASURED = {
    # scored before issue 11's changes (en 0.984 / 0.984, es 0.981 / 0.839), after its engine
    # (0.984 / 0.984, 0.981 / 0.855), and after the dev-set-2 revision, whose writer knew the
    # classes of its misses, so this last figure is no longer blind
    "matcher_blind2.jsonl": {"en": (0.984, 1.000), "es": (0.983, 0.952)},
    # scored once on main before the dev-set-2 revision (en 0.968 / 0.984, es 1.000 / 0.902)
    # and once after it: the figure to quote for the revised watchlist
    "matcher_blind3.jsonl": {"en": (0.968, 1.000), "es": (1.000, 0.951)},
}


@pytest.mark.parametrize("name", sorted(BLIND_MEASURED))
@pytest.mark.parametrize("lang", ["en", "es"])
def test_default_watchlist_on_the_blind_sets(name: str, lang: str) -> None:
    result = score(load(DEFAULT_WATCHLIST), "want", DATA / name, lang)
    message = result.report(f"watchlists/mexico-security.yaml on {name} ({lang})", "want")
    print("\n" + message)
    precision, recall = BLIND_MEASURED[name][lang]
    assert len(result.tp + result.fp + result.fn + result.tn) == 110
    assert result.precision >= precision - 0.0005 and result.recall >= recall - 0.0005, message


# --- the shipped watchlist -----------------------------------------------------------------------


def test_default_watchlist_loads() -> None:
    watchlist_module = pytest.importorskip("watchbot.watchlist")
    (watchlist,) = watchlist_module.load_watchlists(DEFAULT_WATCHLIST)
    assert watchlist.name == "mexico-security"
    ids = {e.id for e in watchlist.entries}
    wanted = (
        "sheinbaum garcia-harfuch inzunza-noriega trump maduro rodrigo-pena marroquin-bitar csis"
        " morena cartels fentanyl extradition narco-terrorism drug-boats usmca tariffs"
        " trade-disputes border migration sovereignty mexico united-states cartel-context"
    )
    for wanted_id in wanted.split():
        assert wanted_id in ids, wanted_id
    context = {e.id for e in watchlist.entries if not e.alert}
    assert {"trump", "mexico", "united-states", "cartel-context"} <= context
    Matcher.compile([watchlist])  # compiles without complaint


@pytest.mark.parametrize(
    ("title", "alert"),
    [
        ("Trump says he will attend the Ryder Cup", False),  # Trump alone
        ("Tariffs rise again as talks stall", False),  # tariffs alone
        ("Peru extradites suspected trafficker to the United States", False),
        ("Mexico extradites Sinaloa cartel financier to the United States", True),
        ("Enrique Peña Nieto reaparece en Madrid", False),
        ("Rodrigo Peña: US pressure on Mexico over cartels will grow", True),
        ("Cloudflare CDN outage takes down major websites", False),
        ("CDN gunmen ambush soldiers in Nuevo Laredo", True),
        ("OPEC+ oil cartel agrees to cut output", False),
        ("US strike on narco-terrorist drug boat kills three", True),
        ("Receta: plátano maduro con crema", False),
        ("Shienbaum rejects US troops against cartels", True),  # a swap is one edit
        ("Sheinbaun rejects US troops against cartels", True),  # one wrong letter
        ("Sheinbaum rejects US troops against cartels", True),
        # issue 11's examples
        ("Fentanyl seizures at the border fall 40%", False),  # border needs Mexico itself
        ("Spain extradites fraud suspect to Mexico", False),
        ("Denuncian al 'cártel inmobiliario' en la Ciudad de México", False),
        ("EU realiza ataques contra embarcaciones del narco frente a Sinaloa", True),
        ("Drought in New Mexico dries up the Rio Grande", False),
    ],
)
def test_default_watchlist_headlines(title: str, alert: bool) -> None:
    assert default_matcher().match(title).alert is alert


@cache
def default_matcher() -> Matcher:
    return Matcher.compile(load(DEFAULT_WATCHLIST))
