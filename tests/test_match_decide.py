"""watchbot.match.decide makes its hits with `new_hit`: the same objects `Hit(...)` makes."""

from __future__ import annotations

import dataclasses
import json

import pytest

from watchbot.match import Matcher
from watchbot.models import Entry, Hit, Watchlist, WatchlistVerdict
from watchbot.store.codec import verdicts_from_json, verdicts_to_json

ENTRY = Entry(id="cartels", label="Cartels", kind="theme", terms=("cártel",), alert=False)


def matched_hit() -> Hit:
    matcher = Matcher.compile([Watchlist(name="w", entries=(ENTRY,))])
    (verdict,) = matcher.match("Noticias", "Los cárteles del norte").verdicts
    (hit,) = verdict.hits
    return hit


def test_a_matched_hit_is_the_hit_the_dataclass_makes() -> None:
    fast = matched_hit()
    slow = Hit(
        "w", "cartels", "Cartels", "cártel", "cárteles", 100, 4, 12, "text", True, "inflected"
    )
    assert type(fast) is Hit
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert list(vars(fast).items()) == list(vars(slow).items())  # every field, in order
    assert dataclasses.asdict(fast) == dataclasses.asdict(slow)


def test_a_matched_hit_stays_frozen_and_serialises_alike() -> None:
    fast = matched_hit()
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.score = 1  # type: ignore[misc]
    verdict = WatchlistVerdict("w", None, False, (fast,))
    text = verdicts_to_json([verdict])
    assert verdicts_from_json(text) == (verdict,)
    assert json.loads(text)[0]["hits"][0] == dataclasses.asdict(fast)
