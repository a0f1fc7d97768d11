"""notify/outbox.py: delivery that never jams. A real SQLite store, the real SlackSink through
slack_sdk to the local Slack server, and a clock the tests move (the outbox waits on it, so no
test sleeps)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest

from factories import STORE_NOW, keys_of, make_story, new_alert
from servers import SlackServer
from watchbot.models import AlertStatus, ItemIntent
from watchbot.notify import ConsoleSink, Outbox, SlackSink
from watchbot.notify.outbox import AUTH_RETRY, CHANNEL_PAUSE
from watchbot.store import SqliteStore


@dataclass
class Clock:
    now: object = STORE_NOW
    slept: list[float] = field(default_factory=list)

    def __call__(self):  # type: ignore[no-untyped-def]
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now = self.now + timedelta(seconds=seconds)  # type: ignore[operator]

    def advance(self, delta: timedelta) -> None:
        self.now = self.now + delta  # type: ignore[operator]


@dataclass
class Desk:
    store: SqliteStore
    slack: SlackServer
    clock: Clock
    outbox: Outbox
    n: int = 0

    def alert(self, channel: str, parent: int | None = None) -> int:
        self.n += 1
        intent = ItemIntent(
            make_story(self.n), keys_of(self.n), STORE_NOW, True, (new_alert(channel, parent),)
        )
        (alert_id,) = self.store.record_item(intent)
        assert alert_id is not None
        return alert_id

    def status(self, alert_id: int) -> str:
        alert = self.store.alert(alert_id)
        assert alert is not None
        return str(alert.status)

    def posted_keys(self, channel: str) -> list[str]:
        return [p["metadata"]["event_payload"]["story_key"] for p in self.slack.posts(channel)]


@pytest.fixture
def desk(tmp_path: Path, slack_server: SlackServer) -> Iterator[Desk]:
    store = SqliteStore.open(tmp_path / "state.db")
    clock = Clock()
    sink = SlackSink("xoxb-test", api_url=slack_server.api_url, channels=store)
    yield Desk(store, slack_server, clock, Outbox(store, sink, clock, sleep=clock.sleep))
    store.close()


def key(n: int) -> str:
    return keys_of(n)[0]


def test_a_refused_alert_is_marked_failed_and_the_rest_of_its_channel_goes(desk: Desk) -> None:
    desk.slack.refuse_next("invalid_blocks")
    bad = desk.alert("#a")
    rest = [desk.alert("#a") for _ in range(12)]
    report = desk.outbox.deliver_pending()
    assert desk.status(bad) == "failed"
    failed = desk.store.alerts_with_status(AlertStatus.FAILED)
    assert [a.id for a in failed] == [bad]
    assert failed[0].last_error and "invalid_blocks" in failed[0].last_error
    assert [desk.status(i) for i in rest] == ["sent"] * 12
    assert desk.posted_keys("#a") == [key(n) for n in range(2, 14)]  # in order
    assert len(report.failed) == 1 and report.sent == 12


def test_a_channel_that_refuses_every_post_is_paused_alone(desk: Desk) -> None:
    desk.slack.non_member_channels.add("#closed")
    closed = [desk.alert("#closed") for _ in range(3)]
    open_ = [desk.alert("#open") for _ in range(3)]
    desk.outbox.deliver_pending()
    assert [desk.status(i) for i in closed] == ["failed", "pending", "pending"]
    assert [desk.status(i) for i in open_] == ["sent"] * 3
    posts = [r for r in desk.slack.requests if r.method == "chat.postMessage"]
    assert len(posts) == 4  # one refused post to #closed, then it paused

    desk.slack.non_member_channels.clear()  # the bot was invited
    desk.clock.advance(CHANNEL_PAUSE)
    desk.outbox.deliver_pending()
    assert [desk.status(i) for i in closed] == ["failed", "sent", "sent"]
    assert desk.store.retry_failed() == [closed[0]]
    desk.outbox.deliver_pending()
    assert desk.status(closed[0]) == "sent"


def test_a_long_retry_after_defers_that_channel_only_and_holds_nothing(desk: Desk) -> None:
    desk.slack.fail_next(1, status=429, retry_after=120, channel="#slow")
    slow = desk.alert("#slow")
    fast = desk.alert("#fast")
    start = desk.clock.now
    report = desk.outbox.deliver_pending()
    assert desk.status(fast) == "sent" and desk.status(slow) == "pending"
    assert desk.clock.now == start and desk.clock.slept == []  # no waiting for two minutes
    assert "#slow" in report.deferred and "#slow" in desk.outbox.deferred()

    desk.clock.advance(timedelta(seconds=60))
    desk.outbox.deliver_pending()
    assert desk.status(slow) == "pending"  # Retry-After honoured
    desk.clock.advance(timedelta(seconds=60))
    desk.outbox.deliver_pending()
    assert desk.status(slow) == "sent" and len(desk.slack.posts("#slow")) == 1


def test_a_short_retry_after_is_waited_out_within_the_run(desk: Desk) -> None:
    desk.slack.fail_next(2, status=429, retry_after=1, channel="#a")
    first = desk.alert("#a")
    desk.outbox.deliver_pending()
    assert desk.status(first) == "sent" and desk.clock.slept == [1.0, 1.0]


def test_server_errors_back_off_per_channel_and_never_double(desk: Desk) -> None:
    desk.slack.fail_next(2, status=500, channel="#a")
    desk.slack.drop_next(1, channel="#b")  # Slack took it, the answer was lost
    a, b = desk.alert("#a"), desk.alert("#b")
    desk.outbox.deliver_pending()
    assert desk.status(a) == "sent" and desk.status(b) == "sent"
    assert desk.clock.slept == [1.0, 2.0]  # #a backs off 1 s, then 2 s; #b went after 1 s
    assert len(desk.slack.posts("#a")) == 1 and len(desk.slack.posts("#b")) == 1


def test_slack_pace_one_a_second_per_channel_with_a_burst(desk: Desk) -> None:
    for _ in range(10):
        desk.alert("#a")
    for _ in range(4):
        desk.alert("#b")
    desk.outbox.deliver_pending()
    assert len(desk.slack.posts("#a")) == 10 and len(desk.slack.posts("#b")) == 4
    assert sum(desk.clock.slept) == pytest.approx(6.0)  # 4 at once, then one a second


def test_a_reply_never_goes_before_its_parent(desk: Desk) -> None:
    desk.slack.fail_next(1, status=503, channel="#a")
    parent = desk.alert("#a")
    desk.alert("#a")
    reply = desk.alert("#a", parent=parent)
    desk.outbox.deliver_pending()
    posts = desk.slack.posts("#a")
    assert [p["metadata"]["event_payload"]["story_key"] for p in posts] == [
        key(1),
        key(3),
        key(2),
    ]  # the reply right after its parent, in its thread
    assert posts[1]["thread_ts"] == posts[0]["ts"] and desk.status(reply) == "sent"


def test_a_reply_to_a_failed_alert_fails_with_it_and_is_retried_with_it(desk: Desk) -> None:
    desk.slack.refuse_next("msg_too_long")
    parent = desk.alert("#a")
    reply = desk.alert("#a", parent=parent)
    desk.outbox.deliver_pending()
    assert desk.status(parent) == "failed" and desk.status(reply) == "failed"
    assert desk.store.retry_failed([parent]) == [parent, reply]
    desk.outbox.deliver_pending()
    parent_post, reply_post = desk.slack.posts("#a")
    assert reply_post["thread_ts"] == parent_post["ts"]


def test_refused_credentials_stop_delivery_and_are_reported_until_they_work(
    desk: Desk,
) -> None:
    desk.slack.valid_tokens.clear()  # the token was revoked
    first = desk.alert("#a")
    desk.alert("#b")
    report = desk.outbox.deliver_pending()
    assert report.auth_error and "invalid_auth" in report.auth_error
    assert desk.outbox.auth_failed_since == desk.clock.now
    calls = len(desk.slack.requests)
    assert calls == 1  # the other channel was not tried: it would be refused too

    desk.clock.advance(timedelta(minutes=1))
    desk.outbox.deliver_pending()
    assert len(desk.slack.requests) == calls  # not retried every poll

    desk.slack.valid_tokens.add("xoxb-test")
    desk.clock.advance(AUTH_RETRY)
    desk.outbox.deliver_pending()
    assert desk.status(first) == "sent" and desk.outbox.auth_failed_since is None


def test_a_healthy_channel_does_not_wait_behind_a_refused_one(desk: Desk) -> None:
    desk.slack.refuse_next("invalid_blocks", channel="#bad")
    desk.alert("#bad")
    healthy = desk.alert("#good")
    desk.outbox.deliver_pending()
    assert desk.status(healthy) == "sent" and desk.clock.slept == []
    posts = [r.params["channel"] for r in desk.slack.requests if r.method == "chat.postMessage"]
    assert posts == ["#bad", "#good"]  # the same round: no wait, no pause


def test_printed_alerts_stay_owed_to_slack(desk: Desk, capsys: pytest.CaptureFixture[str]) -> None:
    parent = desk.alert("#a")
    other = desk.alert("#a")
    reply = desk.alert("#a", parent=parent)
    console = Outbox(desk.store, ConsoleSink(), desk.clock, sleep=desk.clock.sleep)
    report = console.deliver_pending()
    assert report.printed and report.summary() == "printed 2 + 1 thread reply"
    out = capsys.readouterr().out
    # the reply prints under its own parent, before the next alert
    assert out.index("↳ in the thread of “Story number 1”") < out.index("Story number 2 (")
    assert [desk.status(i) for i in (parent, other, reply)] == ["printed"] * 3
    assert console.deliver_pending().sent == 0  # never printed twice

    desk.outbox.deliver_pending()  # credentials are set: Slack gets them, once
    assert [desk.status(i) for i in (parent, other, reply)] == ["sent"] * 3
    first, in_thread, _ = desk.slack.posts("#a")
    assert in_thread["thread_ts"] == first["ts"]
    methods = [r.method for r in desk.slack.requests]
    assert "conversations.history" not in methods  # printed is not "maybe posted"
