"""One cycle, in process, with a clock the tests set: feeds as local files, a real SQLite store,
Slack through the real client to the local server."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import WATCHLIST, Item, rss, write_setup
from servers import SlackServer
from watchbot.config import load_config
from watchbot.models import Config, FeedConfig, Story
from watchbot.notify import Outbox, SlackSink
from watchbot.pipeline import Pipeline, is_alertable
from watchbot.store import SqliteStore
from watchbot.watchlist import load_watchlists

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def sleep(self, seconds: float) -> None:  # the outbox waits on this clock, not the real one
        self.now += timedelta(seconds=seconds)


@dataclass
class Setup:
    config: Config
    root: Path
    clock: Clock
    store: SqliteStore
    pipeline: Pipeline
    slack: SlackServer

    def feed(self, name: str, items: list[Item]) -> None:
        (self.root / f"{name}.xml").write_text(rss(items, now=self.clock.now), encoding="utf-8")

    def cycle(self, *, all_feeds: bool = True) -> None:
        feeds = self.config.feeds if all_feeds else self.pipeline.due_feeds()
        self.pipeline.run_cycle(feeds)

    def statuses(self) -> list[str]:
        return [a.status for a in self.store.alerts()]


@pytest.fixture
def setup(tmp_path: Path, slack_server: SlackServer) -> Iterator[Setup]:
    config_path = write_setup(
        tmp_path,
        [("A", str(tmp_path / "a.xml")), ("B", str(tmp_path / "b.xml"))],
        slack=f'channel: "#news-alerts"\napi_url: {slack_server.api_url}',
        dedup="window: 72h\nretention: 10d",
    )
    config = load_config(config_path)
    clock = Clock()
    store = SqliteStore.open(config.database)
    poster = SlackSink("xoxb-test", api_url=slack_server.api_url, channels=store)
    outbox = Outbox(store, poster, clock, sleep=clock.sleep)
    pipeline = Pipeline(config, load_watchlists(config.watchlists), store, outbox, clock=clock)
    made = Setup(config, tmp_path, clock, store, pipeline, slack_server)
    made.feed("a", [])
    made.feed("b", [])
    yield made
    pipeline.close()
    store.close()


FEED = FeedConfig("F", "/x", timedelta(minutes=10), timedelta(seconds=5), timedelta(hours=48))


def story(published: datetime | None) -> Story:
    return Story("F", "g", None, None, "t", "", published)


@pytest.mark.parametrize(
    ("published", "first_poll", "alertable"),
    [
        (T0 - timedelta(hours=1), True, True),
        (T0 - timedelta(hours=47), False, True),
        (T0 - timedelta(hours=49), False, False),
        (T0 - timedelta(hours=49), True, False),
        (None, True, False),
        (None, False, True),
        (T0 + timedelta(hours=1), True, True),
    ],
    ids=[
        "young",
        "under-max-age",
        "too-old",
        "too-old-first-poll",
        "undated-first-poll",
        "undated-later",
        "dated-in-future",
    ],
)
def test_is_alertable(published: datetime | None, first_poll: bool, alertable: bool) -> None:
    assert is_alertable(story(published), T0, FEED, first_poll) is alertable


SHEINBAUM = Item("Sheinbaum defends sending 37 cartel members to the US", guid="a1")
REPORT_B = Item("Sheinbaum defiende envío de 37 miembros de cárteles a EU", guid="b1")


def test_related_report_within_window_threads_after_window_alerts(setup: Setup) -> None:
    setup.feed("a", [SHEINBAUM])
    setup.cycle()
    setup.clock.advance(timedelta(hours=2))
    setup.feed("b", [REPORT_B])
    setup.cycle()
    [first, reply] = setup.slack.posts()
    assert reply["thread_ts"] == first["ts"]

    setup.clock.advance(timedelta(hours=80))  # past the 72h window: a new alert, not a reply
    setup.feed("b", [Item("Sheinbaum defiende envío de 37 narcos a EU, otra vez", guid="b2")])
    setup.cycle()
    assert setup.slack.posts()[-1]["thread_ts"] is None


def test_reply_waits_for_its_first_alert_then_threads(setup: Setup) -> None:
    setup.slack.fail_next(8, status=500)
    setup.slack.fail_next(8, status=500, method="conversations.history")
    setup.feed("a", [SHEINBAUM])
    setup.feed("b", [REPORT_B])
    setup.cycle()
    assert setup.slack.posts() == []
    assert setup.statuses() == ["pending", "pending"]

    setup.slack.reset()  # Slack is back: no more injected faults
    setup.pipeline.deliver_pending()  # too soon: deliveries pause after a failure
    assert setup.slack.posts() == []
    setup.clock.advance(timedelta(minutes=1))
    setup.pipeline.deliver_pending()
    first, reply = setup.slack.posts()
    assert first["thread_ts"] is None and reply["thread_ts"] == first["ts"]
    assert setup.statuses() == ["sent", "sent"]


def test_feeds_are_due_by_interval(setup: Setup) -> None:
    assert [f.name for f in setup.pipeline.due_feeds()] == ["A", "B"]
    setup.cycle(all_feeds=False)
    assert setup.pipeline.due_feeds() == []
    setup.clock.advance(timedelta(minutes=10))
    assert [f.name for f in setup.pipeline.due_feeds()] == ["A", "B"]


def test_old_items_on_later_polls_are_recorded_not_alerted(setup: Setup) -> None:
    setup.cycle()  # first poll of both feeds
    setup.feed("a", [Item("Sheinbaum on cartels, archived", guid="old", age=timedelta(days=3))])
    setup.cycle()
    assert setup.slack.posts() == []
    assert setup.store.counts()["items"] == 1


def test_retention_prunes_old_items_and_alerts(setup: Setup) -> None:
    setup.feed("a", [SHEINBAUM, Item("Weather today", guid="w1")])
    setup.cycle()
    assert setup.store.counts() == {"sent": 1, "items": 2}
    setup.clock.advance(timedelta(days=11))
    setup.feed("a", [])
    setup.cycle()
    assert setup.store.counts() == {"items": 0}


def test_edited_watchlists_take_effect_without_restart(setup: Setup) -> None:
    setup.cycle()
    edited = WATCHLIST + "  - id: harfuch\n    terms: [García Harfuch]\n"
    (setup.root / "watchlists" / "desk.yaml").write_text(edited, encoding="utf-8")
    setup.pipeline.use_watchlists(load_watchlists(setup.config.watchlists))
    setup.feed("a", [Item("García Harfuch briefs Congress", guid="h1")])
    setup.cycle()
    [post] = setup.slack.posts()
    assert "García Harfuch" in post["text"]


def test_a_feed_that_cannot_be_read_does_not_stop_the_other(setup: Setup) -> None:
    (setup.root / "a.xml").unlink()
    setup.feed("b", [SHEINBAUM])
    report = setup.pipeline.run_cycle(setup.config.feeds)
    assert [f.feed for f in report.failed] == ["A"]
    assert "cannot read" in (report.failed[0].error or "")
    assert len(setup.slack.posts()) == 1
    state = setup.store.feed_state("A")
    assert state is not None and state.last_error and state.last_success is None


def test_each_other_outlet_appears_once_in_a_thread_and_copies_are_only_recorded(
    setup: Setup,
) -> None:
    setup.feed("a", [SHEINBAUM])
    setup.cycle()
    setup.clock.advance(timedelta(hours=1))
    republished = Item("Sheinbaum defends sending 37 cartel members to US", guid="a1-again")
    second_b = Item("Sheinbaum: envío de 37 miembros de cárteles a EU fue soberano", guid="b2")
    setup.feed("a", [republished])
    setup.feed("b", [REPORT_B, second_b])
    setup.cycle()
    first, reply = setup.slack.posts()
    assert reply["thread_ts"] == first["ts"] and reply["text"].startswith("Also reported by B")
    assert sorted(setup.statuses()) == ["related", "related", "sent", "sent"]


# --- item identity (issue 8): distinct entries of one feed, the same item across feeds -----------

PAGE = "https://live.example/blog/cartels"


def items_of(setup: Setup, feed: str) -> int:
    return int(
        setup.store.conn.execute("SELECT COUNT(*) FROM items WHERE feed = ?", (feed,)).fetchone()[0]
    )


def test_two_guids_with_one_link_are_two_items(setup: Setup) -> None:
    entries = [
        Item("Sheinbaum: first update on cartels", guid="u1", link=PAGE),
        Item("Sheinbaum: second update on extraditions", guid="u2", link=PAGE),
    ]
    setup.feed("a", entries)
    setup.cycle()
    assert items_of(setup, "A") == 2
    setup.cycle()  # and known as two on the next poll
    assert items_of(setup, "A") == 2


def test_links_that_differ_only_after_the_hash_are_distinct_entries(setup: Setup) -> None:
    with_guids = [Item(f"Update {n} on cartels", guid=f"g{n}", link=f"{PAGE}#p{n}") for n in (1, 2)]
    without = [Item(f"Note {n} on cartels", link=f"{PAGE}/notes#n{n}") for n in (1, 2, 3)]
    setup.feed("a", with_guids + without)
    setup.cycle()
    assert items_of(setup, "A") == 5


def test_a_live_blog_entry_with_a_new_anchor_is_new_after_the_old_one_left(setup: Setup) -> None:
    setup.feed("a", [Item("Sheinbaum update one on cartels", guid="g1", link=f"{PAGE}#p1")])
    setup.cycle()
    setup.feed(
        "a", [Item("Extradition of cartel boss to Mexico approved", guid="g2", link=f"{PAGE}#p2")]
    )
    setup.cycle()
    assert items_of(setup, "A") == 2
    assert len(setup.slack.posts()) == 2


def test_one_link_in_two_feeds_is_one_story_alerted_once(setup: Setup) -> None:
    link = "https://wire.example/world/sheinbaum-cartels?utm_source=a"
    setup.feed("a", [Item("Sheinbaum speaks on cartels", guid="a-1", link=link)])
    setup.feed("b", [Item("Sheinbaum on the cartels", guid="b-77", link=link + "#top")])
    setup.cycle()
    assert setup.store.counts()["items"] == 1
    assert len(setup.slack.posts()) == 1
    setup.cycle()
    assert setup.store.counts()["items"] == 1


def test_a_changed_guid_with_the_same_link_is_the_same_item(setup: Setup) -> None:
    link = "https://wire.example/world/sheinbaum"
    setup.feed("a", [Item("Sheinbaum speaks on cartels", guid="old-guid", link=link)])
    setup.cycle()
    setup.clock.advance(timedelta(minutes=10))
    setup.feed("a", [Item("Sheinbaum speaks on cartels (updated)", guid="new-guid", link=link)])
    setup.cycle()
    assert items_of(setup, "A") == 1
    assert len(setup.slack.posts()) == 1


def test_reorder_title_edit_and_republication_are_not_new(setup: Setup) -> None:
    first = [
        Item("Sheinbaum speaks on cartels", guid="r1", link="https://w.example/1"),
        Item("Extradition of cartel boss to Mexico", guid="r2", link="https://w.example/2"),
    ]
    setup.feed("a", first)
    setup.cycle()
    edited = [
        Item(
            "Extradition of cartel boss to Mexico, updated",
            guid="r2",
            link="https://w.example/2",
            age=timedelta(minutes=1),
        ),
        Item(
            "Sheinbaum speaks again on cartels", guid="r1", link="https://w.example/1?utm_medium=x"
        ),
    ]
    setup.feed("a", edited)
    setup.cycle()
    assert items_of(setup, "A") == 2
    assert len(setup.slack.posts()) == 2


# --- fetching in the daemon's way (poll_feed): same path, backing off is respected -------------


def test_poll_feed_skips_a_feed_backing_off_until_it_is_due(setup: Setup) -> None:
    (setup.root / "a.xml").unlink()
    feed = setup.config.feeds[0]
    assert setup.pipeline.poll_feed(feed).error is not None
    assert setup.pipeline.poll_feed(feed).skipped == "backing off"
    setup.feed("a", [SHEINBAUM])
    setup.clock.advance(timedelta(minutes=11))
    outcome = setup.pipeline.poll_feed(feed)
    assert outcome.ok and outcome.new_items == 1
