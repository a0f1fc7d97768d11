"""notify/blocks.py: every message within Block Kit's limits, from extreme inputs, validated by
slack_sdk's own block models and accepted by the local Slack server (which refuses oversize
blocks as Slack does); alerts that say why at a glance."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block

from servers import SlackServer
from watchbot.models import Hit, Notice, Story, WatchlistVerdict
from watchbot.notify import SlackSink
from watchbot.notify.blocks import (
    Message,
    alert_message,
    console_text,
    cut,
    date_token,
    fit,
    related_message,
)

WHEN = datetime(2026, 1, 20, 14, 5, tzinfo=UTC)


def story(title: str, text: str = "", url: str | None = "https://a.example/x") -> Story:
    return Story("Outlet", "g", url, url, title, text, WHEN)


def hit(matched: str, *, field: str = "title", start: int = 0, context: bool = False) -> Hit:
    return Hit(
        "desk",
        matched.lower()[:20] or "e",
        matched[:40] or "E",
        matched,
        matched,
        100,
        start=start,
        end=start + len(matched),
        field=field,
        context=context,
    )


def verdict(*hits: Hit, name: str = "desk") -> WatchlistVerdict:
    return WatchlistVerdict(name, "#d", True, hits)


def assert_within_limits(message: Message) -> None:
    """What Slack would refuse: checked by slack_sdk's block models and by size."""
    assert 1 <= len(message.blocks) <= 50
    for block in message.blocks:
        parsed = Block.parse(block)
        assert parsed is not None
        parsed.validate_json()  # raises SlackObjectFormationError past a limit
        for element in block.get("elements", []):
            assert len(element["text"]) <= 3000
    assert len(message.text) <= 3000


LONG_WORDS = "Sheinbaum " * 500  # 5,000 characters
EXTREMES = {
    "5000-char-title": story(LONG_WORDS),
    "5000-char-title-no-spaces": story("x" * 5000),
    "100kb-summary": story("Cartels", "Mexico cartel " * 8000),
    "escapes-grow": story("&<>" * 1000, "&" * 50_000),
    "emoji": story("🇲🇽🔥" * 1000, "🙂 " * 20_000),
    "rtl": story("\u202eمكسيك كارتل\u202c " * 300, "עברית " * 10_000),
    "control-chars": story("Sheinbaum\x00\x07\x1b[31m cartels\r\n" * 200, "\x00" * 1000),
    "mentions": story("<!channel> <!here> <@U123> " * 200, "<!everyone> " * 1000),
    "empty": story("", ""),
    "huge-url": story("Cartels", url="https://a.example/" + "p" * 5000),
    "not-http-url": story("Cartels", url="javascript:alert(1)"),
}


@pytest.mark.parametrize("item", EXTREMES.values(), ids=EXTREMES.keys())
def test_alerts_and_replies_from_extreme_inputs_stay_within_limits(item: Story) -> None:
    hits = [
        hit("Sheinbaum" * 50),
        hit("cartel", field="text", start=7),
        hit("Mexico", context=True),
    ]
    many = [verdict(*hits, name=f"watchlist-{n}" * 10) for n in range(40)]
    alert = alert_message(item, many, "#d", "k")
    assert_within_limits(alert)
    assert_within_limits(related_message(item, "#d", "k2", "1.2"))
    text = " ".join(str(b) for b in alert.blocks) + alert.text
    for raw in ("<!channel>", "<!here>", "<@U123>", "<!everyone>", "\x00", "\x1b", "\u202e"):
        assert raw not in text


@pytest.mark.parametrize("item", EXTREMES.values(), ids=EXTREMES.keys())
def test_the_local_slack_server_accepts_them(slack_server: SlackServer, item: Story) -> None:
    sink = SlackSink("xoxb-test", api_url=slack_server.api_url)
    v = verdict(hit("Sheinbaum"), hit("cartel", field="text"))
    parent = sink.post(Notice("#d", item, "k", (v,)))
    assert parent is not None
    sink.post(Notice("#d", item, "k2", thread_ts=parent))
    assert len(slack_server.posts("#d")) == 2


def test_the_local_slack_server_refuses_oversize_blocks_like_slack(
    slack_server: SlackServer,
) -> None:
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient("xoxb-test", base_url=slack_server.api_url, retry_handlers=[])
    too_long = [{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}]
    too_many = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
    header = [{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}]
    for blocks in (too_long, too_many, header):
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="#d", text="t", blocks=blocks)
        assert refused.value.response["error"] == "invalid_blocks"
    with pytest.raises(SlackApiError) as refused:
        client.chat_postMessage(channel="#d", text="x" * 40_001)
    assert refused.value.response["error"] == "msg_too_long"


def test_long_titles_are_cut_at_a_word_with_an_ellipsis() -> None:
    assert cut("one two three four", 12) == "one two…"
    assert cut("short", 12) == "short"
    title = alert_message(story(LONG_WORDS), [verdict(hit("Sheinbaum"))], "#d", "k")
    headline = title.blocks[0]["text"]["text"]
    assert headline.endswith("Sheinbaum…>*") and len(headline) < 400
    assert len(fit("&" * 1000, 300)) <= 300  # the budget holds once escaped


def test_alert_says_why_at_a_glance() -> None:
    text = "Officials said the Sinaloa cartel moved fentanyl through the border. " * 3
    text = "A long lead about other things. " * 10 + text
    start = text.index("cartel")
    item = Story(
        "Outlet A",
        "g",
        "https://a.example/1?utm_source=rss&id=2",
        "https://a.example/1?id=2",
        "Extradition of Sinaloa boss to the US",
        text,
        WHEN,
    )
    v = verdict(
        hit("Extradition"),
        Hit("desk", "cartels", "Cartels", "cartel*", "cartel", 100, start, start + 6, "text"),
        hit("US", context=True),
    )
    message = alert_message(item, [v], "#d", "k")
    blocks = [
        b["text"]["text"] if "text" in b else b["elements"][0]["text"] for b in message.blocks
    ]
    assert blocks[0] == "*<https://a.example/1?id=2|Extradition of Sinaloa boss to the US>*"
    assert blocks[1] == f"Outlet A · {date_token(WHEN)}"
    assert blocks[1].endswith("^{date_short_pretty} {time}|2026-01-20 14:05 UTC>")
    assert blocks[2] == (
        "*desk*\n• *Extradition* — title: “Extradition”\n"
        "• *Cartels* — summary: “cartel”\n• context *US* — title: “US”"
    )
    assert "*cartel*" in blocks[3] and blocks[3].startswith("…")  # the excerpt shows the match
    assert len(blocks[3]) <= 320


def test_reply_shows_outlet_time_and_headline_and_console_forms() -> None:
    reply = related_message(story("Otra versión"), "#d", "k", "1.2")
    assert reply.text == "Also reported by Outlet — <https://a.example/x|Otra versión>"
    assert console_text(reply) == (
        "  ↳ Also reported by Outlet — Otra versión (https://a.example/x)\n    2026-01-20 14:05 UTC"
    )
    alert = alert_message(story("Cartels & <co>"), [verdict(hit("Cartels"))], "#d", "k")
    assert console_text(alert) == (
        "── #d\nCartels & <co> (https://a.example/x)\nOutlet · 2026-01-20 14:05 UTC\n"
        "desk\n• Cartels — title: “Cartels”"
    )
