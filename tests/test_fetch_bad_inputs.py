"""Every bad input of issue 8, served by the local FeedServer (or refused by 127.0.0.1), polled in
one cycle beside a healthy feed: each gives a clear per-feed error, or is read right, and the
healthy feed is recorded and alerted all the same."""

from __future__ import annotations

import codecs
import gzip
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from factories import Item, rss, write_setup
from servers import FeedServer, SlackServer
from watchbot.config import load_config
from watchbot.models import FeedState
from watchbot.notify import Outbox, SlackSink
from watchbot.pipeline import Pipeline, utc_now
from watchbot.report import CycleReport, FeedOutcome
from watchbot.store import SqliteStore
from watchbot.watchlist import load_watchlists

GOOD = Item("Sheinbaum speaks on cartels", guid="good-1", link="https://good.example/1")


@dataclass
class Poll:
    report: CycleReport
    store: SqliteStore
    pipeline: Pipeline

    def outcome(self, name: str) -> FeedOutcome:
        return next(f for f in self.report.feeds if f.feed == name)

    def state(self, name: str) -> FeedState:
        state = self.store.feed_state(name)
        assert state is not None
        return state

    def titles(self, name: str) -> list[str]:
        rows = self.store.conn.execute(
            "SELECT title FROM items WHERE feed = ? ORDER BY id", (name,)
        ).fetchall()
        return [r[0] for r in rows]


@pytest.fixture
def poll(
    tmp_path: Path, feed_server: FeedServer, slack_server: SlackServer
) -> Iterator[Callable[..., Poll]]:
    opened: list[tuple[Pipeline, SqliteStore]] = []

    def run(bad_url: str, *, fetch: str = "", cycles: int = 1) -> Poll:
        feed_server.set("/good.xml", rss([GOOD]))
        config_path = write_setup(
            tmp_path,
            [("Bad", bad_url), ("Good", feed_server.url_for("/good.xml"))],
            slack=f'channel: "#news-alerts"\napi_url: {slack_server.api_url}',
            defaults="timeout: 1s",
        )
        if fetch:
            with config_path.open("a", encoding="utf-8") as f:
                f.write("fetch:\n" + "".join(f"  {line}\n" for line in fetch.splitlines()))
        config = load_config(config_path)
        store = SqliteStore.open(config.database)
        sink = SlackSink("xoxb-test", api_url=slack_server.api_url, channels=store)
        pipeline = Pipeline(
            config, load_watchlists(config.watchlists), store, Outbox(store, sink, utc_now)
        )
        opened.append((pipeline, store))
        report = CycleReport()
        for _ in range(cycles):
            report = pipeline.run_cycle(config.feeds)
        result = Poll(report, store, pipeline)
        good = result.outcome("Good")
        assert good.ok, good.error  # the healthy feed went on
        assert result.titles("Good") == [GOOD.title]
        return result

    yield run
    for pipeline, store in opened:
        pipeline.close()
        store.close()


PollFn = Callable[..., Poll]


def error_of(result: Poll) -> str:
    outcome = result.outcome("Bad")
    assert outcome.error is not None, "the bad feed should have failed"
    assert outcome.error.startswith("feed 'Bad': ")
    assert result.state("Bad").last_error == outcome.error
    return outcome.error


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- the network ---------------------------------------------------------------------------------


def test_connection_refused(poll: PollFn) -> None:
    error = error_of(poll(f"http://127.0.0.1:{free_port()}/feed.xml"))
    assert "connection refused by 127.0.0.1" in error


def test_dns_failure(poll: PollFn) -> None:
    # .invalid never resolves (RFC 6761)
    error = error_of(poll("http://feed.watchbot-test.invalid/rss.xml"))
    assert "cannot resolve host name 'feed.watchbot-test.invalid'" in error


def test_tls_error(poll: PollFn, feed_server: FeedServer) -> None:
    # https:// to a server that speaks plain HTTP: the handshake fails
    plain = feed_server.url_for("/good.xml").replace("http://", "https://")
    error = error_of(poll(plain))
    assert "TLS handshake with 127.0.0.1 failed" in error and "really https?" in error


def test_drip_is_cut_off_at_the_timeout(poll: PollFn, feed_server: FeedServer) -> None:
    feed_server.drip("/drip.xml", rss([Item("Dripped", guid="d1")]).encode(), every=1.0)
    error = error_of(poll(feed_server.url_for("/drip.xml")))
    assert "still incomplete after 1s" in error and "cut off at its timeout" in error


def test_a_server_that_never_answers(poll: PollFn, feed_server: FeedServer) -> None:
    feed_server.hang("/hang.xml")
    error = error_of(poll(feed_server.url_for("/hang.xml")))
    assert "no answer from" in error and "within 1s; raise its timeout?" in error


def test_a_30_mb_body_is_refused(poll: PollFn, feed_server: FeedServer) -> None:
    feed_server.raw("/huge.xml", b"<rss>" + b" " * (30 * 2**20), {"Content-Type": "text/xml"})
    error = error_of(poll(feed_server.url_for("/huge.xml")))
    assert "response of 30 MiB is over the 10 MiB limit (fetch.max_size)" in error


def test_the_size_cap_is_configurable(poll: PollFn, feed_server: FeedServer) -> None:
    feed_server.raw("/big.xml", b"<rss>" + b" " * 2**20, {"Content-Type": "text/xml"})
    error = error_of(poll(feed_server.url_for("/big.xml"), fetch="max_size: 512KB"))
    assert "over the 0.5 MiB limit" in error


def test_a_gzip_bomb_is_refused(poll: PollFn, feed_server: FeedServer) -> None:
    bomb = gzip.compress(b"<rss>" + b" " * (200 * 2**20), compresslevel=9)
    assert len(bomb) < 2**20
    feed_server.raw(
        "/bomb.xml", bomb, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
    )
    error = error_of(poll(feed_server.url_for("/bomb.xml")))
    assert "inflates more than 100× (a gzip bomb?)" in error


def test_a_redirect_loop(poll: PollFn, feed_server: FeedServer) -> None:
    feed_server.redirect("/a.xml", "/b.xml", status=302)
    feed_server.redirect("/b.xml", "/a.xml", status=302)
    assert "more than 5 redirects" in error_of(poll(feed_server.url_for("/a.xml")))


def test_an_html_page(poll: PollFn, feed_server: FeedServer) -> None:
    page = "<!DOCTYPE html><html><head><title>Home</title></head><body>Hi</body></html>"
    feed_server.set("/home", page, content_type="text/html; charset=utf-8")
    error = error_of(poll(feed_server.url_for("/home")))
    assert "not a valid RSS or Atom feed: an HTML page (text/html)" in error


# --- throttling, gone, back-off ------------------------------------------------------------------


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_pushes_the_next_poll_out(
    poll: PollFn, feed_server: FeedServer, status: int
) -> None:
    feed_server.fail("/busy.xml", status=status, headers={"Retry-After": "7200"})
    result = poll(feed_server.url_for("/busy.xml"))
    assert "the server asks us to wait 7200s" in error_of(result)
    state = result.state("Bad")
    assert state.status == "backing off" and state.throttled
    assert state.next_due is not None and state.last_attempt is not None
    assert state.next_due - state.last_attempt == timedelta(hours=2)
    assert [f.name for f in result.pipeline.due_feeds()] == []  # neither is due yet


def test_410_gone_disables_the_feed(
    poll: PollFn, feed_server: FeedServer, caplog: pytest.LogCaptureFixture
) -> None:
    feed_server.fail("/gone.xml", status=410)
    result = poll(feed_server.url_for("/gone.xml"))
    assert "the publisher removed this feed; it is no longer polled" in error_of(result)
    assert result.state("Bad").status == "disabled"
    assert any("410" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    before = len(feed_server.requests)
    later = result.pipeline.run_cycle(result.pipeline.config.feeds)  # --all: still left out
    assert [f.feed for f in later.feeds] == ["Good"]
    assert not [r for r in feed_server.requests[before:] if r.path == "/gone.xml"]


def test_a_failing_feed_backs_off_exponentially_and_recovers(
    poll: PollFn, feed_server: FeedServer
) -> None:
    feed_server.fail("/flaky.xml", status=500)
    result = poll(feed_server.url_for("/flaky.xml"), fetch="jitter: 0\nbackoff_max: 25m", cycles=3)
    state = result.state("Bad")
    assert (state.status, state.error_count) == ("failing", 3)
    assert state.next_due is not None and state.last_attempt is not None
    assert state.next_due - state.last_attempt == timedelta(minutes=25)  # 10, 20, 40 → cap 25
    feed_server.set("/flaky.xml", rss([Item("Back again", guid="b1")]))
    result.pipeline.run_cycle(result.pipeline.config.feeds)
    state = result.state("Bad")
    assert (state.status, state.error_count) == ("ok", 0)
    assert result.titles("Bad") == ["Back again"]


# --- XML ----------------------------------------------------------------------------------------

VALID = rss([Item("First story", guid="x1"), Item("Second story", guid="x2")])


def test_truncated_xml_keeps_what_parsed_and_is_degraded(
    poll: PollFn, feed_server: FeedServer
) -> None:
    cut = VALID[: VALID.index("</item>", VALID.index("Second story")) - 5]
    feed_server.set("/cut.xml", cut)
    result = poll(feed_server.url_for("/cut.xml"))
    assert result.outcome("Bad").ok
    assert result.titles("Bad") == ["First story", "Second story"]
    state = result.state("Bad")
    assert state.status == "degraded"
    assert state.warning is not None and "malformed XML" in state.warning
    assert "kept 2 item(s)" in state.warning


def test_malformed_xml_keeps_what_parsed_and_is_degraded(
    poll: PollFn, feed_server: FeedServer
) -> None:
    broken = VALID.replace("First story", "First &nbsp; story <b>unclosed")
    feed_server.set("/broken.xml", broken)
    result = poll(feed_server.url_for("/broken.xml"))
    assert len(result.titles("Bad")) == 2
    assert result.state("Bad").status == "degraded"


def test_truncated_before_any_item_is_an_error(poll: PollFn, feed_server: FeedServer) -> None:
    feed_server.set("/stub.xml", VALID[: VALID.index("<item>") - 3])
    assert "not a valid RSS or Atom feed" in error_of(poll(feed_server.url_for("/stub.xml")))


def test_a_well_formed_empty_feed_is_healthy(poll: PollFn, feed_server: FeedServer) -> None:
    feed_server.set("/empty.xml", rss([]), content_type="text/xml")
    result = poll(feed_server.url_for("/empty.xml"))
    assert result.outcome("Bad").ok and result.state("Bad").status == "ok"


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>Laughs</title>
<item><title>Laugh &lol9;</title><guid>l1</guid></item>
<item><title>Second</title><guid>l2</guid></item>
</channel></rss>"""


def test_billion_laughs_never_expand(poll: PollFn, feed_server: FeedServer) -> None:
    feed_server.set("/lol.xml", BILLION_LAUGHS)
    result = poll(feed_server.url_for("/lol.xml"))
    titles = result.titles("Bad")
    assert len(titles) == 2 and all(len(t) < 50 for t in titles)
    assert "lollol" not in " ".join(titles)


def test_external_entities_read_no_file_and_no_url(
    poll: PollFn, feed_server: FeedServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT", encoding="utf-8")
    doc = f"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY file SYSTEM "{secret.as_uri()}">
 <!ENTITY net SYSTEM "{feed_server.url_for("/entity.txt")}">
 <!ENTITY % remote SYSTEM "{feed_server.url_for("/entity.dtd")}"> %remote;
]>
<rss version="2.0"><channel><title>XXE</title>
<item><title>Leak &file; &net;</title><guid>e1</guid></item>
</channel></rss>"""
    feed_server.set("/xxe.xml", doc)
    result = poll(feed_server.url_for("/xxe.xml"))
    stored = " ".join(result.titles("Bad"))
    assert "TOP-SECRET" not in stored
    assert not [r for r in feed_server.requests if r.path.startswith("/entity")]


# --- charsets and BOMs ---------------------------------------------------------------------------

TEXT = "Extradición de «El Mencho»: café, niño"


def doc(declaration: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    body = rss([Item(TEXT, guid="c1")])
    return body.replace('<?xml version="1.0" encoding="UTF-8"?>', declaration)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(doc().encode("utf-8"), "application/rss+xml; charset=utf-8", id="utf-8"),
        pytest.param(
            doc("").encode("utf-8"), "application/rss+xml; charset=iso-8859-1", id="utf8-as-latin1"
        ),
        pytest.param(
            doc('<?xml version="1.0" encoding="iso-8859-1"?>').encode("utf-8"),
            "text/xml",
            id="utf8-declared-latin1",
        ),
        pytest.param(
            doc('<?xml version="1.0" encoding="iso-8859-1"?>').encode("latin-1"),
            "application/rss+xml; charset=utf-8",
            id="latin1-as-utf8",
        ),
        pytest.param(
            doc('<?xml version="1.0" encoding="iso-8859-1"?>').encode("latin-1"),
            "text/xml",
            id="latin1-declared-no-charset",
        ),
        pytest.param(doc("").encode("utf-8"), "text/xml", id="no-declaration-text-xml"),
        pytest.param(doc("").encode("utf-8"), None, id="no-content-type"),
        pytest.param(
            codecs.BOM_UTF8 + doc("").encode("utf-8"), "text/xml; charset=iso-8859-1", id="bom-utf8"
        ),
        pytest.param(
            doc('<?xml version="1.0" encoding="utf-16"?>').encode("utf-16"),
            "application/xml",
            id="bom-utf16",
        ),
        pytest.param(
            doc('<?xml version="1.0" encoding="windows-1252"?>').encode("cp1252"),
            "application/xml",
            id="windows-1252",
        ),
    ],
)
def test_charsets_are_read_right(
    poll: PollFn, feed_server: FeedServer, body: bytes, content_type: str | None
) -> None:
    feed_server.raw("/cs.xml", body, {"Content-Type": content_type} if content_type else {})
    result = poll(feed_server.url_for("/cs.xml"))
    assert result.titles("Bad") == [TEXT]


# --- items --------------------------------------------------------------------------------------


def test_items_without_guid_link_or_date(poll: PollFn, feed_server: FeedServer) -> None:
    items = [Item("Only a title", age=None), Item("Another title", age=None)]
    feed_server.set("/bare.xml", rss(items))
    result = poll(feed_server.url_for("/bare.xml"), cycles=2)
    assert result.titles("Bad") == ["Only a title", "Another title"]
    assert result.outcome("Bad").new_items == 0  # the second poll knew both


def test_duplicate_guids_are_one_item(poll: PollFn, feed_server: FeedServer) -> None:
    items = [Item("Twice", guid="dup"), Item("Twice, edited", guid="dup")]
    feed_server.set("/dup.xml", rss(items))
    result = poll(feed_server.url_for("/dup.xml"))
    assert len(result.titles("Bad")) == 1


def test_future_and_unparseable_dates(poll: PollFn, feed_server: FeedServer) -> None:
    body = rss([Item("From the future", guid="f1", age=-timedelta(days=400))])
    body = body.replace(
        "</channel>",
        "<item><title>Bad date</title><guid>u1</guid>"
        "<pubDate>sometime soon</pubDate></item></channel>",
    )
    feed_server.set("/dates.xml", body)
    result = poll(feed_server.url_for("/dates.xml"))
    rows = dict(result.store.conn.execute("SELECT title, published FROM items WHERE feed = 'Bad'"))
    assert rows["Bad date"] is None
    assert rows["From the future"] > datetime.now(UTC).isoformat()


def test_an_identical_body_is_not_parsed_again(poll: PollFn, feed_server: FeedServer) -> None:
    feed_server.set("/noval.xml", VALID, etag=False, last_modified=None)
    result = poll(feed_server.url_for("/noval.xml"), cycles=2)
    outcome = result.outcome("Bad")
    assert outcome.not_modified and outcome.stories == 0
    assert result.state("Bad").body_hash is not None
    assert result.titles("Bad") == ["First story", "Second story"]
