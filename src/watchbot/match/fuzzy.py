"""Fuzzy matching of name words: the edit budget per word and the index of deletions that finds
candidates (SymSpell-style) without comparing a story word against every term word.

A transposition is found like any one edit: deleting one of the two swapped letters from each word
leaves the same string.
"""

from __future__ import annotations

from rapidfuzz.distance import OSA, Indel, Levenshtein

NEAR_MISS_MARGIN = 15  # near misses: scores in [threshold - 15, threshold)
MIN_FUZZY_LEN = 5  # shorter term words must match exactly
# added to the edits of a dictionary word: such a path is only ever a near miss, shown as one
WORD_PENALTY = 100


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


def edits(word: str, other: str, limit: int) -> int:
    """Edits between two words, an adjacent swap counting as one (optimal string alignment);
    `limit + 1` when there are more than `limit`."""
    return int(OSA.distance(word, other, score_cutoff=limit))


def score(term: str, window: str) -> int:
    """The similarity (0-100) of a folded term and the story's words, rounded down.

    rapidfuzz's `fuzz.ratio` (insertions and deletions over the letters of both), except that an
    adjacent swap costs what one missing letter costs: `Shienbaum` scores 94 like `Sheinbam`, not
    88 as two changed letters would."""
    total = len(term) + len(window)
    if not total:
        return 100
    swaps = Levenshtein.distance(term, window) - OSA.distance(term, window)
    cost = max(0, Indel.distance(term, window) - swaps)
    return 100 * (total - cost) // total
