"""Same story, end to end, with the meaning method: the real `watchbot poll` in a child process,
feeds from the local feed server, posts through slack_sdk to the local Slack-compatible server,
state in a real SQLite file kept across processes (a restart). See also the same-story tests in
tests/test_cli.py (two close alerts, the arrest → extradition Follows link, the fallbacks)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from factories import Item, rss, write_setup
from servers import FeedServer, SlackServer
from test_cli import rows, slack_block, slack_env, watchbot

TRANSFER_EN = Item(
    "Mexico hands 29 cartel members over to the United States",
    guid="a-29",
    link="https://a.example.com/29",
    summary="Mexico's security cabinet flew 29 alleged cartel operatives, including leaders of"
    " the Sinaloa and Jalisco cartels, to US custody on Tuesday.",
)
TRANSFER_26 = Item(
    "Mexico sends 26 more cartel members to the US",
    guid="b-26",
    link="https://b.example.com/26",
    summary="A second transfer of 26 alleged cartel figures, among them Jalisco cartel leaders,"
    " landed in Texas on Tuesday.",
)
TRANSFER_ES = Item(
    "México entrega a Estados Unidos a 29 miembros de cárteles",
    guid="c-29",
    link="https://c.example.mx/29",
    summary="El gabinete de seguridad trasladó el martes a 29 presuntos integrantes de los"
    " cárteles de Sinaloa y Jalisco a territorio estadounidense.",
)
TRANSFER_26_ES = Item(
    "Llegan a Texas otros 26 integrantes de cárteles enviados por México",
    guid="c-26",
    link="https://c.example.mx/26",
    summary="El segundo envío, de 26 presuntos miembros de cárteles, incluye a mandos del cártel"
    " de Jalisco, informó el gobierno el martes.",
)
CHARGED = Item(
    "Former Mexican security chief García Luna charged with taking cartel bribes",
    guid="a-gl",
    link="https://a.example.com/garcia-luna",
    summary="US prosecutors say Genaro García Luna accepted millions from the Sinaloa cartel.",
)
SENTENCED = Item(
    "García Luna sentenced to 38 years in US prison",
    guid="b-gl",
    link="https://b.example.com/garcia-luna-sentenced",
    summary="The former Mexican security chief was convicted of taking bribes from the Sinaloa"
    " cartel.",
)
# a thread whose first report gives no count and whose reply does
SENDS = Item(
    "Mexico sends cartel members to the United States",
    guid="a-sends",
    link="https://a.example.com/sends",
    summary="Mexico's security cabinet flew alleged cartel operatives to US custody, officials"
    " said.",
)
SENDS_29 = Item(
    "Mexico sends 29 cartel members to the United States",
    guid="b-sends-29",
    link="https://b.example.com/sends-29",
    summary="Mexico's security cabinet flew 29 alleged cartel operatives to US custody,"
    " officials said.",
)
SENDS_AGAIN = Item(
    "Mexico flies cartel operatives to US custody",
    guid="c-sends",
    link="https://c.example.com/sends",
    summary="Alleged cartel members were sent to the United States by Mexico's security"
    " cabinet, officials said.",
)
SENDS_26 = Item(
    "Mexico sends 26 cartel members to the United States",
    guid="c-sends-26",
    link="https://c.example.com/sends-26",
    summary="Mexico's security cabinet flew 26 alleged cartel operatives to US custody,"
    " officials said.",
)


def outlets(root: Path, fs: FeedServer, ss: SlackServer, feeds: list[list[Item]]) -> Path:
    """Outlets A, B, C… each with its own feed, fetched one at a time in that order (one
    worker), alerting to the local Slack server's #news-alerts."""
    names = []
    for n, items in enumerate(feeds):
        fs.set(f"/{n}.xml", rss(items))
        names.append((f"Outlet {'ABCD'[n]}", fs.url_for(f"/{n}.xml")))
    config = write_setup(root, names, slack=slack_block(ss))
    with config.open("a", encoding="utf-8") as f:
        f.write("fetch:\n  workers: 1\n")
    return config


def poll(config: Path) -> None:
    result = watchbot("poll", "--all", "--config", str(config), env=slack_env())
    assert result.returncode == 0, result.stderr


def top_level(ss: SlackServer) -> dict[str, dict[str, Any]]:
    """The alerts posted, by their headline."""
    return {
        p["text"].split(" — ")[0]: p for p in ss.posts("#news-alerts") if p["thread_ts"] is None
    }


def replies(ss: SlackServer) -> list[dict[str, Any]]:
    return [p for p in ss.posts("#news-alerts") if p["thread_ts"] is not None]


def threads_of(ss: SlackServer, title: str) -> list[str]:
    """The threads that the replies of headline `title` went into."""
    return [r["thread_ts"] for r in replies(ss) if title in r["text"]]


def test_a_later_report_goes_in_its_storys_thread_not_in_a_close_storys(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    """Two transfers of cartel members (29, then 26) alerted in one channel; on the next poll
    another outlet's Spanish report of each: each goes in its own story's thread."""
    config = outlets(tmp_path, feed_server, slack_server, [[TRANSFER_EN], [TRANSFER_26], []])
    poll(config)
    alerts = top_level(slack_server)
    assert list(alerts) == [TRANSFER_EN.title, TRANSFER_26.title]  # a guard kept them apart
    assert replies(slack_server) == []

    feed_server.set("/2.xml", rss([TRANSFER_ES, TRANSFER_26_ES]))
    poll(config)
    assert list(top_level(slack_server)) == list(alerts)  # no new alert
    alert_ts = {title: a["ts"] for title, a in alerts.items()}
    assert threads_of(slack_server, TRANSFER_ES.title) == [alert_ts[TRANSFER_EN.title]]
    assert threads_of(slack_server, TRANSFER_26_ES.title) == [alert_ts[TRANSFER_26.title]]
    assert all(r["text"].startswith("Also reported by Outlet C") for r in replies(slack_server))


def test_a_next_step_is_its_own_alert_with_a_follows_line(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    """A former security chief charged, then (next poll, another outlet) sentenced: a new
    alert, not a thread reply, whose blocks and text end with a Follows line linking the first."""
    config = outlets(tmp_path, feed_server, slack_server, [[CHARGED], []])
    poll(config)
    feed_server.set("/1.xml", rss([SENTENCED]))
    poll(config)
    alerts = top_level(slack_server)
    assert list(alerts) == [CHARGED.title, SENTENCED.title]
    assert replies(slack_server) == []
    follows = f"Follows: <{CHARGED.link}|{CHARGED.title}> (Outlet A)"
    later = alerts[SENTENCED.title]
    assert later["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": follows}],
    }
    assert later["text"].endswith("\n" + follows)
    assert "Follows:" not in alerts[CHARGED.title]["text"]
    assert rows(config, "SELECT id, parent_id, follows_id FROM alerts ORDER BY id") == [
        (1, None, None),
        (2, None, 1),
    ]


def test_after_a_restart_later_reports_still_thread_and_guards_still_hold(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> None:
    """First process: an alert and a thread reply that gives a count (29). Second process, on
    the same database: a rewording of the story joins the alert's thread, and a report of 26
    stays out of it, because the reply reloaded from the store says 29."""
    config = outlets(tmp_path, feed_server, slack_server, [[SENDS], [SENDS_29], []])
    poll(config)
    alert = top_level(slack_server)[SENDS.title]
    assert threads_of(slack_server, SENDS_29.title) == [alert["ts"]]

    feed_server.set("/2.xml", rss([SENDS_AGAIN, SENDS_26]))
    poll(config)  # a new process: the index is rebuilt from the stored payloads
    alerts = top_level(slack_server)
    assert list(alerts) == [SENDS.title, SENDS_26.title]
    assert threads_of(slack_server, SENDS_AGAIN.title) == [alert["ts"]]
    # it follows the thread it stays out of
    assert f"Follows: <{SENDS.link}|{SENDS.title}>" in alerts[SENDS_26.title]["text"]
    assert rows(config, "SELECT COUNT(*) FROM alerts WHERE parent_id = 1") == [(2,)]
