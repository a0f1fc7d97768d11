"""YAML files that remember where each value came from, and validation errors that say so.

Config and watchlists are edited by hand, so every problem is reported with the file, the line
and the key path, all at once. PyYAML's node tree carries line numbers; pydantic validates the
plain data; `problems_from` joins the two.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from watchbot.errors import Problem

Loc = tuple[str | int, ...]


@dataclass
class YamlDoc:
    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)  # key path → 1-based line

    def line(self, loc: Loc) -> int | None:
        """The line of `loc`, or of its nearest parent that has one."""
        while True:
            if loc in self.lines:
                return self.lines[loc]
            if not loc:
                return None
            loc = loc[:-1]


_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _construct(node: yaml.Node, loc: Loc, lines: dict[Loc, int], loader: Any) -> Any:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            key = key if isinstance(key, str | int) else str(key)
            lines[(*loc, key)] = key_node.start_mark.line + 1
            result[key] = _construct(value_node, (*loc, key), lines, loader)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, (*loc, i), lines, loader) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


def load_yaml(path: Path) -> YamlDoc:
    """Read one YAML document with line numbers. Raises ConfigError-ready `Problem`s as
    `YamlProblem` when the file is missing or is not valid YAML."""
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError as e:
        raise YamlProblem(Problem(path, None, "", "file not found")) from e
    except (OSError, UnicodeDecodeError) as e:
        raise YamlProblem(Problem(path, None, "", f"cannot read: {e}")) from e
    return parse_yaml(source, path)


def parse_yaml(source: str, path: Path) -> YamlDoc:
    """`load_yaml` for YAML already read; `path` names it in messages."""
    # libyaml when installed: the same nodes and marks, several times faster on a config of
    # thousands of feeds (a `poll` reads it every run)
    loader = _Loader(source)
    try:
        node = loader.get_single_node()
        lines: dict[Loc, int] = {}
        data = _construct(node, (), lines, loader) if node is not None else None
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else None
        what = e.problem or str(e)
        hint = (
            " (check indentation, and quote values that contain ': ' or start with '*', '&', '#')"
        )
        raise YamlProblem(Problem(path, line, "", f"invalid YAML: {what}{hint}")) from e
    except yaml.YAMLError as e:
        raise YamlProblem(Problem(path, None, "", f"invalid YAML: {e}")) from e
    finally:
        loader.dispose()
    return YamlDoc(path, data, lines)


class YamlProblem(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def dotted(loc: Iterable[str | int]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _expected(error: dict[str, Any], model: type[BaseModel], loc: Loc) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        known = _known_keys(model, loc[:-1])
        guess = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f"did you mean `{guess[0]}`?" if guess else f"known keys: {', '.join(known)}"
        return f"unknown key; {hint}"
    if kind == "missing":
        return "required key is missing"
    if kind == "too_short":  # pydantic's "List should have at least 1 item after validation"
        least = error.get("ctx", {}).get("min_length", 1)
        return (
            f"must list at least {least} item{'s' if least != 1 else ''}; it is empty or too short"
        )
    msg = str(error["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return msg


def _known_keys(model: type[BaseModel], loc: Loc) -> list[str]:
    """The field names of the (sub)model found at `loc`, for did-you-mean hints."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        if part not in fields:
            break
        annotation = fields[part].annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            inner = getattr(candidate, "__args__", (candidate,))
            found = next((a for a in (candidate, *inner) if _is_model(a)), None)
            if found is not None:
                current = found
                break
    return sorted(getattr(current, "model_fields", {}))


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def problems_from(
    error: ValidationError, doc: YamlDoc, model: type[BaseModel], prefix: Loc = ()
) -> list[Problem]:
    """Turn a pydantic error into one Problem per wrong value, with file and line."""
    problems = []
    for err in error.errors():
        loc: Loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
        full = (*prefix, *loc)
        problems.append(
            Problem(doc.path, doc.line(full), dotted(full), _expected(dict(err), model, loc))
        )
    return problems
