"""The Slack incoming-webhook sink (`slack_sdk.webhook.WebhookClient`): one channel, no threads.
One attempt per `post`; the outbox retries."""

from __future__ import annotations

from datetime import datetime

from slack_sdk.errors import SlackClientError
from slack_sdk.webhook import WebhookClient

from watchbot.errors import RefusedError, SlackAuthError, TransientDeliveryError
from watchbot.models import AlertStatus, Notice, PostedStory
from watchbot.notify.blocks import Message, slack_message
from watchbot.notify.slack import AUTH_ERRORS, FIXES, retry_after


class WebhookSink:
    """Posts through an incoming webhook. Webhooks answer no ts, so they cannot thread and
    cannot confirm a post whose answer was lost: such a post is retried (at least once)."""

    can_thread = False
    delivered_status = AlertStatus.SENT

    def __init__(self, url: str, *, timeout: int = 30) -> None:
        self.client = WebhookClient(url, retry_handlers=[], timeout=timeout)

    def check(self) -> None:
        return None  # a webhook cannot be tested without posting

    def post(
        self, notice: Notice, *, maybe_posted: bool = False, since: datetime | None = None
    ) -> str | None:
        # a webhook answers no ts: an earlier post cannot be looked up, so `maybe_posted`
        # cannot be honoured and the post is retried (at least once)
        self._send(slack_message(notice))
        return None

    def recent_posts(self, channel: str, since: datetime) -> list[PostedStory]:
        return []  # a webhook cannot read the channel

    def _send(self, message: Message) -> None:
        try:
            response = self.client.send(
                text=message.text,
                blocks=list(message.blocks),
                unfurl_links=False,
                unfurl_media=False,
            )
        except (SlackClientError, OSError) as e:
            raise TransientDeliveryError(
                f"cannot reach the Slack webhook: {e.__class__.__name__}"
            ) from e
        status, body = response.status_code, (response.body or "").strip()
        if status == 200:
            return
        if status == 429:
            wait = retry_after(response.headers)
            raise TransientDeliveryError("rate limited by the webhook (HTTP 429)", retry_after=wait)
        if status >= 500:
            raise TransientDeliveryError(f"the Slack webhook answered HTTP {status}")
        if body in AUTH_ERRORS or status in (401, 403, 404):
            raise SlackAuthError(
                f"Slack refused the webhook ({body or status}); check the URL "
                "in the environment variable named by slack.webhook_env"
            )
        code = body or f"HTTP {status}"
        fix = FIXES.get(code)
        raise RefusedError(
            f"Slack webhook refused the post: {code}" + (f"; {fix}" if fix else ""),
            code=code,
            channel_wide=code in ("channel_not_found", "channel_is_archived", "action_prohibited"),
        )
