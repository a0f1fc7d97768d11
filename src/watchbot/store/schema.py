"""The SQLite schema, versioned with `PRAGMA user_version`: `MIGRATIONS[n]` takes a database
from version n to n+1."""

MIGRATIONS: tuple[str, ...] = (
    # 0 → 1: the first schema
    """
    CREATE TABLE feeds (
        name          TEXT PRIMARY KEY,
        url           TEXT NOT NULL,        -- the configured url when last polled
        moved_to      TEXT,                 -- where a permanent redirect led; polled instead
        etag          TEXT,
        last_modified TEXT,
        last_attempt  TEXT,
        last_success  TEXT,
        last_error    TEXT,
        last_error_at TEXT,
        next_due      TEXT,
        items_seen    INTEGER NOT NULL DEFAULT 0,
        polls         INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE items (
        id         INTEGER PRIMARY KEY,
        feed       TEXT NOT NULL,
        story_key  TEXT NOT NULL,
        title      TEXT NOT NULL,
        text       TEXT NOT NULL,
        url        TEXT,
        published  TEXT,
        language   TEXT,
        seen_at    TEXT NOT NULL,
        alertable  INTEGER NOT NULL        -- 0 when too old (max_age) to alert
    );
    CREATE INDEX items_seen_at ON items (seen_at);
    CREATE TABLE item_keys (
        key     TEXT PRIMARY KEY,          -- guid:FEED:GUID, url:CANONICAL or hash:...
        item_id INTEGER NOT NULL REFERENCES items (id) ON DELETE CASCADE
    );
    CREATE INDEX item_keys_item ON item_keys (item_id);
    CREATE TABLE alerts (
        id          INTEGER PRIMARY KEY,
        item_id     INTEGER REFERENCES items (id) ON DELETE SET NULL,
        story_key   TEXT NOT NULL,
        channel     TEXT NOT NULL,
        status      TEXT NOT NULL,          -- pending | sent | related (see models.AlertStatus)
        parent_id   INTEGER REFERENCES alerts (id) ON DELETE SET NULL,
        story       TEXT NOT NULL,          -- JSON of the Story, to post after a restart
        verdicts    TEXT NOT NULL,          -- JSON of the matching verdicts
        signature   TEXT,                   -- JSON of the dedup signature (top-level alerts)
        created     TEXT NOT NULL,
        attempts    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        sent_at     TEXT,
        ts          TEXT,                   -- Slack's message ts once sent
        UNIQUE (story_key, channel)
    );
    CREATE INDEX alerts_status ON alerts (status);
    CREATE INDEX alerts_channel_created ON alerts (channel, created);
    CREATE TABLE channels (
        name TEXT PRIMARY KEY,              -- as written in config ("#mexico-desk")
        id   TEXT NOT NULL                  -- Slack's id, which history look-ups need
    );
    """,
    # 1 → 2: feed health for issue 8 (back-off, degraded feeds, 410 Gone, identical bodies)
    """
    ALTER TABLE feeds ADD COLUMN error_count INTEGER NOT NULL DEFAULT 0;  -- failures in a row
    ALTER TABLE feeds ADD COLUMN warning TEXT;      -- why the last good poll was degraded
    ALTER TABLE feeds ADD COLUMN body_hash TEXT;    -- of the last body, to skip an identical one
    ALTER TABLE feeds ADD COLUMN disabled TEXT;     -- why it is no longer polled (410 Gone)
    ALTER TABLE feeds ADD COLUMN throttled INTEGER NOT NULL DEFAULT 0;  -- last failure: 429/503
    """,
    # 2 → 3: an alert may follow an earlier one (a next step of its story, linked from it);
    # thread replies keep a same-story payload too, so a restart reloads whole threads
    """
    ALTER TABLE alerts ADD COLUMN follows_id INTEGER REFERENCES alerts (id) ON DELETE SET NULL;
    """,
)
