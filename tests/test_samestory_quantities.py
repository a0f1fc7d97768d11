"""Quantities: one figure in two outlets' units and precisions is one figure; two exact
figures are two."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchbot.samestory import quantities
from watchbot.samestory.rules import conflict
from watchbot.samestory.signature import signature


@pytest.mark.parametrize(
    ("text", "token"),
    [
        pytest.param("asegura 300 kilos de fentanilo", "300kg", id="kilos"),
        pytest.param("seize 660 pounds of fentanyl", "299kg", id="pounds"),
        pytest.param("113 kilogramos de cocaína", "113kg", id="kilogramos"),
        pytest.param("1.5 toneladas de metanfetamina", "1500kg", id="toneladas"),
        pytest.param("a 110 km de la frontera", "110km", id="km"),
        pytest.param("70 miles from the border", "113km", id="miles"),
        pytest.param("202,000 acre-feet of water", "249000000m3", id="acre-feet"),
        pytest.param("249 millones de metros cúbicos", "249000000m3", id="millones-m3"),
        pytest.param("remittances of $4.63 billion", "4630000000usd", id="dollars-before"),
        pytest.param("4 mil 630 millones de dólares", "4630000000usd", id="mil-millones"),
        pytest.param("ventas por 500 mdd", "500000000usd", id="mdd"),
        pytest.param("un desvío de 2 mil millones de pesos", "2000000000mxn", id="pesos"),
        pytest.param("un desvío de $5 millones de pesos", "5000000mxn", id="peso-sign"),
        pytest.param("nearly 40 cartel defendants", "~40", id="nearly"),
        pytest.param("casi 300 kilos", "~300kg", id="casi-kilos"),
        pytest.param("más de 1,200 migrantes", "~1200", id="mas-de"),
    ],
)
def test_a_figure_with_a_unit_or_a_rough_word_becomes_one_token(text: str, token: str) -> None:
    assert signature(text, "").title_numbers == {token}


def test_counts_stay_exact_and_plain() -> None:
    assert signature("México envía 37 reos a EU", "").title_numbers == {"37"}
    assert signature("Over the border, 12 arrests", "").title_numbers == {"12"}


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        pytest.param("300kg", "299kg", True, id="converted-within-5pc"),
        pytest.param("300kg", "330kg", False, id="ten-percent-apart"),
        pytest.param("113kg", "113km", False, id="other-unit"),
        pytest.param("~40", "37", True, id="rough-and-count"),
        pytest.param("~40", "29", False, id="rough-too-far"),
        pytest.param("29", "26", False, id="exact-counts"),
        pytest.param("~113km", "110km", True, id="rough-quantity"),
        pytest.param("30%", "30%", False, id="percent-not-a-quantity"),
    ],
)
def test_agrees(a: str, b: str, expected: bool) -> None:
    assert quantities.agrees(a, b) is expected
    assert quantities.agrees(b, a) is expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        pytest.param(
            "Marina asegura 300 kilos de fentanilo en Culiacán",
            "Mexican marines seize 660 pounds of fentanyl in Culiacan",
            id="kilos-pounds",
        ),
        pytest.param(
            "Detectan gusano barrenador a 110 km de la frontera con Texas",
            "Screwworm found about 70 miles from the Texas border",
            id="km-miles",
        ),
        pytest.param(
            "Mexico sends 37 cartel suspects to the US",
            "Mexico handed over nearly 40 cartel defendants to the US",
            id="nearly",
        ),
    ],
)
def test_one_figure_in_two_units_is_no_conflict(a: str, b: str) -> None:
    assert conflict(signature(a, ""), signature(b, "")) is None


def test_two_exact_figures_of_one_unit_still_conflict() -> None:
    a = signature("Marina asegura 300 kilos de fentanilo en Culiacán", "")
    b = signature("Marina asegura 800 kilos de fentanilo en Culiacán", "")
    assert conflict(a, b) == "figures"
    # and a quantity never contradicts a count: "4 detenidos" beside "300 kilos"
    c = signature("Marina detiene a 4 y asegura fentanilo en Culiacán", "")
    assert conflict(a, c) is None


_FIGURE_WORDS = st.sampled_from(
    [
        "300",
        "1,200",
        "4.63",
        "7 mil 181",
        "$",
        "US$",
        "nearly",
        "casi",
        "más de",
        "kilos",
        "pounds",
        "millones de",
        "billion",
        "metros cúbicos",
        "acre-feet",
        "mdd",
        "km",
        "miles",
        "%",
        "de",
        "of",
        "cartel",
        "Sinaloa",
        " ",
        "\n",
    ]
)


@given(st.lists(st.one_of(_FIGURE_WORDS, st.text(max_size=6)), max_size=12).map(" ".join))
def test_any_text_reads_into_figures_that_parse(text: str) -> None:
    """Whatever the text, reading it never fails, and every figure it gives is a count, a
    quantity or a rough figure `parse` reads back, a percentage, points, a day or a month, or a
    code of several dots ("1.2.3") kept as written."""
    sig = signature(text, text)
    for token in sig.numbers:
        plain = token.endswith(("%", "pp")) or token.startswith("@") or token.count(".") > 1
        assert plain or quantities.parse(token) is not None, token


@given(
    st.sampled_from(["300kg", "299kg", "~40", "37", "29", "110km", "~113km", "5%"]),
    st.sampled_from(["300kg", "299kg", "~40", "37", "29", "110km", "~113km", "5%"]),
)
def test_agrees_is_symmetric(a: str, b: str) -> None:
    assert quantities.agrees(a, b) == quantities.agrees(b, a)
