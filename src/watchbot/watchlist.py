"""Load and validate watchlist YAML files into frozen `Watchlist`s.

Editors write these by hand, so every problem in every file is reported at once, each with the
file, the line, the entry and a fix: unknown keys (with a did-you-mean), duplicate entry ids or
watchlist names across files, `requires` naming an unknown entry, and terms that are invalid or
can never match (the matcher's own `term_problem` decides that).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from watchbot.errors import ConfigError, Problem
from watchbot.match import term_problem
from watchbot.models import Entry, Watchlist
from watchbot.rules import cycle_problems, named_entries, read_excludes, read_requires
from watchbot.yamlfile import Loc, YamlDoc, YamlProblem, load_yaml, parse_yaml, problems_from

DEFAULT_FUZZY = 90
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def _term_list(value: Any) -> Any:
    """Terms must be strings; YAML turns unquoted `yes`, `no`, `on`, `1910` into other types."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        for item in value:
            if isinstance(item, bool):
                raise ValueError(
                    f"term {item!r} is not text: YAML reads an unquoted yes/no/on/off/true/false "
                    'as a boolean; put the term in quotes (e.g. "no")'
                )
            if isinstance(item, int | float):
                raise ValueError(
                    f"term {item!r} is not text: YAML read it as a number; "
                    f'put it in quotes (e.g. "{item}")'
                )
            if item is None:
                raise ValueError("a term is empty (YAML read it as null); remove it or write text")
    return value


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    label: str | None = None
    kind: Literal["person", "organization", "place", "theme"] = "theme"
    terms: list[str] = Field(min_length=1)
    requires: Any = None  # read by watchbot.rules, which reports its mistakes with lines
    excludes: Any = None
    alert: bool = True
    fuzzy: int | bool = DEFAULT_FUZZY
    inflect: bool = True

    _terms = field_validator("terms", mode="before")(_term_list)

    @field_validator("excludes", mode="before")
    @classmethod
    def _exclude_terms(cls, value: Any) -> Any:
        if isinstance(value, list):  # the strings of the list are terms; mappings are rules
            _term_list([v for v in value if not isinstance(v, dict)])
        elif not isinstance(value, dict):
            _term_list(value)
        return value

    @field_validator("fuzzy")
    @classmethod
    def _fuzzy(cls, value: int | bool) -> int | bool:
        if isinstance(value, bool):
            return value
        if not 0 <= value <= 100:
            raise ValueError("expected a similarity from 0 to 100 (default 90), or false")
        return value


class _Watchlist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=_ID)
    description: str = ""
    channel: str | None = None
    entries: list[_Entry] = Field(min_length=1)


def watchlist_files(path: Path) -> list[Path]:
    """The watchlist files at `path`: a folder's *.yaml / *.yml (sorted), or the one file."""
    if path.is_dir():
        return sorted(p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and p.is_file())
    return [path]


def _fuzzy(value: int | bool) -> int | None:
    if value is True:
        return DEFAULT_FUZZY
    if value is False:
        return None
    return int(value)


def _to_entry(e: _Entry, i: int, doc: YamlDoc) -> Entry:
    where = f"entry {e.id!r}"
    requirements, _ = read_requires(e.requires, doc.path, doc.line, where, ("entries", i))
    excludes, exclusions, _ = read_excludes(e.excludes, doc.path, doc.line, where, ("entries", i))
    named = [ident for req in requirements for ident in (*req.any_of, *req.all_of)]
    return Entry(
        id=e.id,
        label=e.label or e.id,
        kind=e.kind,
        terms=tuple(e.terms),
        requires=tuple(dict.fromkeys(named)),
        excludes=excludes,
        alert=e.alert,
        fuzzy=_fuzzy(e.fuzzy),
        line=doc.line(("entries", i)) or 0,
        requirements=requirements,
        exclusions=exclusions,
        inflect=e.inflect,
    )


def _to_watchlist(raw: _Watchlist, doc: YamlDoc) -> Watchlist:
    return Watchlist(
        name=raw.name,
        description=raw.description,
        channel=raw.channel,
        path=doc.path,
        entries=tuple(_to_entry(e, i, doc) for i, e in enumerate(raw.entries)),
    )


def _entries(doc: YamlDoc) -> list[tuple[int, dict[str, Any], str]]:
    """(index, entry, how to name it) of every entry mapping in the plain data of `doc`."""
    entries = doc.data.get("entries") if isinstance(doc.data, dict) else None
    out = []
    for i, entry in enumerate(entries if isinstance(entries, list) else []):
        if isinstance(entry, dict):
            ident = entry.get("id")
            out.append(
                (i, entry, f"entry {ident!r}" if isinstance(ident, str) else f"entries[{i}]")
            )
    return out


def _strings(value: Any) -> list[tuple[int | None, str]]:
    """The strings of a one-or-many value, with their list index (None for a lone string)."""
    if isinstance(value, str):
        return [(None, value)]
    if isinstance(value, list):
        return [(j, v) for j, v in enumerate(value) if isinstance(v, str)]
    return []


# The checks below read the plain data, not the validated model, so that a schema error in one
# entry does not hide an invalid term, a duplicate id or an unknown `requires` elsewhere.


def _all_terms(entry: dict[str, Any]) -> Iterable[tuple[Loc, str, str]]:
    """(where in the entry, how to name it, term) of every term, scoped excludes included."""
    for key in ("terms", "excludes"):
        for j, term in _strings(entry.get(key)):
            yield (key,) if j is None else (key, j), key if j is None else f"{key}[{j}]", term
    excludes = entry.get("excludes")
    groups = excludes if isinstance(excludes, list) else [excludes]
    for j, group in enumerate(groups):
        if isinstance(group, dict):
            base: Loc = ("excludes", j) if isinstance(excludes, list) else ("excludes",)
            name = f"excludes[{j}]" if isinstance(excludes, list) else "excludes"
            for k, term in _strings(group.get("terms")):
                loc: Loc = (*base, "terms") if k is None else (*base, "terms", k)
                yield loc, f"{name}.terms" + ("" if k is None else f"[{k}]"), term


def _term_problems(doc: YamlDoc) -> Iterable[Problem]:
    for i, entry, where in _entries(doc):
        for loc, name, term in _all_terms(entry):
            # the matcher's own word for an empty term lacks the fix an editor needs
            blank = "empty term; remove it, or write the words to match"
            why = blank if not term.strip() else term_problem(term)
            if why:
                yield Problem(
                    doc.path, doc.line(("entries", i, *loc)), f"{where} {name} {term!r}", why
                )


def _rule_problems(doc: YamlDoc) -> Iterable[Problem]:
    """Mistakes in the shape of `requires` and `excludes` (unknown keys, bad `within`…)."""
    for i, entry, where in _entries(doc):
        yield from read_requires(entry.get("requires"), doc.path, doc.line, where, ("entries", i))[
            1
        ]
        yield from read_excludes(entry.get("excludes"), doc.path, doc.line, where, ("entries", i))[
            2
        ]


def _cross_problems(docs: list[YamlDoc]) -> Iterable[Problem]:
    """Problems only visible across all files: duplicate names and ids, unknown `requires`."""
    names: dict[str, Path] = {}
    ids: dict[str, tuple[Path, int | None]] = {}
    for doc in docs:
        name = doc.data.get("name")
        if isinstance(name, str):
            if name in names:
                yield Problem(
                    doc.path,
                    doc.line(("name",)),
                    "name",
                    f"watchlist name {name!r} is already used in {names[name]}; "
                    "names must be unique",
                )
            names.setdefault(name, doc.path)
        for i, entry, _ in _entries(doc):
            ident = entry.get("id")
            if not isinstance(ident, str):
                continue
            line = doc.line(("entries", i, "id"))
            if ident in ids:
                other, other_line = ids[ident]
                yield Problem(
                    doc.path,
                    line,
                    f"entry {ident!r}",
                    f"duplicate entry id: already defined at {other}:{other_line}; "
                    "entry ids must be unique across all watchlists",
                )
            ids.setdefault(ident, (doc.path, line))
    for doc in docs:
        for i, entry, where in _entries(doc):
            named = [
                (key, loc, ident)
                for key in ("requires", "excludes")
                for loc, ident in named_entries(entry.get(key), key)
            ]
            for key, at, required in named:
                loc: Loc = ("entries", i, *at)
                if required == entry.get("id"):
                    yield Problem(
                        doc.path,
                        doc.line(loc),
                        f"{where} {key}",
                        "an entry cannot require itself"
                        if key == "requires"
                        else "an entry cannot exclude itself",
                    )
                elif required not in ids:
                    guess = difflib.get_close_matches(required, list(ids), n=1, cutoff=0.6)
                    hint = (
                        f"did you mean {guess[0]!r}?" if guess else "add that entry or fix the id"
                    )
                    yield Problem(
                        doc.path,
                        doc.line(loc),
                        f"{where} {key}",
                        f"no entry has the id {required!r}; {hint}",
                    )


def load_watchlists(path: Path) -> list[Watchlist]:
    """Load every watchlist at `path` (a folder or one file). Raises ConfigError with every
    problem in every file."""
    files = watchlist_files(path)
    if not path.exists():
        raise ConfigError([Problem(path, None, "", "watchlists path not found")])
    if not files:
        raise ConfigError(
            [Problem(path, None, "", "no *.yaml watchlist files in this folder; add one")]
        )
    problems: list[Problem] = []
    docs: list[YamlDoc] = []
    for file in files:
        try:
            docs.append(load_yaml(file))
        except YamlProblem as e:
            problems.append(e.problem)
    return _validate(docs, problems)


def parse_watchlist(text: str, path: Path = Path("<watchlist>")) -> Watchlist:
    """One watchlist from a YAML string, with the same checks as a file (for tests and tools)."""
    try:
        doc = parse_yaml(text, path)
    except YamlProblem as e:
        raise ConfigError([e.problem]) from e
    return _validate([doc], [])[0]


def _validate(docs: list[YamlDoc], problems: list[Problem]) -> list[Watchlist]:
    """Check parsed watchlist files, each alone and all together; every problem at once."""
    valid: list[YamlDoc] = []
    loaded: list[tuple[_Watchlist, YamlDoc]] = []
    for doc in docs:
        if not isinstance(doc.data, dict):
            problems.append(Problem(doc.path, 1, "", "expected a mapping with name and entries"))
            continue
        valid.append(doc)
        problems.extend(_term_problems(doc))
        problems.extend(_rule_problems(doc))
        try:
            loaded.append((_Watchlist.model_validate(doc.data), doc))
        except ValidationError as e:
            problems.extend(_with_entry_ids(problems_from(e, doc, _Watchlist), doc))
    problems.extend(_cross_problems(valid))
    if not problems:  # cycles only make sense once every id is known
        problems.extend(cycle_problems([_to_watchlist(raw, doc) for raw, doc in loaded]))
    if problems:
        raise ConfigError(sorted(problems, key=lambda p: (str(p.path), p.line or 0)))
    return [_to_watchlist(raw, doc) for raw, doc in loaded]


def _with_entry_ids(problems: list[Problem], doc: YamlDoc) -> list[Problem]:
    """Say `entry 'sheinbaum' terms` rather than `entries[3].terms` where the id is known."""
    entries = doc.data.get("entries") if isinstance(doc.data, dict) else None
    out = []
    for p in problems:
        where = p.where
        if isinstance(entries, list) and where.startswith("entries["):
            index = int(where[len("entries[") : where.index("]")])
            entry = entries[index] if index < len(entries) else None
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                rest = where[where.index("]") + 1 :].lstrip(".")
                where = f"entry {entry['id']!r}" + (f" {rest}" if rest else "")
        out.append(Problem(p.path, p.line, where, p.message))
    return out
