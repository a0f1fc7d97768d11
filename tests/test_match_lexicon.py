"""watchbot.match.lexicon: the compiled look-up tables, through their interface (`resolve_low`,
`resolve_case`, the trie's root). The matching rules themselves are in tests/test_matcher.py."""

from __future__ import annotations

from watchbot.match.fuzzy import WORD_PENALTY
from watchbot.match.lexicon import ACRONYM_CANDIDATE, Lexicon, Pairs
from watchbot.match.terms import parse_term


def lexicon(*terms: str, fuzzy: int | None = 90, inflect: bool = True) -> Lexicon:
    lex = Lexicon()
    for entry, term in enumerate(terms):
        parsed = parse_term(term)
        assert not isinstance(parsed, str)
        lex.add(entry, False, term, parsed, fuzzy, inflect=inflect)
    lex.finish()
    return lex


def starts(lex: Lexicon, pairs: Pairs) -> set[str]:
    """The terms whose path starts with one of `pairs` and ends there."""
    return {
        end.term.source
        for pid, _ in pairs
        if pid in lex.root.children
        for end in lex.root.children[pid].ends
    }


def test_a_word_resolves_to_the_terms_it_starts_with_their_edits() -> None:
    lex = lexicon("Sheinbaum", "extradit*", "cartel", "Claudia Sheinbaum")
    assert starts(lex, lex.resolve_low("sheinbaum")) == {"Sheinbaum"}
    assert lex.resolve_low("sheinbam")[0][1] == 1  # one edit
    assert starts(lex, lex.resolve_low("extradited")) == {"extradit*"}
    assert starts(lex, lex.resolve_low("carteles")) == {"cartel"}  # a form: same Spanish stem
    assert starts(lex, lex.resolve_low("claudiasheinbaum")) == {"Claudia Sheinbaum"}  # joined
    assert lex.resolve_low("tariffs") == ()


def test_a_dictionary_word_is_no_misspelling() -> None:
    lex = lexicon("Maduro")
    ((_, edits),) = lex.resolve_low("madura")
    assert edits == 1 + WORD_PENALTY


def test_acronyms_are_looked_up_case_kept() -> None:
    lex = lexicon("CJNG", "T-MEC")
    pairs = lex.resolve_low("cjng")
    assert pairs[-1] == ACRONYM_CANDIDATE  # what the lower-case word cannot say alone
    assert starts(lex, lex.resolve_case("CJNG")) == {"CJNG"}
    assert lex.resolve_case("Cjng") == ()


def test_regexes_are_kept_apart() -> None:
    lex = lexicon("/narco-?terror(ism|ist)s?/", "cartel")
    ((term, pattern),) = lex.regexes
    assert term.source.startswith("/") and pattern.search("narcoterrorists")
