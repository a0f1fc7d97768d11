"""An entry's `requires` and `excludes` as editors write them, read into `Requirement`s and
`Exclusion`s with the line of every mistake; and the requirement cycles that `check` refuses.

The YAML reads as a sentence::

    requires: [mexico, cartels]           # old form: one of these entries
    requires:                             # one group: all that it says must hold
      any of: [cartels, cartel-context]
      all of: [united-states]
      within: sentence                    # or `12 words`
    requires:                             # several groups: every group must hold
      - any of: [mexico]
      - any of: [cartels]
        within: 10 words
    excludes: [OPEC, oil cartel]          # old form: terms anywhere in the story
    excludes:                             # strings are terms anywhere; mappings are scoped
      - OPEC
      - terms: [festival, concierto]
        within: sentence
      - entries: [other-countries]        # the entry does not count when that entry holds
        within: 8 words
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from watchbot.errors import Problem
from watchbot.models import ANYWHERE, Exclusion, Nearness, Requirement, Watchlist
from watchbot.yamlfile import Loc

LineOf = Callable[[Loc], int | None]
_REQUIRE_KEYS = ("any of", "all of", "within")
_EXCLUDE_KEYS = ("terms", "entries", "within")
_WORDS = re.compile(r"^(\d+)\s*words?$")
_MAX_WORDS = 100


class _Reader:
    """Reads one entry's rules, collecting a Problem for each mistake."""

    def __init__(self, path: Any, line_of: LineOf, where: str, loc: Loc) -> None:
        self.path = path
        self.line_of = line_of
        self.where = where  # "entry 'x'"
        self.loc = loc  # ("entries", i)
        self.problems: list[Problem] = []

    def problem(self, loc: Loc, key: str, message: str) -> None:
        self.problems.append(
            Problem(self.path, self.line_of((*self.loc, *loc)), f"{self.where} {key}", message)
        )

    def ids(self, value: Any, loc: Loc, key: str) -> tuple[str, ...]:
        if isinstance(value, str):
            return (value,)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return tuple(value)
        self.problem(loc, key, "expected an entry id or a list of entry ids, e.g. [mexico]")
        return ()

    def near(self, value: Any, loc: Loc, key: str) -> Nearness:
        if value is None:
            return ANYWHERE
        text = str(value).strip().lower()
        if text in ("sentence", "same sentence", "the same sentence"):
            return Nearness(sentence=True)
        m = _WORDS.match(text) or re.match(r"^(\d+)$", text)
        if m and not isinstance(value, bool) and int(m.group(1)) <= _MAX_WORDS:
            return Nearness(words=int(m.group(1)))
        self.problem(
            loc,
            key,
            f"expected `sentence` or a number of words up to {_MAX_WORDS} such as `10 words`, "
            f"got {value!r}",
        )
        return ANYWHERE

    def keys(self, value: dict[Any, Any], loc: Loc, key: str, known: tuple[str, ...]) -> bool:
        ok = True
        for name in value:
            if name not in known:
                guess = difflib.get_close_matches(str(name), known, n=1, cutoff=0.5)
                hint = f"did you mean `{guess[0]}`?" if guess else f"known keys: {', '.join(known)}"
                self.problem((*loc, str(name)), f"{key}.{name}", f"unknown key; {hint}")
                ok = False
        return ok

    def requirement(self, value: dict[Any, Any], loc: Loc, key: str) -> Requirement | None:
        if not self.keys(value, loc, key, _REQUIRE_KEYS):
            return None
        if "any of" not in value and "all of" not in value:
            self.problem(loc, key, "say which entries: `any of: [a, b]` or `all of: [a, b]`")
            return None
        any_of = self.ids(value["any of"], (*loc, "any of"), key) if "any of" in value else ()
        all_of = self.ids(value["all of"], (*loc, "all of"), key) if "all of" in value else ()
        near = self.near(value.get("within"), (*loc, "within"), f"{key}.within")
        return Requirement(any_of, all_of, near, self.line_of((*self.loc, *loc)) or 0)

    def exclusion(self, value: dict[Any, Any], loc: Loc, key: str) -> Exclusion | None:
        if not self.keys(value, loc, key, _EXCLUDE_KEYS):
            return None
        if "terms" not in value and "entries" not in value:
            self.problem(loc, key, "say what excludes: `terms: [...]` or `entries: [...]`")
            return None
        terms = value.get("terms", [])
        terms = [terms] if isinstance(terms, str) else terms
        if not isinstance(terms, list) or not all(isinstance(t, str) for t in terms):
            self.problem((*loc, "terms"), f"{key}.terms", "expected a list of terms in quotes")
            terms = []
        entries = self.ids(value["entries"], (*loc, "entries"), key) if "entries" in value else ()
        near = self.near(value.get("within"), (*loc, "within"), f"{key}.within")
        return Exclusion(tuple(terms), entries, near, self.line_of((*self.loc, *loc)) or 0)


def read_requires(
    value: Any, path: Any, line_of: LineOf, where: str, loc: Loc
) -> tuple[tuple[Requirement, ...], list[Problem]]:
    """An entry's `requires` as requirements (every one must hold), and the problems found."""
    reader = _Reader(path, line_of, where, loc)
    line = line_of((*loc, "requires")) or 0
    if value is None or value == []:
        return (), []
    if isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    ):
        return (Requirement(any_of=reader.ids(value, ("requires",), "requires"), line=line),), (
            reader.problems
        )
    groups = value if isinstance(value, list) else [value]
    found: list[Requirement] = []
    for j, group in enumerate(groups):
        gloc: Loc = ("requires",) if isinstance(value, dict) else ("requires", j)
        key = "requires" if isinstance(value, dict) else f"requires[{j}]"
        if not isinstance(group, dict):
            reader.problem(
                gloc,
                key,
                "in a list of requirement groups, write each as `any of: [...]` or "
                "`all of: [...]` (or make the whole list entry ids: one of them is required)",
            )
            continue
        req = reader.requirement(group, gloc, key)
        if req is not None:
            found.append(req)
    return tuple(found), reader.problems


def read_excludes(
    value: Any, path: Any, line_of: LineOf, where: str, loc: Loc
) -> tuple[tuple[str, ...], tuple[Exclusion, ...], list[Problem]]:
    """An entry's `excludes`: the terms that exclude it from anywhere, and the scoped ones."""
    reader = _Reader(path, line_of, where, loc)
    if value is None:
        return (), (), []
    items = value if isinstance(value, list) else [value]
    terms: list[str] = []
    scoped: list[Exclusion] = []
    for j, item in enumerate(items):
        iloc: Loc = ("excludes", j) if isinstance(value, list) else ("excludes",)
        key = f"excludes[{j}]" if isinstance(value, list) else "excludes"
        if isinstance(item, str):
            terms.append(item)
        elif isinstance(item, dict):
            exclusion = reader.exclusion(item, iloc, key)
            if exclusion is not None:
                scoped.append(exclusion)
        elif isinstance(item, list):
            reader.problem(
                iloc,
                key,
                "a list inside `excludes`: write its terms in the list itself, or reuse words "
                "through an entry (`- entries: [that-entry]`)",
            )
        # other types: the schema's own check says what is wrong with them
    return tuple(terms), tuple(scoped), reader.problems


def named_entries(value: Any, key: str) -> Iterable[tuple[Loc, str]]:
    """Each entry id that a `requires` or `excludes` value names, with where it is."""
    if isinstance(value, str):
        if key == "requires":
            yield (key,), value
        return
    if isinstance(value, dict):
        items: list[tuple[Loc, Any]] = [((key,), value)]
    elif isinstance(value, list):
        items = [((key, j), item) for j, item in enumerate(value)]
    else:
        return
    for loc, item in items:
        if isinstance(item, str) and key == "requires":
            yield loc, item
        elif isinstance(item, dict):
            for field in ("any of", "all of", "entries"):
                ids = item.get(field)
                if isinstance(ids, str):
                    yield (*loc, field), ids
                elif isinstance(ids, list):
                    for k, other in enumerate(ids):
                        if isinstance(other, str):
                            yield (*loc, field, k), other


def cycle_problems(watchlists: Sequence[Watchlist]) -> list[Problem]:
    """One problem for each cycle of entries that require (or exclude by) each other."""
    entries = {e.id: (w, e) for w in watchlists for e in w.entries}
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []
    problems: list[Problem] = []

    def visit(ident: str) -> None:
        state[ident] = 1
        path.append(ident)
        for other in entries[ident][1].depends_on:
            if other not in entries:
                continue
            if state.get(other) == 1:
                circle = [*path[path.index(other) :], other]
                watchlist, entry = entries[other]
                line = next(
                    (r.line for r in entry.rules if circle[1] in (*r.any_of, *r.all_of) and r.line),
                    entry.line,
                )
                problems.append(
                    Problem(
                        watchlist.path,
                        line,
                        f"entry {other!r} requires",
                        f"requirements go round in a circle: {' → '.join(circle)}; an entry "
                        "cannot depend on itself through others, so remove one of these",
                    )
                )
            elif other not in state:
                visit(other)
        path.pop()
        state[ident] = 2

    for ident in entries:
        if ident not in state:
            visit(ident)
    return problems
