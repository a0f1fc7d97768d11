"""Fetching many feeds at once: a bounded pool of worker threads, at most `per_host` fetches of
one host at a time, results handed back as each fetch ends.

`HostSlots` counts the fetches in flight per host. It is shared by the one-cycle pool here
(`fetch_many`, which only starts a fetch whose host has a free slot, so no worker ever waits on
a busy host while another host's feeds wait) and by the daemon's per-feed jobs (`hold`, which
waits for a slot).

Workers hand results to the caller through a small bounded queue, so a caller that records
slowly holds at most a few parsed feeds in memory while the others keep fetching.
"""

from __future__ import annotations

import queue
import threading
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TypeVar
from urllib.parse import urlsplit

from watchbot.models import FeedConfig

WAKE_EVERY = 1.0  # seconds; waits re-check the stop flag at least this often


def host_of(url: str) -> str:
    """The key per-host limits count by: scheme-less host and port; a local file is its own."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return f"file:{url}"
    return (parts.netloc or url).lower()


class HostSlots:
    """How many fetches each host has in flight, at most `per_host`. Thread-safe."""

    def __init__(self, per_host: int) -> None:
        self.per_host = per_host
        self._cond = threading.Condition()
        self._busy: Counter[str] = Counter()

    @contextmanager
    def hold(self, host: str) -> Iterator[None]:
        """Wait for a free slot of `host`, hold it for the block."""
        with self._cond:
            self._cond.wait_for(lambda: self._busy[host] < self.per_host)
            self._busy[host] += 1
        try:
            yield
        finally:
            self.release(host)

    def release(self, host: str) -> None:
        with self._cond:
            self._busy[host] -= 1
            if self._busy[host] <= 0:
                del self._busy[host]
            self._cond.notify_all()

    def take(
        self, queues: dict[str, deque[FeedConfig]], stop: threading.Event
    ) -> tuple[str, FeedConfig] | None:
        """A queued feed whose host has a free slot, its slot taken; None when none is left."""
        with self._cond:
            while queues and not stop.is_set():
                for host, waiting in queues.items():
                    if self._busy[host] < self.per_host:
                        feed = waiting.popleft()
                        if not waiting:
                            del queues[host]
                        self._busy[host] += 1
                        return host, feed
                self._cond.wait(WAKE_EVERY)
            return None

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


R = TypeVar("R")


def run_pool(
    feeds: Sequence[FeedConfig],
    fetch: Callable[[FeedConfig], R],
    *,
    workers: int,
    slots: HostSlots,
    url_of: Callable[[FeedConfig], str] = lambda f: f.url,
) -> Iterator[tuple[FeedConfig, R]]:
    """Run `fetch` on every feed in up to `workers` threads, at most `slots.per_host` per host;
    yield each feed with its result as it ends. `fetch` must not raise. Leaving the loop early
    stops the fetches not yet started."""
    queues: dict[str, deque[FeedConfig]] = {}
    for feed in feeds:
        queues.setdefault(host_of(url_of(feed)), deque()).append(feed)
    results: queue.Queue[tuple[FeedConfig, R]] = queue.Queue(maxsize=max(4, workers))
    stop = threading.Event()

    def work() -> None:
        while (taken := slots.take(queues, stop)) is not None:
            host, feed = taken
            try:
                result = fetch(feed)
            finally:
                slots.release(host)
            while not stop.is_set():
                try:
                    results.put((feed, result), timeout=WAKE_EVERY)
                    break
                except queue.Full:
                    continue

    threads = [
        threading.Thread(target=work, name=f"fetch-{i}", daemon=True)
        for i in range(min(workers, len(feeds)))
    ]
    for thread in threads:
        thread.start()
    try:
        for _ in range(len(feeds)):
            yield _next(results, threads)
    finally:
        stop.set()
        slots.wake()


def _next(
    results: queue.Queue[tuple[FeedConfig, R]], threads: list[threading.Thread]
) -> tuple[FeedConfig, R]:
    while True:
        try:
            return results.get(timeout=WAKE_EVERY)
        except queue.Empty:
            if not any(t.is_alive() for t in threads) and results.empty():
                raise RuntimeError(
                    "every fetch worker stopped before all feeds were fetched"
                ) from None
