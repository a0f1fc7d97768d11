"""The Slack Web API sink: a bot token through `slack_sdk.WebClient` (`chat.postMessage`, threads).

Exactly once, in practice: slack_sdk's default client retries a dropped connection by itself,
which can post a message twice when Slack got the first one. So our WebClient has no retry
handlers, and `post` makes one attempt: the outbox retries, per channel. After any answer we did
not get (dropped connection, timeout, 5xx, or a crash in an earlier run) the next attempt first
looks for the message in the channel by the `metadata` every post carries (`watchbot_alert` +
the story key), and only posts if it is absent.

Slack's answers sort into three kinds (`classify`): transient (429 with its Retry-After, 5xx,
no connection: `TransientDeliveryError`), refused for good (`RefusedError`: the post itself,
such as `invalid_blocks`, or the whole channel, such as `not_in_channel`), and refused
credentials (`SlackAuthError`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from watchbot.errors import DeliveryError, RefusedError, SlackAuthError, TransientDeliveryError
from watchbot.models import AlertStatus, Notice, PostedStory
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
# refusals that every post to the channel would get: the channel pauses, its alerts wait
CHANNEL_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "missing_scope",
        "restricted_action",
        "restricted_action_read_only_channel",
        "restricted_action_thread_only_channel",
        "restricted_action_non_threadable_channel",
        "team_access_not_granted",
        "ekm_access_denied",
        "channel_is_archived",
    }
)
# Slack's own trouble, reported in the body with HTTP 200: try again later
TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
FIXES = {
    "channel_not_found": "check the channel name; for a private channel, invite the bot first",
    "not_in_channel": "invite the bot to the channel (/invite @watchbot)",
    "is_archived": "the channel is archived; point the watchlist at another",
    "channel_is_archived": "the channel is archived; point the watchlist at another",
    "missing_scope": "give the app the chat:write scope and reinstall it",
    "invalid_blocks": "a bug in watchbot's message building; report it with `watchbot alerts`",
    "msg_too_long": "a bug in watchbot's message building; report it with `watchbot alerts`",
}


def _is_channel_id(channel: str) -> bool:
    return bool(re.fullmatch(r"[CGD][A-Z0-9]{6,}", channel))


class ChannelIds(Protocol):
    def channel_id(self, name: str) -> str | None: ...
    def remember_channel(self, name: str, channel_id: str) -> None: ...


class SlackSink:
    """Posts with a bot token. Needs the scopes chat:write, and channels:history (groups:history
    for private channels) to confirm a post whose answer was lost and to read the channels'
    history when the database is new."""

    can_thread = True
    delivered_status = AlertStatus.SENT

    def __init__(
        self,
        token: str,
        *,
        api_url: str | None = None,
        channels: ChannelIds | None = None,
        timeout: int = 30,
    ) -> None:
        base = (api_url or WebClient.BASE_URL).rstrip("/") + "/"
        # retry_handlers=[]: the default one re-sends after a dropped connection, blind
        self.client = WebClient(token=token, base_url=base, timeout=timeout, retry_handlers=[])
        self.channels = channels

    def check(self) -> None:
        try:
            self.client.auth_test()
        except SlackApiError as e:
            error = _refuse_credentials(e)
            raise DeliveryError(f"Slack auth.test failed: {error or e.response.status_code}") from e
        except (SlackClientError, OSError) as e:
            raise TransientDeliveryError(f"cannot reach Slack: {e.__class__.__name__}: {e}") from e

    def post(
        self, notice: Notice, *, maybe_posted: bool = False, since: datetime | None = None
    ) -> str | None:
        message = slack_message(notice)
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
            raise classify(e, message.channel) from e
        except (SlackClientError, OSError) as e:
            # the post may have reached Slack: the next attempt looks before posting again
            raise TransientDeliveryError(
                f"could not post to {message.channel}: {e.__class__.__name__}: {e}"
            ) from e
        if self.channels is not None and response.get("channel"):
            self.channels.remember_channel(message.channel, str(response["channel"]))
        return str(response["ts"])

    def recent_posts(self, channel: str, since: datetime) -> list[PostedStory]:
        """watchbot's posts in `channel` since `since`, thread replies included (the threads of
        the last 100 alerts), found by their metadata."""
        try:
            channel_id = self.channel_id(channel)
            if channel_id is None:
                return []
            oldest = f"{since.timestamp():.6f}"
            found: list[PostedStory] = []
            threads: list[str] = []
            for messages in self._pages(
                self.client.conversations_history, channel=channel_id, limit=200, oldest=oldest
            ):
                for msg in messages:
                    found += _ours(channel, [msg])
                    if msg.get("reply_count") and len(threads) < 100:
                        threads.append(str(msg["ts"]))
            for ts in threads:
                for messages in self._pages(
                    self.client.conversations_replies, channel=channel_id, ts=ts
                ):
                    found += _ours(channel, [m for m in messages if m.get("ts") != ts])
            return found
        except SlackApiError as e:
            raise classify(e, channel) from e
        except (SlackClientError, OSError) as e:
            raise TransientDeliveryError(f"cannot reach Slack: {e.__class__.__name__}") from e

    # finding an earlier post of the same alert -------------------------------------------------

    def channel_id(self, channel: str) -> str | None:
        """Slack's id for `channel` (a name like `#desk`, or an id), None if no channel has
        that name."""
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
            channel = self.channel_id(message.channel)
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
            raise classify(e, message.channel, looking=True) from e
        except (SlackClientError, OSError) as e:
            raise TransientDeliveryError(
                f"cannot check {message.channel} for an earlier post: {e.__class__.__name__}"
            ) from e
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


def retry_after(headers: Any) -> float | None:
    """Slack's Retry-After in seconds, None when it gave none."""
    for key, value in dict(headers or {}).items():
        if key.lower() == "retry-after":
            value = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(value))
            except ValueError:
                return None
    return None


def classify(e: SlackApiError, channel: str, *, looking: bool = False) -> DeliveryError:
    """What Slack's refusal `e` means for an alert: try again later (429, 5xx, Slack's own
    errors), refused for good (this post, or every post to `channel`), or bad credentials."""
    status = e.response.status_code
    error = _refuse_credentials(e)
    what = f"check {channel} for an earlier post" if looking else f"post to {channel}"
    if status == 429 or error == "ratelimited":
        wait = retry_after(e.response.headers)
        after = f", Retry-After {wait:g}s" if wait is not None else ""
        return TransientDeliveryError(
            f"could not {what}: rate limited (HTTP 429{after})", retry_after=wait
        )
    if status >= 500 or error in TRANSIENT_ERRORS:
        return TransientDeliveryError(
            f"could not {what}: Slack server error (HTTP {status}{', ' + error if error else ''})"
        )
    code = error or f"HTTP {status}"
    fix = FIXES.get(code)
    message = f"Slack refused the post to {channel}: {code}" + (f"; {fix}" if fix else "")
    return RefusedError(message, code=code, channel_wide=code in CHANNEL_ERRORS)


def auth_message(error: str) -> str:
    return (
        f"Slack refused our credentials ({error}); check the token in the environment variable "
        "named by slack.token_env, and that the app is installed in the workspace"
    )


def _ours(channel: str, messages: list[dict[str, Any]]) -> list[PostedStory]:
    out = []
    for msg in messages:
        meta = msg.get("metadata") or {}
        key = (meta.get("event_payload") or {}).get("story_key")
        if meta.get("event_type") == EVENT_TYPE and isinstance(key, str) and key:
            out.append(PostedStory(channel, key, str(msg.get("ts"))))
    return out
