"""The one-line summary `poll` prints of a cycle."""

from __future__ import annotations

from watchbot.notify import DeliveryReport
from watchbot.report import CycleReport, FeedOutcome


def test_summary_counts_feeds_items_alerts_and_delivery() -> None:
    report = CycleReport(
        feeds=[
            FeedOutcome("a", new_items=3, alerts=2, related=1),
            FeedOutcome("b", error="feed 'b': connection refused"),
        ],
        delivery=DeliveryReport(sent=2, replies=1),
    )

    assert report.failed == [report.feeds[1]] and not report.all_failed
    assert report.summary() == (
        "polled 2 feed(s), 1 failed; 3 new item(s), 2 alert(s), 1 related report(s); "
        "posted 2 + 1 thread reply"
    )


def test_summary_names_what_needs_a_look() -> None:
    report = CycleReport(
        feeds=[FeedOutcome("a", error="down", item_errors=1)],
        delivery=DeliveryReport(errors=["timeout"], failed=["channel_not_found"]),
    )

    text = report.summary()
    assert report.all_failed
    assert "1 item(s) skipped by an error" in text
    assert "1 delivery error(s), kept pending" in text
    assert "1 alert(s) refused by Slack, marked failed (`watchbot alerts`)" in text
