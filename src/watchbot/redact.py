"""Secrets out of text: Slack tokens, webhook URLs, and credentials in URLs (userinfo, and query
parameters whose name says they are secret). Pure functions, used by the log filter (`logs.py`)
and wherever a message is built with a URL in it (feed errors, `check`, `feeds`).

    >>> redact("GET https://user:pass@example.com/feed?token=abc&page=2")
    'GET https://***@example.com/feed?token=***&page=2'
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"

# scheme://user:password@host → scheme://***@host
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@?#]+@")
# ?token=…, &api_key=…, ;X-Amz-Signature=…: a parameter whose name (or a part of it, split at
# _ . -) says secret loses its value
_PARAM = re.compile(r"([?&;])([^=&#\s;]+)=([^&#\s;]*)")
_SECRET_WORDS = frozenset(
    "token key apikey secret pass password passwd pwd auth sig signature session credential"
    " credentials code jwt".split()
)
_SLACK_TOKEN = re.compile(r"\bxox[a-z]-[A-Za-z0-9-]+")
_SLACK_HOOK = re.compile(r"(?i)(https?://hooks\.slack\.com/)[^\s\"'<>]+")


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every secret it may carry replaced by ***: the exact `secrets` given (values
    of the environment variables that hold them), then anything that looks like one."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _SLACK_HOOK.sub(rf"\g<1>{MASK}", text)
    text = _SLACK_TOKEN.sub(f"xox?-{MASK}", text)
    text = _USERINFO.sub(rf"\g<1>{MASK}@", text)
    return _PARAM.sub(_param, text)


def _param(m: re.Match[str]) -> str:
    name = m.group(2)
    parts = {p for p in re.split(r"[_.-]", name.lower()) if p}
    if parts & _SECRET_WORDS or name.lower().endswith(("token", "secret", "password")):
        return f"{m.group(1)}{name}={MASK}"
    return m.group(0)


def redact_url(url: str) -> str:
    """A URL fit to show: no userinfo, no secret query values."""
    return redact(url)
