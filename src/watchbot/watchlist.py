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
from watchbot.matcher import term_problem
from watchbot.models import Entry, Watchlist
from watchbot.yamlfile import YamlDoc, YamlProblem, load_yaml, problems_from

DEFAULT_FUZZY = 90
_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"


def _term_list(value: Any) -> Any:
    """Terms must be strings; YAML turns unquoted `yes`, `no`, `on`, `1910` into other types."""
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list):
        for item in value:
            if isinstance(item, bool | int | float) or item is None:
                raise ValueError(
                    f"term {item!r} is not text: YAML read it as {type(item).__name__}; "
                    "put it in quotes"
                )
    return value


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=_ID)
    label: str | None = None
    kind: Literal["person", "organization", "place", "theme"] = "theme"
    terms: list[str] = Field(min_length=1)
    requires: list[str] = []
    excludes: list[str] = []
    alert: bool = True
    fuzzy: int | bool = DEFAULT_FUZZY

    _terms = field_validator("terms", "excludes", mode="before")(_term_list)

    @field_validator("requires", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

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


def _to_watchlist(raw: _Watchlist, doc: YamlDoc) -> Watchlist:
    return Watchlist(
        name=raw.name,
        description=raw.description,
        channel=raw.channel,
        path=doc.path,
        entries=tuple(
            Entry(
                id=e.id,
                label=e.label or e.id,
                kind=e.kind,
                terms=tuple(e.terms),
                requires=tuple(e.requires),
                excludes=tuple(e.excludes),
                alert=e.alert,
                fuzzy=_fuzzy(e.fuzzy),
                line=doc.line(("entries", i)) or 0,
            )
            for i, e in enumerate(raw.entries)
        ),
    )


def _term_problems(raw: _Watchlist, doc: YamlDoc) -> Iterable[Problem]:
    for i, entry in enumerate(raw.entries):
        for key in ("terms", "excludes"):
            for j, term in enumerate(getattr(entry, key)):
                why = term_problem(term)
                if why:
                    yield Problem(
                        doc.path,
                        doc.line(("entries", i, key, j)),
                        f"entry {entry.id!r} {key}[{j}] {term!r}",
                        why,
                    )


def _cross_problems(loaded: list[tuple[_Watchlist, YamlDoc]]) -> Iterable[Problem]:
    """Problems only visible across all files: duplicate names and ids, unknown `requires`."""
    names: dict[str, Path] = {}
    ids: dict[str, tuple[Path, int | None]] = {}
    for raw, doc in loaded:
        if raw.name in names:
            yield Problem(
                doc.path,
                doc.line(("name",)),
                "name",
                f"watchlist name {raw.name!r} is already used in {names[raw.name]}; "
                "names must be unique",
            )
        names.setdefault(raw.name, doc.path)
        for i, entry in enumerate(raw.entries):
            line = doc.line(("entries", i, "id"))
            if entry.id in ids:
                other, other_line = ids[entry.id]
                yield Problem(
                    doc.path,
                    line,
                    f"entry {entry.id!r}",
                    f"duplicate entry id: already defined at {other}:{other_line}; "
                    "entry ids must be unique across all watchlists",
                )
            ids.setdefault(entry.id, (doc.path, line))
    for raw, doc in loaded:
        for i, entry in enumerate(raw.entries):
            for j, required in enumerate(entry.requires):
                if required not in ids:
                    guess = difflib.get_close_matches(required, list(ids), n=1, cutoff=0.6)
                    hint = f"did you mean {guess[0]!r}?" if guess else "add that entry or fix the id"
                    yield Problem(
                        doc.path,
                        doc.line(("entries", i, "requires", j)),
                        f"entry {entry.id!r} requires",
                        f"no entry has the id {required!r}; {hint}",
                    )
                elif required == entry.id:
                    yield Problem(
                        doc.path,
                        doc.line(("entries", i, "requires", j)),
                        f"entry {entry.id!r} requires",
                        "an entry cannot require itself",
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
    loaded: list[tuple[_Watchlist, YamlDoc]] = []
    for file in files:
        try:
            doc = load_yaml(file)
        except YamlProblem as e:
            problems.append(e.problem)
            continue
        if not isinstance(doc.data, dict):
            problems.append(Problem(file, 1, "", "expected a mapping with name and entries"))
            continue
        try:
            raw = _Watchlist.model_validate(doc.data)
        except ValidationError as e:
            problems.extend(_with_entry_ids(problems_from(e, doc, _Watchlist), doc))
            continue
        problems.extend(_term_problems(raw, doc))
        loaded.append((raw, doc))
    problems.extend(_cross_problems(loaded))
    if problems:
        raise ConfigError(problems)
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
