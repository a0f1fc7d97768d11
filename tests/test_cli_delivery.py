"""End to end, issue 10's delivery half: `watchbot alerts`, `check --slack`, printed alerts that
still reach Slack, and a lost database that reposts nothing. The real command, feeds from the
local HTTP server, Slack through slack_sdk to the local Slack-compatible server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from factories import Item, rss, write_setup
from servers import FeedServer, SlackServer
from test_cli import SAME_STORY_ES, STORY, one_feed, rows, slack_block, slack_env, watchbot

SECOND = Item("Extradition of cartel boss to Mexico approved", guid="a-3", link="https://a/3")


def database(config: Path) -> Path:
    return config.parent.parent / "var" / "watchbot.db"


def test_printed_without_credentials_then_posted_once_credentials_are_set(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY])
    printed = watchbot("poll", "--config", str(config))
    assert printed.returncode == 0, printed.stderr
    assert printed.stderr.count("no Slack credentials") == 1  # said once
    assert "Sheinbaum defends" in printed.stdout and "printed 1 + 0" in printed.stderr
    assert rows(config, "SELECT status FROM alerts") == [("printed",)]  # never "sent"
    assert slack_server.posts() == []

    posted = watchbot("poll", "--config", str(config), env=slack_env())
    assert posted.returncode == 0, posted.stderr
    assert len(slack_server.posts()) == 1 and "posted 1 + 0" in posted.stderr
    assert rows(config, "SELECT status FROM alerts") == [("sent",)]
    again = watchbot("poll", "--all", "--config", str(config), env=slack_env())
    assert again.returncode == 0 and len(slack_server.posts()) == 1


def test_dry_run_never_marks_anything_in_the_real_database(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY])
    slack_server.fail_next(10, status=500)  # Slack down for this poll
    slack_server.fail_next(10, status=500, method="conversations.history")
    assert watchbot("poll", "--config", str(config), env=slack_env()).returncode == 0
    assert rows(config, "SELECT status FROM alerts") == [("pending",)]
    dry = watchbot("poll", "--dry-run", "--config", str(config), env=slack_env())
    assert "Sheinbaum defends" in dry.stdout and "printed 1" in dry.stderr
    assert rows(config, "SELECT status FROM alerts") == [("pending",)]


@pytest.mark.parametrize("loss", ["deleted", "truncated"])
def test_a_lost_database_reposts_nothing_already_in_the_channel(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer, loss: str
) -> None:
    feed_server.set("/a.xml", rss([STORY, SECOND]))
    feed_server.set("/b.xml", rss([SAME_STORY_ES]))
    config = write_setup(
        tmp_path,
        [("Outlet A", feed_server.url_for("/a.xml")), ("Outlet B", feed_server.url_for("/b.xml"))],
        slack=slack_block(slack_server),
    )
    assert watchbot("poll", "--config", str(config), env=slack_env()).returncode == 0
    posts = slack_server.posts()
    assert len(posts) == 3 and sum(1 for p in posts if p["thread_ts"]) == 1  # a thread reply too

    db = database(config)
    for path in db.parent.glob("watchbot.db*"):
        if loss == "deleted" or path != db:
            path.unlink()
    if loss == "truncated":
        db.write_bytes(b"")
    again = watchbot("poll", "--config", str(config), env=slack_env())
    assert again.returncode == 0, again.stderr
    assert len(slack_server.posts()) == 3  # zero new posts
    assert "3 stories already posted in Slack recorded as seen" in again.stderr


def test_refused_alerts_are_listed_and_retried_once_fixed(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY, SECOND])
    slack_server.non_member_channels.add("#news-alerts")
    refused = watchbot("poll", "--config", str(config), env=slack_env())
    assert refused.returncode == 3, refused.stderr  # every alert sent was refused
    assert "not_in_channel" in refused.stderr and "watchbot alerts" in refused.stderr

    listed = watchbot("alerts", "--config", str(config))
    assert listed.returncode == 1
    assert "failed: 1" in listed.stdout and "pending: 1" in listed.stdout
    assert "invite the bot to the channel" in listed.stdout
    data = json.loads(watchbot("alerts", "--json", "--config", str(config)).stdout)
    [failed] = data["failed"]
    assert failed["channel"] == "#news-alerts" and "not_in_channel" in failed["reason"]
    assert data["pending"] == 1
    assert "refused by Slack" in watchbot("feeds", "--config", str(config)).stdout

    slack_server.non_member_channels.clear()  # the bot was invited
    retried = watchbot("alerts", "--retry", str(failed["id"]), "--config", str(config))
    assert retried.returncode == 0 and "1 alert(s) back to pending" in retried.stdout
    assert watchbot("alerts", "--retry", "999", "--config", str(config)).returncode == 2
    assert watchbot("poll", "--config", str(config), env=slack_env()).returncode == 0
    assert len(slack_server.posts()) == 2
    assert rows(config, "SELECT status FROM alerts") == [("sent",), ("sent",)]
    assert watchbot("alerts", "--config", str(config)).returncode == 0


def test_check_slack_passes_when_all_is_well(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY])
    slack_server.known_channels.add("#news-alerts")
    result = watchbot("check", "--slack", "--config", str(config), env=slack_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   #news-alerts: ok, @watchbot can post there" in result.stdout
    assert "chat:write" in result.stdout and result.stdout.rstrip().endswith("ok")


def test_check_slack_names_each_problem_and_its_fix(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/a.xml", rss([STORY]))
    elsewhere = 'name: other\nchannel: "#ghost"\nentries:\n  - id: c2\n    terms: [x]\n'
    archived = 'name: old\nchannel: "#old"\nentries:\n  - id: c3\n    terms: [y]\n'
    from factories import WATCHLIST

    config = write_setup(
        tmp_path,
        [("A", feed_server.url_for("/a.xml"))],
        watchlists={"desk": WATCHLIST, "other": elsewhere, "old": archived},
        slack=slack_block(slack_server),
    )
    slack_server.non_member_channels.add("#news-alerts")
    slack_server.archived_channels.add("#old")
    slack_server.scopes.discard("chat:write")
    result = watchbot("check", "--slack", "--config", str(config), env=slack_env())
    assert result.returncode == 2
    out = result.stdout
    assert "missing scope chat:write (to post alerts); add it under OAuth & Permissions" in out
    assert "#news-alerts: @watchbot is not in the channel; invite it: /invite @watchbot" in out
    assert "#ghost: no such channel; check the name" in out
    assert "#old: archived" in out
    assert "4 problem(s) with Slack" in result.stderr

    slack_server.valid_tokens.clear()
    revoked = watchbot("check", "--slack", "--config", str(config), env=slack_env())
    assert revoked.returncode == 2 and "Slack refused the token (invalid_auth)" in revoked.stdout
    assert "xoxb-test" not in revoked.stdout + revoked.stderr
    no_token = watchbot("check", "--slack", "--config", str(config))
    assert no_token.returncode == 2 and "needs a bot token in $SLACK_BOT_TOKEN" in no_token.stderr


def test_plain_check_warns_of_unset_credentials_and_missing_local_feeds(tmp_path: Path) -> None:
    config = write_setup(tmp_path, [("Local", str(tmp_path / "missing.xml"))])
    result = watchbot("check", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "$SLACK_BOT_TOKEN and $SLACK_WEBHOOK_URL are not set" in result.stderr
    assert f"feed 'Local': local file {tmp_path / 'missing.xml'} does not exist" in result.stderr
