"""SqliteStore's own behaviour, against real SQLite files in tmp_path: schema and migrations,
the in-memory copy for dry runs, the run lock, and how records are written in columns. What
every backend must do is in test_store_contract.py."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from factories import STORE_NOW as NOW
from factories import VERDICTS, keys_of, make_story, new_alert
from factories import only_id as alert_id
from factories import record_story as record
from watchbot.errors import LockedError, WatchbotError
from watchbot.models import Story, WatchlistVerdict
from watchbot.store import RunLock, SqliteStore
from watchbot.store.codec import (
    story_from_json,
    story_to_json,
    verdicts_from_json,
    verdicts_to_json,
)
from watchbot.store.schema import MIGRATIONS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "watchbot.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore.open(db_path)
    yield opened
    opened.close()


def test_created_on_first_open_with_wal(db_path: Path, store: SqliteStore) -> None:
    assert db_path.exists()  # and its folder, which did not exist
    assert store.schema_version == len(MIGRATIONS)
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    other = sqlite3.connect(db_path)
    try:
        assert other.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    finally:
        other.close()


def test_reopening_is_idempotent(db_path: Path) -> None:
    first = SqliteStore.open(db_path)
    record(first, 1, new_alert())
    first.close()

    again = SqliteStore.open(db_path)
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
        SqliteStore.open(db_path)
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
        SqliteStore.open(blocker / "watchbot.db")


def test_a_failed_attempt_stays_pending(store: SqliteStore) -> None:
    ident = alert_id(record(store, 1, new_alert()))
    store.mark_attempt(ident)
    store.mark_attempt_failed(ident, "ratelimited")
    store.mark_attempt(ident)
    store.mark_attempt_failed(ident, "ratelimited")

    (pending,) = store.pending_alerts()
    assert (pending.id, pending.attempts, pending.status) == (ident, 2, "pending")
    row = store.conn.execute("SELECT last_error FROM alerts WHERE id = ?", (ident,)).fetchone()
    assert row[0] == "ratelimited"


def test_open_copy_does_not_write_to_the_file(db_path: Path, store: SqliteStore) -> None:
    record(store, 1, new_alert())

    copy = SqliteStore.open_copy(db_path)
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
    reopened = SqliteStore.open(db_path)
    try:
        assert reopened.known_keys(keys_of(2)) == set()
        assert len(reopened.pending_alerts()) == 1
    finally:
        reopened.close()


def test_open_copy_from_a_folder_with_uri_characters(tmp_path: Path) -> None:
    path = tmp_path / "desk #2?draft" / "watchbot.db"
    original = SqliteStore.open(path)
    record(original, 1)
    original.close()
    before = sorted(p.name for p in tmp_path.iterdir())

    copy = SqliteStore.open_copy(path)
    try:
        assert copy.known_keys(keys_of(1)) == set(keys_of(1))
    finally:
        copy.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no stray file made


def test_open_copy_without_a_database_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "none.db"
    copy = SqliteStore.open_copy(path)
    try:
        assert copy.schema_version == len(MIGRATIONS)
        assert copy.counts() == {"items": 0}
    finally:
        copy.close()
    assert not path.exists()


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


def test_a_version_1_database_gains_the_feed_health_columns(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(MIGRATIONS[0])
    conn.execute(
        "INSERT INTO feeds (name, url, etag, polls) VALUES ('Wire', 'https://w/rss', '\"e\"', 3)"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    store = SqliteStore.open(path)
    state = store.feed_state("Wire")
    store.close()
    assert state is not None
    assert (state.etag, state.polls, state.error_count, state.disabled, state.status) == (
        '"e"',
        3,
        0,
        None,
        "ok",
    )
