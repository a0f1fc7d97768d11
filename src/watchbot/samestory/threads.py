"""The meaning method's index: one channel's threads within the window, and which thread, if
any, a new report belongs in. A wrong thread is worse than a duplicate alert, so:

- a new report is compared with *every* report already in a candidate thread, not only its
  first: a guard firing against any of them keeps it out of that thread;
- it joins the thread it is clearly closest to: its best evidence must clear the bar (time
  included), and no other thread may come within `MARGIN` of it; two threads about equally
  close make a new alert;
- a report close in meaning to a thread but not the same story (a guard fired, or the evidence
  is thin) is *related*: a new alert that follows the thread's first alert.

Candidates come from the vectors' nearest neighbours (`VectorStore`) and from the rules' token
index (`RelatedIndex`, which also finds reports stored without vectors), so a lookup costs the
same at 1,000 and at 100,000 reports.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from watchbot.models import Story
from watchbot.samestory import Match, Verdict
from watchbot.samestory import payload as codec
from watchbot.samestory.embedding import encoder
from watchbot.samestory.index import RelatedIndex
from watchbot.samestory.meaning import Evidence, Report, judge
from watchbot.samestory.signature import signature
from watchbot.samestory.vectors import VectorStore

log = logging.getLogger("watchbot")

MARGIN = 0.12  # how much closer the chosen thread must be than any other
CANDIDATE_COSINE = 0.3  # nearest reports below this cosine are not candidates
MAX_THREADS = 8  # candidate threads judged, best first


@dataclass
class _Entry:
    report: Report
    when: datetime
    thread: int
    slot: int | None  # row in the VectorStore, when it has vectors


@dataclass
class _Thread:
    members: list[int] = field(default_factory=list)  # alert ids, oldest first


@dataclass(frozen=True)
class ThreadEvidence:
    """A new report against one thread: the best pair of it, and whether any report in it
    keeps the new one out."""

    thread: int
    best: Evidence
    blocked: str | None  # the guard that fired against a report of the thread


def embed(story: Story) -> Report:
    """The report of `story`: its signature and, when the model loads, its vectors. The
    pipeline asks every channel's index to `find` a story and one to give its `payload`: the
    last stories are kept, so each is embedded once."""
    return _embedded(story.title, story.text)


@functools.lru_cache(maxsize=64)
def _embedded(title: str, text: str) -> Report:
    sig = signature(title, text)
    model = encoder()
    if model is None:
        return Report(sig)
    full_text = f"{title}. {text}" if text else title
    headline, full = model.encode([title, full_text])
    return Report(sig, headline.astype(np.float16), full.astype(np.float16))


class MeaningIndex:
    """Meaning (a multilingual sentence embedding) and the rules' guards, behind the
    `SameStoryIndex` interface. Falls back to the rules alone when the model cannot load."""

    def __init__(self, window: timedelta) -> None:
        self.window = window
        self._entries: dict[int, _Entry] = {}
        self._threads: dict[int, _Thread] = {}
        self._slots: dict[int, int] = {}  # vector slot → alert id
        self._vectors = VectorStore()
        # the rules' token index of the reports stored without vectors (before the meaning
        # method, or while the model was down), for lookups with vectors; and, built on the
        # first lookup without vectors (the model failed to load), one of every report
        self._plain: RelatedIndex[int] = RelatedIndex()
        self._all: RelatedIndex[int] | None = None

    @property
    def method(self) -> str:
        return "meaning" if encoder() is not None else "rules (model not loaded)"

    def __len__(self) -> int:
        return len(self._entries)

    def payload(self, story: Story) -> bytes:
        return codec.encode(embed(story))

    def add(self, alert_id: int, payload: bytes, when: datetime, thread: int | None = None) -> None:
        report = codec.decode(payload)
        root = alert_id if thread is None else thread
        if thread is not None and thread not in self._threads:
            root = alert_id  # its thread's first alert is gone: it starts its own
        slot = None
        if report.full is not None and report.headline is not None:
            full, headline = report.full.astype(np.float32), report.headline.astype(np.float32)
            slot = self._vectors.add(full, headline)
            self._slots[slot] = alert_id
            report = Report(report.sig)  # its vectors live in the store, once
        self._entries[alert_id] = _Entry(report, when, root, slot)
        self._threads.setdefault(root, _Thread()).members.append(alert_id)
        if slot is None:
            self._plain.add(alert_id, report.sig, when)
        if self._all is not None:
            self._all.add(alert_id, report.sig, when)

    def _candidate_threads(self, report: Report, since: datetime) -> list[int]:
        """The threads of the reports nearest `report` in meaning, and of those sharing its
        rarest words among reports that have no vectors (or all, when it has none itself). A
        report with vectors below CANDIDATE_COSINE cannot reach the bar on words alone."""
        ids: dict[int, None] = {}
        if report.full is not None:
            for slot, _ in self._vectors.nearest(report.full.astype(np.float32), CANDIDATE_COSINE):
                ids[self._slots[slot]] = None
            tokens = self._plain
        else:
            tokens = self._every_report()
        for alert_id, _, _ in tokens.candidates(report.sig):
            ids[alert_id] = None
        threads: dict[int, None] = {}
        for alert_id in ids:
            entry = self._entries.get(alert_id)
            if entry is not None and entry.when >= since:
                threads[entry.thread] = None
        return list(threads)[: MAX_THREADS * 2]

    def _every_report(self) -> RelatedIndex[int]:
        if self._all is None:
            self._all = RelatedIndex()
            for alert_id, entry in self._entries.items():
                self._all.add(alert_id, entry.report.sig, entry.when)
        return self._all

    def _stored(self, entry: _Entry) -> Report:
        if entry.slot is None:
            return entry.report
        headline, full = self._vectors.vectors(entry.slot)
        return Report(entry.report.sig, headline, full)

    def judge_thread(self, report: Report, thread: int, now: datetime) -> ThreadEvidence:
        """`report` against every report of `thread` within the window."""
        best: Evidence | None = None
        blocked = None
        for alert_id in self._threads[thread].members:
            entry = self._entries[alert_id]
            if entry.when < now - self.window:
                continue
            hours = abs((now - entry.when).total_seconds()) / 3600
            evidence = judge(report, self._stored(entry), hours)
            blocked = blocked or evidence.guard
            if best is None or evidence.score - evidence.bar > best.score - best.bar:
                best = evidence
        assert best is not None  # a candidate thread has a member within the window
        return ThreadEvidence(thread, best, blocked)

    def find(self, story: Story, now: datetime) -> Match | None:
        return self.lookup(embed(story), now)

    def lookup(self, report: Report, now: datetime) -> Match | None:
        """`find` for a report already embedded (the bench times this part alone)."""
        candidates = self._candidate_threads(report, now - self.window)
        judged = sorted(
            (self.judge_thread(report, t, now) for t in candidates),
            key=lambda e: e.best.score - e.best.bar,
            reverse=True,
        )[:MAX_THREADS]
        if not judged:
            return None
        first = judged[0]
        # the closest thread that no guard rules out, against the closest of the others
        rivals = [e for e in judged[1:] if not e.blocked]
        margin = first.best.score - rivals[0].best.score if rivals else float("inf")
        if first.best.same and not first.blocked and margin >= MARGIN:
            return Match(first.thread, Verdict.SAME, first.best.why())
        follows = next((e for e in judged if e.best.related or e.best.same), None)
        if follows is None:
            return None
        why = follows.best.why()
        if follows.best.same and not follows.blocked:
            why += f"; another thread within {MARGIN} (margin {margin:.2f})"
        elif follows.blocked:
            why += f"; guard against a report of the thread: different {follows.blocked}"
        return Match(follows.thread, Verdict.RELATED, why)

    def prune(self, before: datetime) -> None:
        old = [i for i, e in self._entries.items() if e.when < before]
        if not old:
            return
        for alert_id in old:
            entry = self._entries.pop(alert_id)
            if entry.slot is not None:
                self._vectors.drop(entry.slot)
                del self._slots[entry.slot]
            members = self._threads[entry.thread].members
            members.remove(alert_id)
            if not members:
                del self._threads[entry.thread]
        self._plain.prune(before)
        if self._all is not None:
            self._all.prune(before)
        moved = self._vectors.compact()
        if moved is not None:
            self._slots = {moved[s]: i for s, i in self._slots.items()}
            for entry in self._entries.values():
                if entry.slot is not None:
                    entry.slot = moved[entry.slot]
