"""Fuzzy matching of name words: the edit budget per word and the index of deletions that finds
candidates (SymSpell-style) without comparing a story word against every term word."""

from __future__ import annotations

NEAR_MISS_MARGIN = 15  # near misses: scores in [threshold - 15, threshold)
MIN_FUZZY_LEN = 5  # shorter term words must match exactly


def max_edits(word: str) -> int:
    """Edits allowed in a term word: 1 up to 8 letters, 2 from 9."""
    return 1 if len(word) <= 8 else 2


def deletions(word: str, depth: int) -> set[str]:
    """`word` with up to `depth` characters deleted, in every way (itself included)."""
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found
