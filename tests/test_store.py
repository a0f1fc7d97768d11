"""store.py against real SQLite files in tmp_path: schema, items, alerts, feeds, pruning, lock."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from watchbot.errors import LockedError, WatchbotError
from watchbot.models import AlertStatus, Hit, Story, WatchlistVerdict
from watchbot.store import (
    MIGRATIONS,
    NewAlert,
    RunLock,
    Store,
    story_from_json,
    story_to_json,
    verdicts_from_json,
    verdicts_to_json,
)

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def make_story(n: int, **changes: object) -> Story:
    fields: dict[str, object] = {
        "feed": "Wire",
        "guid": f"wire-{n}",
        "url": f"https://wire.example/{n}",
        "canonical_url": f"https://wire.example/{n}",
        "title": f"Story number {n}",
        "text": f"Text of story {n}",
        "published": NOW - timedelta(hours=1),
        "language": "en",
    }
    fields.update(changes)
    return Story(**fields)  # type: ignore[arg-type]


def keys_of(n: int) -> list[str]:
    return [f"guid:Wire:wire-{n}", f"url:https://wire.example/{n}"]


VERDICTS = (
    WatchlistVerdict(
        watchlist="mexico-security",
        channel="#mexico-desk",
        alert=True,
        hits=(
            Hit(
                watchlist="mexico-security",
                entry="sheinbaum",
                label="Claudia Sheinbaum",
                term="Sheinbaum",
                matched="Sheinbam",
                score=93,
                start=4,
                end=12,
                field="title",
            ),
        ),
        reasons=("requires mexico: matched",),
    ),
)


def new_alert(channel: str = "#news", parent_id: int | None = None) -> NewAlert:
    return NewAlert(
        channel=channel,
        verdicts_json=verdicts_to_json(VERDICTS),
        signature_json='{"v": 1}' if parent_id is None else None,
        parent_id=parent_id,
    )


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "watchbot.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    opened = Store.open(db_path)
    yield opened
    opened.close()


def record(store: Store, n: int, *alerts: NewAlert, now: datetime = NOW) -> list[int | None]:
    return store.record_item(make_story(n), keys_of(n), now=now, alertable=True, alerts=alerts)


def alert_id(ids: list[int | None]) -> int:
    (only,) = ids
    assert only is not None
    return only


# --- schema ---------------------------------------------------------------------------------------


def test_created_on_first_open_with_wal(db_path: Path, store: Store) -> None:
    assert db_path.exists()  # and its folder, which did not exist
    assert store.schema_version == len(MIGRATIONS)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        other.close()


def test_reopening_is_idempotent(db_path: Path) -> None:
    first = Store.open(db_path)
    record(first, 1, new_alert())
    first.close()

    again = Store.open(db_path)
    try:
        assert again.schema_version == len(MIGRATIONS)
        assert again.known_keys(keys_of(1)) == set(keys_of(1))
        assert len(again.pending_alerts()) == 1
    finally:
        again.close()


def test_a_newer_database_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 1}")
    conn.close()

    with pytest.raises(WatchbotError) as info:
        Store.open(db_path)
    message = str(info.value)
    assert str(db_path) in message
    assert f"schema version {len(MIGRATIONS) + 1}" in message
    assert "upgrade watchbot" in message


def test_a_path_that_cannot_be_a_database(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(
        WatchbotError, match=r"cannot open database .*check `database` in the config"
    ):
        Store.open(blocker / "watchbot.db")


# --- items ----------------------------------------------------------------------------------------


def test_record_item_and_known_keys(store: Store) -> None:
    assert store.known_keys([]) == set()
    assert store.known_keys(keys_of(1)) == set()

    assert record(store, 1) == []

    assert store.known_keys([*keys_of(1), *keys_of(2)]) == set(keys_of(1))
    assert store.counts() == {"items": 1}


def test_add_keys_attaches_more_identities(store: Store) -> None:
    record(store, 1)
    store.add_keys(keys_of(1)[0], ["url:https://wire.example/moved-1"])
    assert store.known_keys(["url:https://wire.example/moved-1"]) == {
        "url:https://wire.example/moved-1"
    }


def test_add_keys_for_an_unknown_item_does_nothing(store: Store) -> None:
    store.add_keys("guid:Wire:nobody", ["url:https://wire.example/x"])
    assert store.known_keys(["url:https://wire.example/x"]) == set()


def test_record_item_returns_alert_ids_in_order(store: Store) -> None:
    ids = record(store, 1, new_alert("#a"), new_alert("#b"))
    assert [a.id for a in store.alerts()] == ids
    assert [a.channel for a in store.alerts()] == ["#a", "#b"]


def test_an_existing_story_channel_pair_gives_none(store: Store) -> None:
    (first,) = record(store, 1, new_alert("#a"))
    # the same story (same primary key) recorded again, e.g. under a second item
    story = make_story(1, guid="wire-1", url="https://wire.example/1-copy")
    ids = store.record_item(
        story,
        [keys_of(1)[0], "url:https://wire.example/1-copy"],
        now=NOW,
        alertable=True,
        alerts=[new_alert("#b"), new_alert("#a")],
    )
    assert ids[0] is not None and ids[0] != first
    assert ids[1] is None


def test_stored_alert_keeps_the_story(store: Store) -> None:
    record(store, 1, new_alert())
    (alert,) = store.pending_alerts()
    assert alert.story == make_story(1)
    assert alert.story_key == keys_of(1)[0]
    assert alert.created == NOW
    assert verdicts_from_json(alert.verdicts_json) == VERDICTS


# --- delivery bookkeeping -------------------------------------------------------------------------


def test_pending_attempt_sent(store: Store) -> None:
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


def test_a_failed_attempt_stays_pending(store: Store) -> None:
    ident = alert_id(record(store, 1, new_alert()))
    store.mark_attempt(ident)
    store.mark_attempt_failed(ident, "ratelimited")
    store.mark_attempt(ident)
    store.mark_attempt_failed(ident, "ratelimited")

    (pending,) = store.pending_alerts()
    assert (pending.id, pending.attempts, pending.status) == (ident, 2, "pending")
    row = store.conn.execute("SELECT last_error FROM alerts WHERE id = ?", (ident,)).fetchone()
    assert row[0] == "ratelimited"


def test_mark_status_takes_an_alert_out_of_pending(store: Store) -> None:
    status = AlertStatus.RELATED
    ident = alert_id(record(store, 1, new_alert()))
    store.mark_status(ident, status, "this poster cannot thread")
    assert store.pending_alerts() == []
    stored = store.alert(ident)
    assert stored is not None and stored.status == status
    assert store.counts() == {str(status): 1, "items": 1}


def test_pending_alerts_oldest_first_with_parent_ts(store: Store) -> None:
    parent = alert_id(record(store, 1, new_alert()))
    other = alert_id(record(store, 2, new_alert()))
    store.mark_sent(parent, "111.000100", NOW)
    reply = alert_id(record(store, 3, new_alert(parent_id=parent)))
    orphan = alert_id(record(store, 4, new_alert(parent_id=other)))

    pending = store.pending_alerts()

    assert [a.id for a in pending] == [other, reply, orphan]
    by_id = {a.id: a for a in pending}
    assert by_id[reply].parent_id == parent
    assert by_id[reply].parent_ts == "111.000100"
    assert by_id[orphan].parent_ts is None  # its parent is not sent yet
    assert by_id[other].parent_ts is None


def test_window_alerts_lists_top_level_alerts_of_a_channel_since(store: Store) -> None:
    old = alert_id(record(store, 1, new_alert("#a"), now=NOW - timedelta(days=4)))
    recent = alert_id(record(store, 2, new_alert("#a"), now=NOW - timedelta(hours=1)))
    record(store, 3, new_alert("#b"), now=NOW)
    record(store, 4, new_alert("#a", parent_id=recent), now=NOW)

    window = store.window_alerts("#a", NOW - timedelta(hours=72))

    assert window == [(recent, '{"v": 1}', NOW - timedelta(hours=1))]
    assert old not in [w[0] for w in window]


# --- feeds ----------------------------------------------------------------------------------------

URL = "https://wire.example/rss"


def test_unknown_feed_has_no_state(store: Store) -> None:
    assert store.feed_state("Wire") is None
    assert store.feed_states() == {}


def test_feed_success_then_error(store: Store) -> None:
    due = NOW + timedelta(minutes=10)
    store.record_fetch_success(
        "Wire",
        URL,
        now=NOW,
        next_due=due,
        etag='"abc"',
        last_modified="Sat, 28 Nov 2026 00:00:00 GMT",
        moved_to=None,
        new_items=3,
    )
    later = NOW + timedelta(minutes=10)
    store.record_fetch_error(
        "Wire", URL, now=later, next_due=later + timedelta(minutes=10), error="HTTP 500"
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


def test_successes_add_up(store: Store) -> None:
    for i, new in enumerate([3, 0, 2]):
        store.record_fetch_success(
            "Wire",
            URL,
            now=NOW + timedelta(minutes=i),
            next_due=NOW,
            etag=None,
            last_modified=None,
            moved_to=None,
            new_items=new,
        )
    state = store.feed_state("Wire")
    assert state is not None
    assert (state.items_seen, state.polls) == (5, 3)


def test_a_permanent_redirect_is_remembered(store: Store) -> None:
    moved = "https://new.wire.example/rss"
    success = {"now": NOW, "next_due": NOW, "etag": '"e"', "last_modified": None, "new_items": 0}
    store.record_fetch_success("Wire", URL, moved_to=moved, **success)  # type: ignore[arg-type]
    store.record_fetch_success("Wire", URL, moved_to=None, **success)  # type: ignore[arg-type]
    state = store.feed_state("Wire")
    assert state is not None and state.moved_to == moved


def test_a_new_url_in_the_config_resets_etag_and_moved_to(store: Store) -> None:
    store.record_fetch_success(
        "Wire",
        URL,
        now=NOW,
        next_due=NOW,
        etag='"old"',
        last_modified="Sat, 28 Nov 2026 00:00:00 GMT",
        moved_to="https://new.wire.example/rss",
        new_items=1,
    )
    store.record_fetch_error(
        "Wire", "https://other.example/rss", now=NOW, next_due=NOW, error="HTTP 404"
    )

    state = store.feed_state("Wire")
    assert state is not None
    assert state.url == "https://other.example/rss"
    assert (state.etag, state.last_modified, state.moved_to) == (None, None, None)
    assert (state.items_seen, state.polls) == (1, 1)  # history is kept


# --- retention ------------------------------------------------------------------------------------


def test_prune_keeps_pending_alerts_and_their_items(store: Store) -> None:
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


def test_prune_with_nothing_old(store: Store) -> None:
    record(store, 1, new_alert())
    assert store.prune(NOW - timedelta(days=30)) == (0, 0)


# --- an in-memory copy for dry runs --------------------------------------------------------------


def test_open_copy_does_not_write_to_the_file(db_path: Path, store: Store) -> None:
    record(store, 1, new_alert())

    copy = Store.open_copy(db_path)
    try:
        assert copy.path is None
        assert copy.known_keys(keys_of(1)) == set(keys_of(1))
        ident = alert_id(record(copy, 2, new_alert()))
        copy.mark_sent(ident, "3.3", NOW)
        copy.mark_sent(store.pending_alerts()[0].id, "4.4", NOW)
        assert copy.known_keys(keys_of(2)) == set(keys_of(2))
    finally:
        copy.close()

    assert store.known_keys(keys_of(2)) == set()
    assert len(store.pending_alerts()) == 1
    reopened = Store.open(db_path)
    try:
        assert reopened.known_keys(keys_of(2)) == set()
        assert len(reopened.pending_alerts()) == 1
    finally:
        reopened.close()


def test_open_copy_from_a_folder_with_uri_characters(tmp_path: Path) -> None:
    path = tmp_path / "desk #2?draft" / "watchbot.db"
    original = Store.open(path)
    record(original, 1)
    original.close()
    before = sorted(p.name for p in tmp_path.iterdir())

    copy = Store.open_copy(path)
    try:
        assert copy.known_keys(keys_of(1)) == set(keys_of(1))
    finally:
        copy.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no stray file made


def test_open_copy_without_a_database_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    copy = Store.open_copy(path)
    try:
        assert copy.schema_version == len(MIGRATIONS)
        assert copy.counts() == {"items": 0}
    finally:
        copy.close()
    assert not path.exists()


# --- the run lock ---------------------------------------------------------------------------------


def test_a_second_lock_is_refused_naming_the_pid(db_path: Path) -> None:
    with RunLock(db_path) as held:
        assert held.path == db_path.with_name("watchbot.db.lock")
        with pytest.raises(LockedError) as info:
            RunLock(db_path).acquire()
        message = str(info.value)
        assert f"pid {os.getpid()}" in message
        assert str(held.path) in message


def test_release_lets_another_run_acquire(db_path: Path) -> None:
    first = RunLock(db_path)
    first.acquire()
    first.release()
    first.release()  # twice is harmless

    second = RunLock(db_path)
    second.acquire()
    try:
        assert held_pid(second.path) == os.getpid()
    finally:
        second.release()


def held_pid(path: Path) -> int:
    return int(path.read_text(encoding="utf-8"))


# --- JSON round trips -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "story",
    [
        make_story(1),
        make_story(2, guid=None, url=None, canonical_url=None, published=None, language=None),
        make_story(3, title="Extradición de “El Mencho” & <b>otros</b>", text="Ñandú\nline two"),
        make_story(4, published=datetime(2026, 1, 1, 6, 30, tzinfo=UTC)),
    ],
    ids=["full", "sparse", "unicode-and-markup", "other-time"],
)
def test_story_json_round_trip(story: Story) -> None:
    assert story_from_json(story_to_json(story)) == story


def test_story_json_keeps_non_ascii_readable() -> None:
    assert "Extradición" in story_to_json(make_story(1, title="Extradición"))


@pytest.mark.parametrize(
    "verdicts",
    [
        (),
        VERDICTS,
        (
            *VERDICTS,
            WatchlistVerdict(watchlist="trade", channel=None, alert=False, hits=()),
        ),
    ],
    ids=["none", "one-with-hit-and-reason", "several-with-default-channel"],
)
def test_verdicts_json_round_trip(verdicts: tuple[WatchlistVerdict, ...]) -> None:
    assert verdicts_from_json(verdicts_to_json(verdicts)) == verdicts
