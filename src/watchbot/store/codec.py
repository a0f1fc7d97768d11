"""How records are written in SQLite columns: ISO timestamps, JSON of stories and verdicts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime

from watchbot.models import Decision, Hit, Story, WatchlistVerdict


def iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def parse_dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def story_to_json(story: Story) -> str:
    data = {k: getattr(story, k) for k in Story.__dataclass_fields__}
    data["published"] = iso(story.published)
    return json.dumps(data, ensure_ascii=False)


def story_from_json(text: str) -> Story:
    data = json.loads(text)
    data["published"] = parse_dt(data.get("published"))
    return Story(**data)


def verdicts_to_json(verdicts: Sequence[WatchlistVerdict]) -> str:
    return json.dumps([asdict(v) for v in verdicts], ensure_ascii=False)


def verdicts_from_json(text: str) -> tuple[WatchlistVerdict, ...]:
    out = []
    for v in json.loads(text):
        v["hits"] = tuple(Hit(**h) for h in v["hits"])
        v["reasons"] = tuple(v.get("reasons", ()))
        v["decisions"] = tuple(Decision(**d) for d in v.get("decisions", ()))
        out.append(WatchlistVerdict(**v))
    return tuple(out)
