"""The Slack Web API sink: a bot token through `slack_sdk.WebClient` (`chat.postMessage`, threads).

Exactly once, in practice: slack_sdk's default client retries a dropped connection by itself,
which can post a message twice when Slack got the first one. So our WebClient has no retry
handlers; we retry ourselves, and after any answer we did not get (dropped connection, timeout,
5xx, or a crash in an earlier run) we first look for the message in the channel by the
`metadata` every post carries (`watchbot_alert` + the story key), and only post if it is absent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from watchbot.errors import DeliveryError, SlackAuthError
from watchbot.models import Notice
from watchbot.notify.blocks import Message, slack_message

EVENT_TYPE = "watchbot_alert"
AUTH_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "no_permission",
        "invalid_token",
        "no_service",
        "no_active_hooks",
    }
)
MAX_ATTEMPTS = 3  # per alert per cycle; what still fails is retried next cycle


def backoff(attempt: int) -> float:
    """Seconds to wait after failed attempt `attempt` (0-based): short, as the next cycle
    retries anyway and one stuck alert must not hold up a cron run."""
    return 0.5 * float(2**attempt)


MAX_RETRY_AFTER = 120.0  # seconds; a longer Retry-After leaves the alert for the next cycle


def _is_channel_id(channel: str) -> bool:
    return bool(re.fullmatch(r"[CGD][A-Z0-9]{6,}", channel))


class ChannelIds(Protocol):
    def channel_id(self, name: str) -> str | None: ...
    def remember_channel(self, name: str, channel_id: str) -> None: ...


class SlackSink:
    """Posts with a bot token. Needs the scopes chat:write, and channels:history (groups:history
    for private channels) to confirm a post whose answer was lost."""

    can_thread = True

    def __init__(
        self,
        token: str,
        *,
        api_url: str | None = None,
        channels: ChannelIds | None = None,
        sleep: Callable[[float], None] = time.sleep,
        timeout: int = 30,
    ) -> None:
        base = (api_url or WebClient.BASE_URL).rstrip("/") + "/"
        # retry_handlers=[]: the default one re-sends after a dropped connection, blind
        self.client = WebClient(token=token, base_url=base, timeout=timeout, retry_handlers=[])
        self.channels = channels
        self.sleep = sleep

    def check(self) -> None:
        try:
            self.client.auth_test()
        except SlackApiError as e:
            error = _refuse_credentials(e)
            raise DeliveryError(f"Slack auth.test failed: {error or e.response.status_code}") from e
        except (SlackClientError, OSError) as e:
            raise DeliveryError(f"cannot reach Slack: {e.__class__.__name__}: {e}") from e

    def post(
        self, notice: Notice, *, maybe_posted: bool = False, since: datetime | None = None
    ) -> str | None:
        message = slack_message(notice)
        last = "no attempt made"
        for attempt in range(MAX_ATTEMPTS):
            if maybe_posted:
                found = self._find(message, since)
                if found:
                    return found
            try:
                response = self.client.chat_postMessage(
                    channel=message.channel,
                    text=message.text,
                    blocks=list(message.blocks),
                    thread_ts=message.thread_ts,
                    unfurl_links=False,
                    unfurl_media=False,
                    link_names=False,
                    metadata={
                        "event_type": EVENT_TYPE,
                        "event_payload": {"story_key": message.story_key},
                    },
                )
            except SlackApiError as e:
                status = e.response.status_code
                error = _refuse_credentials(e)
                if status == 429:
                    wait = retry_after(e.response.headers)
                    if wait > MAX_RETRY_AFTER:
                        raise DeliveryError(f"rate limited by Slack for {wait:g}s") from e
                    self.sleep(wait)
                    last = "rate limited (HTTP 429)"
                    continue
                if status >= 500:
                    maybe_posted, last = True, f"Slack server error HTTP {status}"
                    self.sleep(backoff(attempt))
                    continue
                raise DeliveryError(_refusal(message.channel, error or f"HTTP {status}")) from e
            except (SlackClientError, OSError) as e:
                # the post may have reached Slack: look before posting again
                maybe_posted, last = True, f"{e.__class__.__name__}: {e}"
                self.sleep(backoff(attempt))
                continue
            if self.channels is not None and response.get("channel"):
                self.channels.remember_channel(message.channel, str(response["channel"]))
            return str(response["ts"])
        raise DeliveryError(f"could not post to {message.channel}: {last}")

    # finding an earlier post of the same alert -------------------------------------------------

    def _channel_id(self, channel: str) -> str | None:
        if _is_channel_id(channel):
            return channel
        known = self.channels.channel_id(channel) if self.channels else None
        if known:
            return known
        name = channel.lstrip("#")
        cursor = None
        for _ in range(20):  # bounded: large workspaces page through conversations.list
            page = self.client.conversations_list(
                cursor=cursor,
                limit=1000,
                exclude_archived=True,
                types="public_channel,private_channel",
            )
            conv: dict[str, Any]
            for conv in page.get("channels", []):
                if conv.get("name") == name:
                    if self.channels is not None:
                        self.channels.remember_channel(channel, conv["id"])
                    return str(conv["id"])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                break
        return None

    def _find(self, message: Message, since: datetime | None) -> str | None:
        """The ts of a message already in the channel carrying this story's metadata, looking
        only at what was posted after `since` (less a margin for clock skew)."""
        try:
            channel = self._channel_id(message.channel)
            if channel is None:
                return None
            if message.thread_ts:
                pages = self._pages(
                    self.client.conversations_replies, channel=channel, ts=message.thread_ts
                )
            else:
                oldest = f"{since.timestamp() - 600:.6f}" if since else None
                pages = self._pages(
                    self.client.conversations_history, channel=channel, limit=200, oldest=oldest
                )
            for messages in pages:
                for msg in messages:
                    meta = msg.get("metadata") or {}
                    payload = meta.get("event_payload") or {}
                    same_thread = msg.get("thread_ts") == message.thread_ts or (
                        message.thread_ts is None and msg.get("thread_ts") in (None, msg.get("ts"))
                    )
                    if (
                        meta.get("event_type") == EVENT_TYPE
                        and payload.get("story_key") == message.story_key
                        and same_thread
                    ):
                        return str(msg["ts"])
        except SlackApiError as e:
            error = _refuse_credentials(e)
            if error in ("missing_scope", "not_in_channel", "channel_not_found"):
                return None  # cannot look: post (at least once) rather than never
            raise DeliveryError(
                f"cannot check {message.channel} for an earlier post: {error}"
            ) from e
        except (SlackClientError, OSError) as e:
            raise DeliveryError(f"cannot reach Slack: {e.__class__.__name__}: {e}") from e
        return None

    def _pages(self, method: Callable[..., Any], **params: Any) -> Any:
        cursor = None
        for _ in range(5):  # the last 1,000 messages are more than enough to find a fresh post
            page = method(include_all_metadata=True, cursor=cursor, **params)
            yield page.get("messages", [])
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if not page.get("has_more") or not cursor:
                return


def _is_json(response: Any) -> bool:
    return isinstance(getattr(response, "data", None), dict)


def _refuse_credentials(e: SlackApiError) -> str:
    """Slack's error code of `e`; raises SlackAuthError when it refuses our credentials."""
    error = str(e.response.get("error", "")) if _is_json(e.response) else ""
    if error in AUTH_ERRORS:
        raise SlackAuthError(auth_message(error)) from e
    return error


def retry_after(headers: Any) -> float:
    for key, value in dict(headers or {}).items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(value))
            except ValueError:
                break
    return 1.0


def auth_message(error: str) -> str:
    return (
        f"Slack refused our credentials ({error}); check the token in the environment variable "
        "named by slack.token_env, and that the app is installed in the workspace"
    )


def _refusal(channel: str, error: str) -> str:
    fixes = {
        "channel_not_found": "check the channel name, and invite the bot to it",
        "not_in_channel": "invite the bot to the channel (/invite @watchbot)",
        "is_archived": "the channel is archived; point the watchlist at another",
        "missing_scope": "give the app the chat:write scope and reinstall it",
    }
    fix = fixes.get(error)
    return f"Slack refused the post to {channel}: {error}" + (f"; {fix}" if fix else "")
