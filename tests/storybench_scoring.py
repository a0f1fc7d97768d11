"""Score watchbot's same-story method on the public pairs in ../shared/storybench.

    .venv/bin/python tests/storybench_scoring.py [--method meaning|rules]

Each side of a pair becomes a report: its title, or (most articles have none) the first 14 words
of its text as the headline and the next 400 characters as the summary, as the corpus's README
suggests. Each pair is judged by `meaning.judge` at one hour apart (the corpus gives no times):
the score ranks pairs for the AUC of `same` against `different`, and the decision says how many
pairs of each label would merge. The corpus is third-party data: it is read from ../shared and
never copied into the repository.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from watchbot.models import Story
from watchbot.samestory.meaning import Report, judge
from watchbot.samestory.signature import signature
from watchbot.samestory.threads import embed

PAIRS = Path(__file__).resolve().parents[2] / "shared" / "storybench" / "dev_pairs.jsonl"
HEADLINE_WORDS = 14
SUMMARY_CHARS = 400


def report_of(side: dict[str, str | None], *, vectors: bool = True) -> Report:
    title, text = side.get("title"), side.get("summary") or ""
    if not title:
        words = text.split()
        title, text = " ".join(words[:HEADLINE_WORDS]), " ".join(words[HEADLINE_WORDS:])
    text = text[:SUMMARY_CHARS]
    if not vectors:
        return Report(signature(title, text))
    return embed(Story("storybench", None, None, None, title, text, None))


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """The chance that a random positive scores above a random negative (ties count half)."""
    wins = sum((p > n) + 0.5 * (p == n) for p in positive for n in negative)
    return wins / (len(positive) * len(negative))


@dataclass(frozen=True)
class Scored:
    lang: str
    label: str
    score: float
    same: bool


@dataclass(frozen=True)
class Figures:
    auc: dict[str, float]  # per pairing and "all"
    merged: dict[str, tuple[int, int]]  # label → (merged, pairs)

    def rate(self, label: str) -> float:
        merged, pairs = self.merged[label]
        return merged / pairs

    def summary(self) -> str:
        aucs = ", ".join(f"{lang} {value:.3f}" for lang, value in self.auc.items())
        merged = ", ".join(
            f"{label} {m}/{n} ({m / n:.1%})" for label, (m, n) in self.merged.items()
        )
        return f"AUC same vs different: {aucs}; merged at the decision: {merged}"


def figures(scored: Iterable[Scored]) -> Figures:
    rows = list(scored)
    out: dict[str, float] = {}
    for lang in ("en-en", "es-es", "es-en", "all"):
        pick = [r for r in rows if lang in ("all", r.lang)]
        same = [r.score for r in pick if r.label == "same"]
        different = [r.score for r in pick if r.label == "different"]
        out[lang] = auc(same, different)
    merged = {}
    for label in ("same", "related", "different"):
        pick = [r for r in rows if r.label == label]
        merged[label] = (sum(r.same for r in pick), len(pick))
    return Figures(out, merged)


def score(path: Path = PAIRS, *, vectors: bool = True) -> Figures:
    scored = []
    for line in path.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        a, b = report_of(pair["a"], vectors=vectors), report_of(pair["b"], vectors=vectors)
        evidence = judge(a, b, hours=1.0)
        scored.append(Scored(pair["lang"], pair["pair_label"], evidence.score, evidence.same))
    return figures(scored)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--method", choices=("meaning", "rules"), default="meaning")
    args = parser.parse_args()
    print(score(vectors=args.method == "meaning").summary())


if __name__ == "__main__":
    main()
