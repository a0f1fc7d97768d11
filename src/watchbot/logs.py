"""Logging for every command: text lines for people, or JSON lines for log shippers, on stderr;
every record passes through a filter that redacts secrets (`redact.py`).

A record may carry structured `fields` (`log.error("…", extra={"fields": {...}})`): in JSON they
are keys of the one record; in text, list values are printed as indented lines under the
message, so a problem with several parts is still one record either way.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

from watchbot.redact import redact

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")

# third-party chatter stays out of the log (httpx would log every URL it fetches)
_QUIET = ("httpx", "httpcore", "apscheduler", "slack_sdk", "urllib3")
# the values of environment variables with names like these are redacted wherever they appear
_SECRET_ENV = re.compile(r"(?i)(TOKEN|SECRET|PASSWORD|PASSWD|WEBHOOK|API_?KEY|CREDENTIAL)")


class RedactFilter(logging.Filter):
    """Replaces secrets in a record's message, fields and traceback before any handler sees
    them. Knows the values of secret-named environment variables, plus any `add`ed."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets = {s for s in secrets if len(s) >= 6}

    def add(self, *values: str | None) -> None:
        self.secrets |= {v for v in values if v and len(v) >= 6}

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage(), self.secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            record.fields = {k: self._clean(v) for k, v in fields.items()}
        return True

    def _clean(self, value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, self.secrets)
        if isinstance(value, list | tuple):
            return [self._clean(v) for v in value]
        return value


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            for value in fields.values():
                if isinstance(value, list):
                    text += "".join(f"\n  {item}" for item in value)
        return text


class JsonFormatter(logging.Formatter):
    """One JSON object per record and per line: time, level, logger, message, the record's
    fields, and the traceback as `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            out.update({k: v for k, v in fields.items() if k not in out})
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


class _State:
    format = "text"
    filter = RedactFilter()


def setup_logging(level: str = "info", fmt: str = "text", stream: TextIO | None = None) -> None:
    """Log records at `level` and above to stderr as `fmt` ("text" or "json"), redacted."""
    secrets = [v for k, v in os.environ.items() if _SECRET_ENV.search(k)]
    _State.format, _State.filter = fmt, RedactFilter(secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_State.filter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper()))
    for name in _QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)


def add_secrets(*values: str | None) -> None:
    """Redact these values too (the secrets a run read from the variables its config names)."""
    _State.filter.add(*values)


def scrub(text: str) -> str:
    """`text` redacted as a log record would be: for messages printed outside the log."""
    return redact(text, _State.filter.secrets)


def json_logs() -> bool:
    """Whether logs are JSON lines (so the commands' own messages go out as records too)."""
    return _State.format == "json"


def flush() -> None:
    for handler in logging.getLogger().handlers:
        handler.flush()
