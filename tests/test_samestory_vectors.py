"""One channel's vectors and the nearest ones to a query (watchbot.samestory.vectors): the
SimHash shortlist against brute-force cosine, dropped slots, compaction, growth."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from watchbot.samestory.vectors import DIM, VectorStore

Vectors = npt.NDArray[np.float32]


def unit(rows: Vectors) -> Vectors:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)  # type: ignore[no-any-return]


def random_units(rng: np.random.Generator, n: int) -> Vectors:
    return unit(rng.standard_normal((n, DIM)).astype(np.float32))


def at_cosine(rng: np.random.Generator, query: Vectors, cosine: float) -> Vectors:
    """A unit vector whose cosine with the unit vector `query` is `cosine`."""
    other = rng.standard_normal(DIM).astype(np.float32)
    other -= (other @ query) * query
    other /= np.linalg.norm(other)
    return (cosine * query + np.sqrt(1 - cosine**2) * other).astype(np.float32)


def filled(vectors: Vectors) -> tuple[VectorStore, list[int]]:
    store = VectorStore()
    return store, [store.add(v) for v in vectors]


def stored_cosine(store: VectorStore, vector: Vectors, slot: int) -> float:
    """The cosine of `vector` with the vector stored in `slot`."""
    _, stored = store.vectors(slot)
    return float(stored.astype(np.float32) @ vector)


def test_an_empty_store_finds_nothing() -> None:
    store = VectorStore()
    assert len(store) == 0
    assert store.nearest(random_units(np.random.default_rng(1), 1)[0], -1.0) == []


def test_nearest_returns_the_right_slot_first() -> None:
    rng = np.random.default_rng(2)
    vectors = random_units(rng, 300)
    store, slots = filled(vectors)
    assert slots == list(range(300)) and len(store) == 300
    for i in (0, 37, 299):
        query = at_cosine(rng, vectors[i], 0.8)
        found = store.nearest(query, 0.0)
        assert found[0][0] == slots[i]
        assert found[0][1] == pytest.approx(0.8, abs=3e-3)  # float16 rows
        cosines = [c for _, c in found]
        assert cosines == sorted(cosines, reverse=True)


def test_nearest_respects_the_floor() -> None:
    rng = np.random.default_rng(3)
    query = random_units(rng, 1)[0]
    wanted = [0.95, 0.7, 0.55, 0.45, 0.2, -0.3]
    store, slots = filled(np.stack([at_cosine(rng, query, c) for c in wanted]))
    found = store.nearest(query, 0.5)
    assert [s for s, _ in found] == slots[:3]
    assert [round(c, 2) for _, c in found] == [0.95, 0.7, 0.55]
    assert [s for s, _ in store.nearest(query, -1.0)] == slots  # every one, nearest first


def test_nearest_skips_dropped_slots() -> None:
    rng = np.random.default_rng(4)
    query = random_units(rng, 1)[0]
    store, slots = filled(np.stack([at_cosine(rng, query, c) for c in (0.9, 0.8, 0.7)]))
    store.drop(slots[0])
    assert len(store) == 2
    assert [s for s, _ in store.nearest(query, 0.0)] == slots[1:]
    store.drop(slots[1])
    store.drop(slots[2])
    assert store.nearest(query, -1.0) == []


def test_compact_remaps_slots_and_keeps_every_live_vector() -> None:
    rng = np.random.default_rng(5)
    vectors = random_units(rng, 100)
    store, slots = filled(vectors)
    kept = [s for s in slots if s % 3 == 0]  # 34 of 100 live: most of the matrix is dead
    for slot in slots:
        if slot not in kept:
            store.drop(slot)
    moved = store.compact()
    assert moved is not None
    assert sorted(moved) == kept  # only live slots move
    assert sorted(moved.values()) == list(range(len(kept)))
    assert len(store) == len(kept)
    for old, new in moved.items():
        assert stored_cosine(store, vectors[old], new) == pytest.approx(1.0, abs=2e-3)
        assert store.nearest(vectors[old], 0.9)[0][0] == new
    # new vectors go after the compacted rows
    assert store.add(vectors[1]) == len(kept)


def test_compact_does_nothing_while_most_rows_are_live() -> None:
    rng = np.random.default_rng(6)
    store, slots = filled(random_units(rng, 100))
    for slot in slots[:40]:
        store.drop(slot)
    assert store.compact() is None
    assert len(store) == 60
    small, few = filled(random_units(rng, 10))
    for slot in few[:9]:
        small.drop(slot)
    assert small.compact() is None  # too small to be worth moving


def test_the_store_grows_past_its_capacity() -> None:
    rng = np.random.default_rng(7)
    vectors = random_units(rng, 1000)  # many times the first allocation
    store, slots = filled(vectors)
    assert len(store) == 1000 and slots == list(range(1000))
    for i in (0, 63, 64, 65, 500, 999):
        assert store.nearest(vectors[i], 0.9)[0][0] == i
        assert stored_cosine(store, vectors[i], i) == pytest.approx(1.0, abs=2e-3)


@pytest.fixture(scope="module")
def many() -> tuple[VectorStore, Vectors]:
    vectors = random_units(np.random.default_rng(20260302), 5000)
    return filled(vectors)[0], vectors


@pytest.mark.parametrize("cosine", [0.5, 0.7, 0.9])
def test_the_simhash_shortlist_agrees_with_brute_force_on_the_top_result(
    many: tuple[VectorStore, Vectors], cosine: float
) -> None:
    """Among 5,000 random unit vectors, the query's true nearest (by exact cosine over every
    row) is the first answer, for neighbours as close as a same-story candidate is."""
    store, vectors = many
    rng = np.random.default_rng(int(cosine * 100))
    rows = vectors.astype(np.float16).astype(np.float32)  # what the store holds
    for target in rng.choice(len(vectors), 40, replace=False):
        query = at_cosine(rng, vectors[target], cosine)
        exact = rows @ query
        best = int(np.argmax(exact))
        found = store.nearest(query, 0.0)
        assert found, f"nothing found for slot {target}"
        assert found[0][0] == best
        assert found[0][1] == pytest.approx(float(exact[best]), abs=1e-5)
