"""The real-world corpus (../shared/realfeeds, third-party files read in place, never copied)
through the real fetch path over a local HTTP server: every entry plain feedparser finds is
stored or explained by a rule (bench/realfeeds.py; its table is in bench/README.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT.parent / "shared" / "realfeeds"

pytestmark = [
    pytest.mark.realfeeds,
    pytest.mark.skipif(
        not (CORPUS / "MANIFEST.tsv").exists(),
        reason=f"the real-world corpus is not at {CORPUS} (it is in CI and on the dev machine)",
    ),
]


def test_every_entry_is_stored_or_explained() -> None:
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        import realfeeds
    finally:
        sys.path.remove(str(ROOT / "bench"))
    rows = realfeeds.run(CORPUS)
    assert len(rows) == 198
    unexplained = {r.file: r.unexplained for r in rows if r.unexplained}
    assert unexplained == {}
    # text: nothing worse than plain feedparser, and no raw entities or relative links left
    for check in realfeeds.CHECKS:
        ours = sum(r.ours[check] for r in rows)
        assert ours <= sum(r.plain[check] for r in rows), check
    assert sum(r.ours["raw entities"] + r.ours["relative links"] for r in rows) == 0
    # the empty overnight section feed and the like: refused only when plain feedparser too
    # finds no entry
    assert all(r.entries == 0 for r in rows if r.error)
