"""watchlist.py: valid watchlists become frozen models; every problem in every file at once."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from factories import line_of
from watchbot.errors import ConfigError, Problem
from watchbot.match import term_problem
from watchbot.models import Entry, Watchlist
from watchbot.watchlist import load_watchlists, watchlist_files

WriteLists = Callable[[dict[str, str]], Path]

SHIPPED = Path(__file__).parents[1] / "watchlists" / "mexico-security.yaml"


@pytest.fixture
def write_lists(tmp_path: Path) -> WriteLists:
    """Write {file name: YAML string} into <tmp>/watchlists and return the folder."""

    def write(files: dict[str, str]) -> Path:
        folder = tmp_path / "watchlists"
        folder.mkdir(exist_ok=True)
        for name, text in files.items():
            (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
        return folder

    return write


def problems_of(path: Path) -> tuple[Problem, ...]:
    with pytest.raises(ConfigError) as info:
        load_watchlists(path)
    return info.value.problems


# --- a valid watchlist ----------------------------------------------------------------------------

DESK = """\
    name: mexico-security
    description: US–Mexico security and trade
    channel: "#mexico-desk"
    entries:
      - id: sheinbaum
        label: Claudia Sheinbaum
        kind: person
        terms: [Claudia Sheinbaum, Sheinbaum]
      - id: extradition
        label: Extraditions
        kind: theme
        terms: ["extradit*", "extradición"]
        requires: mexico
        fuzzy: false
      - id: mexico
        kind: place
        terms: Mexico
        alert: false
        fuzzy: 80
      - id: cartels
        terms: ["cartel*", "/narco-?terror(ism|ist)s?/"]
        excludes: [OPEC, "oil cartel"]
        requires: [mexico, sheinbaum]
        fuzzy: true
"""


@pytest.fixture
def desk(write_lists: WriteLists) -> Watchlist:
    (watchlist,) = load_watchlists(write_lists({"desk.yaml": DESK}))
    return watchlist


def test_valid_watchlist_becomes_a_watchlist(desk: Watchlist, write_lists: WriteLists) -> None:
    assert desk.name == "mexico-security"
    assert desk.description == "US–Mexico security and trade"
    assert desk.channel == "#mexico-desk"
    assert desk.path == write_lists({}) / "desk.yaml"
    assert [e.id for e in desk.entries] == ["sheinbaum", "extradition", "mexico", "cartels"]


def test_entries_keep_every_field(desk: Watchlist) -> None:
    sheinbaum, extradition, mexico, cartels = desk.entries
    assert sheinbaum == Entry(
        id="sheinbaum",
        label="Claudia Sheinbaum",
        kind="person",
        terms=("Claudia Sheinbaum", "Sheinbaum"),
        line=sheinbaum.line,
    )
    assert extradition.terms == ("extradit*", "extradición")
    assert mexico.alert is False
    assert cartels.excludes == ("OPEC", "oil cartel")
    assert cartels.terms == ("cartel*", "/narco-?terror(ism|ist)s?/")


@pytest.mark.parametrize(
    ("entry", "label"),
    [("sheinbaum", "Claudia Sheinbaum"), ("mexico", "mexico"), ("cartels", "cartels")],
    ids=["given", "defaults-to-id", "defaults-to-id-too"],
)
def test_label_defaults_to_the_id(desk: Watchlist, entry: str, label: str) -> None:
    assert {e.id: e.label for e in desk.entries}[entry] == label


@pytest.mark.parametrize(
    ("entry", "kind"),
    [("sheinbaum", "person"), ("mexico", "place"), ("cartels", "theme")],
    ids=["person", "place", "defaults-to-theme"],
)
def test_kind(desk: Watchlist, entry: str, kind: str) -> None:
    assert {e.id: e.kind for e in desk.entries}[entry] == kind


@pytest.mark.parametrize(
    ("entry", "fuzzy"),
    [("sheinbaum", 90), ("extradition", None), ("mexico", 80), ("cartels", 90)],
    ids=["absent-is-90", "false-is-off", "int-is-kept", "true-is-90"],
)
def test_fuzzy_mapping(desk: Watchlist, entry: str, fuzzy: int | None) -> None:
    assert {e.id: e.fuzzy for e in desk.entries}[entry] == fuzzy


@pytest.mark.parametrize(
    ("entry", "requires"),
    [("sheinbaum", ()), ("extradition", ("mexico",)), ("cartels", ("mexico", "sheinbaum"))],
    ids=["none", "one-string", "a-list"],
)
def test_requires_as_string_or_list(desk: Watchlist, entry: str, requires: tuple[str, ...]) -> None:
    assert {e.id: e.requires for e in desk.entries}[entry] == requires


def test_entries_know_their_line(desk: Watchlist) -> None:
    assert desk.path is not None
    for entry in desk.entries:
        assert entry.line == line_of(desk.path, f"- id: {entry.id}")


@pytest.mark.parametrize("fuzzy", [0, 100], ids=["zero", "hundred"])
def test_fuzzy_bounds_are_allowed(write_lists: WriteLists, fuzzy: int) -> None:
    text = f"name: a\nentries:\n  - id: x\n    terms: [Ex]\n    fuzzy: {fuzzy}\n"
    folder = write_lists({"a.yaml": text})
    (watchlist,) = load_watchlists(folder)
    assert watchlist.entries[0].fuzzy == fuzzy


def test_channel_is_optional(write_lists: WriteLists) -> None:
    (watchlist,) = load_watchlists(
        write_lists({"a.yaml": "name: a\nentries: [{id: x, terms: [X]}]\n"})
    )
    assert watchlist.channel is None
    assert watchlist.description == ""


# --- folder or file -------------------------------------------------------------------------------

ONE = "name: one\nentries:\n  - id: first\n    terms: [First]\n"
TWO = "name: two\nentries:\n  - id: second\n    terms: [Second]\n    requires: first\n"


def test_a_folder_loads_every_yaml_file_in_name_order(write_lists: WriteLists) -> None:
    folder = write_lists({"b.yml": TWO, "a.yaml": ONE, "notes.txt": "not: a watchlist\n"})
    (folder / "drafts.yaml").mkdir()  # a folder named like a file is not a watchlist

    watchlists = load_watchlists(folder)

    assert [w.name for w in watchlists] == ["one", "two"]
    assert [w.path for w in watchlists] == [folder / "a.yaml", folder / "b.yml"]
    assert watchlist_files(folder) == [folder / "a.yaml", folder / "b.yml"]


def test_a_single_file_loads_alone(write_lists: WriteLists) -> None:
    folder = write_lists({"a.yaml": ONE, "b.yml": TWO})
    (watchlist,) = load_watchlists(folder / "a.yaml")
    assert watchlist.name == "one"


def test_requires_may_name_an_entry_of_another_file(write_lists: WriteLists) -> None:
    _, two = load_watchlists(write_lists({"a.yaml": ONE, "b.yaml": TWO}))
    assert two.entries[0].requires == ("first",)


def test_empty_folder(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path)
    assert problem.path == tmp_path
    assert "no *.yaml watchlist files" in problem.message


def test_missing_path(tmp_path: Path) -> None:
    (problem,) = problems_of(tmp_path / "nowhere")
    assert "watchlists path not found" in problem.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a list\n", "expected a mapping with name and entries"),
        ("", "expected a mapping with name and entries"),
        ("name: a\nentries: [{id: x, terms: [X]}\n", "invalid YAML"),
    ],
    ids=["a-list", "empty-file", "invalid-yaml"],
)
def test_a_file_that_is_not_a_watchlist(write_lists: WriteLists, text: str, message: str) -> None:
    folder = write_lists({"a.yaml": text})
    (problem,) = problems_of(folder)
    assert problem.path == folder / "a.yaml"
    assert message in problem.message


# --- every problem at once, across files ----------------------------------------------------------

FIRST = """\
    name: security
    entries:
      - id: cartels
        terms: ["cartel*"]
        exclude: [OPEC]
      - id: yesno
        terms: [no]
      - id: numbers
        terms: [1910]
      - id: nothing
        terms: []
      - id: regex
        terms:
          - "/narco-(terror/"
      - id: blank
        terms:
          - ""
      - id: toosimilar
        terms: [Alpha]
        fuzzy: 150
      - id: needy
        terms: [Needy]
        requires: [cartls]
      - id: selfish
        terms: [Selfish]
        requires: selfish
"""

SECOND = """\
    name: security
    entries:
      - id: cartels  # again
        terms: [Cartel]
"""

# (file, text on the problem's line, where, part of the message)
CROSS_PROBLEMS = [
    ("a.yaml", "exclude:", "entry 'cartels' exclude", "unknown key; did you mean `excludes`?"),
    ("a.yaml", "terms: [no]", "entry 'yesno' terms", "term False is not text"),
    ("a.yaml", "terms: [1910]", "entry 'numbers' terms", 'put it in quotes (e.g. "1910")'),
    ("a.yaml", "terms: []", "entry 'nothing' terms", "must list at least 1 item"),
    ("a.yaml", "narco-(terror", "entry 'regex' terms[0] '/narco-(terror/'", "invalid regular"),
    ("a.yaml", '- ""', "entry 'blank' terms[0] ''", "empty term; remove it"),
    ("a.yaml", "fuzzy: 150", "entry 'toosimilar' fuzzy", "from 0 to 100 (default 90), or false"),
    ("a.yaml", "[cartls]", "entry 'needy' requires", "no entry has the id 'cartls'; did you mean"),
    ("a.yaml", "requires: selfish", "entry 'selfish' requires", "an entry cannot require itself"),
    ("b.yaml", "name: security", "name", "watchlist name 'security' is already used in"),
    ("b.yaml", "cartels  # again", "entry 'cartels'", "duplicate entry id: already defined at"),
]


def test_every_problem_in_every_file_is_reported_at_once(write_lists: WriteLists) -> None:
    problems = problems_of(write_lists({"a.yaml": FIRST, "b.yaml": SECOND}))
    found = sorted((p.path.name if p.path else "", p.where) for p in problems)
    assert found == sorted((file, where) for file, _, where, _ in CROSS_PROBLEMS)


@pytest.mark.parametrize(
    ("file", "on_line", "where", "message"),
    CROSS_PROBLEMS,
    ids=[
        "unknown-key",
        "unquoted-boolean-term",
        "unquoted-number-term",
        "empty-terms-list",
        "invalid-regex",
        "empty-string-term",
        "fuzzy-out-of-range",
        "requires-unknown-entry",
        "requires-itself",
        "duplicate-watchlist-name",
        "duplicate-entry-id-across-files",
    ],
)
def test_each_problem_has_file_line_entry_and_hint(
    write_lists: WriteLists, file: str, on_line: str, where: str, message: str
) -> None:
    folder = write_lists({"a.yaml": FIRST, "b.yaml": SECOND})
    problem = next(p for p in problems_of(folder) if p.where == where)

    assert problem.path == folder / file
    assert problem.line == line_of(folder / file, on_line)
    assert message in problem.message


def test_invalid_regex_message_comes_from_the_matcher(write_lists: WriteLists) -> None:
    problem = next(
        p
        for p in problems_of(write_lists({"a.yaml": FIRST}))
        if p.where.startswith("entry 'regex'")
    )
    assert problem.message == term_problem("/narco-(terror/")


def test_requires_suggests_the_closest_id(write_lists: WriteLists) -> None:
    problem = next(
        p
        for p in problems_of(write_lists({"a.yaml": FIRST}))
        if p.where == "entry 'needy' requires"
    )
    assert problem.message == "no entry has the id 'cartls'; did you mean 'cartels'?"


def test_duplicate_id_names_where_it_was_first_defined(write_lists: WriteLists) -> None:
    folder = write_lists({"a.yaml": FIRST, "b.yaml": SECOND})
    problem = next(p for p in problems_of(folder) if p.where == "entry 'cartels'")
    first = f"{folder / 'a.yaml'}:{line_of(folder / 'a.yaml', 'id: cartels')}"
    assert f"already defined at {first};" in problem.message


@pytest.mark.parametrize(
    "word", ["no", "yes", "on", "off", "true"], ids=["no", "yes", "on", "off", "true"]
)
def test_unquoted_yaml_booleans_are_not_terms(write_lists: WriteLists, word: str) -> None:
    folder = write_lists({"a.yaml": f"name: a\nentries:\n  - id: x\n    terms: [Ex, {word}]\n"})
    (problem,) = problems_of(folder)
    assert "YAML reads an unquoted yes/no/on/off/true/false as a boolean" in problem.message
    assert "put the term in quotes" in problem.message


def test_quoted_yaml_booleans_are_terms(write_lists: WriteLists) -> None:
    folder = write_lists({"a.yaml": 'name: a\nentries:\n  - id: x\n    terms: ["no", "1910"]\n'})
    (watchlist,) = load_watchlists(folder)
    assert watchlist.entries[0].terms == ("no", "1910")


@pytest.mark.parametrize(
    ("entry_yaml", "where", "message"),
    [
        ("{terms: [X]}", "entries[0].id", "required key is missing"),
        ("{id: x}", "entry 'x' terms", "required key is missing"),
        ("{id: 'has space', terms: [X]}", "entry 'has space' id", "should match pattern"),
        ("{id: x, terms: [X], kind: animal}", "entry 'x' kind", "'person', 'organization'"),
        ("{id: x, terms: [X], excludes: [no]}", "entry 'x' excludes", "term False is not text"),
        ("{id: x, terms: ['ex*tra']}", "entry 'x' terms[0] 'ex*tra'", "use * only at the end"),
        ("{id: x, terms: [X], excludes: ['/(/']}", "entry 'x' excludes[0] '/(/'", "invalid"),
        ("{id: x, terms: [X], requires: [nobody]}", "entry 'x' requires", "add that entry"),
    ],
    ids=[
        "entry-without-id",
        "entry-without-terms",
        "id-with-space",
        "unknown-kind",
        "boolean-exclude",
        "star-inside-a-word",
        "invalid-regex-exclude",
        "requires-with-no-close-id",
    ],
)
def test_single_problem(write_lists: WriteLists, entry_yaml: str, where: str, message: str) -> None:
    folder = write_lists({"a.yaml": f"name: a\nentries:\n  - {entry_yaml}\n"})
    (problem,) = problems_of(folder)
    assert problem.where == where
    assert message in problem.message


def test_watchlist_without_entries(write_lists: WriteLists) -> None:
    (problem,) = problems_of(write_lists({"a.yaml": "name: a\nentries: []\n"}))
    assert problem.where == "entries"
    assert "must list at least 1 item" in problem.message


def test_unknown_watchlist_key(write_lists: WriteLists) -> None:
    folder = write_lists({"a.yaml": "name: a\nchanel: '#x'\nentries: [{id: x, terms: [X]}]\n"})
    (problem,) = problems_of(folder)
    assert problem.where == "chanel"
    assert problem.line == 2
    assert problem.message == "unknown key; did you mean `channel`?"


# --- the shipped watchlist ------------------------------------------------------------------------


def test_shipped_watchlist_loads() -> None:
    (watchlist,) = load_watchlists(SHIPPED)
    assert watchlist.name == "mexico-security"
    assert watchlist.entries
    ids = {entry.id for entry in watchlist.entries}
    for entry in watchlist.entries:
        assert set(entry.requires) <= ids


# --- requirement rules in YAML --------------------------------------------------------------------

RULES = """\
    name: rules
    entries:
      - id: mexico
        terms: [Mexico]
        alert: false
      - id: spain
        terms: [Spain]
        alert: false
      - id: cartels
        terms: [cartel]
        alert: false
      - id: old-form
        terms: [tariff]
        requires: [mexico, cartels]
      - id: one-group
        terms: [extradition]
        requires:
          any of: [mexico, cartels]
          all of: spain
          within: sentence
      - id: groups
        terms: [transfer]
        requires:
          - any of: [mexico]
          - all of: [cartels]
            within: 12 words
        excludes:
          - OPEC
          - terms: [festival, concierto]
            within: 3 words
          - entries: [spain]
"""


def test_rules_read_as_written(write_lists: WriteLists) -> None:
    from watchbot.models import Exclusion, Nearness, Requirement

    (watchlist,) = load_watchlists(write_lists({"a.yaml": RULES}))
    entries = {e.id: e for e in watchlist.entries}
    old = entries["old-form"]
    assert old.requires == ("mexico", "cartels")
    assert [(r.any_of, r.all_of, r.near) for r in old.rules] == [
        (("mexico", "cartels"), (), Nearness())
    ]
    (group,) = entries["one-group"].requirements
    assert (group.any_of, group.all_of, group.near) == (
        ("mexico", "cartels"),
        ("spain",),
        Nearness(sentence=True),
    )
    groups = entries["groups"]
    assert [(r.any_of, r.all_of, r.near) for r in groups.requirements] == [
        (("mexico",), (), Nearness()),
        ((), ("cartels",), Nearness(words=12)),
    ]
    assert groups.requires == ("mexico", "cartels")
    assert groups.excludes == ("OPEC",)
    assert [(x.terms, x.entries, x.near) for x in groups.exclusions] == [
        (("festival", "concierto"), (), Nearness(words=3)),
        ((), ("spain",), Nearness()),
    ]
    assert isinstance(groups.requirements[0], Requirement)
    assert isinstance(groups.exclusions[0], Exclusion)
    assert groups.requirements[1].line == line_of(watchlist.path or Path(), "- all of: [cartels]")


BAD_RULES = """\
    name: bad
    entries:
      - id: mexico
        terms: [Mexico]
      - id: typo-key
        terms: [a]
        requires:
          any off: [mexico]
      - id: no-ids
        terms: [b]
        requires:  # no ids
          within: sentence
      - id: bad-within
        terms: [c]
        requires:
          any of: [mexico]
          within: near
      - id: mixed
        terms: [d]
        requires:
          - mexico
          - any of: [mexico]
      - id: unknown-in-group
        terms: [e]
        requires:
          all of: [mexcio]
      - id: bad-exclusion-term
        terms: [f]
        excludes:
          - terms: ["/(/"]
      - id: exclusion-key
        terms: [g]
        excludes:
          - entry: [mexico]
      - id: excludes-itself
        terms: [h]
        excludes:
          - entries: [excludes-itself]
"""

# (text on the problem's line, where, part of the message)
RULE_PROBLEMS = [
    ("any off:", "entry 'typo-key' requires.any off", "unknown key; did you mean `any of`?"),
    ("# no ids", "entry 'no-ids' requires", "say which entries: `any of: [a, b]`"),
    ("within: near", "entry 'bad-within' requires.within", "expected `sentence` or a number"),
    ("- mexico", "entry 'mixed' requires[0]", "write each as `any of: [...]`"),
    ("[mexcio]", "entry 'unknown-in-group' requires", "no entry has the id 'mexcio'; did you"),
    ('["/(/"]', "entry 'bad-exclusion-term' excludes[0].terms[0] '/(/'", "invalid regular"),
    ("entry: [mexico]", "entry 'exclusion-key' excludes[0].entry", "did you mean `entries`?"),
    ("[excludes-itself]", "entry 'excludes-itself' excludes", "an entry cannot exclude itself"),
]


@pytest.mark.parametrize(
    ("on_line", "where", "message"),
    RULE_PROBLEMS,
    ids=[
        "unknown-key-did-you-mean",
        "group-without-ids",
        "bad-within",
        "mixed-list",
        "unknown-id-in-group",
        "bad-term-in-exclusion",
        "unknown-exclusion-key",
        "excludes-itself",
    ],
)
def test_rule_problems_have_file_line_and_fix(
    write_lists: WriteLists, on_line: str, where: str, message: str
) -> None:
    folder = write_lists({"a.yaml": BAD_RULES})
    problems = problems_of(folder)
    problem = next(p for p in problems if p.where == where)
    assert problem.line == line_of(folder / "a.yaml", on_line)
    assert message in problem.message


def test_every_rule_problem_is_reported_at_once(write_lists: WriteLists) -> None:
    problems = problems_of(write_lists({"a.yaml": BAD_RULES}))
    assert sorted(p.where for p in problems) == sorted(where for _, where, _ in RULE_PROBLEMS)


CYCLE = """\
    name: cycle
    entries:
      - id: border
        terms: [border]
        requires: [mexico]
      - id: mexico
        terms: [Mexico]
        requires:
          any of: [fentanyl]
      - id: fentanyl
        terms: [fentanyl]
        requires: [border]
"""


def test_check_reports_a_cycle_with_file_and_line(write_lists: WriteLists) -> None:
    folder = write_lists({"a.yaml": CYCLE})
    (problem,) = problems_of(folder)
    assert problem.path == folder / "a.yaml"
    assert problem.where == "entry 'border' requires"
    assert problem.line == line_of(folder / "a.yaml", "requires: [mexico]")
    assert "requirements go round in a circle: border → mexico → fentanyl → border" in (
        problem.message
    )


def test_a_cycle_across_files_is_found(write_lists: WriteLists) -> None:
    one = "name: one\nentries:\n  - id: a\n    terms: [A]\n    requires: b\n"
    two = "name: two\nentries:\n  - id: b\n    terms: [B]\n    excludes:\n      - entries: [a]\n"
    (problem,) = problems_of(write_lists({"one.yaml": one, "two.yaml": two}))
    assert "a → b → a" in problem.message


def test_inflect_defaults_to_true_and_can_be_turned_off(write_lists: WriteLists) -> None:
    text = (
        "name: a\nentries:\n  - id: x\n    terms: [strike]\n"
        "  - id: y\n    terms: [strike]\n    inflect: false\n"
    )
    (watchlist,) = load_watchlists(write_lists({"a.yaml": text}))
    assert [e.inflect for e in watchlist.entries] == [True, False]


def test_a_list_inside_excludes_is_refused(write_lists: WriteLists) -> None:
    text = "name: a\nentries:\n  - id: x\n    terms: [X]\n    excludes:\n      - [a, b]\n"
    (problem,) = problems_of(write_lists({"a.yaml": text}))
    assert problem.where == "entry 'x' excludes[0]"
    assert "a list inside `excludes`" in problem.message
