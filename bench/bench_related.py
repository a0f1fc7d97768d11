"""Time RelatedIndex.find against a brute-force scan of every alerted story in the window.

    .venv/bin/python bench/bench_related.py [--sizes 1000,10000,100000] [--queries 200]

Builds indexes of synthetic alerted stories (seeded; a US–Mexico news vocabulary with people,
places, organisations and numbers), then looks up a batch of new stories, half of them other
outlets' rewordings of an alerted story, half new. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from watchbot.samestory.index import RelatedIndex
from watchbot.samestory.rules import same_story
from watchbot.samestory.signature import Signature, signature


def words(text: str) -> list[str]:
    return text.split()


NOW = datetime(2025, 7, 1, tzinfo=UTC)
WINDOW = timedelta(hours=72)

FIRST = words("Ana Luis Carlos María José Juan Rosa Pedro Elena Jorge Sofía Miguel Laura Raúl")
SYLLABLES = words("ba be ca co da du ga go la lo ma me na no ra re sa so ta to va ve za zu al en")
PLACES = words(
    "Sinaloa Sonora Chihuahua Tamaulipas Jalisco Michoacán Guerrero Oaxaca Veracruz Tabasco "
    "Culiacán Tijuana Juárez Nogales Reynosa Matamoros Monterrey Guadalajara Acapulco "
    "Zacatecas "
    "Texas Arizona California Chicago Brooklyn Houston Phoenix Washington Ottawa Bogotá"
)
ORGS = words("CJNG DEA FBI CBP ICE Pemex Banxico Semar FGR USTR OFAC ATF SAT Sedena")
EVENTS = [
    ("arrested in", "detenido en"),
    ("extradited from", "extraditado desde"),
    ("charged in", "acusado en"),
    ("killed in", "asesinado en"),
    ("sentenced in", "sentenciado en"),
    ("released in", "liberado en"),
    ("kidnapped in", "secuestrado en"),
]
THINGS = [
    ("tons of cocaine seized in", "toneladas de cocaína aseguradas en"),
    ("fentanyl pills found in", "pastillas de fentanilo halladas en"),
    ("migrants detained in", "migrantes detenidos en"),
    ("bodies found in", "cuerpos hallados en"),
    ("weapons seized in", "armas aseguradas en"),
    ("trucks stopped at border near", "camiones detenidos en la frontera cerca de"),
]
FILLER = words(
    "officials said the operation followed months of investigation by federal prosecutors "
    "the government said security forces were deployed amid rising violence in the region "
    "authorities did not release further details about the suspects or the charges they face"
)


def surname(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize()


def make_story(rng: random.Random, people: list[str]) -> tuple[str, str, str, str]:
    """One story as (English title, English summary, Spanish title, Spanish summary)."""
    place, org = rng.choice(PLACES), rng.choice(ORGS)
    filler = " ".join(rng.sample(FILLER, 12))
    if rng.random() < 0.5:
        person = rng.choice(people)
        event, evento = rng.choice(EVENTS)
        title = f"{person} {event} {place}"
        text = f"The {org} said {person} was {event} {place}, {filler}."
        titulo = f"{person}, {evento} {place}"
        texto = f"La {org} informó que {person} fue {evento} {place}."
    else:
        n = rng.randint(2, 5000)
        thing, cosa = rng.choice(THINGS)
        title = f"{n} {thing} {place}"
        text = f"The {org} reported {n} {thing} {place}; {filler}."
        titulo = f"{n} {cosa} {place}"
        texto = f"La {org} reportó {n} {cosa} {place}."
    return title, text, titulo, texto


def build(size: int, seed: int) -> tuple[RelatedIndex, list[tuple[Signature, datetime]], list]:
    rng = random.Random(seed)
    people = [f"{rng.choice(FIRST)} {surname(rng)}" for _ in range(max(200, size // 5))]
    index = RelatedIndex()
    alerted: list[tuple[Signature, datetime]] = []
    stories = []
    for i in range(size):
        story = make_story(rng, people)
        when = NOW - WINDOW + WINDOW * (i / size)
        sig = signature(story[0], story[1])
        index.add(i, sig, when)
        alerted.append((sig, when))
        stories.append(story)
    return index, alerted, stories


def queries(stories: list, count: int, seed: int) -> list[Signature]:
    """Half Spanish rewordings of alerted stories, half new stories."""
    rng = random.Random(seed + 1)
    people = [f"{rng.choice(FIRST)} {surname(rng)}" for _ in range(500)]
    out = []
    for k in range(count):
        if k % 2 == 0:
            _, _, titulo, texto = rng.choice(stories)
            out.append(signature(titulo, texto))
        else:
            title, text, _, _ = make_story(rng, people)
            out.append(signature(title, text))
    return out


def brute(alerted: list[tuple[Signature, datetime]], sig: Signature) -> int | None:
    since = NOW - WINDOW
    best: tuple[datetime, int] | None = None
    for i, (other, when) in enumerate(alerted):
        if when >= since and same_story(sig, other) and (best is None or when < best[0]):
            best = (when, i)
    return None if best is None else best[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--brute-budget", type=float, default=20.0, help="seconds per size")
    args = parser.parse_args()
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        index, alerted, stories = build(size, seed=size)
        batch = queries(stories, args.queries, seed=size)
        start = time.perf_counter()
        found = [index.find(sig, NOW, WINDOW) for sig in batch]
        indexed_ms = (time.perf_counter() - start) * 1000 / len(batch)
        # brute force is slow: time as many queries as fit the budget
        start, done, agree = time.perf_counter(), 0, 0
        for sig, hit in zip(batch, found, strict=True):
            agree += brute(alerted, sig) == hit
            done += 1
            if time.perf_counter() - start > args.brute_budget:
                break
        brute_ms = (time.perf_counter() - start) * 1000 / done
        matched = sum(f is not None for f in found)
        rows.append((size, indexed_ms, brute_ms, matched, len(batch), agree, done))
    print(
        "| stories in window | find() ms/story | brute force ms/story | brute/find | "
        "find growth | matched | agrees with brute force |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for k, (size, ms, bms, matched, total, agree, done) in enumerate(rows):
        growth = "—" if k == 0 else f"×{ms / rows[k - 1][1]:.2f} for ×{size // rows[k - 1][0]}"
        print(
            f"| {size:,} | {ms:.3f} | {bms:.1f} | ×{bms / ms:,.0f} | {growth} | "
            f"{matched}/{total} | {agree}/{done} |"
        )


if __name__ == "__main__":
    main()
