"""Secrets never shown: the pure redaction that the log filter and the messages use."""

from __future__ import annotations

import pytest

from watchbot.redact import redact, redact_url


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://user:pass@example.com/feed", "https://***@example.com/feed"),
        ("http://u@127.0.0.1:8080/a.xml", "http://***@127.0.0.1:8080/a.xml"),
        ("https://e.com/rss?token=abc&page=2", "https://e.com/rss?token=***&page=2"),
        ("https://e.com/rss?api_key=abc#top", "https://e.com/rss?api_key=***#top"),
        ("https://e.com/rss?accessToken=abc", "https://e.com/rss?accessToken=***"),
        ("https://s3/x?X-Amz-Signature=abc&a=1", "https://s3/x?X-Amz-Signature=***&a=1"),
        (
            "https://e.com/rss?keyword=mexico&passage=2",
            "https://e.com/rss?keyword=mexico&passage=2",
        ),
        ("token xoxb-1234-5678-abcdef here", "token xox?-*** here"),
        ("https://hooks.slack.com/services/T0/B0/XYZ failed", "https://hooks.slack.com/*** failed"),
        ("feed 'A': HTTP 503 from https://e.com/rss", "feed 'A': HTTP 503 from https://e.com/rss"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_known_secrets_go_wherever_they_appear() -> None:
    assert redact(
        "posting to http://127.0.0.1:5/hook/abcdef", ["http://127.0.0.1:5/hook/abcdef"]
    ) == ("posting to ***")
    assert redact_url("https://a:b@h/p?sig=1") == "https://***@h/p?sig=***"
