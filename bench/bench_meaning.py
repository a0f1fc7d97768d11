"""Time MeaningIndex lookups (vectors prefilter + guards + threads) at 1,000–100,000 reports,
and the embedding of one matched story.

    .venv/bin/python bench/bench_meaning.py [--sizes 1000,10000,100000] [--queries 200]

The indexed reports are synthetic (bench_related's generator for the signatures, random unit
vectors near a story's own for its rewordings), so the figures are of speed, not quality.
"""

from __future__ import annotations

import argparse
import resource
import time
from dataclasses import replace
from datetime import timedelta

import numpy as np

from bench_related import NOW, WINDOW, make_story, surname
from watchbot.models import Story
from watchbot.samestory import payload as codec
from watchbot.samestory.embedding import encoder
from watchbot.samestory.meaning import Report
from watchbot.samestory.signature import signature
from watchbot.samestory.threads import MeaningIndex, embed


def unit(rng: np.random.Generator, base: np.ndarray | None = None) -> np.ndarray:
    v = rng.standard_normal(512).astype(np.float32)
    if base is not None:
        v = base + 0.6 * v / np.linalg.norm(v)
    return (v / np.linalg.norm(v)).astype(np.float16)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    import random

    rng_py, rng = random.Random(7), np.random.default_rng(7)
    print("| reports in window | lookup ms/story | max RSS MB |")
    print("| ---: | ---: | ---: |")
    for size in [int(s) for s in args.sizes.split(",")]:
        people = [f"{rng_py.choice(['Ana', 'Luis'])} {surname(rng_py)}" for _ in range(size // 5)]
        index, kept = MeaningIndex(WINDOW), []
        for n in range(size):
            title, text, titulo, texto = make_story(rng_py, people)
            vec = unit(rng)
            report = Report(signature(title, text), vec, vec)
            when = NOW - timedelta(seconds=size - n)
            index.add(n, codec.encode(report), when)
            if n % max(1, size // args.queries) == 0:
                kept.append((titulo, texto, vec))
        queries = [
            Report(
                signature(t, x), unit(rng, v.astype(np.float32)), unit(rng, v.astype(np.float32))
            )
            for t, x, v in kept[: args.queries]
        ]
        start = time.perf_counter()
        for q in queries:
            index.lookup(q, NOW)
        ms = (time.perf_counter() - start) / len(queries) * 1000
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"| {size:,} | {ms:.2f} | {rss:.0f} |")
    if encoder() is not None:
        story = Story(
            "b",
            None,
            None,
            None,
            "Mexico sends 29 cartel members to US",
            "Mexico transferred 29 prisoners, including Rafael Caro Quintero, to the US.",
            None,
        )
        embed(story)  # loads the model
        # embed() keeps its last stories (one embedding for every channel's index): each round
        # gets a story of its own, so the time is the model's, not the cache's
        stories = [replace(story, text=f"{story.text} ({k})") for k in range(20)]
        start = time.perf_counter()
        for each in stories:
            embed(each)
        print(
            f"embedding one matched story (headline + summary): "
            f"{(time.perf_counter() - start) / 20 * 1000:.1f} ms"
        )


if __name__ == "__main__":
    main()
