"""`watchbot check --slack`: ask Slack, before it matters, whether alerts can go out.

The token is valid (`auth.test`), it has the scopes watchbot needs (Slack lists them in the
`X-OAuth-Scopes` header of every answer), and each configured channel exists, is not archived
and has the bot in it (`conversations.list`, `conversations.info`). Each problem comes with its
fix. Nothing is posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackApiError, SlackClientError

from watchbot.notify.slack import AUTH_ERRORS, SlackSink

# scope → what watchbot needs it for
SCOPES = {
    "chat:write": "to post alerts",
    "channels:history": "to find a post whose answer was lost, and to read the channels' "
    "history when the database is new (groups:history for private channels)",
    "channels:read": "to find a channel's id by its name (groups:read for private channels)",
}
PRIVATE_SCOPES = {"groups:history": "channels:history", "groups:read": "channels:read"}
ADD_SCOPE = (
    "add it under OAuth & Permissions → Bot Token Scopes in the app's settings, then reinstall "
    "the app to the workspace"
)


@dataclass(frozen=True)
class Finding:
    ok: bool
    message: str  # what was found and, when not ok, the fix


def _error(e: SlackApiError) -> str:
    data = getattr(e.response, "data", None)
    return str(data.get("error", "")) if isinstance(data, dict) else ""


def _scopes(response: Any) -> set[str] | None:
    for name, value in (getattr(response, "headers", None) or {}).items():
        if name.lower() == "x-oauth-scopes":
            value = value[0] if isinstance(value, list) else value
            return {s.strip() for s in str(value).split(",") if s.strip()}
    return None


def check_slack(sink: SlackSink, channels: Sequence[str], token_env: str) -> list[Finding]:
    """What Slack says about our token, its scopes and each of `channels`."""
    try:
        auth = sink.client.auth_test()
    except SlackApiError as e:
        error = _error(e) or f"HTTP {e.response.status_code}"
        fix = (
            f"check the token in ${token_env} (a bot token, xoxb-…) and that the app is "
            "installed in the workspace"
            if error in AUTH_ERRORS
            else "see Slack's status page, then try again"
        )
        return [Finding(False, f"auth.test: Slack refused the token ({error}); {fix}")]
    except (SlackClientError, OSError) as e:
        return [Finding(False, f"auth.test: cannot reach Slack ({e.__class__.__name__}: {e})")]
    bot = auth.get("user") or "watchbot"
    found = [Finding(True, f"auth.test: ok, bot @{bot} in workspace {auth.get('team')}")]
    scopes = _scopes(auth)
    if scopes is None:
        found.append(Finding(True, "scopes: Slack did not list them; not checked"))
    else:
        missing = [s for s in SCOPES if s not in scopes]
        found += [Finding(False, f"missing scope {s} ({SCOPES[s]}); {ADD_SCOPE}") for s in missing]
        if not missing:
            found.append(Finding(True, f"scopes: {', '.join(SCOPES)} present"))
    for channel in channels:
        found.append(_channel(sink, channel, bot, scopes))
    return found


def _channel(sink: SlackSink, channel: str, bot: str, scopes: set[str] | None) -> Finding:
    try:
        channel_id = sink.channel_id(channel)
        if channel_id is None:
            return Finding(
                False,
                f"{channel}: no such channel; check the name (a watchlist's `channel:` or "
                f"slack.channel); a private channel must invite @{bot} before it can be found",
            )
        info = sink.client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as e:
        error = _error(e)
        if error == "channel_not_found":
            return Finding(False, f"{channel}: not found; check the name, or invite @{bot}")
        return Finding(False, f"{channel}: Slack answered {error or e.response.status_code}")
    except (SlackClientError, OSError) as e:
        return Finding(False, f"{channel}: cannot reach Slack ({e.__class__.__name__})")
    if info.get("is_archived"):
        return Finding(False, f"{channel}: archived; point the watchlist at another channel")
    if not info.get("is_member"):
        return Finding(
            False,
            f"{channel}: @{bot} is not in the channel; invite it: /invite @{bot} in {channel}",
        )
    if info.get("is_private") and scopes is not None:
        lacking = [s for s in PRIVATE_SCOPES if s not in scopes]
        if lacking:
            return Finding(
                False, f"{channel}: private, and the token lacks {', '.join(lacking)}; {ADD_SCOPE}"
            )
    return Finding(True, f"{channel}: ok, @{bot} can post there")
