"""Score a labelled same-story set with watchbot's real same-story method.

    .venv/bin/python tests/samestory_scoring.py PATH.jsonl [--method meaning|rules] [-v]

PATH holds one report a line: {"group", "title", "summary", "lang"}, optionally "hours" (when
it was published, in hours from the start; default: 6 minutes after the previous report) and
"follows" or "near" (the group of an earlier story this one is a next step of, or is written
close to). Reports of one group are one story.

*Pairs* are judged two by two (`meaning.judge`, or `rules.same_story` with --method rules):
a missed pair is two reports of one group judged different, a false merge two of different
groups judged the same. *In use* feeds the reports in order through a real `SameStoryIndex`
(`make_index`), as the pipeline does, thread replies included: a *duplicate alert* is a later
report of an alerted story that became an alert of its own, a *misthreaded* report went into
another story's thread. `related` counts the reports alerted with a "Follows" link, and how many
of those point at the group they follow.
"""

from __future__ import annotations

import argparse
import itertools
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from watchbot.models import Story
from watchbot.samestory import Verdict, make_index
from watchbot.samestory.meaning import Report, judge
from watchbot.samestory.rules import same_story
from watchbot.samestory.threads import embed

T0 = datetime(2026, 11, 1, tzinfo=UTC)
WINDOW = timedelta(hours=72)


@dataclass
class Figures:
    reports: int = 0
    same_pairs: int = 0
    missed: int = 0
    other_pairs: int = 0
    false_merges: int = 0
    near_pairs: int = 0
    near_merges: int = 0
    later: int = 0  # reports of a group already alerted
    duplicates: int = 0
    misthreaded: int = 0
    related: int = 0  # alerted with a Follows link
    related_right: int = 0  # ... to the group it follows / is near
    examples: list[str] = field(default_factory=list)
    # language pairing ("en-en", "es-es", "en-es") → [same pairs, missed, other pairs, merges]
    by_pairing: dict[str, list[int]] = field(default_factory=dict)

    def pairings(self) -> str:
        return "; ".join(
            f"{k}: missed {m}/{s}, false merges {f}/{o}"
            for k, (s, m, o, f) in sorted(self.by_pairing.items())
        )

    def summary(self) -> str:
        def pct(n: int, d: int, digits: int = 1) -> str:
            return f"{n}/{d} ({n / d:.{digits}%})" if d else f"{n}/0"

        return (
            f"{self.reports} reports; missed same-story pairs {pct(self.missed, self.same_pairs)};"
            f" false merges {pct(self.false_merges, self.other_pairs, 2)}"
            f" (near {pct(self.near_merges, self.near_pairs)}); in use: duplicate alerts"
            f" {pct(self.duplicates, self.later)}, misthreaded {self.misthreaded};"
            f" follows links {self.related} ({self.related_right} to the story followed)"
        )


def load(path: Path) -> list[dict[str, object]]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _hours(rows: list[dict[str, object]]) -> list[float]:
    hours, last = [], 0.0
    for k, row in enumerate(rows):
        value = row.get("hours")
        last = float(value) if isinstance(value, int | float) else (last + 0.1 if k else 0.0)
        hours.append(last)
    return hours


def _story(k: int, row: dict[str, object], when: datetime) -> Story:
    return Story(
        feed=f"outlet {k}",
        guid=f"report-{k}",
        url=f"https://example.org/{k}",
        canonical_url=None,
        title=str(row["title"]),
        text=str(row.get("summary") or ""),
        published=when,
    )


def _near(a: dict[str, object], b: dict[str, object]) -> bool:
    def points(x: dict[str, object], y: dict[str, object]) -> bool:
        return y["group"] in (x.get("near"), x.get("follows"))

    return points(a, b) or points(b, a)


def score_pairs(rows: list[dict[str, object]], reports: list[Report], method: str) -> Figures:
    out = Figures(reports=len(rows))
    hours = _hours(rows)
    for i, j in itertools.combinations(range(len(rows)), 2):
        a, b = rows[i], rows[j]
        if method == "rules":
            judged = same_story(reports[i].sig, reports[j].sig)
        else:
            judged = judge(reports[i], reports[j], abs(hours[i] - hours[j])).same
        pairing = "-".join(sorted((str(a.get("lang")), str(b.get("lang")))))
        tally = out.by_pairing.setdefault(pairing, [0, 0, 0, 0])
        if a["group"] == b["group"]:
            tally[0] += 1
            tally[1] += not judged
            out.same_pairs += 1
            if not judged:
                out.missed += 1
                out.examples.append(f"missed: {a['title']!r} / {b['title']!r}")
            continue
        tally[2] += 1
        tally[3] += judged
        out.other_pairs += 1
        near = _near(a, b)
        out.near_pairs += near
        if judged:
            out.false_merges += 1
            out.near_merges += near
            out.examples.append(f"merged: {a['title']!r} / {b['title']!r}")
    return out


def score_in_use(rows: list[dict[str, object]], out: Figures, method: str) -> None:
    index = make_index(WINDOW, method)
    alerted: set[object] = set()
    thread_of: dict[int, int] = {}  # report → its thread's first report
    for k, (row, hours) in enumerate(zip(rows, _hours(rows), strict=True)):
        now = T0 + timedelta(hours=hours)
        story = _story(k, row, now)
        found = index.find(story, now)
        first = row["group"] not in alerted
        out.later += not first
        if found is None or found.verdict is Verdict.RELATED:
            if not first:
                out.duplicates += 1
                out.examples.append(f"duplicate alert: {row['title']!r}")
            if found is not None:
                out.related += 1
                out.related_right += _near(row, rows[found.alert_id])
            alerted.add(row["group"])
            index.add(k, index.payload(story), now)
            thread_of[k] = k
            continue
        root = thread_of[found.alert_id]
        if rows[root]["group"] != row["group"]:
            out.misthreaded += 1
            out.examples.append(
                f"MISTHREADED: {row['title']!r} under {rows[root]['title']!r} ({found.why})"
            )
        index.add(k, index.payload(story), now, thread=root)
        thread_of[k] = root


def score(path: Path, method: str = "meaning") -> Figures:
    """The pair and in-use figures of the set at `path` with the method `method`."""
    rows = load(path)
    reports = [embed(_story(k, row, T0)) for k, row in enumerate(rows)]
    out = score_pairs(rows, reports, method)
    score_in_use(rows, out, method)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--method", choices=("meaning", "rules"), default="meaning")
    parser.add_argument("-v", "--verbose", action="store_true", help="list every error")
    args = parser.parse_args()
    figures = score(args.path, args.method)
    print(figures.summary())
    print(figures.pairings())
    if args.verbose:
        print(*figures.examples, sep="\n")


if __name__ == "__main__":
    main()
