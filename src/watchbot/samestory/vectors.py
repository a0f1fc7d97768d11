"""Normalised vectors of the reports in one channel's window, and the nearest ones to a query.

One float16 matrix per channel (half the memory of float32; a dot product of two unit vectors
in float16 is off by less than 0.002) and, beside it, 256-bit sign codes of random projections
(SimHash: the Hamming distance of two codes estimates the angle between the vectors). The codes
are kept as four contiguous columns of 64 bits, so a lookup ranks every report with four XORs
and popcounts of one word each (32 bytes a report instead of 2 KB), takes the `SHORTLIST`
nearest codes by a histogram cut (no sort of the whole window), and computes exact cosines for
those only: about 1 ms at 100,000 reports.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

DIM = 512
BITS = 256
SHORTLIST = 128  # nearest codes whose exact cosine is computed
NEAREST = 64  # at most this many returned

_PLANES = np.random.default_rng(20240901).standard_normal((DIM, BITS)).astype(np.float32)

Vector = npt.NDArray[np.float32]


def _code(vector: Vector) -> npt.NDArray[np.uint64]:
    """The 256-bit sign code of one vector, as four 64-bit words."""
    bits = np.packbits(vector @ _PLANES > 0)  # (32,) uint8
    return bits.view(np.uint64)  # (4,)


class VectorStore:
    """Rows of vectors, addressed by a slot number given at `add`; slots can be dropped."""

    def __init__(self) -> None:
        self._full = np.zeros((0, DIM), np.float16)
        self._headline = np.zeros((0, DIM), np.float16)  # kept beside, for the judge
        self._codes = np.zeros((BITS // 64, 0), np.uint64)  # word k of every code in row k
        self._alive = np.zeros(0, bool)
        self._size = 0

    def __len__(self) -> int:
        return int(self._alive[: self._size].sum())

    def _grow(self) -> None:
        size, capacity = self._size, max(64, 2 * len(self._alive))
        full = np.zeros((capacity, DIM), np.float16)
        full[:size] = self._full[:size]
        headline = np.zeros((capacity, DIM), np.float16)
        headline[:size] = self._headline[:size]
        self._headline = headline
        codes = np.zeros((BITS // 64, capacity), np.uint64)
        codes[:, :size] = self._codes[:, :size]
        alive = np.zeros(capacity, bool)
        alive[:size] = self._alive[:size]
        self._full, self._codes, self._alive = full, codes, alive

    def add(self, vector: Vector, headline: Vector | None = None) -> int:
        """Store `vector` (normalised), and the report's `headline` vector if given; its slot.
        Only `vector` is searched."""
        if self._size == len(self._alive):
            self._grow()
        slot = self._size
        self._full[slot] = vector
        self._headline[slot] = 0 if headline is None else headline
        self._codes[:, slot] = _code(vector)
        self._alive[slot] = True
        self._size += 1
        return slot

    def drop(self, slot: int) -> None:
        self._alive[slot] = False

    def vectors(self, slot: int) -> tuple[npt.NDArray[np.float16], npt.NDArray[np.float16]]:
        """The stored (headline, vector) of `slot`, as half floats (copies)."""
        return self._headline[slot].copy(), self._full[slot].copy()

    def _distances(self, vector: Vector) -> npt.NDArray[np.uint16]:
        """The Hamming distance of every stored code to `vector`'s; dead rows beyond BITS."""
        n, query = self._size, _code(vector)
        distance: npt.NDArray[np.uint16]
        distance = np.bitwise_count(self._codes[0, :n] ^ query[0]).astype(np.uint16)
        for word in range(1, BITS // 64):
            distance += np.bitwise_count(self._codes[word, :n] ^ query[word])
        distance[~self._alive[:n]] = BITS + 1
        return distance

    def nearest(self, vector: Vector, floor: float) -> list[tuple[int, float]]:
        """(slot, cosine) of up to NEAREST stored vectors nearest `vector` whose cosine is at
        least `floor`, nearest first; exact cosines of the SHORTLIST nearest codes."""
        if self._size == 0:
            return []
        distance = self._distances(vector)
        # the smallest distance `cut` with at least SHORTLIST codes at or under it
        counts = np.cumsum(np.bincount(distance, minlength=BITS + 2))
        cut = min(int(np.searchsorted(counts, SHORTLIST)), BITS)
        best = np.flatnonzero(distance <= cut)
        cosines = self._full[best].astype(np.float32) @ vector
        order = np.argsort(-cosines)[:NEAREST]
        return [(int(best[i]), float(cosines[i])) for i in order if cosines[i] >= floor]

    def compact(self) -> dict[int, int] | None:
        """Drop the dead rows when they are most of the matrix; the map of old slot → new
        slot, or None if nothing moved."""
        n = self._size
        if n < 64 or self._alive[:n].sum() * 2 > n:
            return None
        keep = np.flatnonzero(self._alive[:n])
        self._full = self._full[keep].copy()
        self._headline = self._headline[keep].copy()
        self._codes = self._codes[:, keep].copy()
        self._alive = np.ones(len(keep), bool)
        self._size = len(keep)
        return {int(old): new for new, old in enumerate(keep)}
