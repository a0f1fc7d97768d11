"""Normalised vectors of the reports in one channel's window, and the nearest ones to a query.

One float16 matrix per channel (half the memory of float32; a dot product of two unit vectors
in float16 is off by less than 0.002) and, beside it, 256-bit sign codes of random projections
(SimHash: the Hamming distance of two codes estimates the angle between the vectors). A lookup
ranks every code with one XOR and one popcount, which reads 32 bytes per report instead of
2 KB, then computes exact cosines for the few best only. Its cost is a small fraction of a
millisecond per 10,000 reports.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

DIM = 512
BITS = 256
SHORTLIST = 64  # nearest codes whose exact cosine is computed

_PLANES = np.random.default_rng(20240901).standard_normal((DIM, BITS)).astype(np.float32)

Vector = npt.NDArray[np.float32]


def _code(vectors: Vector) -> npt.NDArray[np.uint64]:
    bits = np.packbits(vectors @ _PLANES > 0, axis=-1)  # (n, 32) uint8
    return bits.view(np.uint64)  # (n, 4)


class VectorStore:
    """Rows of vectors, addressed by a slot number given at `add`; slots can be dropped."""

    def __init__(self) -> None:
        self._full = np.zeros((0, DIM), np.float16)
        self._codes = np.zeros((0, BITS // 64), np.uint64)
        self._alive = np.zeros(0, bool)
        self._size = 0

    def __len__(self) -> int:
        return int(self._alive[: self._size].sum())

    def _grow(self) -> None:
        capacity = max(64, 2 * len(self._alive))
        for name in ("_full", "_codes", "_alive"):
            old = getattr(self, name)
            new = np.zeros((capacity, *old.shape[1:]), old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def add(self, vector: Vector) -> int:
        """Store `vector` (normalised); its slot."""
        if self._size == len(self._alive):
            self._grow()
        slot = self._size
        self._full[slot] = vector
        self._codes[slot] = _code(vector[None, :])[0]
        self._alive[slot] = True
        self._size += 1
        return slot

    def drop(self, slot: int) -> None:
        self._alive[slot] = False

    def cosine(self, vector: Vector, slot: int) -> float:
        return float(self._full[slot].astype(np.float32) @ vector)

    def nearest(self, vector: Vector, floor: float) -> list[tuple[int, float]]:
        """(slot, cosine) of up to SHORTLIST stored vectors nearest `vector` whose cosine is at
        least `floor`, nearest first."""
        n = self._size
        if n == 0:
            return []
        query = _code(vector[None, :])[0]
        distance = np.bitwise_count(self._codes[:n] ^ query).sum(axis=1, dtype=np.int32)
        distance[~self._alive[:n]] = BITS + 1
        k = min(SHORTLIST, n)
        best = np.argpartition(distance, k - 1)[:k] if k < n else np.arange(n)
        best = best[distance[best] <= BITS]
        cosines = self._full[best].astype(np.float32) @ vector
        order = np.argsort(-cosines)
        return [(int(best[i]), float(cosines[i])) for i in order if cosines[i] >= floor]

    def compact(self) -> dict[int, int] | None:
        """Drop the dead rows when they are most of the matrix; the map of old slot → new
        slot, or None if nothing moved."""
        n = self._size
        if n < 64 or self._alive[:n].sum() * 2 > n:
            return None
        keep = np.flatnonzero(self._alive[:n])
        self._full = self._full[keep].copy()
        self._codes = self._codes[keep].copy()
        self._alive = np.ones(len(keep), bool)
        self._size = len(keep)
        return {int(old): new for new, old in enumerate(keep)}
