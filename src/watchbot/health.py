"""`watchbot run --health-port N`: `/healthz` and `/metrics` over HTTP, on 127.0.0.1 by default.

`/healthz` answers 200 while the daemon works and 503 with a one-line reason when
- no feed has been polled successfully for more than twice the shortest feed interval, or
- delivery has been failing (every attempt, no success between) for longer than
  `health.delivery_failing` in the config.
`/metrics` is the run's `Metrics` registry in Prometheus's text format.

`judge` is pure: facts and the time in, verdict out; the server only serves it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from watchbot.metrics import HealthFacts, Metrics


def _ago(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def judge(
    facts: HealthFacts,
    now: datetime,
    *,
    shortest_interval: timedelta | None,
    delivery_failing: timedelta,
) -> tuple[bool, str]:
    """(healthy, one line saying why)."""
    if shortest_interval is not None:
        limit = 2 * shortest_interval
        since = facts.last_good_poll or facts.started
        if now - since > limit:
            what = "since the start" if facts.last_good_poll is None else f"for {_ago(now - since)}"
            error = f"; last error: {facts.last_poll_error}" if facts.last_poll_error else ""
            return False, (
                f"no feed polled successfully {what}, more than twice the shortest interval "
                f"({_ago(shortest_interval)}){error}"
            )
    failing = facts.delivery_failing_since
    if failing is not None and now - failing > delivery_failing:
        return False, (
            f"delivery failing for {_ago(now - failing)} (limit {_ago(delivery_failing)}), "
            f"{facts.pending} alert(s) pending; last error: {facts.last_delivery_error}"
        )
    if facts.last_good_poll is None:
        return True, "ok: starting, no poll finished yet"
    ago = _ago(now - facts.last_good_poll)
    return True, f"ok: last good poll {ago} ago, {facts.pending} alert(s) pending"


Verdict = Callable[[], tuple[bool, str]]


class HealthServer:
    """Serves `/healthz` and `/metrics` from a thread until `close()`. Port 0 picks a free one
    (see `port`)."""

    def __init__(self, metrics: Metrics, verdict: Verdict, port: int, host: str = "127.0.0.1"):
        self.metrics = metrics
        self.verdict = verdict
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/healthz":
                    ok, reason = server.verdict()
                    self._send(200 if ok else 503, (reason + "\n").encode(), "text/plain")
                elif path == "/metrics":
                    body = generate_latest(server.metrics.registry)
                    self._send(200, body, CONTENT_TYPE_PLAIN_0_0_4)
                else:
                    self._send(404, b"not found: try /healthz or /metrics\n", "text/plain")

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                return None  # scrapes every few seconds would drown the log

        self._httpd = ThreadingHTTPServer((host, port), Handler)
        self._httpd.daemon_threads = True
        self.host, self.port = host, int(self._httpd.server_address[1])
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="health", daemon=True
        )
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)
