"""The matcher: every rule of SPEC "Watchlists" and of watchbot.match's docstring, as tables."""

from __future__ import annotations

import functools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchbot.errors import ConfigError
from watchbot.match import Matcher, split_words, term_problem
from watchbot.match.words import SPLIT_LOW, Words, split
from watchbot.models import Entry, MatchResult, Watchlist, WatchlistVerdict
from watchbot.text import tokenize
from watchbot.watchlist import parse_watchlist

SPEC_WATCHLIST = """
name: mexico-security
channel: "#mexico-desk"
entries:
  - id: sheinbaum
    label: Claudia Sheinbaum
    kind: person
    terms: [Claudia Sheinbaum, Sheinbaum]
  - id: extradition
    label: Extraditions
    kind: theme
    terms: ["extradit*", "extradición", "extraditad*"]
    requires: [mexico]
  - id: mexico
    label: Mexico
    kind: place
    terms: [Mexico, Mexican, "mexican*"]
    excludes: [New Mexico]
    alert: false
  - id: cartels
    label: Cartels
    kind: theme
    terms: ["cartel*", "cártel*"]
    excludes: [OPEC, "oil cartel"]
"""


def watchlist_from_yaml(text: str) -> Watchlist:
    return parse_watchlist(text)


def one_term(term: str, fuzzy: int | None = 90) -> Matcher:
    entry = Entry(id="e", label="E", kind="theme", terms=(term,), fuzzy=fuzzy)
    return Matcher.compile([Watchlist(name="w", entries=(entry,))])


def matched(result: MatchResult) -> str | None:
    hits = [h for v in result.verdicts for h in v.hits]
    return hits[0].matched if hits else None


@pytest.fixture(scope="module")
def spec() -> Matcher:
    return Matcher.compile([watchlist_from_yaml(SPEC_WATCHLIST)])


# --- the term language ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "title", "expected"),
    [
        # whole words, case and accents ignored
        pytest.param("Garcia Harfuch", "Omar García Harfuch dijo", "García Harfuch", id="accents"),
        pytest.param("García Harfuch", "GARCIA HARFUCH", "GARCIA HARFUCH", id="accent-in-term"),
        pytest.param("sheinbaum", "SHEINBAUM speaks", "SHEINBAUM", id="case"),
        pytest.param("Sinaloa", "Sinaloense grupo", None, id="whole-words-only"),
        pytest.param("Sinaloa", "the Sinaloa, cartel", "Sinaloa", id="punctuation-around"),
        pytest.param("Harfuch", "Harfuchismo", None, id="no-substring"),
        # quotes
        pytest.param("O'Brien", "Mr O’Brien said", "O’Brien", id="curly-apostrophe"),
        pytest.param("“El Mencho”", 'alias "El Mencho"', "El Mencho", id="typographic-quotes"),
        # hyphen, space, dash and joined forms
        pytest.param("narco-terrorism", "narco terrorism", "narco terrorism", id="hyphen-space"),
        pytest.param("narco terrorism", "narco-terrorism", "narco-terrorism", id="space-hyphen"),
        pytest.param("narco-terrorism", "narco–terrorism", "narco–terrorism", id="en-dash"),
        pytest.param("narco-terrorism", "Narcoterrorism", "Narcoterrorism", id="joined"),
        pytest.param("narco-terror*", "narcoterrorismo", "narcoterrorismo", id="joined-wildcard"),
        pytest.param("narco-terrorism", "narcoterorism", None, id="joined-never-fuzzy"),
        pytest.param("narco terrorism", "narco the terrorism", None, id="words-consecutive"),
        pytest.param("narco terrorism", "terrorism narco", None, id="words-in-order"),
        # possessives
        pytest.param("Sheinbaum", "Sheinbaum's plan", "Sheinbaum", id="possessive"),
        pytest.param("Sheinbaum", "Sheinbaum’s plan", "Sheinbaum", id="curly-possessive"),
        pytest.param("Sheinbaum plan", "Sheinbaum's plan", "Sheinbaum's plan", id="possessive-in"),
        # wildcards
        pytest.param("extradit*", "Mexico extradites", "extradites", id="wildcard"),
        pytest.param("extradit*", "EXTRADITION", "EXTRADITION", id="wildcard-case"),
        pytest.param("extradit*", "to extradit now", "extradit", id="wildcard-empty-end"),
        pytest.param("extradit*", "extra credit", None, id="wildcard-needs-stem"),
        pytest.param("extradit*", "extradtion", None, id="wildcard-never-fuzzy"),
        pytest.param(
            "cártel* del Golfo", "Cárteles del Golfo", "Cárteles del Golfo", id="in-phrase"
        ),
        pytest.param("cártel* del Golfo", "cartel golfo", None, id="in-phrase-all-words"),
        # acronyms: case-sensitive on folded words, never fuzzy
        pytest.param("CJNG", "CJNG leader", "CJNG", id="acronym"),
        pytest.param("CJNG", "cjng leader", None, id="acronym-lower"),
        pytest.param("CDN", "Cdn leader", None, id="acronym-capitalised"),
        pytest.param("USMCA", "USMCB talks", None, id="acronym-never-fuzzy"),
        pytest.param("T-MEC", "revisión del T-MEC", "T-MEC", id="acronym-hyphen"),
        pytest.param("T-MEC", "revisión del TMEC", "TMEC", id="acronym-joined"),
        pytest.param("T-MEC", "revisión del t-mec", None, id="acronym-hyphen-lower"),
        pytest.param("U.S.", "U.S. tariffs", "U.S", id="dotted-acronym"),
        pytest.param("U.S.", "US tariffs", "US", id="dotted-acronym-joined"),
        pytest.param("U.S.", "tell us", None, id="dotted-acronym-lower"),
        pytest.param("ÉUA", "EUA y México", "EUA", id="acronym-accent"),
        pytest.param("CJNG*", "CJNGs", "CJNGs", id="acronym-wildcard"),
        pytest.param("CÁRTEL", "el cártel", "cártel", id="six-capitals-not-acronym"),
        # regular expressions
        pytest.param(
            "/narco-?terror(ism|ist)s?/",
            "Narcoterrorists charged",
            "Narcoterrorists",
            id="regex",
        ),
        pytest.param("/extradicion/", "la extradición", "extradición", id="regex-folded-text"),
        pytest.param("/extradición/", "la extradicion", "extradicion", id="regex-folded-term"),
        pytest.param(r"/\bUS\b/", "US and USMCA", "US", id="regex-word-boundary"),
        pytest.param(r"/\bUS\b/", "USMCA only", None, id="regex-no-match"),
        pytest.param("/sheinbaum/", "Sheinbam", None, id="regex-never-fuzzy"),
    ],
)
def test_term_matches(term: str, title: str, expected: str | None) -> None:
    assert matched(one_term(term).match(title)) == expected


# --- fuzzy matching ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "title", "fuzzy", "expected", "score"),
    [
        pytest.param("Sheinbaum", "Sheinbam habla", 90, "Sheinbam", 94, id="sheinbam"),
        pytest.param("Inzunza Noriega", "Inzunsa Noriega", 90, "Inzunsa Noriega", 93, id="inzunsa"),
        pytest.param("Sheinbaum", "Sheinbaum habla", 90, "Sheinbaum", 100, id="exact-is-100"),
        pytest.param("Harfuch", "Harfuc said", 90, "Harfuc", 92, id="one-deletion"),
        pytest.param(
            "Claudia Sheinbaum",
            "Claudia Shienbaum",
            90,
            "Claudia Shienbaum",
            97,
            id="swap-in-phrase",
        ),
        # an adjacent swap is one edit, and costs what one missing letter costs in the score
        pytest.param("Sheinbaum", "Shienbaum", 90, "Shienbaum", 94, id="swap"),
        pytest.param("Sheinbaum", "Sheinbuam", 90, "Sheinbuam", 94, id="swap-late"),
        pytest.param("Harfuch", "Harfcuh", 90, "Harfcuh", 92, id="swap-7-letters"),
        pytest.param("Sheinbaum", "Sheinbaun", 85, "Sheinbaun", 88, id="substitution-9"),
        pytest.param("Sheinbaum", "Sheinbaun", 90, None, 0, id="substitution-9-at-90"),
        pytest.param("Sheinbaum", "Shienbaun", 80, "Shienbaun", 83, id="swap-and-substitution"),
        pytest.param("Zambada", "Zambdaa", 90, "Zambdaa", 92, id="swap-at-end"),
        # a dictionary word is never a misspelling, however close
        pytest.param("Maduro", "madura", 80, None, 0, id="dictionary-word-es"),
        pytest.param("borders", "orders", 80, None, 0, id="dictionary-word-en"),
        pytest.param("Rivera", "ribera", 80, None, 0, id="dictionary-word-name-like"),
        pytest.param(
            "Juan Campos Rivera", "Juan Campo Rivera", 90, "Juan Campo Rivera", 97, id="vouched"
        ),
        pytest.param("Campos Rivera", "campo ribera", 80, None, 0, id="no-word-vouches"),
        pytest.param("cartel", "Carter said", 90, None, 0, id="carter-is-not-cartel"),
        pytest.param("Rodrigo Peña", "Enrique Peña Nieto", 90, None, 0, id="pena-nieto"),
        pytest.param("Rodrigo Peña", "Rodrigo Peñaloza", 90, None, 0, id="longer-name"),
        pytest.param("Peña Nieto", "Peña", 90, None, 0, id="fewer-words"),
        pytest.param("Peña", "Pana", 90, None, 0, id="short-word-exact"),
        pytest.param(
            "Omar García Harfuch", "Omer García Harfuch", 90, None, 0, id="short-in-phrase"
        ),
        pytest.param("Rafael Caro Quintero", "Rafael Caro Quintaru", 90, None, 0, id="2-edits-8"),
        pytest.param(
            "Rafael Caro Quintero",
            "Rafael Caro Quinteor",
            90,
            "Rafael Caro Quinteor",
            97,
            id="swap-8",
        ),
        pytest.param("Sheinbaum", "Shein baum", 90, None, 0, id="never-across-words"),
        pytest.param("Sheinbaum", "Sheinbam", None, None, 0, id="fuzzy-off"),
        pytest.param("Sheinbaum", "Sheinbam", 95, None, 0, id="threshold-above"),
        pytest.param("Inzunza", "Inzunsa", 80, "Inzunsa", 85, id="threshold-below"),
        pytest.param("Inzunza", "Inzunsa", 90, None, 0, id="default-threshold-refuses"),
        pytest.param("Sheinbaum", "Sheinbam", 100, None, 0, id="threshold-100-exact-only"),
    ],
)
def test_fuzzy(term: str, title: str, fuzzy: int | None, expected: str | None, score: int) -> None:
    result = one_term(term, fuzzy).match(title)
    assert matched(result) == expected
    if expected:
        assert result.verdicts[0].hits[0].score == score


@pytest.mark.parametrize(
    ("term", "title", "fuzzy", "score"),
    [
        pytest.param("cartel", "Carter", 90, 83, id="carter"),
        pytest.param("Sheinbaum", "Sheinbam", 95, 94, id="above-threshold"),
        pytest.param("Inzunza", "Inzunsa", 90, 85, id="inzunsa"),
    ],
)
def test_near_misses(term: str, title: str, fuzzy: int, score: int) -> None:
    matcher = one_term(term, fuzzy)
    assert matcher.match(title).near_misses == ()
    result = matcher.match(title, explain=True)
    assert not result.verdicts
    (miss,) = result.near_misses
    assert (miss.watchlist, miss.entry, miss.term) == ("w", "e", term)
    assert (miss.matched, miss.score, miss.threshold) == (title, score, fuzzy)


@pytest.mark.parametrize(
    ("term", "title", "fuzzy"),
    [
        pytest.param("cartel", "Carterx", 90, id="too-far"),  # 77: under threshold - 15
        pytest.param("Peña", "Pana", 90, id="short-word"),
        pytest.param("Sheinbaum", "Sheinbam", None, id="fuzzy-off"),
        pytest.param("Sheinbaum", "Sheinbaum", 90, id="matched"),
    ],
)
def test_no_near_miss(term: str, title: str, fuzzy: int | None) -> None:
    assert one_term(term, fuzzy).match(title, explain=True).near_misses == ()


@pytest.mark.parametrize(
    ("term", "title", "why"),
    [
        pytest.param("cartel", "Carter", "'carter' is a common English word", id="carter"),
        pytest.param("Maduro", "madura", "'madura' is a common Spanish word", id="madura"),
    ],
)
def test_dictionary_words_are_near_misses_that_say_why(term: str, title: str, why: str) -> None:
    result = one_term(term, 80).match(title, explain=True)
    assert not result.verdicts
    (miss,) = result.near_misses
    assert miss.why == f"{why}, not a misspelling"


def test_no_near_miss_for_an_entry_that_matched() -> None:
    result = one_term("Sheinbaum", 95).match("Sheinbaum and Sheinbam", explain=True)
    assert matched(result) == "Sheinbaum"
    assert result.near_misses == ()


# --- entries, requires, excludes, verdicts -------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "text", "alert", "entries", "reasons"),
    [
        pytest.param("Sheinbaum speaks", "", True, ["sheinbaum"], [], id="plain-entry-alerts"),
        pytest.param(
            "Mexico to extradite cartel boss",
            "",
            True,
            ["extradition", "mexico", "cartels"],
            [
                "extradition: requires one of [mexico] — mexico matched",
                "mexico: context only (alert: false)",
            ],
            id="requires-met",
        ),
        pytest.param(
            "Spain to extradite fraud suspect",
            "",
            False,
            ["extradition"],
            ["extradition: requires one of [mexico] — none matched"],
            id="requires-unmet",
        ),
        pytest.param(
            "Extradition hearing",
            "The suspect was born in Mexico.",
            True,
            ["extradition", "mexico"],
            [
                "extradition: requires one of [mexico] — mexico matched",
                "mexico: context only (alert: false)",
            ],
            id="requires-met-in-summary",
        ),
        pytest.param(
            "New Mexico extradites fugitive",
            "",
            False,
            ["extradition"],
            [
                "extradition: requires one of [mexico] — mexico matched but does not count"
                " (mexico: excluded by 'New Mexico')",
                "mexico: excluded by 'New Mexico'",
            ],
            id="required-entry-honours-its-excludes",
        ),
        pytest.param(
            "Mexico tourism booms",
            "",
            False,
            ["mexico"],
            ["mexico: context only (alert: false)"],
            id="context-only",
        ),
        pytest.param(
            "OPEC cartel cuts output",
            "",
            False,
            [],
            ["cartels: excluded by 'OPEC'"],
            id="excluded",
        ),
        pytest.param(
            "Cartel prices",
            "Regulators said the oil cartel raised prices.",
            False,
            [],
            ["cartels: excluded by 'oil cartel'"],
            id="excluded-from-summary",
        ),
        pytest.param(
            "Opec cartel cuts output",
            "",
            True,
            ["cartels"],
            [],
            id="exclude-acronym-is-case-sensitive",
        ),
        pytest.param("Weather today", "Sunny.", None, [], [], id="nothing"),
    ],
)
def test_entries(
    spec: Matcher,
    title: str,
    text: str,
    alert: bool | None,
    entries: list[str],
    reasons: list[str],
) -> None:
    result = spec.match(title, text)
    if alert is None:
        assert result.verdicts == ()
        assert not result.alert
        return
    (verdict,) = result.verdicts
    assert verdict.watchlist == "mexico-security"
    assert verdict.channel == "#mexico-desk"
    assert verdict.alert is alert
    assert result.alert is alert
    assert [h.entry for h in verdict.hits] == entries
    assert list(verdict.reasons) == reasons


def test_hit_fields_and_span_in_title(spec: Matcher) -> None:
    title = "Presidenta Sheinbaum’s plan"
    (verdict,) = spec.match(title).verdicts
    (hit,) = verdict.hits
    assert hit.watchlist == "mexico-security"
    assert (hit.entry, hit.label, hit.term) == ("sheinbaum", "Claudia Sheinbaum", "Sheinbaum")
    assert (hit.matched, hit.score, hit.field) == ("Sheinbaum", 100, "title")
    assert title[hit.start : hit.end] == "Sheinbaum"


def test_hit_span_in_text(spec: Matcher) -> None:
    text = "Según la presidenta, Claudia  Sheinbaum, la extradición sigue."
    result = spec.match("Noticias", text)
    hit = next(h for v in result.verdicts for h in v.hits if h.entry == "sheinbaum")
    assert (hit.field, hit.term, hit.matched) == ("text", "Claudia Sheinbaum", "Claudia  Sheinbaum")
    assert text[hit.start : hit.end] == hit.matched


@pytest.mark.parametrize(
    ("title", "text", "field", "matched", "score"),
    [
        pytest.param("Sheinbaum", "Sheinbaum", "title", "Sheinbaum", 100, id="title-first"),
        pytest.param("Sheinbam", "Sheinbaum", "text", "Sheinbaum", 100, id="best-score-first"),
        pytest.param("x", "Sheinbam then Sheinbaum", "text", "Sheinbaum", 100, id="best-in-text"),
        pytest.param("Sheinbam", "nothing", "title", "Sheinbam", 94, id="fuzzy-only"),
    ],
)
def test_one_best_hit_per_entry(
    title: str, text: str, field: str, matched: str, score: int
) -> None:
    (verdict,) = one_term("Sheinbaum").match(title, text).verdicts
    (hit,) = verdict.hits
    assert (hit.field, hit.matched, hit.score) == (field, matched, score)


def test_earliest_hit_wins_a_tie() -> None:
    text = "one Sheinbaum two Sheinbaum"
    (verdict,) = one_term("Sheinbaum").match("x", text).verdicts
    assert verdict.hits[0].start == text.index("Sheinbaum")


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        pytest.param("Claudia", "Sheinbaum speaks", None, id="no-phrase-across-fields"),
        pytest.param("Claudia Sheinbaum", "", "Claudia Sheinbaum", id="in-title"),
        pytest.param("News", "Claudia Sheinbaum", "Claudia Sheinbaum", id="in-text"),
    ],
)
def test_title_summary_boundary(title: str, text: str, expected: str | None) -> None:
    assert matched(one_term("Claudia Sheinbaum").match(title, text)) == expected


def test_multiple_watchlists() -> None:
    trade = Watchlist(
        name="trade",
        channel="#trade",
        entries=(Entry(id="usmca", label="USMCA", kind="theme", terms=("USMCA", "T-MEC")),),
    )
    quiet = Watchlist(
        name="quiet", entries=(Entry(id="weather", label="Weather", kind="theme", terms=("rain",)),)
    )
    matcher = Matcher.compile([watchlist_from_yaml(SPEC_WATCHLIST), quiet, trade])
    result = matcher.match("Sheinbaum defends USMCA review")
    assert [(v.watchlist, v.channel, v.alert) for v in result.verdicts] == [
        ("mexico-security", "#mexico-desk", True),
        ("trade", "#trade", True),
    ]
    assert [v.watchlist for v in result.alerting] == ["mexico-security", "trade"]


def test_requires_an_entry_of_another_watchlist() -> None:
    places = Watchlist(
        name="places",
        entries=(Entry(id="mexico", label="Mexico", kind="place", terms=("Mexico",), alert=False),),
    )
    themes = Watchlist(
        name="themes",
        entries=(
            Entry(
                id="tariffs",
                label="Tariffs",
                kind="theme",
                terms=("tariff*",),
                requires=("mexico",),
            ),
        ),
    )
    matcher = Matcher.compile([themes, places])
    assert matcher.match("Tariffs on Mexico").alert
    assert not matcher.match("Tariffs on Canada").alert
    assert [v.watchlist for v in matcher.match("Tariffs on Mexico").verdicts] == [
        "themes",
        "places",
    ]


def test_excludes_follow_the_entry_fuzzy_threshold() -> None:
    entry = Entry(
        id="cartels", label="Cartels", kind="theme", terms=("cartel*",), excludes=("oil cartel",)
    )
    matcher = Matcher.compile([Watchlist(name="w", entries=(entry,))])
    assert not matcher.match("cartel news", "the oil cartell met").alert  # cartell: 1 edit


def test_empty_watchlists_and_texts() -> None:
    assert Matcher.compile([]).match("anything at all", "really") == MatchResult()
    assert one_term("Sheinbaum").match("", "") == MatchResult()


# --- term problems -------------------------------------------------------------------------------

STAR = "use * only at the end of a word (e.g. extradit*)"


@pytest.mark.parametrize(
    ("term", "problem"),
    [
        pytest.param("Sheinbaum", None, id="word"),
        pytest.param("extradit*", None, id="wildcard"),
        pytest.param("cártel* del Golfo", None, id="wildcard-in-phrase"),
        pytest.param("/narco-?terror(ism|ist)s?/", None, id="regex"),
        pytest.param("U.S.", None, id="dotted-acronym"),
        pytest.param("", "empty term", id="empty"),
        pytest.param("   ", "empty term", id="blank"),
        pytest.param(
            "---",
            "term has no letters or digits after folding and can never match",
            id="no-letters",
        ),
        pytest.param("*cartel", STAR, id="star-first"),
        pytest.param("car*tel", STAR, id="star-inside"),
        pytest.param("cartel**", STAR, id="two-stars"),
        pytest.param("*", STAR, id="star-alone"),
        pytest.param(
            "ex*",
            "put at least 3 letters before * (ex* would match too many words; e.g. extradit*)",
            id="short-stem",
        ),
        pytest.param(
            "/narco-(terror/",
            "invalid regular expression: missing ), unterminated subpattern at position 7",
            id="regex-invalid",
        ),
        pytest.param("//", "empty regular expression", id="regex-empty"),
        pytest.param(
            "/a?/",
            "regular expression matches empty text, so it would match every story",
            id="regex-matches-everything",
        ),
        pytest.param(
            "/narco",
            "a regular expression must end with / too (e.g. /narco-?terror(ism|ist)s?/)",
            id="regex-unclosed",
        ),
    ],
)
def test_term_problem(term: str, problem: str | None) -> None:
    assert term_problem(term) == problem


def test_term_problem_of_a_non_string() -> None:
    assert term_problem(1910) == "term 1910 is not text: put it in quotes"  # type: ignore[arg-type]


def test_compile_refuses_a_bad_term() -> None:
    entry = Entry(id="bad", label="Bad", kind="theme", terms=("Sheinbaum", "/(/"), line=7)
    with pytest.raises(ConfigError) as caught:
        Matcher.compile([Watchlist(name="w", entries=(entry,))])
    (problem,) = caught.value.problems
    assert problem.line == 7
    assert "entry 'bad'" in problem.where
    assert problem.message.startswith("invalid regular expression")


# --- robustness and the fast word splitter -------------------------------------------------------

_TRICKY = st.text(
    alphabet=st.sampled_from([*"abS s'’-–.,_ÁéñİΣςßﬁ`\"“7\t\n|", "\u0301", "\ud800"]),
    max_size=40,
)


def test_results_survive_the_word_memo_starting_over(monkeypatch: pytest.MonkeyPatch) -> None:
    watchlists = [
        watchlist_from_yaml(SPEC_WATCHLIST),
        Watchlist(name="w", entries=(Entry(id="cjng", label="CJNG", kind="org", terms=("CJNG",)),)),
    ]
    stories = [
        ("CJNG", ""),
        ("CJNG news today", "Sheinbam said."),  # a known word, then new ones: the memo resets
        ("OPEC cartel", "Mexico to extradite CJNG boss"),
    ]
    expected = [Matcher.compile(watchlists).match(t, s, explain=True) for t, s in stories]
    assert all(result.verdicts for result in expected)
    monkeypatch.setattr("watchbot.match.index.MEMO_LIMIT", 1)
    fresh = Matcher.compile(watchlists)
    for _ in range(3):
        assert [fresh.match(t, s, explain=True) for t, s in stories] == expected
    assert len(fresh._index.memo_low) < 20


@given(st.text(), st.text())
def test_match_never_raises(title: str, text: str) -> None:
    matcher = Matcher.compile([watchlist_from_yaml(SPEC_WATCHLIST)])
    assert isinstance(matcher.match(title, text, explain=True), MatchResult)


@given(_TRICKY | st.text())
def test_split_words_agrees_with_tokenize(text: str) -> None:
    case, low = split_words(text)
    assert case == [t.word for t in tokenize(text)]
    assert len(low) == len(case)


@given(_TRICKY | st.text(), _TRICKY | st.text())
def test_word_spans_agree_with_tokenize(title: str, text: str) -> None:
    mapped, lows = split(title, text, SPLIT_LOW)  # the matcher's own splitting
    words = Words(title, text, mapped, lows, lows.index("|"))
    for field_name, value in (("title", title), ("text", text)):
        spans = [(t.start, t.end) for t in tokenize(value)]
        for i, (start, _) in enumerate(spans):
            for j in range(i, len(spans)):
                assert words.span(field_name, i, j) == (start, spans[j][1])


@given(st.sampled_from(["Sheinbaum", "Sheinbam", "CJNG", "cárteles", "Mexico’s"]), _TRICKY)
def test_matched_text_is_the_source_slice(word: str, noise: str) -> None:
    matcher = Matcher.compile(
        [
            Watchlist(
                name="w",
                entries=(
                    Entry(id="e", label="E", kind="theme", terms=("Sheinbaum", "CJNG", "cártel*")),
                    Entry(id="m", label="M", kind="place", terms=("Mexico",)),
                ),
            )
        ]
    )
    title = f"{noise} {word} {noise}"
    for verdict in matcher.match(title, title).verdicts:
        for hit in verdict.hits:
            assert title[hit.start : hit.end] == hit.matched


# --- requirement rules: groups, nearness, scoped exclusions, chains ------------------------------

RULES_WATCHLIST = """
name: rules
entries:
  - id: mexico
    terms: [Mexico, Sinaloa]
    excludes: [New Mexico]
    alert: false
  - id: spain
    terms: [Spain, España]
    alert: false
  - id: united-states
    terms: [US, United States]
    alert: false
  - id: cartels
    terms: [cartel, CJNG]
    alert: false
  - id: border
    terms: [border]
    requires: [mexico]
    alert: false
  - id: fentanyl
    terms: [fentanyl]
    requires: [border, cartels]
  - id: extradition
    terms: ["extradit*"]
    requires:
      any of: [mexico, cartels]
      within: sentence
    excludes:
      - entries: [spain]
        within: 6 words
  - id: transfer
    terms: [transfer]
    requires:
      - all of: [mexico, united-states]
      - any of: [cartels]
        within: 3 words
  - id: festival
    terms: [festival]
    excludes:
      - terms: [cartel]
        within: sentence
"""


@pytest.fixture(scope="module")
def rules() -> Matcher:
    return Matcher.compile([watchlist_from_yaml(RULES_WATCHLIST)])


@pytest.mark.parametrize(
    ("title", "text", "alert"),
    [
        # chains: a required entry counts only when its own rules hold
        pytest.param("Fentanyl seizures at the border fall 40%", "", False, id="chain-broken"),
        pytest.param("Fentanyl seizures at the Mexico border fall", "", True, id="chain-holds"),
        pytest.param("Fentanyl at the New Mexico border", "", False, id="chain-excluded"),
        pytest.param("Fentanyl seized from cartel", "", True, id="chain-other-way"),
        # within: sentence
        pytest.param("Extradition approved", "Mexico agreed.", False, id="sentence-other-field"),
        pytest.param("x", "Mexico extradites a boss. It was dawn.", True, id="sentence-same"),
        pytest.param("x", "Mexico spoke. Then a man was extradited.", False, id="sentence-other"),
        pytest.param("x", "The U.S. Navy and Mexico extradite a man.", True, id="sentence-abbrev"),
        # scoped exclusion by entry, within words
        pytest.param("Spain extradites man wanted in Mexico", "", False, id="excluded-by-entry"),
        pytest.param(
            "Mexico extradites CJNG boss wanted for years in three countries; Spain watches",
            "",
            True,
            id="excluded-entry-too-far",
        ),
        # all of, plus any of within N words
        pytest.param("Mexico transfer of cartel bosses to the US", "", True, id="all-and-near"),
        pytest.param("Mexico transfer of cartel bosses", "", False, id="all-of-missing"),
        pytest.param(
            "Mexico transfer of prisoners was, officials in the US say, about a cartel",
            "",
            False,
            id="any-of-too-far",
        ),
        # scoped exclusion by term
        pytest.param("Festival poster: cartel announced", "", False, id="term-excluded-near"),
        pytest.param(
            "Festival opens", "A cartel was mentioned later. Not here.", True, id="term-far"
        ),
    ],
)
def test_rules(rules: Matcher, title: str, text: str, alert: bool) -> None:
    assert rules.match(title, text).alert is alert
    assert rules.match(title, text, explain=True).alert is alert


@pytest.mark.parametrize(
    ("title", "text", "reason"),
    [
        pytest.param(
            "Fentanyl seizures at the border fall 40%",
            "",
            "fentanyl: requires one of [border, cartels] — border matched but does not count"
            " (border: requires one of [mexico] — none matched)",
            id="chain",
        ),
        pytest.param(
            "x",
            "Mexico spoke. Then a man was extradited.",
            "extradition: requires one of [mexico, cartels] in the same sentence — mexico matched"
            " but not in the same sentence",
            id="sentence",
        ),
        pytest.param(
            "Spain extradites man wanted in Mexico",
            "",
            "extradition: excluded: spain matched within 6 words",
            id="excluded-by-entry",
        ),
        pytest.param(
            "Mexico transfer of cartel bosses",
            "",
            "transfer: requires all of [mexico, united-states] — united-states did not match",
            id="all-of",
        ),
        pytest.param(
            "Mexico transfer of cartel bosses to the US",
            "",
            "transfer: requires all of [mexico, united-states] — mexico, united-states matched;"
            " requires one of [cartels] within 3 words — cartels matched",
            id="two-groups-met",
        ),
        pytest.param(
            "Festival poster: cartel announced",
            "",
            "festival: excluded by 'cartel' in the same sentence",
            id="term-excluded",
        ),
    ],
)
def test_rules_explain_what_decided(rules: Matcher, title: str, text: str, reason: str) -> None:
    (verdict,) = rules.match(title, text).verdicts
    assert reason in verdict.reasons
    entry = reason.split(":")[0]
    (decision,) = [d for d in verdict.decisions if d.entry == entry]
    assert reason == f"{entry}: {decision.rule}"


def test_a_cycle_given_directly_is_refused() -> None:
    a = Entry(id="a", label="A", kind="theme", terms=("alpha",), requires=("b",))
    b = Entry(id="b", label="B", kind="theme", terms=("beta",), requires=("a",))
    with pytest.raises(ConfigError) as caught:
        Matcher.compile([Watchlist(name="w", entries=(a, b))])
    (problem,) = caught.value.problems
    assert "requirements go round in a circle: a → b → a" in problem.message


# --- the explanation's verdict is the alert decision ---------------------------------------------

_WORDS_OF_RULES = [
    *"Mexico Sinaloa New Spain US United States cartel CJNG border fentanyl extradites".split(),
    *"extradition transfer festival the of a and said . ; , It was".split(),
]


@settings(deadline=None)
@given(
    st.lists(st.sampled_from(_WORDS_OF_RULES), max_size=14),
    st.lists(st.sampled_from(_WORDS_OF_RULES), max_size=20),
)
def test_explanation_verdict_equals_the_alert_decision(title: list[str], text: list[str]) -> None:
    from watchbot.cli import explain

    matcher = _rules_matcher()
    headline, summary = " ".join(title).replace(" .", "."), " ".join(text).replace(" .", ".")
    fast = matcher.match(headline, summary)
    explained = matcher.match(headline, summary, explain=True)
    assert fast.alert is explained.alert
    assert fast.verdicts == explained.verdicts
    for verdict in explained.verdicts:
        assert verdict.alert is any(d.alerts for d in verdict.decisions)
        assert verdict.alert is _reference_alert(verdict)
    printed = explain(headline, explained)
    assert printed.endswith("would alert" if fast.alert else "would not alert")
    assert printed.count("⇒ alert, decided by") == len(fast.alerting)


@functools.cache
def _rules_matcher() -> Matcher:
    return Matcher.compile([watchlist_from_yaml(RULES_WATCHLIST)])


def _reference_alert(verdict: WatchlistVerdict) -> bool:
    """The decision re-derived from the printed rules alone: an entry with alert: true alerts
    when it simply matched, or when each of its requirements ends by naming entries it listed
    as matched."""
    for d in verdict.decisions:
        if d.rule == "matched":
            return True
        parts = [re.fullmatch(r"requires (.*) — (.*) matched", p) for p in d.rule.split("; ")]
        if all(parts):
            listed = {i for m in parts if m for i in re.findall(r"[\w.-]+", m.group(1))}
            if all(set(m.group(2).split(", ")) <= listed for m in parts if m):
                return True
    return False


# --- inflected forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "title", "expected"),
    [
        pytest.param(
            "ataque contra embarcación",
            "Ataques contra embarcaciones",
            "Ataques contra embarcaciones",
            id="es-plural",
        ),
        pytest.param("grupos criminales", "un grupo criminal", "grupo criminal", id="es-singular"),
        pytest.param("strikes on boats", "US strikes on a boat", None, id="words-in-between"),
        pytest.param("strike on boats", "strikes on boat", "strikes on boat", id="en-plural"),
        pytest.param("strike", "the US is striking", "striking", id="en-verb"),
        pytest.param("extradition", "Mexico to extradite", "extradite", id="en-noun-verb"),
        pytest.param("transfer", "transferred to the US", "transferred", id="en-past"),
        pytest.param("decomiso", "decomisos récord", "decomisos", id="es-plural-o"),
        pytest.param("boat strike", "boat strikes", "boat strikes", id="last-word"),
        # names and acronyms stay as written
        pytest.param("Marroquín", "los Marroquines", None, id="name-not-inflected"),
        pytest.param("CJNG", "CJNGs", None, id="acronym-not-inflected"),
        # a stem under 4 letters says too little: only the word as written
        pytest.param("casa", "caso cerrado", None, id="short-stem"),
        pytest.param("casa", "casa blanca", "casa", id="short-stem-exact"),
        # wildcards are prefixes, as before
        pytest.param("extradit*", "extraditable", "extraditable", id="wildcard"),
    ],
)
def test_inflected_forms(term: str, title: str, expected: str | None) -> None:
    result = one_term(term, None).match(title)
    assert matched(result) == expected


def test_an_inflected_hit_says_so_and_shows_the_words_as_written() -> None:
    result = one_term("ataque contra embarcación", None).match("Dos ataques contra embarcaciones")
    (hit,) = result.verdicts[0].hits
    assert (hit.matched, hit.form, hit.score) == ("ataques contra embarcaciones", "inflected", 100)
    exact = one_term("ataque contra embarcación", None).match("Un ataque contra embarcación")
    assert exact.verdicts[0].hits[0].form == "exact"


def test_inflection_can_be_turned_off_per_entry() -> None:
    entry = Entry(id="e", label="E", kind="theme", terms=("strike",), fuzzy=None, inflect=False)
    matcher = Matcher.compile([Watchlist(name="w", entries=(entry,))])
    assert not matcher.match("strikes").alert
    assert matcher.match("strike").alert


def test_excludes_are_inflected_too() -> None:
    entry = Entry(
        id="e", label="E", kind="theme", terms=("cartel",), excludes=("festival",), fuzzy=None
    )
    matcher = Matcher.compile([Watchlist(name="w", entries=(entry,))])
    assert not matcher.match("cartel de festivales").alert


def test_a_near_exclusion_drops_only_the_mentions_near_it() -> None:
    (watchlist,) = [
        watchlist_from_yaml(
            """
name: w
entries:
  - id: mexico
    terms: [Mexico]
    excludes:
      - terms: [New Mexico]
        within: 0 words
"""
        )
    ]
    matcher = Matcher.compile([watchlist])
    assert not matcher.match("Drought in New Mexico").alert
    (verdict,) = matcher.match("Drought in New Mexico").verdicts
    assert verdict.reasons == ("mexico: excluded by 'New Mexico' within 0 words",)
    result = matcher.match("Migrants cross from Mexico into New Mexico")
    assert result.alert
    (hit,) = result.verdicts[0].hits
    assert hit.start == len("Migrants cross from ")  # the mention that counts


def test_terms_that_inflect_alike_match_once() -> None:
    entry = Entry(
        id="e", label="E", kind="theme", terms=("cartel", "cárteles", "strike"), fuzzy=None
    )
    matcher = Matcher.compile([Watchlist(name="w", entries=(entry,))])
    _, hits, _ = matcher._index.find("Los cárteles y un cartel", "", False)
    assert len(hits) == 2  # one per story word, not one per term
    (hit,) = matcher.match("Los cárteles").verdicts[0].hits
    assert (hit.term, hit.matched, hit.form) == ("cartel", "cárteles", "inflected")
