"""Match stories against watchlists: compile the terms once per load, then match each story fast.

`Matcher.compile(watchlists)` does all the work that depends only on the watchlists; `match(title,
text)` is a pure function of the story (apart from a bounded memo of story words) and never raises.

Term language
=============

A term is matched on whole words of the title and of the summary separately: a phrase never runs
from the title into the summary. Words are what `watchbot.text.tokenize` finds: case, accents and
typographic quotes are ignored, hyphens and dashes separate words like spaces do, and an English
possessive is its word (`Sheinbaum's` is `Sheinbaum`).

- **Phrase** (`Garcia Harfuch`): its words, in order, as consecutive words of the story
  (punctuation between them is ignored, like hyphens).
- **Joined form**: a phrase of several words also matches its words written together as one word,
  exactly (never fuzzily): `narco-terrorism` matches "narco terrorism", "narco-terrorism" and
  "narcoterrorism"; `narco-terror*` matches "narcoterrorismo". (No joined form when a word other
  than the last ends in `*`.)
- **Wildcard**: a `*` at the end of a word matches that word with any ending, or none:
  `extradit*` matches extradite, extradited, extradition; it may end any word of a phrase
  (`cártel* del Golfo`), only at the end of a word, after at least 3 letters or digits.
- **Acronym**: a term with no lower-case letter and at most 5 letters in all (`CJNG`, `USMCA`,
  `T-MEC`, `CDN`, `U.S.`) is matched case-sensitively on the accent-folded words: `CDN` does not
  match "cdn" or "Cdn". `CÁRTEL` (6 letters) is an ordinary, case-insensitive term.
- **Regular expression** (`/narco-?terror(ism|ist)s?/`): Python `re`, case-insensitive, searched in
  the field with accents stripped and quotes/dashes made ASCII (`text.fold_plain`; case and hyphens
  kept). The expression is folded the same way, so `/extradición/` works. Put `\\b` where you want
  word boundaries. An expression that matches the empty text is refused. The first match in each
  field counts.
- **Inflection**: a word written in lower case (not an acronym, not ending in `*`) also matches
  the story words that share its English or Spanish Snowball stem, when the stem has 4 letters or
  more (`forms.stems`): `ataque contra embarcación` matches "ataques contra embarcaciones",
  `strike` "striking". Words with a capital are names and match as written. An entry's
  `inflect: false` turns it off. `Hit.form` is "inflected" when the words differ from the term's.

Fuzzy matching
==============

Only phrases tolerate misspellings: never acronyms, regular expressions, joined forms or terms with
a `*`. An entry's `fuzzy` is the least similarity accepted (0–100; `None` turns it off). A window
of the story fuzzily matches a term when all of these hold:

1. the window has exactly as many words as the term (never substring or partial matching, so
   `Rodrigo Peña` never matches "Enrique Peña Nieto", and a term never half-matches a longer name);
2. term words shorter than 5 letters match exactly;
3. each differing word is at most 1 edit (optimal string alignment: insert, delete or substitute
   one character, or swap two adjacent ones) away if the term word has 5–8 letters, at most 2
   edits if it has 9 or more;
4. no differing story word is a dictionary word (`forms.dictionary_language`): "carter" is never
   `cartel`, "madura" never `Maduro`; except in a term of several words where some word of the
   window is not such a misspelling: the other words vouch for it ("Juan Campo Rivera");
5. the score (`fuzzy.score`: `rapidfuzz.fuzz.ratio` of the folded term against the folded window,
   words joined by single spaces, with an adjacent swap costing one missing letter) is at least
   the threshold.

`Sheinbam` and `Shienbaum` → Sheinbaum score 94 and `Inzunsa Noriega` → Inzunza Noriega 93: all
match at 90; `Sheinbaun` scores 88. Exact matches score 100; fuzzy scores are rounded down, so a
reported score is never above the true similarity. Excludes follow the same rules as terms,
including the entry's fuzzy threshold.

Entries and watchlists
======================

An entry matches when one of its terms matches; it holds when, besides, none of its excludes
and exclusions applies and each of its requirements is met by entries that hold themselves
(`decide` says it in full; `watchbot.rules` reads the YAML). A watchlist alerts when an entry with
`alert: true` holds. A verdict lists every entry that matched, context entries included, with
one `Hit` each: the best one (highest score, then title before text, then the earliest). `Hit.term`
is the term as written, `Hit.matched` the story's words as written (a slice of the field at
`start:end`). `reasons` say what requires, excludes and `alert: false` decided, e.g.
"extradition: requires one of [mexico] — none matched", "cartels: excluded by 'OPEC'",
"mexico: context only (alert: false)". A `requires` naming no known entry never matches.
`decisions` hold, per matched entry, whether it alerts and the rule that decided.

With `explain=True`, `near_misses` lists fuzzy candidates that passed rules 1–3 and scored within
15 points under the threshold (or that rule 4 set apart, saying so in `why`), for entries that did
not match otherwise.

How it is fast: see `watchbot.match.lexicon` and `watchbot.match.index`. The package: `terms`
parses terms, `words` splits story text, `forms` stems words and knows dictionary words, `fuzzy`
holds the edit budget and the score, `lexicon` compiles the terms into look-up tables and a trie,
`index` finds them in a story, `decide` turns hits into verdicts, `matcher` ties them together.
"""

from watchbot.match.matcher import Matcher
from watchbot.match.terms import term_problem
from watchbot.match.words import split_words

__all__ = ["Matcher", "split_words", "term_problem"]
