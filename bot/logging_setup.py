"""Logging that never prints the bot token."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

# Matches anything shaped like a bot token, including inside URLs (".../bot123:ABC.../getMe").
_TOKEN_PATTERN = re.compile(r"\d{3,}:[A-Za-z0-9_-]{10,}")


class RedactTokenFilter(logging.Filter):
    """Replace the configured token, and anything shaped like one, with a marker."""

    def __init__(self, *secrets: str | None) -> None:
        super().__init__()
        self._secrets = [secret for secret in secrets if secret]

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "<token>")
        return _TOKEN_PATTERN.sub("<token>", text)

    def filter(self, record: logging.LogRecord) -> bool:
        # Format once, then redact, so tokens hidden in args or exception text are caught too.
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg = self._redact(message)
        record.args = None
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True


def configure_logging(
    level: str = "INFO", *, secret: str | None = None, also: Sequence[str | None] = ()
) -> None:
    """Log to stderr at `level`, never printing `secret` (the Telegram token) or the other
    secrets in `also` (the Zalo token)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactTokenFilter(secret, *also))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # Alembic says "Context impl SQLiteImpl" and the like on every command that checks the
    # schema: noise to an administrator, useful only when debugging.
    logging.getLogger("alembic").setLevel(logging.DEBUG if level == "DEBUG" else logging.WARNING)
