"""`Matcher`: compile watchlists once, then match each story. See `watchbot.match` for the rules."""

from __future__ import annotations

from collections.abc import Sequence

from watchbot.errors import ConfigError, Problem
from watchbot.match.decide import Decider, EntryRef
from watchbot.match.index import TermIndex
from watchbot.match.lexicon import Lexicon
from watchbot.match.terms import parse_term
from watchbot.models import MatchResult, Watchlist
from watchbot.rules import cycle_problems

_EMPTY = MatchResult()


class Matcher:
    """Watchlists compiled for matching. Build with `Matcher.compile`; `match` each story."""

    def __init__(self) -> None:
        self._entries: list[EntryRef] = []
        self._watchlists: tuple[Watchlist, ...] = ()
        self._index = TermIndex(Lexicon())
        self._decider = Decider(self._entries, self._watchlists)

    @classmethod
    def compile(cls, watchlists: Sequence[Watchlist]) -> Matcher:
        """Compile every term of every watchlist. Raises ConfigError for an unusable term (the
        watchlist loader reports those first, with their lines)."""
        self = cls()
        self._watchlists = tuple(watchlists)
        lexicon = Lexicon()
        problems: list[Problem] = []
        for w, watchlist in enumerate(watchlists):
            for entry in watchlist.entries:
                index = len(self._entries)
                self._entries.append(EntryRef(w, watchlist.name, entry))
                groups = [(False, 0, entry.terms), (True, 0, entry.excludes)]
                groups += [(True, k + 1, x.terms) for k, x in enumerate(entry.exclusions)]
                for exclude, scope, terms in groups:
                    for source in terms:
                        parsed = parse_term(source)
                        if isinstance(parsed, str):
                            where = f"entry {entry.id!r} term {source!r}"
                            problems.append(Problem(watchlist.path, entry.line, where, parsed))
                            continue
                        lexicon.add(
                            index,
                            exclude,
                            source.strip(),
                            parsed,
                            entry.fuzzy,
                            scope,
                            inflect=entry.inflect,
                        )
        problems += cycle_problems(watchlists)
        if problems:
            raise ConfigError(problems)
        lexicon.finish()
        self._index = TermIndex(lexicon)
        self._decider = Decider(self._entries, self._watchlists)
        return self

    def match(self, title: str, text: str = "", *, explain: bool = False) -> MatchResult:
        """Which watchlists `title` and `text` (the summary, as plain text) alert, and why."""
        title = title if isinstance(title, str) else ""
        text = text if isinstance(text, str) else ""
        words, hits, near = self._index.find(title, text, explain)
        if not hits and not near:
            return _EMPTY
        return self._decider.result(words, hits, near or [])
