"""State loss without a flood: when the database is new or empty, watchbot first reads its own
recent posts in each channel (the metadata every post carries: `watchbot_alert` + story key) and
records those stories as seen, so a lost, truncated or deleted database never reposts what is
already in the channel. A reposted item's primary identity key equals the story key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from watchbot.errors import DeliveryError
from watchbot.models import PostedStory
from watchbot.notify.sink import Sink
from watchbot.store import StateStore


def is_empty(store: StateStore) -> bool:
    """No item recorded: a new database, or one that was lost or emptied."""
    return store.counts().get("items", 0) == 0


def adopt_history(
    store: StateStore, sink: Sink, channels: Sequence[str], since: datetime, now: datetime
) -> tuple[int, list[str]]:
    """Record the stories of watchbot's posts in `channels` since `since` as seen. Returns how
    many were recorded, and one problem per channel whose history could not be read."""
    posts: list[PostedStory] = []
    problems = []
    for channel in channels:
        try:
            posts += sink.recent_posts(channel, since)
        except DeliveryError as e:
            problems.append(
                f"cannot read the history of {channel} ({e}); stories already posted there "
                "may be posted again"
            )
    return store.record_posted(posts, now), problems
