"""Telegram's errors in the channels' four words (see channels.base.Failure)."""

from __future__ import annotations

from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from channels.base import Failure, SendError


def classify(exc: TelegramError) -> SendError:
    """What a python-telegram-bot error means for a send. The order matters: BadRequest and
    ChatMigrated are NetworkErrors in python-telegram-bot, and must not read as retryable."""
    description = str(exc)
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        seconds = wait if isinstance(wait, int | float) else wait.total_seconds()
        return SendError(Failure.RETRY_LATER, description, retry_after=float(seconds))
    if isinstance(exc, ChatMigrated):
        return SendError(Failure.MOVED, description, moved_to=str(exc.new_chat_id))
    if isinstance(exc, Forbidden):
        return SendError(Failure.BLOCKED, description)
    if isinstance(exc, BadRequest):
        return SendError(Failure.FAILED, description)
    if isinstance(exc, NetworkError):  # timeouts, 5xx, a dropped connection
        return SendError(Failure.RETRY_LATER, description)
    return SendError(Failure.FAILED, description)
