"""python-telegram-bot's errors in the channels' four words."""

from __future__ import annotations

import pytest
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from channels.base import Failure
from channels.telegram import classify


@pytest.mark.parametrize(
    ("error", "failure"),
    [
        (RetryAfter(7), Failure.RETRY_LATER),
        (TimedOut(), Failure.RETRY_LATER),
        (NetworkError("Bad Gateway"), Failure.RETRY_LATER),
        (Forbidden("Forbidden: bot was blocked by the user"), Failure.BLOCKED),
        (BadRequest("Chat not found"), Failure.FAILED),
        (ChatMigrated(-1001234), Failure.MOVED),
        (TelegramError("something new"), Failure.FAILED),
    ],
)
def test_each_error_means_what_it_says(error: TelegramError, failure: Failure) -> None:
    assert classify(error).failure is failure


def test_a_flood_wait_and_a_new_chat_id_are_kept() -> None:
    assert classify(RetryAfter(7)).retry_after == 7.0
    assert classify(ChatMigrated(-1001234)).moved_to == "-1001234"
