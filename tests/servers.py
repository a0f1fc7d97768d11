"""Local stand-ins for the internet and for Slack, used by the test-suite.

Both servers are standard-library ``ThreadingHTTPServer``s on 127.0.0.1 with an ephemeral port,
served from a daemon thread. Use them as context managers (``with FeedServer() as fs:``) or call
``start()``/``stop()``. Everything they record is guarded by a lock; tests that must wait for a
request use ``wait_for_requests()``/``wait_for_messages()`` (a Condition), never ``sleep``.

FeedServer imitates a publisher's web server:
    static bodies per path, a quoted content-hash ETag, Last-Modified, conditional GET (304 on a
    matching If-None-Match, or on an If-Modified-Since equal to Last-Modified when the request has
    no If-None-Match), gzip when the request accepts it, redirects, injected errors (with extra
    headers such as Retry-After), a path that never answers (timeouts), one that drips its body
    a byte at a time (``drip``), exact bytes and headers (``raw``: gzip bombs, wrong charsets),
    and 404 for anything unknown.
    It does not: compare If-Modified-Since as dates (only exact string equality), do ranges,
    chunked uploads, keep-alive (it speaks HTTP/1.0: one request per connection) or TLS.

SlackServer imitates the slice of Slack the bot uses, closely enough for the real
``WebClient(base_url=ss.api_url)`` and ``WebhookClient(ss.webhook_url)`` of slack_sdk:
    ``auth.test``, ``chat.postMessage``, ``conversations.history``, ``conversations.replies`` with
    parameters as JSON, form or query string, bearer or ``token`` parameter auth, ``"ok": false``
    errors with HTTP 200 as Slack does, and one incoming webhook answering ``ok``. Failures are
    injected per request and per method: 429/5xx without storing, a dropped connection after
    storing ("Slack got it, the answer was lost"), and a held request after storing (to kill a
    client mid-request).
    Channels are named as the client wrote them (``#news-alerts``) and get a stable Slack-like id
    (``C`` + hex): ``chat.postMessage`` accepts either and answers the id, ``conversations.list``
    lists every channel posted to (plus ``known_channels``), ``conversations.info`` describes one
    (``is_member``, ``is_archived``), and ``conversations.history`` / ``.replies`` take the id
    only, as Slack does. Messages are recorded under the name.
    Like Slack it refuses, with ``"ok": false``: blocks over Block Kit's limits (more than 50
    blocks, section text over 3,000 characters, a header over 150, more than 10 fields or context
    elements) with ``invalid_blocks``, text over 40,000 characters with ``msg_too_long``, a post
    to a channel in ``non_member_channels`` (``not_in_channel``) or ``archived_channels``
    (``is_archived``), and a call whose scope is missing from ``scopes`` (``missing_scope``);
    every API answer carries the granted scopes in ``X-OAuth-Scopes``. Faults can be limited to
    one channel (``fail_next(..., channel=...)``, ``refuse_next``).
    It does not: render mrkdwn, unfurl, edit or delete, rate-limit by itself, or accept file
    uploads.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self
from urllib.parse import parse_qsl, urlsplit

# How long a hung or held request may block at most, so a forgotten test cannot wedge the run.
MAX_BLOCK_SECONDS = 30.0
# How long stop() waits for in-flight handlers (they wake as soon as stop() signals them).
STOP_GRACE_SECONDS = 5.0


@dataclass(frozen=True)
class RecordedRequest:
    """One HTTP request as the FeedServer saw it; ``headers`` keys are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True)
class SlackRequest:
    """One Slack API call: ``method`` is the API method (``chat.postMessage``), or ``webhook``."""

    method: str
    params: dict[str, Any]
    token: str | None
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    """Reads the request and hands it to the owning server's ``_dispatch``."""

    server: _HTTPServer
    timeout = 10  # a client that connects and never sends must not keep a thread forever

    def _handle(self) -> None:
        app = self.server.app
        with app._cond:
            app._active += 1
            app.peak_active = max(app.peak_active, app._active)
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            app._dispatch(self, self.command, self.path, headers, body)
        finally:
            with app._cond:
                app._active -= 1
                app._cond.notify_all()

    do_GET = do_POST = do_HEAD = _handle

    def send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        """Write one complete response; a client that went away is not an error here."""
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are recorded, not printed


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # stop() waits for handlers itself, with a bound
    app: _LocalServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a killed client or a dropped answer is expected; tests assert on recordings


class _LocalServer:
    """Start/stop, the base URL, the lock and the stop signal shared by both servers."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._active = 0
        self.peak_active = 0  # most requests handled at once (for concurrency limits)
        self._stopping = threading.Event()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """Base URL, ``http://127.0.0.1:PORT`` (no trailing slash)."""
        if self._httpd is None:
            raise RuntimeError(f"{type(self).__name__} is not started: call start() first")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self) -> Self:
        self._stopping.clear()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.app = self
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name=type(self).__name__, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; wakes hung and held requests (they close without answering)."""
        if self._httpd is None:
            return
        self._stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(STOP_GRACE_SECONDS)
        with self._cond:
            self._cond.wait_for(lambda: self._active == 0, STOP_GRACE_SECONDS)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _dispatch(
        self, h: _Handler, verb: str, path: str, headers: dict[str, str], body: bytes
    ) -> None:
        raise NotImplementedError


@dataclass
class _Route:
    kind: str  # "body" | "redirect" | "fail" | "hang" | "raw" | "drip"
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    last_modified: str | None = None
    etag: str | None = None


class FeedServer(_LocalServer):
    """A publisher's web server serving feeds set per path. See the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self._routes: dict[str, _Route] = {}
        self._requests: list[RecordedRequest] = []

    def url_for(self, path: str) -> str:
        return self.url + (path if path.startswith("/") else "/" + path)

    def set(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = "application/rss+xml; charset=utf-8",
        status: int = 200,
        etag: bool = True,
        last_modified: str | None = "Sat, 28 Nov 2026 00:00:00 GMT",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Serve ``body`` at ``path`` (replacing what was there), with validators for 304s."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        tag = f'"{hashlib.sha256(data).hexdigest()[:20]}"' if etag else None
        extra = {"Content-Type": content_type, **(headers or {})}
        route = _Route("body", data, status, extra, last_modified, tag)
        with self._lock:
            self._routes[path] = route

    def redirect(self, path: str, to_path: str, status: int = 301) -> None:
        """Answer ``path`` with a redirect; a ``to_path`` starting with / is made absolute."""
        location = self.url_for(to_path) if to_path.startswith("/") else to_path
        with self._lock:
            self._routes[path] = _Route("redirect", status=status, headers={"Location": location})

    def fail(
        self,
        path: str,
        status: int = 500,
        body: str = "oops",
        headers: dict[str, str] | None = None,
    ) -> None:
        """Answer ``path`` with ``status`` (plus ``headers``, e.g. Retry-After)."""
        with self._lock:
            extra = {"Content-Type": "text/plain", **(headers or {})}
            self._routes[path] = _Route("fail", body.encode("utf-8"), status, extra)

    def raw(self, path: str, body: bytes, headers: dict[str, str], status: int = 200) -> None:
        """Answer ``path`` with exactly these bytes and headers: no gzip, no validators (for
        pre-compressed bodies, bombs, wrong charsets, a missing Content-Type)."""
        with self._lock:
            self._routes[path] = _Route("raw", body, status, dict(headers))

    def drip(self, path: str, body: bytes, every: float = 1.0) -> None:
        """Answer ``path`` with headers at once, then ``body`` one byte every ``every`` seconds
        (until stop())."""
        headers = {"Content-Type": "application/rss+xml", "X-Drip-Every": str(every)}
        with self._lock:
            self._routes[path] = _Route("drip", body, 200, headers)

    def hang(self, path: str) -> None:
        """Accept requests for ``path`` and never answer them (until stop())."""
        with self._lock:
            self._routes[path] = _Route("hang")

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def wait_for_requests(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` requests were recorded; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._requests) >= count, timeout)

    def reset(self) -> None:
        """Forget every route and recorded request."""
        with self._lock:
            self._routes.clear()
            self._requests.clear()

    def _dispatch(
        self, h: _Handler, verb: str, path: str, headers: dict[str, str], body: bytes
    ) -> None:
        with self._cond:
            self._requests.append(RecordedRequest(verb, path, headers, body))
            self._cond.notify_all()
            route = self._routes.get(path) or self._routes.get(urlsplit(path).path)
        if route is None:
            h.send(404, b"not found", {"Content-Type": "text/plain"})
        elif route.kind == "hang":
            self._stopping.wait(MAX_BLOCK_SECONDS)
            h.close_connection = True  # no answer at all, only the closed socket
        elif route.kind == "drip":
            self._drip(h, route)
        elif route.kind != "body":
            h.send(route.status, route.body, route.headers)
        elif route.status == 200 and _not_modified(route, headers):
            validators = {"ETag": route.etag, "Last-Modified": route.last_modified}
            h.send(304, b"", {k: v for k, v in validators.items() if v})
        else:
            out = dict(route.headers)
            if route.etag:
                out["ETag"] = route.etag
            if route.last_modified:
                out["Last-Modified"] = route.last_modified
            data = route.body
            out["Vary"] = "Accept-Encoding"
            if _accepts_gzip(headers.get("accept-encoding", "")):
                data = gzip.compress(data, mtime=0)
                out["Content-Encoding"] = "gzip"
            h.send(route.status, data, out)

    def _drip(self, h: _Handler, route: _Route) -> None:
        every = float(route.headers["X-Drip-Every"])
        try:
            h.send_response(200)
            h.send_header("Content-Type", route.headers["Content-Type"])
            h.send_header("Content-Length", str(len(route.body)))
            h.end_headers()
            h.wfile.flush()
            for i in range(len(route.body)):
                if self._stopping.wait(every):
                    break
                h.wfile.write(route.body[i : i + 1])
                h.wfile.flush()
        except (ConnectionError, TimeoutError):
            pass
        h.close_connection = True


def _not_modified(route: _Route, headers: dict[str, str]) -> bool:
    if "if-none-match" in headers:
        tags = {t.strip().removeprefix("W/") for t in headers["if-none-match"].split(",")}
        return route.etag is not None and (route.etag in tags or "*" in tags)
    since = headers.get("if-modified-since")
    return since is not None and since == route.last_modified


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        name, _, params = item.partition(";")
        if name.strip().lower() == "gzip":
            return params.replace(" ", "") not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


_API_METHODS = {
    "auth.test",
    "chat.postMessage",
    "conversations.history",
    "conversations.info",
    "conversations.list",
    "conversations.replies",
}
# the scope each method needs (public channels), as Slack documents it
_NEEDS = {
    "chat.postMessage": "chat:write",
    "conversations.history": "channels:history",
    "conversations.replies": "channels:history",
    "conversations.info": "channels:read",
    "conversations.list": "channels:read",
}
ALL_SCOPES = frozenset(
    {"chat:write", "channels:history", "channels:read", "groups:history", "groups:read"}
)
_WEBHOOK_PATH = "/webhook/T000/B000/XXXX"
_AUTH_TEST = {
    "team": "test",
    "user": "watchbot",
    "team_id": "T000",
    "user_id": "UBOT",
    "bot_id": "BBOT",
}


class SlackServer(_LocalServer):
    """A Slack-compatible Web API and incoming webhook. See the module docstring."""

    def __init__(self) -> None:
        super().__init__()
        self.valid_tokens: set[str] = {"xoxb-test"}
        self.unknown_channels: set[str] = set()
        self.known_channels: set[str] = set()
        self.non_member_channels: set[str] = set()
        self.archived_channels: set[str] = set()
        self.scopes: set[str] = set(ALL_SCOPES)
        self.holding = threading.Event()
        self._messages: list[dict[str, Any]] = []
        self._requests: list[SlackRequest] = []
        # method -> [("fail"|"drop"|"hold"|"refuse", arg, channel or None)]
        self._faults: dict[str, deque[tuple[str, Any, str | None]]] = {}
        self._holds: list[threading.Event] = []
        self._last_micros = 0

    def stop(self) -> None:
        self._stopping.set()  # before release(), so held requests close without answering
        self.release()
        super().stop()

    @property
    def api_url(self) -> str:
        """Pass as ``WebClient(base_url=...)``; ends with a slash as slack_sdk expects."""
        return f"{self.url}/api/"

    @property
    def webhook_url(self) -> str:
        return self.url + _WEBHOOK_PATH

    # -- failure injection: each queued fault is consumed by one request to its method --------

    def fail_next(
        self,
        n: int = 1,
        status: int = 429,
        retry_after: int = 1,
        method: str = "chat.postMessage",
        channel: str | None = None,
    ) -> None:
        """Answer the next ``n`` calls (to ``channel`` only, when given) with HTTP ``status``
        (429: with Retry-After); store nothing."""
        self._queue(method, n, ("fail", (status, retry_after)), channel)

    def refuse_next(
        self, error: str, n: int = 1, method: str = "chat.postMessage", channel: str | None = None
    ) -> None:
        """Answer the next ``n`` calls (to ``channel`` only, when given) ``"ok": false`` with
        ``error``, HTTP 200, as Slack refuses a post; store nothing."""
        self._queue(method, n, ("refuse", error), channel)

    def drop_next(
        self, n: int = 1, method: str = "chat.postMessage", channel: str | None = None
    ) -> None:
        """Process (and store) the next ``n`` calls, then close the connection without answering."""
        self._queue(method, n, ("drop", None), channel)

    def hold_next(self, method: str = "chat.postMessage") -> None:
        """Process (and store) the next call, set ``holding``, answer only after ``release()``."""
        self._queue(method, 1, ("hold", None), None)

    @property
    def faults_left(self) -> int:
        """Injected faults not consumed yet."""
        with self._lock:
            return sum(len(q) for q in self._faults.values())

    def release(self) -> None:
        """Let every held request answer."""
        with self._lock:
            holds, self._holds = self._holds, []
            self.holding.clear()
        for event in holds:
            event.set()

    def _queue(self, method: str, n: int, fault: tuple[str, Any], channel: str | None) -> None:
        with self._lock:
            self._faults.setdefault(method, deque()).extend([(*fault, channel)] * n)

    def _take_fault(self, method: str, params: dict[str, Any]) -> tuple[str, Any]:
        """The first queued fault of `method` that applies to this call's channel (caller
        holds the lock)."""
        queue = self._faults.get(method)
        wanted = params.get("channel")
        for fault in list(queue or ()):
            kind, arg, channel = fault
            if channel is None or wanted in (channel, channel_id(channel)):
                queue.remove(fault)  # type: ignore[union-attr]
                return kind, arg
        return "", None

    # -- what was received ---------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every stored message (API and webhook), oldest first, as copies."""
        with self._lock:
            return [dict(m) for m in self._messages]

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        return [m for m in self.messages if channel is None or m["channel"] == channel]

    @property
    def requests(self) -> list[SlackRequest]:
        with self._lock:
            return list(self._requests)

    def wait_for_messages(self, count: int, timeout: float = 5.0) -> bool:
        """Block until at least ``count`` messages are stored; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._messages) >= count, timeout)

    def reset(self) -> None:
        """Back to a fresh server: no messages, requests or faults, default tokens/channels."""
        self.release()
        with self._lock:
            self._messages.clear()
            self._requests.clear()
            self._faults.clear()
            self.valid_tokens = {"xoxb-test"}
            self.unknown_channels = set()
            self.non_member_channels = set()
            self.archived_channels = set()
            self.scopes = set(ALL_SCOPES)

    # -- request handling ----------------------------------------------------------------------

    def _dispatch(
        self, h: _Handler, verb: str, path: str, headers: dict[str, str], body: bytes
    ) -> None:
        split = urlsplit(path)
        params: dict[str, Any] = dict(parse_qsl(split.query))
        content_type = headers.get("content-type", "")
        try:
            if "json" in content_type and body:
                params.update(json.loads(body))
            elif "x-www-form-urlencoded" in content_type:
                params.update(parse_qsl(body.decode("utf-8")))
        except (ValueError, TypeError):
            h.send(400, b"invalid_payload", {"Content-Type": "text/plain"})
            return
        if split.path.startswith("/webhook/"):
            method, token = "webhook", None
        elif split.path.startswith("/api/"):
            method = split.path.removeprefix("/api/")
            auth = headers.get("authorization", "")
            token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else None
            token = token or params.pop("token", None)
        else:
            h.send(404, b"not found", {"Content-Type": "text/plain"})
            return
        with self._cond:
            self._requests.append(SlackRequest(method, params, token, headers))
            self._cond.notify_all()
            kind, arg = self._take_fault(method, params)

        if kind == "refuse":
            self._answer(h, method, 200, {"ok": False, "error": arg})
            return
        if kind == "fail":
            status, retry_after = arg
            extra = {"Retry-After": str(retry_after)} if status == 429 else {}
            error = {429: "ratelimited", 503: "service_unavailable"}.get(status, "internal_error")
            self._answer(h, method, status, {"ok": False, "error": error}, extra)
            return
        answer: dict[str, Any] | str
        if method == "webhook":
            status, answer = self._webhook(split.path, params)
        else:
            status, answer = 200, self._api(method, token, params)
        if kind == "drop":
            h.close_connection = True  # stored, but the client never hears back
            return
        if kind == "hold":
            released = threading.Event()
            with self._lock:
                self._holds.append(released)
                self.holding.set()
            released.wait(MAX_BLOCK_SECONDS)  # set by release() or stop()
            if self._stopping.is_set():
                h.close_connection = True
                return
        self._answer(h, method, status, answer)

    def _answer(
        self, h: _Handler, method: str, status: int, answer: Any, extra: Any = None
    ) -> None:
        if method == "webhook":  # webhooks answer in plain text, like Slack
            text = answer if isinstance(answer, str) else answer["error"]
            h.send(status, text.encode(), {"Content-Type": "text/plain", **(extra or {})})
        else:
            out = {
                "Content-Type": "application/json; charset=utf-8",
                "X-OAuth-Scopes": ",".join(sorted(self.scopes)),
                **(extra or {}),
            }
            h.send(status, json.dumps(answer).encode(), out)

    def _api(self, method: str, token: str | None, p: dict[str, Any]) -> dict[str, Any]:
        if method not in _API_METHODS:
            return {"ok": False, "error": "unknown_method"}
        if token is None or token not in self.valid_tokens:
            return {"ok": False, "error": "not_authed" if token is None else "invalid_auth"}
        if method == "auth.test":
            return {"ok": True, "url": self.url + "/", **_AUTH_TEST}
        needed = _NEEDS.get(method)
        if needed and needed not in self.scopes:
            return {"ok": False, "error": "missing_scope", "needed": needed}
        if method == "conversations.list":
            with self._lock:
                names = sorted({m["channel"] for m in self._messages} | self._existing())
            channels = [{"id": channel_id(n), "name": n.lstrip("#")} for n in names]
            return {"ok": True, "channels": channels, "response_metadata": {"next_cursor": ""}}
        channel = p.get("channel")
        if channel and method != "chat.postMessage":
            # history and replies take ids only, like Slack; map back to the name we record
            with self._lock:
                names = {m["channel"] for m in self._messages} | self._existing()
            channel = next((n for n in names if channel_id(n) == channel), None)
        elif channel:
            with self._lock:
                names = {m["channel"] for m in self._messages} | self._existing()
            channel = next((n for n in names if channel_id(n) == channel), channel)
        if not channel or channel in self.unknown_channels:
            return {"ok": False, "error": "channel_not_found"}
        if method == "conversations.info":
            return {"ok": True, "channel": self._info(channel)}
        if method == "chat.postMessage":
            refused = self._refusal(channel, p)
            if refused:
                return {"ok": False, "error": refused}
            message = self._store(channel, p, token)
            reply = _public(message, [], metadata=True)
            return {
                "ok": True,
                "channel": channel_id(channel),
                "ts": message["ts"],
                "message": reply,
            }
        with self._lock:
            stored = [m for m in self._messages if m["channel"] == channel]
        meta = _truthy(p.get("include_all_metadata"))
        if method == "conversations.replies":
            thread = [m for m in stored if p.get("ts") in (m["ts"], m["thread_ts"])]
            if not thread:
                return {"ok": False, "error": "thread_not_found"}
            messages = [_public(m, stored, metadata=meta) for m in thread]
            return {"ok": True, "has_more": False, "messages": messages}
        # conversations.history: top-level messages and thread parents (not replies), newest first.
        oldest, latest = Decimal(p.get("oldest") or 0), Decimal(p.get("latest") or "Infinity")
        inclusive = _truthy(p.get("inclusive"))

        def in_range(ts: Decimal) -> bool:
            return oldest <= ts <= latest if inclusive else oldest < ts < latest

        found = [
            m
            for m in reversed(stored)
            if m["thread_ts"] in (None, m["ts"]) and in_range(Decimal(m["ts"]))
        ]
        start, limit = int(p.get("cursor") or 0), int(p.get("limit") or 100)
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": [_public(m, stored, metadata=meta) for m in found[start : start + limit]],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _existing(self) -> set[str]:
        """Channels known without a post (caller holds the lock)."""
        return self.known_channels | self.non_member_channels | self.archived_channels

    def _info(self, channel: str) -> dict[str, Any]:
        return {
            "id": channel_id(channel),
            "name": channel.lstrip("#"),
            "is_channel": True,
            "is_private": False,
            "is_member": channel not in self.non_member_channels,
            "is_archived": channel in self.archived_channels,
        }

    def _refusal(self, channel: str, p: dict[str, Any]) -> str | None:
        """Why Slack would refuse this post, or None."""
        if channel in self.archived_channels:
            return "is_archived"
        if channel in self.non_member_channels:
            return "not_in_channel"
        text = p.get("text") or ""
        if isinstance(text, str) and len(text) > 40_000:
            return "msg_too_long"
        blocks = p.get("blocks")
        if isinstance(blocks, str):
            try:
                blocks = json.loads(blocks)
            except ValueError:
                return "invalid_blocks"
        if blocks is not None and not _blocks_ok(blocks):
            return "invalid_blocks"
        return None

    def _webhook(self, path: str, p: dict[str, Any]) -> tuple[int, str]:
        if path != _WEBHOOK_PATH:
            return 404, "no_service"
        if not p.get("text") and not p.get("blocks"):
            return 400, "no_text"
        self._store("webhook", p, None)
        return 200, "ok"

    def _store(self, channel: str, p: dict[str, Any], token: str | None) -> dict[str, Any]:
        def parsed(value: Any) -> Any:  # form-encoded calls send blocks/metadata as JSON text
            return json.loads(value) if isinstance(value, str) and value[:1] in "[{" else value

        with self._cond:
            # like Slack: ts is the posting time, unique and increasing within the channel
            micros = max(int(time.time() * 1_000_000), self._last_micros + 100)
            self._last_micros = micros
            message = {
                "channel": channel,
                "text": p.get("text"),
                "blocks": parsed(p.get("blocks")),
                "thread_ts": p.get("thread_ts") or None,
                "unfurl_links": p.get("unfurl_links"),
                "unfurl_media": p.get("unfurl_media"),
                "metadata": parsed(p.get("metadata")),
                "ts": f"{micros // 1_000_000}.{micros % 1_000_000:06d}",
                "token": token,
            }
            self._messages.append(message)
            self._cond.notify_all()
        return dict(message)


def channel_id(name: str) -> str:
    """The stable Slack-like id the server gives a channel name."""
    if name.startswith(("C", "G", "D")) and name[1:].isalnum() and name.isupper():
        return name
    return "C" + hashlib.sha1(name.encode()).hexdigest()[:9].upper()


def _public(m: dict[str, Any], stored: list[dict[str, Any]], *, metadata: bool) -> dict[str, Any]:
    """A stored message as Slack's API returns it."""
    out = {"type": "message", "user": "UBOT", "bot_id": "BBOT", "text": m["text"] or ""}
    out["ts"] = m["ts"]
    if m["blocks"]:
        out["blocks"] = m["blocks"]
    replies = [r["ts"] for r in stored if r["thread_ts"] == m["ts"] and r is not m]
    if m["thread_ts"] or replies:
        out["thread_ts"] = m["thread_ts"] or m["ts"]
    if replies:
        out.update(reply_count=len(replies), latest_reply=replies[-1])
    if metadata and m["metadata"]:
        out["metadata"] = m["metadata"]
    return out


def _text_of(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else ""


def _blocks_ok(blocks: Any) -> bool:
    """Block Kit's limits, as Slack checks them on chat.postMessage."""
    if not isinstance(blocks, list) or len(blocks) > 50:
        return False
    for block in blocks:
        if not isinstance(block, dict) or not isinstance(block.get("type"), str):
            return False
        kind = block["type"]
        if kind == "section":
            fields = block.get("fields") or []
            if "text" not in block and not fields:
                return False
            if len(_text_of(block.get("text"))) > 3000 or len(fields) > 10:
                return False
            if any(len(_text_of(f)) > 2000 for f in fields):
                return False
        elif kind == "header" and len(_text_of(block.get("text"))) > 150:
            return False
        elif kind == "context":
            elements = block.get("elements") or []
            if not elements or len(elements) > 10:
                return False
    return True


def _truthy(value: Any) -> bool:
    return value in (True, 1, "1", "true", "True")
