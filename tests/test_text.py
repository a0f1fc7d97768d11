"""Text folding, tokenizing, HTML stripping and excerpts: tables, and folding's invariants."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchbot.text import excerpt, fold, fold_plain, strip_html, tokenize


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        pytest.param("Sheinbaum", "sheinbaum", id="lower-cased"),
        pytest.param("García Harfuch", "garcia harfuch", id="accents"),
        pytest.param("MÉXICO", "mexico", id="capital-accent"),
        pytest.param("Peña Nieto", "pena nieto", id="enye"),
        pytest.param("“Mencho”", '"mencho"', id="double-quotes"),
        pytest.param("Sheinbaum’s", "sheinbaum's", id="curly-apostrophe"),
        pytest.param("narco–terrorism", "narco-terrorism", id="en-dash"),
        pytest.param("narco—terrorism", "narco-terrorism", id="em-dash"),
        pytest.param("ﬁn", "fn", id="ligature-keeps-length"),
        pytest.param("İstanbul", "istanbul", id="dotted-capital-i"),
        pytest.param("`backtick`", "'backtick'", id="backtick"),
        pytest.param("", "", id="empty"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        pytest.param("García Harfuch", "Garcia Harfuch", id="case-kept"),
        pytest.param("T‑MEC", "T-MEC", id="non-breaking-hyphen"),
        pytest.param("‘USMCA’", "'USMCA'", id="single-quotes"),
    ],
)
def test_fold_plain(text: str, folded: str) -> None:
    assert fold_plain(text) == folded


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("Sheinbaum says", [("Sheinbaum", 0, 9), ("says", 10, 14)], id="words"),
        pytest.param("Sheinbaum's plan", [("Sheinbaum", 0, 9), ("plan", 12, 16)], id="possessive"),
        pytest.param("USMCA’s review", [("USMCA", 0, 5), ("review", 8, 14)], id="curly-possessive"),
        pytest.param("narco-terrorism", [("narco", 0, 5), ("terrorism", 6, 15)], id="hyphen"),
        pytest.param("T–MEC", [("T", 0, 1), ("MEC", 2, 5)], id="dash"),
        pytest.param("García", [("Garcia", 0, 6)], id="accent-folded"),
        pytest.param("U.S.", [("U", 0, 1), ("S", 2, 3)], id="dotted-acronym"),
        pytest.param("don't", [("don", 0, 3), ("t", 4, 5)], id="contraction"),
        pytest.param("'s", [("s", 1, 2)], id="s-without-word"),
        pytest.param("a_b", [("a", 0, 1), ("b", 2, 3)], id="underscore"),
        pytest.param("G7 2026", [("G7", 0, 2), ("2026", 3, 7)], id="digits"),
        pytest.param(" ¿Qué?! ", [("Que", 2, 5)], id="punctuation"),
        pytest.param("", [], id="empty"),
    ],
)
def test_tokenize(text: str, expected: list[tuple[str, int, int]]) -> None:
    assert [(t.word, t.start, t.end) for t in tokenize(text)] == expected


def test_tokenize_lower() -> None:
    tokens = tokenize("Cártel del GOLFO")
    assert [t.low for t in tokens] == ["cartel", "del", "golfo"]


@pytest.mark.parametrize(
    ("html", "text"),
    [
        pytest.param("<p>Hello <b>world</b></p>", "Hello world", id="tags"),
        pytest.param("Tom &amp; Jerry &lt;3", "Tom & Jerry <3", id="entities"),
        pytest.param("a<br>b", "a b", id="block-breaks-words"),
        pytest.param("<p>one</p><p>two</p>", "one two", id="paragraphs"),
        pytest.param("x<script>alert(1)</script>y", "xy", id="script-dropped"),
        pytest.param("<style>p{}</style>text", "text", id="style-dropped"),
        pytest.param("  spaced \n\t out  ", "spaced out", id="whitespace-plain"),
        pytest.param("&eacute;xito", "éxito", id="named-entity"),
        pytest.param("", "", id="empty"),
        pytest.param("red\x1b[31m alert\x07", "red[31m alert", id="terminal-escapes-removed"),
        pytest.param("a&#27;[2Jb", "a[2Jb", id="escaped-control-removed"),
    ],
)
def test_strip_html(html: str, text: str) -> None:
    assert strip_html(html) == text


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        pytest.param("short", 280, "short", id="short-unchanged"),
        pytest.param("exactly ten", 11, "exactly ten", id="at-limit"),
        pytest.param("one two three four", 10, "one two…", id="cut-at-word"),
        pytest.param("one two, three", 9, "one two…", id="punctuation-trimmed"),
    ],
)
def test_excerpt(text: str, limit: int, expected: str) -> None:
    assert excerpt(text, limit) == expected


@given(st.text())
def test_fold_is_idempotent_and_keeps_length(text: str) -> None:
    folded = fold(text)
    assert len(folded) == len(text)
    assert fold(folded) == folded
    plain = fold_plain(text)
    assert len(plain) == len(text)
    assert fold_plain(plain) == plain


@given(st.text())
def test_token_spans_point_at_their_words(text: str) -> None:
    plain = fold_plain(text)
    for token in tokenize(text):
        assert plain[token.start : token.end] == token.word
        assert len(token.low) == len(token.word)
