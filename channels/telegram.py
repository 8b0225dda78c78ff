"""Telegram, one channel behind the port (channels.base): its outlet sends an item to a chat
as a Bot API call, and its errors read in the channels' four words.

Documents get longer timeouts than python-telegram-bot's defaults (5 s to read the answer, 20 s
to write): an upload on a slow line takes long to write, and Telegram answers a document later
than a text. A read that times out is the worst case, since Telegram may have shown the message
anyway, so the read timeout is generous rather than tight.
"""

from __future__ import annotations

from typing import Protocol

import httpx
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from channels.base import Failure, FileUnavailable, SendError, Sent
from conversations.outgoing import CompiledFile, Item, Keyboard, Picture, Text

CAPTION_LIMIT = 1024
# Seconds to wait for Telegram's answer to an upload: a report, and an office's compiled files.
REPORT_READ_TIMEOUT_S = 60.0
COMPILED_READ_TIMEOUT_S = 120.0


class Files(Protocol):
    """Where the bytes of a report or a compiled file come from (bot.sending.ReportFiles)."""

    async def read(self, draft_id: int, fmt: str) -> bytes: ...

    async def compiled(self, item: CompiledFile) -> tuple[str, bytes]: ...


class TelegramOutlet:
    """Sends an item to a Telegram chat; SendError says what became of a send that failed."""

    def __init__(self, bot: Bot, files: Files, *, document_read_timeout: float | None = None):
        self.bot = bot
        self.files = files
        self.document_read_timeout = document_read_timeout

    async def send(self, address: str, item: Item) -> Sent:
        try:
            message = await send_item(
                self.bot,
                int(address),
                item,
                self.files,
                document_read_timeout=self.document_read_timeout,
            )
        except FileUnavailable as exc:
            raise SendError(Failure.FAILED, str(exc)) from exc
        except TelegramError as exc:
            raise classify(exc) from exc
        return Sent(str(message.message_id), message.date)


def keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(a.label, callback_data=a.data) for a in row] for row in buttons]
    )


async def send_item(
    bot: Bot,
    chat_id: int,
    item: Item,
    files: Files,
    *,
    document_read_timeout: float | None = None,
) -> Message:
    """Send one item; Telegram's errors (RetryAfter, Forbidden...) reach the caller.

    `document_read_timeout` overrides how long to wait for Telegram's answer to a document.
    """
    if isinstance(item, Text):
        return await bot.send_message(chat_id, item.text, reply_markup=keyboard(item.buttons))
    if isinstance(item, Picture):
        return await bot.send_photo(
            chat_id,
            photo=InputFile(item.data, filename=item.filename),
            caption=item.caption[:CAPTION_LIMIT] or None,
            reply_markup=keyboard(item.buttons),
            write_timeout=60,
            read_timeout=document_read_timeout or REPORT_READ_TIMEOUT_S,
        )
    if isinstance(item, CompiledFile):
        filename, content = await files.compiled(item)
        return await bot.send_document(
            chat_id,
            document=InputFile(content, filename=filename),
            caption=item.caption[:CAPTION_LIMIT] or None,
            reply_markup=keyboard(item.buttons),
            # An office's .zip of many reports: minutes, not seconds, on a slow line.
            write_timeout=600,
            read_timeout=document_read_timeout or COMPILED_READ_TIMEOUT_S,
        )
    data = await files.read(item.draft_id, item.format)
    return await bot.send_document(
        chat_id,
        document=InputFile(data, filename=item.filename),
        caption=item.caption[:CAPTION_LIMIT] or None,
        reply_markup=keyboard(item.buttons),
        # A report of a few dozen kB on a slow line: more than the default 20 s to write.
        write_timeout=60,
        read_timeout=document_read_timeout or REPORT_READ_TIMEOUT_S,
    )


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
        return SendError(
            Failure.RETRY_LATER,
            f"{type(exc).__name__}: {exc}",
            maybe_delivered=maybe_delivered(exc),
        )
    return SendError(Failure.FAILED, description)


def maybe_delivered(exc: TelegramError) -> bool:
    """Whether Telegram may have taken a message although the call failed: the whole request
    went out and its answer did not come back (the read timed out, or the connection dropped
    while waiting). A connect or pool timeout, or an error status, means it did not; so does a
    write timeout (Telegram acts on a complete request only)."""
    if not isinstance(exc, NetworkError):
        return False
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return not isinstance(
            cause, httpx.ConnectTimeout | httpx.PoolTimeout | httpx.WriteTimeout
        ) and not exc.message.startswith("Pool timeout")
    return isinstance(cause, httpx.ReadError | httpx.RemoteProtocolError)
