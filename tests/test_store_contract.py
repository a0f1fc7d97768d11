"""The StateStore contract: what the pipeline, the outbox and the commands rely on, written
against the Protocol. Every backend runs these tests: add it to BACKENDS."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from factories import STORE_NOW as NOW
from factories import VERDICTS, keys_of, make_story, new_alert
from factories import only_id as alert_id
from factories import record_story as record
from watchbot.models import AlertStatus, FeedUpdate, ItemIntent, WindowReport
from watchbot.store import SqliteStore, StateStore

BACKENDS: list[Callable[[Path], StateStore]] = [SqliteStore.open]


@pytest.fixture(params=BACKENDS, ids=["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StateStore]:
    opened = request.param(tmp_path / "var" / "watchbot.db")
    yield opened
    opened.close()


URL = "https://wire.example/rss"


def test_record_item_and_known_keys(store: StateStore) -> None:
    assert store.known_keys([]) == set()
    assert store.known_keys(keys_of(1)) == set()

    assert record(store, 1) == []

    assert store.known_keys([*keys_of(1), *keys_of(2)]) == set(keys_of(1))
    assert store.counts() == {"items": 1}


def test_add_keys_attaches_more_identities(store: StateStore) -> None:
    record(store, 1)
    store.add_keys(keys_of(1)[0], ["url:https://wire.example/moved-1"])
    assert store.known_keys(["url:https://wire.example/moved-1"]) == {
        "url:https://wire.example/moved-1"
    }


def test_add_keys_for_an_unknown_item_does_nothing(store: StateStore) -> None:
    store.add_keys("guid:Wire:nobody", ["url:https://wire.example/x"])
    assert store.known_keys(["url:https://wire.example/x"]) == set()


def test_record_item_returns_alert_ids_in_order(store: StateStore) -> None:
    ids = record(store, 1, new_alert("#a"), new_alert("#b"))
    assert [a.id for a in store.alerts()] == ids
    assert [a.channel for a in store.alerts()] == ["#a", "#b"]


def test_an_existing_story_channel_pair_gives_none(store: StateStore) -> None:
    (first,) = record(store, 1, new_alert("#a"))
    # the same story (same primary key) recorded again, e.g. under a second item
    story = make_story(1, guid="wire-1", url="https://wire.example/1-copy")
    keys = (keys_of(1)[0], "url:https://wire.example/1-copy")
    ids = store.record_item(ItemIntent(story, keys, NOW, True, (new_alert("#b"), new_alert("#a"))))
    assert ids[0] is not None and ids[0] != first
    assert ids[1] is None


def test_stored_alert_keeps_the_story(store: StateStore) -> None:
    record(store, 1, new_alert())
    (alert,) = store.pending_alerts()
    assert alert.story == make_story(1)
    assert alert.story_key == keys_of(1)[0]
    assert alert.created == NOW
    assert alert.verdicts == VERDICTS


def test_pending_attempt_sent(store: StateStore) -> None:
    ident = alert_id(record(store, 1, new_alert()))
    (pending,) = store.pending_alerts()
    assert (pending.id, pending.status, pending.attempts, pending.ts) == (ident, "pending", 0, None)

    store.mark_attempt(ident)
    assert store.pending_alerts()[0].attempts == 1

    store.mark_sent(ident, "1764288000.000100", NOW)
    assert store.pending_alerts() == []
    sent = store.alert(ident)
    assert sent is not None
    assert (sent.status, sent.ts, sent.attempts) == (AlertStatus.SENT, "1764288000.000100", 1)


def test_mark_status_takes_an_alert_out_of_pending(store: StateStore) -> None:
    status = AlertStatus.RELATED
    ident = alert_id(record(store, 1, new_alert()))
    store.mark_status(ident, status, "this poster cannot thread")
    assert store.pending_alerts() == []
    stored = store.alert(ident)
    assert stored is not None and stored.status == status
    assert store.counts() == {str(status): 1, "items": 1}


def test_pending_alerts_oldest_first(store: StateStore) -> None:
    parent = alert_id(record(store, 1, new_alert()))
    other = alert_id(record(store, 2, new_alert()))
    store.mark_sent(parent, "111.000100", NOW)
    reply = alert_id(record(store, 3, new_alert(parent_id=parent)))
    orphan = alert_id(record(store, 4, new_alert(parent_id=other)))

    pending = store.pending_alerts()

    assert [a.id for a in pending] == [other, reply, orphan]
    by_id = {a.id: a for a in pending}
    assert by_id[reply].parent_id == parent
    assert by_id[orphan].parent_id == other  # its parent is not sent yet


def test_window_alerts_lists_the_reports_of_a_channel_since(store: StateStore) -> None:
    old = alert_id(record(store, 1, new_alert("#a"), now=NOW - timedelta(days=4)))
    recent = alert_id(record(store, 2, new_alert("#a"), now=NOW - timedelta(hours=1)))
    record(store, 3, new_alert("#b"), now=NOW)
    reply = alert_id(record(store, 4, new_alert("#a", parent_id=recent, payload=b"r"), now=NOW))
    record(store, 5, new_alert("#a", parent_id=recent), now=NOW)  # stored without a payload

    window = store.window_alerts("#a", NOW - timedelta(hours=72))

    assert window == [
        WindowReport(recent, b'{"v": 1}', NOW - timedelta(hours=1)),
        WindowReport(reply, b"r", NOW, thread=recent),
    ]
    assert old not in [w.id for w in window]


def test_an_alert_reads_back_the_alert_it_follows(store: StateStore) -> None:
    first = alert_id(record(store, 1, new_alert("#a")))
    follows = replace(new_alert("#a"), follows_id=first)
    second = alert_id(record(store, 2, follows))

    found = store.alert(second)
    assert found is not None and found.follows is not None
    assert found.follows.title == make_story(1).title
    assert store.alert(first).follows is None  # type: ignore[union-attr]


def test_unknown_feed_has_no_state(store: StateStore) -> None:
    assert store.feed_state("Wire") is None
    assert store.feed_states() == {}


def test_feed_success_then_error(store: StateStore) -> None:
    due = NOW + timedelta(minutes=10)
    store.record_feed_update(
        FeedUpdate(
            "Wire",
            URL,
            now=NOW,
            next_due=due,
            etag='"abc"',
            last_modified="Sat, 28 Nov 2026 00:00:00 GMT",
            moved_to=None,
            new_items=3,
        )
    )
    later = NOW + timedelta(minutes=10)
    store.record_feed_update(
        FeedUpdate("Wire", URL, now=later, next_due=later + timedelta(minutes=10), error="HTTP 500")
    )

    state = store.feed_state("Wire")
    assert state is not None
    assert (state.url, state.etag, state.last_modified) == (
        URL,
        '"abc"',
        "Sat, 28 Nov 2026 00:00:00 GMT",
    )
    assert state.last_success == NOW
    assert state.last_attempt == later
    assert (state.last_error, state.last_error_at) == ("HTTP 500", later)
    assert state.next_due == later + timedelta(minutes=10)
    assert (state.items_seen, state.polls) == (3, 1)
    assert list(store.feed_states()) == ["Wire"]


def test_successes_add_up(store: StateStore) -> None:
    for i, new in enumerate([3, 0, 2]):
        store.record_feed_update(
            FeedUpdate(
                "Wire",
                URL,
                now=NOW + timedelta(minutes=i),
                next_due=NOW,
                etag=None,
                last_modified=None,
                moved_to=None,
                new_items=new,
            )
        )
    state = store.feed_state("Wire")
    assert state is not None
    assert (state.items_seen, state.polls) == (5, 3)


def test_a_permanent_redirect_is_remembered(store: StateStore) -> None:
    moved = "https://new.wire.example/rss"
    success = {"now": NOW, "next_due": NOW, "etag": '"e"', "last_modified": None, "new_items": 0}
    store.record_feed_update(FeedUpdate("Wire", URL, moved_to=moved, **success))  # type: ignore[arg-type]
    store.record_feed_update(FeedUpdate("Wire", URL, moved_to=None, **success))  # type: ignore[arg-type]
    state = store.feed_state("Wire")
    assert state is not None and state.moved_to == moved


def test_a_new_url_in_the_config_resets_etag_and_moved_to(store: StateStore) -> None:
    store.record_feed_update(
        FeedUpdate(
            "Wire",
            URL,
            now=NOW,
            next_due=NOW,
            etag='"old"',
            last_modified="Sat, 28 Nov 2026 00:00:00 GMT",
            moved_to="https://new.wire.example/rss",
            new_items=1,
        )
    )
    store.record_feed_update(
        FeedUpdate("Wire", "https://other.example/rss", now=NOW, next_due=NOW, error="HTTP 404")
    )

    state = store.feed_state("Wire")
    assert state is not None
    assert state.url == "https://other.example/rss"
    assert (state.etag, state.last_modified, state.moved_to) == (None, None, None)
    assert (state.items_seen, state.polls) == (1, 1)  # history is kept


def test_prune_keeps_pending_alerts_and_their_items(store: StateStore) -> None:
    old = NOW - timedelta(days=40)
    record(store, 1, now=old)  # old, never alerted: goes
    sent = alert_id(record(store, 2, new_alert(), now=old))  # old and delivered: goes
    store.mark_sent(sent, "1.1", old)
    pending = alert_id(record(store, 3, new_alert(), now=old))  # old but pending: stays
    record(store, 4, now=NOW)  # recent: stays
    recent_sent = alert_id(record(store, 5, new_alert(), now=NOW))
    store.mark_sent(recent_sent, "2.2", NOW)

    deleted = store.prune(NOW - timedelta(days=30))

    assert deleted == (2, 1)
    assert [a.id for a in store.alerts()] == [pending, recent_sent]
    assert store.known_keys([*keys_of(1), *keys_of(2)]) == set()  # keys go with their items
    assert store.known_keys([*keys_of(3), *keys_of(4), *keys_of(5)]) == {
        *keys_of(3),
        *keys_of(4),
        *keys_of(5),
    }
    assert store.counts() == {"pending": 1, "sent": 1, "items": 3}


def test_prune_with_nothing_old(store: StateStore) -> None:
    record(store, 1, new_alert())
    assert store.prune(NOW - timedelta(days=30)) == (0, 0)


# --- feed health (issue 8): failures in a row, degraded, 410 Gone, throttled, body hash --------


def ok_update(now: datetime = NOW, **changes: object) -> FeedUpdate:
    fields: dict[str, object] = {"now": now, "next_due": now + timedelta(minutes=10)}
    fields.update(changes)
    return FeedUpdate("Wire", URL, **fields)  # type: ignore[arg-type]


def error_update(n: int, **changes: object) -> FeedUpdate:
    now = NOW + timedelta(minutes=n)
    return FeedUpdate("Wire", URL, now=now, next_due=now, error=f"HTTP 500 #{n}", **changes)  # type: ignore[arg-type]


def test_failures_in_a_row_are_counted_and_a_success_resets_them(store: StateStore) -> None:
    store.record_feed_update(ok_update())
    for n in range(1, 4):
        store.record_feed_update(error_update(n))
    state = store.feed_state("Wire")
    assert state is not None
    assert (state.error_count, state.last_error, state.status) == (3, "HTTP 500 #3", "failing")

    store.record_feed_update(ok_update(NOW + timedelta(hours=1)))
    state = store.feed_state("Wire")
    assert state is not None
    assert (state.error_count, state.status) == (0, "ok")
    assert state.last_error == "HTTP 500 #3"  # kept for `watchbot feeds`, with its time


def test_a_throttled_failure_is_backing_off(store: StateStore) -> None:
    store.record_feed_update(error_update(1, throttled=True))
    state = store.feed_state("Wire")
    assert state is not None and (state.throttled, state.status) == (True, "backing off")
    store.record_feed_update(error_update(2))
    state = store.feed_state("Wire")
    assert state is not None and (state.throttled, state.status) == (False, "failing")


def test_a_warning_marks_the_feed_degraded_until_a_clean_poll(store: StateStore) -> None:
    store.record_feed_update(ok_update(warning="malformed XML at line 3; kept 2 item(s)"))
    state = store.feed_state("Wire")
    assert state is not None
    assert (state.status, state.warning) == ("degraded", "malformed XML at line 3; kept 2 item(s)")
    store.record_feed_update(ok_update())
    state = store.feed_state("Wire")
    assert state is not None and (state.status, state.warning) == ("ok", None)


def test_the_body_hash_is_kept_until_a_new_one(store: StateStore) -> None:
    store.record_feed_update(ok_update(body_hash="h1"))
    store.record_feed_update(ok_update())  # a 304: no body, the hash stays
    state = store.feed_state("Wire")
    assert state is not None and state.body_hash == "h1"
    store.record_feed_update(ok_update(body_hash="h2"))
    state = store.feed_state("Wire")
    assert state is not None and state.body_hash == "h2"


def test_gone_disables_the_feed_until_its_url_changes(store: StateStore) -> None:
    store.record_feed_update(error_update(1, disabled=True))
    state = store.feed_state("Wire")
    assert state is not None
    assert (state.status, state.disabled) == ("disabled", "HTTP 500 #1")

    store.record_feed_update(
        FeedUpdate("Wire", "https://other.example/rss", now=NOW, next_due=NOW, error="HTTP 404")
    )
    state = store.feed_state("Wire")
    assert state is not None
    assert (state.disabled, state.status, state.error_count) == (None, "failing", 1)


def test_item_of_key(store: StateStore) -> None:
    assert store.item_of_key(keys_of(1)[0]) is None
    record(store, 1)
    record(store, 2)
    item = store.item_of_key(keys_of(1)[1])
    assert item is not None
    assert (item.feed, item.url, item.keys) == ("Wire", "https://wire.example/1", set(keys_of(1)))
    store.add_keys(keys_of(1)[0], ["guid:Other:x"])
    item = store.item_of_key("guid:Other:x")
    assert item is not None and item.keys == {*keys_of(1), "guid:Other:x"}
