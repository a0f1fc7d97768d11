"""What the same-story methods store with each report: bytes, opaque to the store.

Version 3 (the meaning method) is JSON of the rules signature and the report's two vectors in
float16, base64: {"v": 3, "sig": "<signature JSON>", "headline": "…", "full": "…"}; the vectors
are absent when the model was not available. Earlier versions are the signature's JSON alone
(`signature_to_json`), which both methods still read: an alert stored before the meaning method
is judged by its signature, on the rules.
"""

from __future__ import annotations

import base64
import binascii
import json

import numpy as np
import numpy.typing as npt

from watchbot.samestory.meaning import Report
from watchbot.samestory.signature import signature_from_json, signature_to_json

VERSION = 3
_DIM = 512


def encode(report: Report) -> bytes:
    data: dict[str, object] = {"v": VERSION, "sig": signature_to_json(report.sig)}
    for name in ("headline", "full"):
        vector = getattr(report, name)
        if vector is not None:
            data[name] = base64.b64encode(vector.astype("<f2").tobytes()).decode("ascii")
    return json.dumps(data, separators=(",", ":")).encode("utf-8")


def _vector(text: object) -> npt.NDArray[np.float16] | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("a vector is not base64 text")
    try:
        raw = base64.b64decode(text, validate=True)
    except binascii.Error as e:
        raise ValueError(f"a vector is not base64: {e}") from e
    if len(raw) != 2 * _DIM:
        raise ValueError(f"a vector has {len(raw) // 2} dimensions, not {_DIM}")
    return np.frombuffer(raw, "<f2").astype(np.float16)


def decode(payload: bytes) -> Report:
    """The report stored as `payload`, of any version. Raises ValueError on anything else."""
    try:
        text = payload.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ValueError(f"not a stored same-story payload: {e}") from e
    if not isinstance(data, dict) or data.get("v") != VERSION:
        return Report(signature_from_json(text))  # version 1 or 2: the signature alone
    sig = data.get("sig")
    if not isinstance(sig, str):
        raise ValueError("a version 3 payload without its signature")
    headline, full = _vector(data.get("headline")), _vector(data.get("full"))
    if (headline is None) != (full is None):
        raise ValueError("a version 3 payload with one vector of two")
    return Report(signature_from_json(sig), headline, full)
