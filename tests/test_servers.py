"""The local feed and Slack servers behave as the rest of the suite assumes they do."""

from __future__ import annotations

import gzip
import http.client
import threading
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from servers import FeedServer, SlackServer, channel_id

RSS = "<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>"


def client(ss: SlackServer, token: str = "xoxb-test") -> WebClient:
    """The real client, without retries, so that injected failures surface."""
    return WebClient(token=token, base_url=ss.api_url, retry_handlers=[], timeout=5)


# --- FeedServer -----------------------------------------------------------------------------


def test_feed_serves_then_answers_304_to_a_matching_etag(feed_server: FeedServer) -> None:
    feed_server.set("/world.xml", RSS)
    with httpx.Client() as http:
        first = http.get(feed_server.url_for("/world.xml"))
        assert first.status_code == 200
        assert first.text == RSS
        assert first.headers["content-type"] == "application/rss+xml; charset=utf-8"
        etag = first.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"')

        again = http.get(feed_server.url_for("/world.xml"), headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag

        feed_server.set("/world.xml", RSS + " ")  # new body, new ETag
        changed = http.get(feed_server.url_for("/world.xml"), headers={"If-None-Match": etag})
        assert changed.status_code == 200
        assert changed.headers["etag"] != etag


def test_feed_answers_304_to_if_modified_since(feed_server: FeedServer) -> None:
    feed_server.set("/a.xml", RSS, etag=False)
    with httpx.Client() as http:
        first = http.get(feed_server.url_for("/a.xml"))
        assert "etag" not in first.headers
        since = first.headers["last-modified"]
        assert since == "Sat, 28 Nov 2026 00:00:00 GMT"
        response = http.get(feed_server.url_for("/a.xml"), headers={"If-Modified-Since": since})
        assert response.status_code == 304
        # If-None-Match wins over If-Modified-Since, as RFC 9110 says.
        feed_server.set("/a.xml", RSS)
        both = {"If-Modified-Since": since, "If-None-Match": '"stale"'}
        assert http.get(feed_server.url_for("/a.xml"), headers=both).status_code == 200


def test_feed_gzips_only_when_asked(feed_server: FeedServer) -> None:
    feed_server.set("/z.xml", RSS)
    with httpx.Client() as http:
        zipped = http.get(feed_server.url_for("/z.xml"), headers={"Accept-Encoding": "gzip"})
        plain = http.get(feed_server.url_for("/z.xml"), headers={"Accept-Encoding": "identity"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.text == RSS  # httpx decoded it
    assert "content-encoding" not in plain.headers
    assert plain.text == RSS
    with httpx.Client() as http, http.stream("GET", feed_server.url_for("/z.xml")) as raw:
        assert gzip.decompress(b"".join(raw.iter_raw())) == RSS.encode()


def test_feed_redirects_404s_fails_and_records(feed_server: FeedServer) -> None:
    feed_server.set("/new.xml", RSS)
    feed_server.redirect("/old.xml", "/new.xml")
    feed_server.fail("/broken.xml", status=503, body="down")
    with httpx.Client() as http:
        moved = http.get(feed_server.url_for("/old.xml"))
        assert moved.status_code == 301
        assert moved.headers["location"] == feed_server.url_for("/new.xml")
        followed = http.get(feed_server.url_for("/old.xml"), follow_redirects=True)
        assert (followed.status_code, followed.text) == (200, RSS)
        assert str(followed.url) == feed_server.url_for("/new.xml")
        assert http.get(feed_server.url_for("/nowhere.xml")).status_code == 404
        broken = http.get(feed_server.url_for("/broken.xml"))
        assert (broken.status_code, broken.text) == (503, "down")
        http.get(feed_server.url_for("/new.xml?x=1"), headers={"X-Probe": "yes"})

    paths = [r.path for r in feed_server.requests]
    assert paths == [
        "/old.xml",
        "/old.xml",
        "/new.xml",
        "/nowhere.xml",
        "/broken.xml",
        "/new.xml?x=1",
    ]
    last = feed_server.requests[-1]
    assert (last.method, last.headers["x-probe"]) == ("GET", "yes")


def test_feed_hang_times_the_client_out_and_stop_does_not_wait() -> None:
    fs = FeedServer().start()
    fs.hang("/slow.xml")
    with httpx.Client(timeout=0.3) as http, pytest.raises(httpx.ReadTimeout):
        http.get(fs.url_for("/slow.xml"))
    assert fs.wait_for_requests(1)
    # A second client is still hanging when the server stops: stop() must release it.
    outcome: dict[str, Any] = {}

    def fetch() -> None:
        try:
            with httpx.Client(timeout=10) as http:
                outcome["response"] = http.get(fs.url_for("/slow.xml"))
        except httpx.HTTPError as error:
            outcome["error"] = error

    thread = threading.Thread(target=fetch)
    thread.start()
    assert fs.wait_for_requests(2)
    started = time.monotonic()
    fs.stop()
    thread.join(5)
    assert time.monotonic() - started < 3
    assert isinstance(outcome.get("error"), httpx.RemoteProtocolError)


# --- SlackServer: Web API through the real slack_sdk client ---------------------------------


def test_auth_test_accepts_valid_token_and_refuses_others(slack_server: SlackServer) -> None:
    answer = client(slack_server).auth_test()
    assert (answer["user_id"], answer["bot_id"], answer["team"]) == ("UBOT", "BBOT", "test")
    with pytest.raises(SlackApiError) as refused:
        client(slack_server, token="xoxb-wrong").auth_test()
    assert refused.value.response.status_code == 200  # Slack reports auth errors in the body
    assert refused.value.response["error"] == "invalid_auth"


def test_post_message_stores_and_returns_increasing_ts(slack_server: SlackServer) -> None:
    web = client(slack_server)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    metadata = {"event_type": "watchbot_alert", "event_payload": {"alert_id": "a1"}}
    first = web.chat_postMessage(
        channel="#news-alerts",
        text="hi",
        blocks=blocks,
        metadata=metadata,
        unfurl_links=False,
        unfurl_media=False,
    )
    second = web.chat_postMessage(channel="C123", text="reply", thread_ts=first["ts"])
    assert Decimal(second["ts"]) > Decimal(first["ts"]) > Decimal(time.time() - 60)
    assert first["channel"] == channel_id("#news-alerts")
    assert first["message"]["text"] == "hi"
    stored = slack_server.posts("#news-alerts")
    assert stored == [
        {
            "channel": "#news-alerts",
            "text": "hi",
            "blocks": blocks,
            "thread_ts": None,
            "unfurl_links": False,
            "unfurl_media": False,
            "metadata": metadata,
            "ts": first["ts"],
            "token": "xoxb-test",
        }
    ]
    assert slack_server.posts("C123")[0]["thread_ts"] == first["ts"]
    assert [r.method for r in slack_server.requests] == ["chat.postMessage"] * 2


def test_form_encoded_and_query_string_calls_work(slack_server: SlackServer) -> None:
    web = client(slack_server)
    web.api_call("chat.postMessage", data={"channel": "#a", "text": "form", "unfurl_links": "0"})
    web.api_call("chat.postMessage", params={"channel": "#a", "text": "query"})
    assert [m["text"] for m in slack_server.posts("#a")] == ["form", "query"]
    assert slack_server.posts("#a")[0]["unfurl_links"] == "0"  # form values are strings


def test_unknown_and_missing_channels_are_not_found(slack_server: SlackServer) -> None:
    slack_server.unknown_channels.add("#gone")
    for channel in ("#gone", ""):
        with pytest.raises(SlackApiError) as missing:
            client(slack_server).chat_postMessage(channel=channel, text="x")
        assert missing.value.response["error"] == "channel_not_found"
    assert slack_server.messages == []


def test_history_lists_top_level_newest_first_with_metadata_on_request(
    slack_server: SlackServer,
) -> None:
    web = client(slack_server)
    meta = {"event_type": "watchbot_alert", "event_payload": {"alert_id": "a1"}}
    parent = web.chat_postMessage(channel="#c", text="parent", metadata=meta)["ts"]
    web.chat_postMessage(channel="#c", text="in thread", thread_ts=parent)
    later = web.chat_postMessage(channel="#c", text="later")["ts"]
    web.chat_postMessage(channel="#other", text="elsewhere")

    plain = web.conversations_history(channel=channel_id("#c"))
    assert [m["text"] for m in plain["messages"]] == ["later", "parent"]
    assert plain["has_more"] is False
    assert all("metadata" not in m for m in plain["messages"])
    assert plain["messages"][1]["thread_ts"] == parent
    assert plain["messages"][1]["reply_count"] == 1

    full = web.conversations_history(channel=channel_id("#c"), include_all_metadata=True)
    assert full["messages"][1]["metadata"] == meta
    assert "metadata" not in full["messages"][0]

    newer = web.conversations_history(channel=channel_id("#c"), oldest=parent)
    assert [m["ts"] for m in newer["messages"]] == [later]
    paged = web.conversations_history(channel=channel_id("#c"), limit=1)
    assert paged["has_more"] is True
    rest = web.conversations_history(
        channel=channel_id("#c"), limit=1, cursor=paged["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in rest["messages"]] == ["parent"]


def test_replies_return_the_parent_and_its_replies(slack_server: SlackServer) -> None:
    web = client(slack_server)
    meta = {"event_type": "watchbot_related", "event_payload": {"alert_id": "a2"}}
    parent = web.chat_postMessage(channel=channel_id("#c"), text="parent")["ts"]
    web.chat_postMessage(channel=channel_id("#c"), text="r1", thread_ts=parent, metadata=meta)
    thread = web.conversations_replies(
        channel=channel_id("#c"), ts=parent, include_all_metadata=True
    )
    assert [m["text"] for m in thread["messages"]] == ["parent", "r1"]
    assert thread["messages"][1]["thread_ts"] == parent
    assert thread["messages"][1]["metadata"] == meta
    with pytest.raises(SlackApiError) as missing:
        web.conversations_replies(channel=channel_id("#c"), ts="1.000000")
    assert missing.value.response["error"] == "thread_not_found"


# --- SlackServer: injected failures ---------------------------------------------------------


def test_rate_limit_surfaces_as_429_with_retry_after(slack_server: SlackServer) -> None:
    slack_server.fail_next(status=429, retry_after=7)
    web = client(slack_server)
    with pytest.raises(SlackApiError) as limited:
        web.chat_postMessage(channel="#c", text="x")
    assert limited.value.response.status_code == 429
    assert limited.value.response.headers["Retry-After"] == "7"
    assert limited.value.response["error"] == "ratelimited"
    assert slack_server.messages == []
    web.chat_postMessage(channel="#c", text="x")  # the fault was consumed
    assert len(slack_server.messages) == 1


def test_server_errors_store_nothing_and_apply_to_their_method(slack_server: SlackServer) -> None:
    slack_server.fail_next(2, status=503)
    slack_server.fail_next(status=500, method="auth.test")
    web = client(slack_server)
    for _ in range(2):
        with pytest.raises(SlackApiError) as failed:
            web.chat_postMessage(channel="#c", text="x")
        assert failed.value.response.status_code == 503
    with pytest.raises(SlackApiError) as failed:
        web.auth_test()
    assert failed.value.response.status_code == 500
    assert slack_server.messages == []


def test_dropped_answer_is_a_connection_error_but_the_post_is_stored(
    slack_server: SlackServer,
) -> None:
    slack_server.drop_next()
    with pytest.raises(http.client.RemoteDisconnected):  # a ConnectionResetError, unwrapped
        client(slack_server).chat_postMessage(channel="#c", text="lost answer")
    assert [m["text"] for m in slack_server.messages] == ["lost answer"]


def test_default_slack_client_retries_a_dropped_answer_and_posts_twice(
    slack_server: SlackServer,
) -> None:
    # Why watchbot must not rely on slack_sdk's default retry handlers (see SPEC, Delivery).
    slack_server.drop_next()
    web = WebClient(token="xoxb-test", base_url=slack_server.api_url, timeout=5)
    web.chat_postMessage(channel="#c", text="once")
    assert [m["text"] for m in slack_server.messages] == ["once", "once"]


def test_held_request_is_stored_then_answers_on_release(slack_server: SlackServer) -> None:
    slack_server.hold_next()
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def post() -> None:
        try:
            outcome["ts"] = client(slack_server).chat_postMessage(channel="#c", text="held")["ts"]
        finally:
            done.set()

    thread = threading.Thread(target=post)
    thread.start()
    assert slack_server.holding.wait(5)
    assert [m["text"] for m in slack_server.messages] == ["held"]
    assert not done.is_set()
    slack_server.release()
    assert done.wait(5)
    thread.join(5)
    assert outcome["ts"] == slack_server.messages[0]["ts"]


def test_stop_does_not_hang_on_a_held_request() -> None:
    ss = SlackServer().start()
    ss.hold_next()
    errors: list[BaseException] = []

    def post() -> None:
        try:
            client(ss).chat_postMessage(channel="#c", text="held")
        except ConnectionError as error:
            errors.append(error)

    thread = threading.Thread(target=post)
    thread.start()
    assert ss.holding.wait(5)
    started = time.monotonic()
    ss.stop()
    thread.join(5)
    assert time.monotonic() - started < 3
    assert len(errors) == 1
    assert [m["text"] for m in ss.messages] == ["held"]


# --- SlackServer: incoming webhook ----------------------------------------------------------


def test_webhook_answers_ok_and_stores(slack_server: SlackServer) -> None:
    response = WebhookClient(slack_server.webhook_url, timeout=5).send(
        text="via hook", blocks=[{"type": "divider"}], unfurl_links=False
    )
    assert (response.status_code, response.body) == (200, "ok")
    [message] = slack_server.posts("webhook")
    assert (message["text"], message["unfurl_links"]) == ("via hook", False)
    assert message["blocks"] == [{"type": "divider"}]

    wrong = WebhookClient(slack_server.url + "/webhook/T000/B000/nope", timeout=5).send(text="x")
    assert (wrong.status_code, wrong.body) == (404, "no_service")
    slack_server.reset()
    assert slack_server.messages == [] and slack_server.requests == []
