"""Plain typed data passed between watchbot's stages. No IO here.

Data flows one way::

    Config + Watchlist → FetchResult → Story → MatchResult → AlertIntent → store
                                               store → PendingAlert → outbox → Notice → sink

Records that cross a stage boundary are named for their direction, as in lemon24/reader:
`FeedState` (store → fetch), `FetchResult` (fetch → pipeline), `FeedUpdate` and
`ItemIntent` with its `AlertIntent`s (pipeline → store),
`PendingAlert` (store → outbox), `Notice` (outbox → sink), `StoredStory` (store → backtest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

# --- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedConfig:
    name: str
    url: str  # http(s) URL, or an absolute local file path
    interval: timedelta
    timeout: timedelta
    max_age: timedelta


class RelatedMode(StrEnum):
    THREAD = "thread"  # later reports of an alerted story are replies in its thread
    DROP = "drop"  # later reports are only recorded


@dataclass(frozen=True)
class SlackConfig:
    channel: str
    token_env: str = "SLACK_BOT_TOKEN"
    webhook_env: str = "SLACK_WEBHOOK_URL"
    api_url: str | None = None


@dataclass(frozen=True)
class DedupConfig:
    window: timedelta = timedelta(hours=72)
    related: RelatedMode = RelatedMode.THREAD
    retention: timedelta = timedelta(days=30)
    method: str = "meaning"  # the same-story method: meaning (embedding + guards) or rules


@dataclass(frozen=True)
class HealthConfig:
    delivery_failing: timedelta = timedelta(minutes=15)  # /healthz fails after this long


@dataclass(frozen=True)
class FetchConfig:
    """How feeds are fetched: concurrency, size caps, back-off (config `fetch:`)."""

    workers: int = 32  # fetches in flight at once (measured: bench/README.md)
    per_host: int = 2  # connections to one host at once
    max_size: int = 10 * 2**20  # bytes of body, as sent and as decompressed
    backoff_max: timedelta = timedelta(hours=6)  # longest wait after repeated failures
    jitter: float = 0.1  # intervals and back-offs are stretched by up to this fraction


@dataclass(frozen=True)
class Config:
    path: Path  # the config file itself; relative paths in it are relative to its folder
    database: Path
    watchlists: Path  # a folder of *.yaml, or one file
    feeds: tuple[FeedConfig, ...]
    slack: SlackConfig
    dedup: DedupConfig
    health: HealthConfig = HealthConfig()
    fetch: FetchConfig = FetchConfig()


# --- watchlists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Nearness:
    """Where another match must be, relative to the entry's own matched words."""

    words: int | None = None  # at most this many words between them, in the same field
    sentence: bool = False  # in the same sentence (the title is one field, the summary another)

    def __str__(self) -> str:
        if self.sentence:
            return "in the same sentence"
        if self.words is not None:
            return f"within {self.words} word{'s' if self.words != 1 else ''}"
        return ""


ANYWHERE = Nearness()


@dataclass(frozen=True)
class Requirement:
    """One condition of an entry: one of `any_of` and every one of `all_of` must hold, near."""

    any_of: tuple[str, ...] = ()  # entry ids
    all_of: tuple[str, ...] = ()
    near: Nearness = ANYWHERE
    line: int = 0


@dataclass(frozen=True)
class Exclusion:
    """An entry does not count when one of `terms` matches or one of `entries` holds, near."""

    terms: tuple[str, ...] = ()
    entries: tuple[str, ...] = ()
    near: Nearness = ANYWHERE
    line: int = 0


@dataclass(frozen=True)
class Entry:
    """One actor or theme of a watchlist. `terms`/`excludes` are raw term strings (see SPEC).

    `requires` is the old any-of list; `requirements` the full rules (when given, they include
    `requires`). `excludes` are terms that exclude the entry from anywhere in the story;
    `exclusions` the scoped ones (near the entry's words, or by another entry)."""

    id: str
    label: str
    kind: str  # person | organization | place | theme (informational)
    terms: tuple[str, ...]
    requires: tuple[str, ...] = ()  # every entry id the requirements name
    excludes: tuple[str, ...] = ()
    alert: bool = True
    fuzzy: int | None = 90  # least similarity (0-100) for a fuzzy match; None turns fuzzy off
    line: int = 0  # where the entry starts in its file, for messages
    requirements: tuple[Requirement, ...] = ()  # all must hold; () with `requires`: any of them
    exclusions: tuple[Exclusion, ...] = ()
    inflect: bool = True  # lower-case words also match their inflected forms

    @property
    def rules(self) -> tuple[Requirement, ...]:
        """The requirements, the old `requires: [a, b]` form read as one any-of group."""
        if self.requirements:
            return self.requirements
        return (Requirement(any_of=self.requires),) if self.requires else ()

    @property
    def depends_on(self) -> tuple[str, ...]:
        """Every entry id this entry's requirements and exclusions name."""
        ids = [*self.requires]
        for req in self.rules:
            ids += [*req.any_of, *req.all_of]
        for exclusion in self.exclusions:
            ids += exclusion.entries
        return tuple(dict.fromkeys(ids))


@dataclass(frozen=True)
class Watchlist:
    name: str
    entries: tuple[Entry, ...]
    description: str = ""
    channel: str | None = None  # None: the config's slack.channel
    path: Path | None = None


# --- stories -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Story:
    """One feed item, normalised. `text` is the summary as plain text (HTML stripped)."""

    feed: str  # the feed's name: the outlet shown in alerts
    guid: str | None
    url: str | None
    canonical_url: str | None
    title: str
    text: str
    published: datetime | None  # timezone-aware UTC, when the feed gives one
    language: str | None = None


@dataclass(frozen=True)
class FetchResult:
    """What one fetch of a feed produced (fetch → pipeline). `stories` is empty on 304 and when
    the body is byte for byte the last one (`unchanged`: not parsed again)."""

    stories: tuple[Story, ...]
    etag: str | None = None
    last_modified: str | None = None
    not_modified: bool = False
    final_url: str | None = None  # where a permanent redirect led, to be remembered
    permanent_redirect: bool = False
    warning: str | None = None  # the feed is degraded (e.g. malformed XML): items kept, said why
    body_hash: str | None = None  # of the body as received, to skip an identical one next time
    unchanged: bool = False  # the body hashed as the last one: not parsed


# --- matching ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Hit:
    """One entry matched by one of its terms: the why of an alert."""

    watchlist: str
    entry: str
    label: str
    term: str
    matched: str  # the words of the story as written
    score: int  # 100 for an exact match; the similarity for a fuzzy one
    start: int = 0  # span of `matched` in the matched field
    end: int = 0
    field: str = "title"  # "title" or "text"
    context: bool = False  # the entry has `alert: false`: it explains, it never alerts alone
    form: str = "exact"  # exact | inflected | fuzzy: how the story's words met the term


@dataclass(frozen=True)
class NearMiss:
    """A fuzzy candidate just under its entry's threshold, shown by `watchbot match`."""

    watchlist: str
    entry: str
    term: str
    matched: str
    score: int
    threshold: int
    why: str = ""  # why it is no match: under the threshold, or the word is a dictionary word


@dataclass(frozen=True)
class Decision:
    """What one matched entry's rules decided: the reason `watchbot match` prints."""

    entry: str
    alerts: bool  # this entry makes its watchlist alert
    rule: str  # the rule that decided and how, e.g. "requires one of [mexico] — mexico matched"


@dataclass(frozen=True)
class WatchlistVerdict:
    watchlist: str
    channel: str | None
    alert: bool
    hits: tuple[Hit, ...]  # every entry that matched, alerting or not
    reasons: tuple[str, ...] = ()  # what requires/excludes decided, in words
    decisions: tuple[Decision, ...] = ()  # one per entry with a hit; alert == any(alerts)


@dataclass(frozen=True)
class MatchResult:
    verdicts: tuple[WatchlistVerdict, ...] = ()
    near_misses: tuple[NearMiss, ...] = ()

    @property
    def alert(self) -> bool:
        return any(v.alert for v in self.verdicts)

    @property
    def alerting(self) -> tuple[WatchlistVerdict, ...]:
        return tuple(v for v in self.verdicts if v.alert)


# --- alerts --------------------------------------------------------------------------------------


class AlertStatus(StrEnum):
    PENDING = "pending"  # recorded, not yet posted (retried every cycle until it is)
    SENT = "sent"  # posted; Slack's ts recorded
    RELATED = "related"  # a related report recorded and never posted (drop, webhook, same outlet)
    FAILED = "failed"  # Slack refused it for good (reason in last_error); `watchbot alerts --retry`
    PRINTED = "printed"  # shown on stdout (no credentials): never sent, still owed to Slack


@dataclass(frozen=True)
class FeedState:
    """What the store knows of a feed (store → fetch): validators, redirects, health."""

    name: str
    url: str
    moved_to: str | None
    etag: str | None
    last_modified: str | None
    last_attempt: datetime | None
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    next_due: datetime | None
    items_seen: int
    polls: int
    error_count: int = 0  # failed polls in a row (0 after a success)
    warning: str | None = None  # why the last successful poll was degraded
    body_hash: str | None = None
    disabled: str | None = None  # why the feed is no longer polled (410 Gone)
    throttled: bool = False  # the last failure was the server asking us to wait (429/503)

    @property
    def status(self) -> str:
        """ok, degraded, failing, backing off or disabled (`watchbot feeds`)."""
        if self.disabled:
            return "disabled"
        if self.error_count:
            return "backing off" if self.throttled else "failing"
        return "degraded" if self.warning else "ok"


@dataclass(frozen=True)
class FeedUpdate:
    """What one poll of a feed changes in its state (pipeline → store). With `error` the poll
    failed: the validators and the last success are kept."""

    name: str
    url: str  # the configured url; a new one resets the validators and a remembered redirect
    now: datetime
    next_due: datetime
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    moved_to: str | None = None  # where a permanent redirect led
    new_items: int = 0
    warning: str | None = None  # a successful poll that kept what it could (degraded)
    body_hash: str | None = None  # None keeps the one stored (a 304 or an identical body)
    throttled: bool = False  # with `error`: the server asked us to wait (429/503 Retry-After)
    disabled: bool = False  # with `error`: stop polling this feed (410 Gone)


@dataclass(frozen=True)
class ItemIntent:
    """A new item to record with the alerts it causes, in one transaction (pipeline → store).
    `keys` are its identities, the primary one first (`fetch.item_keys`)."""

    story: Story
    keys: tuple[str, ...]
    seen_at: datetime
    alertable: bool  # False when too old (max_age) to alert
    alerts: tuple[AlertIntent, ...] = ()


@dataclass(frozen=True)
class KnownItem:
    """A recorded item found by one of its keys (store → pipeline), to tell whether a new entry
    is that item or a distinct entry of the same feed sharing its link."""

    feed: str  # the feed it was first recorded from
    url: str | None  # its link as written
    keys: frozenset[str]


@dataclass(frozen=True)
class AlertIntent:
    """An alert to record with its item (pipeline → store): top-level when `parent_id` is None,
    else a related report of that alert. `payload` is the same-story method's record of the
    report, opaque to the store. `follows_id` is an earlier alert that a new top-level alert
    follows (a next step of that story), linked from it."""

    channel: str
    verdicts: tuple[WatchlistVerdict, ...]
    payload: bytes | None
    parent_id: int | None = None
    status: AlertStatus = AlertStatus.PENDING
    follows_id: int | None = None


@dataclass(frozen=True)
class WindowReport:
    """A report recorded in a channel within the same-story window (store → pipeline): an
    alert, or with `thread` a reply in that alert's thread, and its same-story payload."""

    id: int
    payload: bytes
    created: datetime
    thread: int | None = None


@dataclass(frozen=True)
class FollowsLink:
    """The earlier alert a new alert follows, as its message names and links it."""

    title: str
    url: str | None
    feed: str


@dataclass(frozen=True)
class PendingAlert:
    """A recorded alert read back to be delivered (store → outbox)."""

    id: int
    story_key: str
    channel: str
    status: AlertStatus
    parent_id: int | None
    story: Story
    verdicts: tuple[WatchlistVerdict, ...]
    created: datetime
    attempts: int
    ts: str | None  # the sink's message id once sent (Slack's ts)
    follows: FollowsLink | None = None  # the earlier alert this one follows
    last_error: str | None = None  # why the last attempt failed; the reason of a failed alert


@dataclass(frozen=True)
class Notice:
    """One message to deliver (outbox → sink), in no sink's format: an alert with why it fired,
    or, with `thread_ts`, a later report of an alerted story for that alert's thread."""

    channel: str
    story: Story
    story_key: str  # sent along (Slack metadata) so a message can be found again
    verdicts: tuple[WatchlistVerdict, ...] = ()
    thread_ts: str | None = None
    follows: FollowsLink | None = None  # an alert's "Follows:" line: the earlier alert
    parent: Story | None = None  # a reply's first alert, so a reader sees which thread it is in


@dataclass(frozen=True)
class PostedStory:
    """A message found in a channel's history carrying watchbot's metadata (sink → store): its
    story was alerted already, whatever the database says."""

    channel: str
    story_key: str
    ts: str


@dataclass(frozen=True)
class StoredStory:
    """A stored item read back for a backtest (store → backtest)."""

    item_id: int
    story: Story
    story_key: str
    seen_at: datetime
    alertable: bool
    alerted: bool  # an alert (or related report) was recorded for it
