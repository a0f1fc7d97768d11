"""The Slack incoming-webhook sink (`slack_sdk.webhook.WebhookClient`): one channel, no threads."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime

from slack_sdk.errors import SlackClientError
from slack_sdk.webhook import WebhookClient

from watchbot.errors import DeliveryError, SlackAuthError
from watchbot.models import Notice
from watchbot.notify.blocks import Message, slack_message
from watchbot.notify.slack import AUTH_ERRORS, MAX_ATTEMPTS, MAX_RETRY_AFTER, backoff, retry_after


class WebhookSink:
    """Posts through an incoming webhook. Webhooks answer no ts, so they cannot thread and
    cannot confirm a post whose answer was lost: such a post is retried (at least once)."""

    can_thread = False

    def __init__(self, url: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
        self.client = WebhookClient(url, retry_handlers=[], timeout=30)
        self.sleep = sleep

    def check(self) -> None:
        return None  # a webhook cannot be tested without posting

    def post(
        self, notice: Notice, *, maybe_posted: bool = False, since: datetime | None = None
    ) -> str | None:
        # a webhook answers no ts: an earlier post cannot be looked up, so `maybe_posted`
        # cannot be honoured and the post is retried (at least once)
        self._send(slack_message(notice))
        return None

    def _send(self, message: Message) -> None:
        last = "no attempt made"
        for attempt in range(MAX_ATTEMPTS):
            try:
                response = self.client.send(
                    text=message.text,
                    blocks=list(message.blocks),
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except (SlackClientError, OSError) as e:
                raise DeliveryError(
                    f"cannot reach the Slack webhook: {e.__class__.__name__}"
                ) from e
            if response.status_code == 200:
                return
            body = (response.body or "").strip()
            if response.status_code == 429:
                wait = retry_after(response.headers)
                if wait > MAX_RETRY_AFTER:
                    break
                self.sleep(wait)
                last = "rate limited (HTTP 429)"
                continue
            if response.status_code >= 500:
                last = f"HTTP {response.status_code}"
                self.sleep(backoff(attempt))
                continue
            if body in AUTH_ERRORS or response.status_code in (401, 403, 404):
                raise SlackAuthError(
                    f"Slack refused the webhook ({body or response.status_code}); check the URL "
                    "in the environment variable named by slack.webhook_env"
                )
            raise DeliveryError(f"Slack webhook refused the post: {body or response.status_code}")
        raise DeliveryError(f"could not post through the webhook: {last}")
