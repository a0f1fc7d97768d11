"""notify/: Slack messages (pure) and the sinks, through the real slack_sdk clients to a local
server."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from servers import SlackServer, channel_id
from watchbot.errors import DeliveryError, SlackAuthError, TransientDeliveryError
from watchbot.models import Hit, Notice, Story, WatchlistVerdict
from watchbot.notify import ConsoleSink, SlackSink, WebhookSink
from watchbot.notify.blocks import alert_message, console_text, escape, related_message, safe_url

STORY = Story(
    feed="Wire <Desk>",
    guid="g1",
    url="https://news.example.com/a?x=1&y=2",
    canonical_url="https://news.example.com/a?x=1&y=2",
    title="<!channel> Sheinbaum & <@U123> on cartels",
    text="Mexico's president spoke. " * 30,
    published=datetime(2026, 1, 20, 14, 5, tzinfo=UTC),
)
VERDICT = WatchlistVerdict(
    watchlist="mexico-security",
    channel="#mexico-desk",
    alert=True,
    hits=(
        Hit(
            "mexico-security",
            "sheinbaum",
            "Claudia Sheinbaum",
            "Sheinbaum",
            "Sheinbaum",
            100,
            context=True,
        ),
        Hit("mexico-security", "cartels", "Cartels", "cartel*", "cartels", 100),
    ),
)


@pytest.mark.parametrize(
    ("raw", "escaped"),
    [
        ("a & b", "a &amp; b"),
        ("<!channel>", "&lt;!channel&gt;"),
        ("<https://evil.example|bank.com>", "&lt;https://evil.example|bank.com&gt;"),
        ("plain", "plain"),
    ],
    ids=["ampersand", "channel-mention", "disguised-link", "plain"],
)
def test_escape(raw: str, escaped: str) -> None:
    assert escape(raw) == escaped


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://a.example/x?q=1&r=2", "https://a.example/x?q=1&r=2"),
        ("https://a.example/x|y>z", "https://a.example/x%7Cy%3Ez"),
        ("javascript:alert(1)", None),
        ("", None),
        (None, None),
    ],
    ids=["normal", "link-breakers-encoded", "not-http", "empty", "none"],
)
def test_safe_url(url: str | None, safe: str | None) -> None:
    assert safe_url(url) == safe


def test_alert_message_has_link_outlet_time_reasons_and_escaped_excerpt() -> None:
    message = alert_message(STORY, [VERDICT], "#mexico-desk", "guid:Wire:g1")
    blocks = json.dumps(message.blocks, ensure_ascii=False)
    assert message.channel == "#mexico-desk" and message.thread_ts is None
    headline = message.blocks[0]["text"]["text"]
    assert headline.startswith("*<https://news.example.com/a?x=1&y=2|&lt;!channel&gt; Sheinbaum")
    assert "&lt;@U123&gt;" in headline and "<!channel>" not in blocks and "<@U123>" not in blocks
    # issue 11: the time is Slack's <!date> token (local time for each reader), UTC as fallback
    assert (
        "Wire &lt;Desk&gt; · <!date^1768917900^{date_short_pretty} {time}|2026-01-20 14:05 UTC>"
        in blocks
    )
    # issue 11: each entry with where it matched; context entries marked as such
    assert message.blocks[2]["text"]["text"] == (
        "*mexico-security*\n• *Cartels* — title: “cartels”\n"
        "• context *Claudia Sheinbaum* — title: “Sheinbaum”"
    )
    excerpt = message.blocks[3]["text"]["text"]
    assert len(excerpt) <= 301 and excerpt.endswith("…")
    assert "[mexico-security]" in message.text and "&lt;!channel&gt;" in message.text


def test_related_message_is_a_thread_reply() -> None:
    message = related_message(STORY, "#mexico-desk", "guid:Wire:g2", thread_ts="123.456")
    assert message.thread_ts == "123.456"
    assert message.text.startswith("Also reported by Wire &lt;Desk&gt; — <https://news.example")


def test_console_text_unescapes_and_shows_links_plainly() -> None:
    out = console_text(alert_message(STORY, [VERDICT], "#d", "k"))
    assert out.startswith("── #d\n<!channel> Sheinbaum & <@U123> on cartels (https://news")


def test_console_sink_prints_and_threads() -> None:
    out = io.StringIO()
    poster = ConsoleSink(out)
    ts = poster.post(Notice("#d", STORY, "k", (VERDICT,)))
    assert ts is not None
    poster.post(Notice("#d", STORY, "k2", thread_ts=ts, parent=STORY))
    # issue 11: the reply names its parent as a reader sees it (unescaped on a terminal)
    assert "↳ in the thread of “<!channel> Sheinbaum" in out.getvalue()


def message(channel: str = "#news-alerts", key: str = "k1", thread: str | None = None) -> Notice:
    return Notice(channel, STORY, key, (VERDICT,), thread_ts=thread)


def web(ss: SlackServer) -> SlackSink:
    return SlackSink("xoxb-test", api_url=ss.api_url)


def test_slack_sink_posts_with_metadata_and_no_unfurl(slack_server: SlackServer) -> None:
    ts = web(slack_server).post(message())
    [posted] = slack_server.posts("#news-alerts")
    assert posted["ts"] == ts
    assert posted["metadata"] == {
        "event_type": "watchbot_alert",
        "event_payload": {"story_key": "k1"},
    }
    assert posted["unfurl_links"] is False and posted["unfurl_media"] is False


def test_slack_sink_check_refuses_bad_token(slack_server: SlackServer) -> None:
    web(slack_server).check()
    bad = SlackSink("xoxb-wrong", api_url=slack_server.api_url)
    with pytest.raises(SlackAuthError, match="invalid_auth"):
        bad.check()
    with pytest.raises(SlackAuthError):
        bad.post(message())


def test_rate_limit_is_reported_with_its_retry_after_not_slept(slack_server: SlackServer) -> None:
    # issue 10: the sink makes one attempt; the outbox defers that channel by Retry-After
    poster = web(slack_server)
    slack_server.fail_next(1, status=429, retry_after=7)
    with pytest.raises(TransientDeliveryError) as raised:
        poster.post(message())
    assert raised.value.retry_after == 7.0
    poster.post(message())
    assert len(slack_server.posts()) == 1


def test_dropped_answer_is_found_in_history_not_reposted(slack_server: SlackServer) -> None:
    slack_server.drop_next(1)
    poster = web(slack_server)
    with pytest.raises(TransientDeliveryError):
        poster.post(message(key="story-9"))
    ts = poster.post(message(key="story-9"), maybe_posted=True)
    [posted] = slack_server.posts()
    assert ts == posted["ts"]
    methods = [r.method for r in slack_server.requests]
    assert methods.count("chat.postMessage") == 1 and "conversations.history" in methods


def test_dropped_reply_is_found_in_the_thread(slack_server: SlackServer) -> None:
    poster = web(slack_server)
    parent = poster.post(message(key="p"))
    slack_server.drop_next(1)
    with pytest.raises(TransientDeliveryError):
        poster.post(message(key="r", thread=parent))
    ts = poster.post(message(key="r", thread=parent), maybe_posted=True)
    replies = [p for p in slack_server.posts() if p["thread_ts"] == parent]
    assert [r["ts"] for r in replies] == [ts]


def test_maybe_posted_looks_before_posting(slack_server: SlackServer) -> None:
    poster = web(slack_server)
    first = poster.post(message(key="same"))
    again = poster.post(message(key="same"), maybe_posted=True)  # e.g. after a crash
    assert again == first and len(slack_server.posts()) == 1
    other = poster.post(message(key="other"), maybe_posted=True)
    assert other != first and len(slack_server.posts()) == 2


def test_server_errors_exhaust_attempts_then_raise(slack_server: SlackServer) -> None:
    slack_server.fail_next(10, status=500)
    with pytest.raises(DeliveryError, match="HTTP 500"):
        web(slack_server).post(message())
    assert slack_server.posts() == []


def test_unknown_channel_says_how_to_fix(slack_server: SlackServer) -> None:
    slack_server.unknown_channels.add("#nowhere")
    with pytest.raises(DeliveryError, match="channel_not_found; check the channel name"):
        web(slack_server).post(message(channel="#nowhere"))


def test_channel_id_is_remembered(slack_server: SlackServer) -> None:
    class Ids(dict[str, str]):
        def channel_id(self, name: str) -> str | None:
            return self.get(name)

        def remember_channel(self, name: str, cid: str) -> None:
            self[name] = cid

    ids = Ids()
    poster = SlackSink("xoxb-test", api_url=slack_server.api_url, channels=ids)
    poster.post(message())
    assert ids == {"#news-alerts": channel_id("#news-alerts")}


def test_webhook_sink(slack_server: SlackServer) -> None:
    poster = WebhookSink(slack_server.webhook_url)
    assert poster.post(message()) is None
    [posted] = slack_server.posts("webhook")
    assert posted["unfurl_links"] is False
    slack_server.fail_next(1, status=429, retry_after=0, method="webhook")
    with pytest.raises(TransientDeliveryError):  # issue 10: one attempt; the outbox retries
        poster.post(message(key="k2"))
    poster.post(message(key="k2"))
    assert len(slack_server.posts("webhook")) == 2
    gone = WebhookSink(slack_server.url + "/webhook/T0/B0/wrong")
    with pytest.raises(SlackAuthError, match="no_service"):
        gone.post(message())
