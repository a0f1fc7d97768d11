"""Item identity (watchbot.fetch.identity): which feed items are the same item."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchbot.fetch import canonical_url, item_keys, story_key
from watchbot.models import Story

T0 = datetime(2025, 7, 1, 12, 0, tzinfo=UTC)


def make_story(**changes: object) -> Story:
    story = Story(
        feed="Example World",
        guid="https://example.com/?p=123",
        url="https://example.com/world/mexico-sends-29?utm_source=rss",
        canonical_url=None,
        title="Mexico sends 29 cartel members to US",
        text="Mexico transferred 29 prisoners to the United States.",
        published=T0,
    )
    return replace(story, **changes)  # type: ignore[arg-type]


# --- canonical_url -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        pytest.param(None, None, id="none"),
        pytest.param("", None, id="empty"),
        pytest.param("   ", None, id="blank"),
        pytest.param(
            "HTTPS://Example.COM/World/Story", "https://example.com/World/Story", id="case"
        ),
        pytest.param("http://example.com:80/a", "http://example.com/a", id="default-port-http"),
        pytest.param("https://example.com:443/a", "https://example.com/a", id="default-port-https"),
        pytest.param("https://example.com:8443/a", "https://example.com:8443/a", id="other-port"),
        pytest.param("https://example.com/a#comments", "https://example.com/a", id="fragment"),
        pytest.param(
            "https://example.com/a?utm_source=rss&utm_medium=feed&id=7",
            "https://example.com/a?id=7",
            id="utm",
        ),
        pytest.param(
            "https://example.com/a?fbclid=x&gclid=y&mc_cid=1&mc_eid=2&igshid=3&yclid=4&msclkid=5",
            "https://example.com/a",
            id="click-ids",
        ),
        pytest.param(
            "https://example.com/a?_ga=1&ref_src=twsrc&cmpid=rss&UTM_Campaign=z",
            "https://example.com/a",
            id="other-trackers",
        ),
        pytest.param("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2", id="sorted"),
        pytest.param(
            "https://example.com/a?id=1&id=2&utm_term=x",
            "https://example.com/a?id=1&id=2",
            id="repeated-param-kept",
        ),
        pytest.param(
            "https://example.com/noticias/méxico-envía",
            "https://example.com/noticias/m%C3%A9xico-env%C3%ADa",
            id="unicode-path",
        ),
        pytest.param("https://example.com/a?", "https://example.com/a", id="empty-query"),
    ],
)
def test_canonical_url(url: str | None, expected: str | None) -> None:
    assert canonical_url(url) == expected


@given(
    st.builds(
        lambda scheme, host, path, params, frag: (
            f"{scheme}://{host}/{path}?{'&'.join(f'{k}={v}' for k, v in params)}#{frag}"
        ),
        st.sampled_from(["http", "https", "HTTP", "Https"]),
        st.sampled_from(["example.com", "Example.COM:80", "news.example.org:443", "x.mx:8080"]),
        st.text(alphabet="abcXYZ-_/é%20", max_size=20),
        st.lists(
            st.tuples(
                st.sampled_from(["utm_source", "id", "page", "fbclid", "q", "gclid", "a"]),
                st.text(alphabet="abc123 +é", max_size=5),
            ),
            max_size=5,
        ),
        st.text(alphabet="abc", max_size=5),
    )
)
def test_canonical_url_is_idempotent(url: str) -> None:
    once = canonical_url(url)
    assert canonical_url(once) == once


# --- item_keys -----------------------------------------------------------------------------------


def test_item_keys_guid_then_url() -> None:
    assert item_keys(make_story()) == (
        "guid:Example World:https://example.com/?p=123",
        "url:https://example.com/world/mexico-sends-29",
    )
    assert story_key(make_story()) == "guid:Example World:https://example.com/?p=123"


def test_item_keys_prefer_the_stories_canonical_url() -> None:
    story = make_story(guid=None, canonical_url="https://example.com/x")
    assert item_keys(story) == ("url:https://example.com/x",)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param(
            {"title": "Mexico sends 29 cartel bosses to the US (updated)"}, id="title-edit"
        ),
        pytest.param({"published": T0 + timedelta(days=1)}, id="republished"),
        pytest.param({"text": "Updated summary."}, id="summary-edit"),
        pytest.param({"url": "https://EXAMPLE.com/world/mexico-sends-29#top"}, id="url-variant"),
    ],
)
def test_item_keys_survive_edits(changes: dict[str, object]) -> None:
    assert item_keys(make_story(**changes)) == item_keys(make_story())


def test_item_keys_use_the_feed_name_not_its_url() -> None:
    a = make_story(url=None)
    assert item_keys(a) == ("guid:Example World:https://example.com/?p=123",)
    assert item_keys(replace(a, feed="Other Feed")) != item_keys(a)


def test_item_keys_hash_without_guid_or_url() -> None:
    a = make_story(guid=None, url=None)
    (key,) = item_keys(a)
    assert key.startswith("hash:") and len(key) == len("hash:") + 32
    # folding: case, accents and spacing of the title do not matter; the time of day does not
    b = replace(a, title="  MEXICO  sends 29 cartel members to US", published=T0.replace(hour=1))
    assert item_keys(b) == (key,)
    assert item_keys(replace(a, published=T0 + timedelta(days=1))) != (key,)
    assert item_keys(replace(a, published=None)) != (key,)
    assert item_keys(replace(a, title="Mexico sends 26 cartel members to US")) != (key,)


def test_item_keys_blank_guid_is_no_guid() -> None:
    assert item_keys(make_story(guid="  ")) == ("url:https://example.com/world/mexico-sends-29",)


@given(st.text(min_size=1), st.text(min_size=1))
def test_item_keys_unchanged_by_title_edits_when_guid_present(before: str, after: str) -> None:
    a = make_story(title=before)
    assert item_keys(a) == item_keys(replace(a, title=after))
