"""feeds.py: parse_feed is a pure function of bytes; fetch_feed against the local FeedServer."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from servers import FeedServer
from watchbot import PROJECT_URL, __version__
from watchbot.errors import FeedError
from watchbot.fetch import MAX_REDIRECTS, fetch_feed, make_client, parse_feed, read_feed
from watchbot.fetch.body import read_body
from watchbot.models import FeedConfig, Story

RSS2 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel>
  <title>Wire</title>
  <link>https://wire.example/</link>
  <language>es-MX</language>
  <item>
    <title>Sheinbaum &amp; Trump &lt;b&gt;talk&lt;/b&gt; tariffs</title>
    <link>https://Wire.Example/world/1?utm_source=rss&amp;id=7#top</link>
    <guid isPermaLink="false">wire-0001</guid>
    <description>&lt;p&gt;Caf&amp;eacute; &lt;b&gt;talks&lt;/b&gt; on &amp;amp; off&lt;/p&gt;
    </description>
    <pubDate>Tue, 10 Jun 2025 16:30:00 -0600</pubDate>
  </item>
  <item>
    <title>Only content</title>
    <link>https://wire.example/world/2</link>
    <content:encoded><![CDATA[<p>The <em>full</em> text &ndash; here.</p>]]></content:encoded>
  </item>
  <item>
    <link>https://wire.example/world/3</link>
    <description>A story without a title still has words to match.</description>
  </item>
  <item>
    <link>https://wire.example/world/4</link>
  </item>
</channel>
</rss>
"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">
  <title>Business</title>
  <id>urn:example:business</id>
  <updated>2025-06-10T12:00:00Z</updated>
  <entry>
    <title type="html">Tariffs &lt;em&gt;rise&lt;/em&gt; again</title>
    <id>urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6</id>
    <link rel="alternate" href="https://biz.example/tariffs"/>
    <updated>2025-06-10T12:00:00+02:00</updated>
    <summary type="html">&lt;p&gt;Steel &amp;amp; aluminium&lt;/p&gt;</summary>
  </entry>
</feed>
"""

RSS1 = b"""<?xml version="1.0" encoding="utf-8"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
         xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://old.example/">
    <title>Old School</title>
    <link>https://old.example/</link>
    <description>RSS 1.0</description>
    <dc:language>fr</dc:language>
  </channel>
  <item rdf:about="https://old.example/1">
    <title>Extradition vers les &#201;tats-Unis</title>
    <link>https://old.example/1</link>
    <description>Un r&#233;sum&#233;.</description>
    <dc:date>2025-06-10T08:00:00Z</dc:date>
  </item>
</rdf:RDF>
"""

# an undefined entity and an unclosed channel: feedparser flags it, but the items are readable
SLOPPY = b"""<?xml version="1.0"?>
<rss version="2.0"><channel><title>Sloppy</title>
<item><title>Cartel leader&nbsp;extradited</title><link>https://sloppy.example/1</link></item>
<item><title>Second item</title><link>https://sloppy.example/2</link></item>
"""


def one(stories: tuple[Story, ...], url: str) -> Story:
    return next(s for s in stories if s.url == url)


# --- parse_feed -----------------------------------------------------------------------------------


def test_rss2_item() -> None:
    story = parse_feed("Wire", RSS2)[0]
    assert story == Story(
        feed="Wire",
        guid="wire-0001",
        url="https://Wire.Example/world/1?utm_source=rss&id=7#top",
        canonical_url="https://wire.example/world/1?id=7",
        title="Sheinbaum & Trump talk tariffs",
        text="Café talks on & off",
        published=datetime(2025, 6, 10, 22, 30, tzinfo=UTC),
        language="es-MX",
    )


def test_published_is_aware_utc() -> None:
    for data in (RSS2, ATOM, RSS1):
        published = parse_feed("F", data)[0].published
        assert published is not None
        assert published.utcoffset() == timedelta(0)


def test_atom_entry() -> None:
    (story,) = parse_feed("Business", ATOM)
    assert story.guid == "urn:uuid:60a76c80-d399-11d9-b93C-0003939e0af6"
    assert story.url == story.canonical_url == "https://biz.example/tariffs"
    assert story.title == "Tariffs rise again"
    assert story.text == "Steel & aluminium"
    assert story.published == datetime(2025, 6, 10, 10, 0, tzinfo=UTC)
    assert story.language == "en"


def test_rss1_item() -> None:
    (story,) = parse_feed("Old School", RSS1)
    assert story.guid == "https://old.example/1"
    assert story.url == "https://old.example/1"
    assert story.title == "Extradition vers les États-Unis"
    assert story.text == "Un résumé."
    assert story.published == datetime(2025, 6, 10, 8, 0, tzinfo=UTC)
    assert story.language == "fr"


def test_content_encoded_is_the_text_when_there_is_no_summary() -> None:
    story = one(parse_feed("Wire", RSS2), "https://wire.example/world/2")
    assert story.title == "Only content"
    assert story.text == "The full text – here."
    assert story.guid is None
    assert story.published is None


def test_an_item_without_title_is_titled_by_its_text() -> None:
    story = one(parse_feed("Wire", RSS2), "https://wire.example/world/3")
    assert story.title == "A story without a title still has words to match."


def test_an_item_with_neither_title_nor_text_is_skipped() -> None:
    urls = [s.url for s in parse_feed("Wire", RSS2)]
    assert "https://wire.example/world/4" not in urls
    assert len(urls) == 3


def test_feed_with_minor_errors_still_gives_its_items() -> None:
    stories = parse_feed("Sloppy", SLOPPY)
    assert [s.url for s in stories] == ["https://sloppy.example/1", "https://sloppy.example/2"]
    assert stories[0].title.startswith("Cartel leader")


def test_feed_without_items_is_not_an_error() -> None:
    empty = b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title></channel></rss>"
    assert parse_feed("Quiet", empty) == ()


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\xff\xfe garbage \x89PNG",
        b"<html><body><p>Not a feed</p></body></html>",
        b"",
        b'{"items": []}',
    ],
    ids=["binary", "html-page", "empty", "json"],
)
def test_garbage_is_not_a_feed(data: bytes) -> None:
    with pytest.raises(FeedError, match="not a valid RSS or Atom feed") as info:
        parse_feed("Junk", data)
    assert info.value.feed == "Junk"
    assert str(info.value).startswith("feed 'Junk': ")


def test_relative_links_resolve_against_the_final_url() -> None:
    data = (
        b"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>"
        b"<item><title>Relative</title><link>/news/1</link></item></channel></rss>"
    )
    (story,) = parse_feed("Rel", data, base_url="https://rel.example/feed.xml")
    assert story.url == "https://rel.example/news/1"


# --- fetch_feed -----------------------------------------------------------------------------------


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with make_client() as http:
        yield http


def feed_for(url: str, name: str = "Wire", timeout: float = 5) -> FeedConfig:
    return FeedConfig(
        name=name,
        url=url,
        interval=timedelta(minutes=10),
        timeout=timedelta(seconds=timeout),
        max_age=timedelta(hours=48),
    )


def test_200_then_304_with_if_none_match(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.set("/wire.xml", RSS2)
    feed = feed_for(feed_server.url_for("/wire.xml"))

    first = fetch_feed(feed, client)
    assert len(first.stories) == 3
    assert first.etag is not None
    assert first.last_modified == "Sat, 28 Nov 2026 00:00:00 GMT"
    assert not first.not_modified

    second = fetch_feed(feed, client, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified
    assert second.stories == ()
    assert (second.etag, second.last_modified) == (first.etag, first.last_modified)
    sent = feed_server.requests[-1].headers
    assert sent["if-none-match"] == first.etag


def test_first_fetch_sends_no_validators(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.set("/wire.xml", RSS2)
    fetch_feed(feed_for(feed_server.url_for("/wire.xml")), client)
    sent = feed_server.requests[-1].headers
    assert "if-none-match" not in sent
    assert "if-modified-since" not in sent


def test_last_modified_only_sends_if_modified_since(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    feed_server.set("/wire.xml", RSS2, etag=False)
    feed = feed_for(feed_server.url_for("/wire.xml"))

    first = fetch_feed(feed, client)
    assert first.etag is None
    assert first.last_modified == "Sat, 28 Nov 2026 00:00:00 GMT"

    second = fetch_feed(feed, client, last_modified=first.last_modified)
    assert second.not_modified
    sent = feed_server.requests[-1].headers
    assert sent["if-modified-since"] == "Sat, 28 Nov 2026 00:00:00 GMT"
    assert "if-none-match" not in sent


def test_changed_feed_answers_200_again(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.set("/wire.xml", RSS2)
    feed = feed_for(feed_server.url_for("/wire.xml"))
    first = fetch_feed(feed, client)

    feed_server.set("/wire.xml", ATOM)
    second = fetch_feed(feed, client, etag=first.etag)

    assert not second.not_modified
    assert [s.title for s in second.stories] == ["Tariffs rise again"]
    assert second.etag not in (None, first.etag)


def test_gzip(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.set("/wire.xml", RSS2)
    result = fetch_feed(feed_for(feed_server.url_for("/wire.xml")), client)
    assert "gzip" in feed_server.requests[-1].headers["accept-encoding"]
    assert len(result.stories) == 3


def test_user_agent(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.set("/wire.xml", RSS2)
    fetch_feed(feed_for(feed_server.url_for("/wire.xml")), client)
    agent = feed_server.requests[-1].headers["user-agent"]
    assert f"watchbot/{__version__}" in agent
    assert PROJECT_URL in agent


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(301, True), (308, True), (302, False), (307, False)],
    ids=["301-moved", "308-permanent", "302-found", "307-temporary"],
)
def test_redirects(
    feed_server: FeedServer, client: httpx.Client, status: int, permanent: bool
) -> None:
    feed_server.redirect("/old.xml", "/new.xml", status=status)
    feed_server.set("/new.xml", RSS2)

    result = fetch_feed(feed_for(feed_server.url_for("/old.xml")), client)

    assert len(result.stories) == 3
    assert result.permanent_redirect is permanent
    assert result.final_url == (feed_server.url_for("/new.xml") if permanent else None)


def test_a_temporary_hop_after_a_permanent_one_is_not_a_move(
    feed_server: FeedServer, client: httpx.Client
) -> None:
    feed_server.redirect("/old.xml", "/mid.xml", status=301)
    feed_server.redirect("/mid.xml", "/new.xml", status=302)
    feed_server.set("/new.xml", RSS2)

    result = fetch_feed(feed_for(feed_server.url_for("/old.xml")), client)

    assert result.permanent_redirect is False


def test_url_overrides_the_configured_one(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.set("/new.xml", RSS2)
    feed = feed_for(feed_server.url_for("/old.xml"))
    result = fetch_feed(feed, client, url=feed_server.url_for("/new.xml"))
    assert len(result.stories) == 3
    assert [r.path for r in feed_server.requests] == ["/new.xml"]


@pytest.mark.parametrize("status", [404, 410, 500, 503], ids=["404", "410", "500", "503"])
def test_http_errors_name_the_feed_and_status(
    feed_server: FeedServer, client: httpx.Client, status: int
) -> None:
    feed_server.fail("/wire.xml", status=status)
    url = feed_server.url_for("/wire.xml")
    with pytest.raises(FeedError) as info:
        fetch_feed(feed_for(url, name="Broken Wire"), client)
    assert info.value.feed == "Broken Wire"
    message = str(info.value)
    assert message.startswith("feed 'Broken Wire': ")
    assert f"HTTP {status} " in message
    assert url in message


def test_unknown_path_is_a_404(feed_server: FeedServer, client: httpx.Client) -> None:
    with pytest.raises(FeedError, match="HTTP 404 Not Found"):
        fetch_feed(feed_for(feed_server.url_for("/missing.xml")), client)


def test_a_page_that_is_not_a_feed(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.set("/home", "<html><body>Welcome</body></html>", content_type="text/html")
    with pytest.raises(FeedError, match="not a valid RSS or Atom feed"):
        fetch_feed(feed_for(feed_server.url_for("/home")), client)


def test_timeout(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.hang("/slow.xml")
    feed = feed_for(feed_server.url_for("/slow.xml"), name="Slow", timeout=1)
    with pytest.raises(FeedError) as info:
        fetch_feed(feed, client)
    assert info.value.feed == "Slow"
    assert "no answer from" in str(info.value)
    assert "within 1s; raise its timeout?" in str(info.value)


def test_redirect_loop(feed_server: FeedServer, client: httpx.Client) -> None:
    feed_server.redirect("/a.xml", "/b.xml", status=302)
    feed_server.redirect("/b.xml", "/a.xml", status=302)
    with pytest.raises(FeedError, match=f"more than {MAX_REDIRECTS} redirects"):
        fetch_feed(feed_for(feed_server.url_for("/a.xml")), client)
    assert len(feed_server.requests) == MAX_REDIRECTS + 1


def test_connection_refused(feed_server: FeedServer, client: httpx.Client) -> None:
    url = feed_server.url_for("/wire.xml")
    feed_server.stop()
    with pytest.raises(FeedError, match=r"connection refused by 127\.0\.0\.1 .*is the site down"):
        fetch_feed(feed_for(url), client)


# --- local files ----------------------------------------------------------------------------------


def test_local_file(tmp_path: Path, client: httpx.Client) -> None:
    path = tmp_path / "wire.xml"
    path.write_bytes(RSS2)
    result = fetch_feed(feed_for(str(path)), client)
    assert len(result.stories) == 3
    assert not result.not_modified
    assert result.etag is None


def test_missing_local_file(tmp_path: Path, client: httpx.Client) -> None:
    path = tmp_path / "gone.xml"
    with pytest.raises(FeedError) as info:
        fetch_feed(feed_for(str(path), name="Local"), client)
    assert info.value.feed == "Local"
    assert f"cannot read {path}: No such file or directory" in str(info.value)


def test_local_file_that_is_not_a_feed(tmp_path: Path, client: httpx.Client) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("just some notes", encoding="utf-8")
    with pytest.raises(FeedError, match="not a valid RSS or Atom feed"):
        fetch_feed(feed_for(str(path)), client)


# --- issue 8: text and dates read right (parse.py, dates.py) ----------------------------------


def rss_of(*items: str, channel: str = "") -> bytes:
    body = "".join(f"<item>{i}</item>" for i in items)
    return (
        f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>T</title>"
        f"{channel}{body}</channel></rss>"
    ).encode()


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Seg, 24 Set 2018 10:00:00 -0300", datetime(2018, 9, 24, 13, 0, tzinfo=UTC)),
        ("Sáb, 01 Dez 2018 08:00:00 GMT", datetime(2018, 12, 1, 8, 0, tzinfo=UTC)),
        ("mié, 05 ene 2024 08:00:00 +0100", datetime(2024, 1, 5, 7, 0, tzinfo=UTC)),
        ("Lun, 10 Giu 2024 12:30:00 +0200", datetime(2024, 6, 10, 10, 30, tzinfo=UTC)),
        ("Tue, 10 Jun 2025 16:30:00 -0600", datetime(2025, 6, 10, 22, 30, tzinfo=UTC)),
    ],
    ids=["pt-set", "pt-dez-accent", "es-ene", "it-giu", "english-untouched"],
)
def test_dates_in_portuguese_spanish_italian(written: str, expected: datetime) -> None:
    (story,) = parse_feed("F", rss_of(f"<title>x</title><pubDate>{written}</pubDate>"))
    assert story.published == expected


def test_entities_escaped_twice_are_decoded() -> None:
    item = "<title>&amp;ldquo;Cartel&amp;rdquo; &amp;amp; more &amp;#8230;</title>"
    (story,) = parse_feed("F", rss_of(item))
    assert story.title == "“Cartel” & more …"


def test_a_literal_ampersand_stays() -> None:
    (story,) = parse_feed("F", rss_of("<title>AT&amp;T and R&amp;D; fine</title>"))
    assert story.title == "AT&T and R&D; fine"


def test_an_untitled_item_is_cut_at_a_word_with_an_ellipsis() -> None:
    text = "Word " * 40
    (story,) = parse_feed("F", rss_of(f"<description>{text}</description>"))
    assert len(story.title) <= 120
    assert story.title.endswith("Word…")
    assert story.text == text.strip()


def test_relative_links_in_a_local_file_resolve_against_the_channel_link(
    tmp_path: Path, client: httpx.Client
) -> None:
    path = tmp_path / "local.xml"
    path.write_bytes(
        rss_of(
            "<title>R</title><link>/news/1</link>",
            channel="<link>https://local.example/section/</link>",
        )
    )
    (story,) = fetch_feed(feed_for(str(path)), client).stories
    assert story.url == "https://local.example/news/1"
    assert story.canonical_url == "https://local.example/news/1"


def test_content_type_charset_is_passed_to_feedparser() -> None:
    # no XML declaration: the header is all there is (feedparser alone reads it as latin-1)
    data = rss_of("<title>Café</title>").replace(b"<?xml version='1.0' encoding='utf-8'?>", b"")
    parsed = read_feed("F", data, content_type="application/rss+xml; charset=utf-8")
    assert parsed.stories[0].title == "Café" and parsed.warning is None


def test_read_body_stops_a_bomb_early_and_caps_the_stream() -> None:
    bomb = gzip.compress(b"\0" * (64 * 2**20))
    with pytest.raises(FeedError, match="gzip bomb"):
        read_body(
            "B", [bomb[i : i + 65536] for i in range(0, len(bomb), 65536)], "gzip", 10**9, None
        )
    with pytest.raises(FeedError, match=r"larger than 1 MiB \(fetch.max_size\)"):
        read_body("B", (b"x" * 65536 for _ in range(100)), "", 2**20, None)
    plain = gzip.compress(RSS2)
    assert read_body("B", [plain[:10], plain[10:]], "gzip", 2**20, None) == RSS2
    assert read_body("B", [zlib.compress(RSS2)], "deflate", 2**20, None) == RSS2
    raw = zlib.compressobj(wbits=-15)
    assert read_body("B", [raw.compress(RSS2) + raw.flush()], "deflate", 2**20, None) == RSS2
