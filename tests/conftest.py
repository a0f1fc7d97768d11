"""Shared pytest fixtures. Each block says who owns it; append new blocks below."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servers import FeedServer, SlackServer

# --- local servers (tests/servers.py): a publisher's web server and a Slack-compatible API ---


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    """A started FeedServer on 127.0.0.1; stopped after the test."""
    with FeedServer() as server:
        yield server


@pytest.fixture
def slack_server() -> Iterator[SlackServer]:
    """A started SlackServer; `WebClient(token="xoxb-test", base_url=slack_server.api_url)`."""
    with SlackServer() as server:
        yield server


# --- end of local servers ---
