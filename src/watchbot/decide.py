"""The decisions in the middle of a cycle: data in, intents out. No IO, no clock, no state.

Like lemon24/reader's update Decider: the pipeline gathers what a decision needs (the story, its
match, the same-story index's answer, who is in a thread), asks here, and records what it is told.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from watchbot.models import AlertIntent, AlertStatus, FeedConfig, Story, WatchlistVerdict


def is_alertable(story: Story, now: datetime, feed: FeedConfig, first_poll: bool) -> bool:
    """Items published longer ago than max_age are recorded, never alerted. On a feed's first
    poll an item without a date cannot prove it is young, so it is recorded too: adding a feed
    never floods the channel."""
    if story.published is None:
        return not first_poll
    return now - story.published <= feed.max_age


def by_channel(
    verdicts: Sequence[WatchlistVerdict], default_channel: str
) -> dict[str, tuple[WatchlistVerdict, ...]]:
    """The alerting verdicts grouped by the channel they post to: one alert per channel."""
    groups: dict[str, list[WatchlistVerdict]] = {}
    for verdict in verdicts:
        groups.setdefault(verdict.channel or default_channel, []).append(verdict)
    return {channel: tuple(group) for channel, group in groups.items()}


def plan_alerts(
    story: Story,
    groups: Mapping[str, tuple[WatchlistVerdict, ...]],
    parents: Mapping[str, int | None],
    thread_feeds: Mapping[int, set[str]],
    payload: bytes | None,
    *,
    threads: bool,
    follows: Mapping[str, int] | None = None,
) -> list[AlertIntent]:
    """One intent per channel. Where `parents` names a story already alerted in that channel,
    the report is the same story: a thread reply when `threads` (related: thread, and a sink
    that can thread) and its outlet is not in that thread yet, else only recorded. Otherwise it
    is a new alert, which links the earlier alert `follows` names for its channel (a next step
    of that story). `payload` is the report's same-story record, kept with every intent."""
    intents = []
    for channel, group in groups.items():
        parent = parents.get(channel)
        if parent is None:
            follow = (follows or {}).get(channel)
            intents.append(AlertIntent(channel, group, payload, follows_id=follow))
            continue
        reply = threads and story.feed not in thread_feeds.get(parent, set())
        status = AlertStatus.PENDING if reply else AlertStatus.RELATED
        intents.append(AlertIntent(channel, group, payload, parent_id=parent, status=status))
    return intents
