"""The seams between stages: every implementation has its Protocol's interface, and imports run
one way (no room imports a stage above it; the pipeline imports no SQL, Slack or same-story
code). A new sink, store or same-story method is added to the tables here."""

from __future__ import annotations

import ast
import inspect
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from watchbot.notify import ConsoleSink, Sink, SlackSink, WebhookSink
from watchbot.samestory import SameStoryIndex, make_index
from watchbot.samestory.index import RulesIndex
from watchbot.store import SqliteStore, StateStore

SRC = Path(__file__).parent.parent / "src" / "watchbot"


def protocol_methods(protocol: type) -> list[str]:
    return [
        name
        for name, value in vars(protocol).items()
        if callable(value) and not name.startswith("_")
    ]


def implementations(tmp_path: Path) -> list[tuple[type, Any]]:
    return [
        (StateStore, SqliteStore.open(tmp_path / "state.db")),
        (Sink, ConsoleSink()),
        (Sink, SlackSink("xoxb-test", api_url="http://127.0.0.1:9/api/")),
        (Sink, WebhookSink("http://127.0.0.1:9/webhook")),
        (SameStoryIndex, RulesIndex(timedelta(hours=72))),
        (SameStoryIndex, make_index(timedelta(hours=72))),
    ]


def test_every_implementation_has_its_protocols_interface(tmp_path: Path) -> None:
    for protocol, impl in implementations(tmp_path):
        assert isinstance(impl, protocol), (protocol.__name__, type(impl).__name__)
        for name in protocol_methods(protocol):
            wanted = inspect.signature(getattr(protocol, name))
            got = inspect.signature(getattr(type(impl), name))
            assert list(got.parameters) == list(wanted.parameters), (type(impl).__name__, name)
            for param, want in wanted.parameters.items():
                assert got.parameters[param].kind == want.kind, (type(impl).__name__, name, param)
        if isinstance(impl, SqliteStore):
            impl.close()


# Each room and the rooms it may import. A stage never imports one downstream of it.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "models": set(),
    "text": set(),
    "redact": set(),
    "logs": {"redact"},
    "yamlfile": {"errors"},
    "config": {"errors", "models", "yamlfile"},
    "rules": {"errors", "models", "yamlfile"},
    "match": {"errors", "models", "text", "rules", "match"},
    "watchlist": {"errors", "models", "yamlfile", "match", "rules"},
    "fetch": {"errors", "models", "text", "fetch"},
    "samestory": {"models", "text", "samestory"},
    "store": {"errors", "models", "store"},
    "metrics": {"models"},
    "health": {"metrics"},
    "notify": {"errors", "metrics", "models", "text", "store", "notify"},
    "decide": {"models"},
    "report": {"notify"},
    "pipeline": {
        "decide",
        "errors",
        "fetch",
        "health",
        "match",
        "metrics",
        "models",
        "notify",
        "redact",
        "report",
        "samestory",
        "store",
    },
    "reload": {"config", "errors", "models", "watchlist"},
    "scheduler": {"errors", "models", "pipeline", "reload"},
    "starter": set(),
}
# Modules the pipeline reaches only through an interface.
PIPELINE_NEVER = {"sqlite3", "slack_sdk", "watchbot.store.sqlite", "watchbot.notify.slack"}


def room_of(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "watchbot":  # a module of the package, not a name in __init__
                modules = [a.name for a in node.names if (SRC / f"{a.name}.py").exists()]
                found |= {f"watchbot.{name}" for name in modules}
                found |= {f"watchbot.{a.name}" for a in node.names if (SRC / a.name).is_dir()}
    return found


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_imports_run_one_way(room: str) -> None:
    files = [p for p in SRC.rglob("*.py") if room_of(p) == room]
    assert files, room
    for path in files:
        used = {m.split(".")[1] for m in imports(path) if m.startswith("watchbot.")}
        used -= {"__init__"}
        assert used <= ALLOWED[room] | {room}, (str(path), sorted(used - ALLOWED[room]))


def test_the_pipeline_meets_store_sink_and_same_story_only_through_interfaces() -> None:
    used = imports(SRC / "pipeline.py") | imports(SRC / "decide.py")
    assert not {m for m in used if any(m.startswith(n) for n in PIPELINE_NEVER)}
    assert not {m for m in used if m.startswith("watchbot.samestory.")}
