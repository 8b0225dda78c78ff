"""What every channel has in common: who a message came from, and how a send can fail.

The conversations speak in neutral replies (conversations.engine.Reply: texts with buttons);
a channel turns them into its own messages and tells its callers what became of a send in the
same four words, whatever the platform said: try again later, the person blocked the bot, it
failed for good, or the chat moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from storage.models import ChannelName  # every update, contact and sent message records it

if TYPE_CHECKING:
    from conversations.outgoing import Item


class Failure(StrEnum):
    """What a failed send means for whoever sent it."""

    RETRY_LATER = "retry_later"  # a flood limit, a 5xx, a timeout, a dropped connection
    BLOCKED = "blocked"  # the person blocked the bot or never started it: ask someone else
    FAILED = "failed"  # refused for good (a wrong chat, a text the platform will not take)
    MOVED = "moved"  # the chat has a new address (a Telegram group became a supergroup)


class SendError(Exception):
    """A send that did not go, classified; `retry_after` in seconds when the platform said;
    `maybe_delivered` when the whole request went out and its answer never came back (the
    platform may have shown the message)."""

    def __init__(
        self,
        failure: Failure,
        description: str,
        *,
        retry_after: float | None = None,
        moved_to: str | None = None,
        maybe_delivered: bool = False,
    ) -> None:
        super().__init__(description)
        self.failure = failure
        self.description = description
        self.retry_after = retry_after
        self.moved_to = moved_to
        self.maybe_delivered = maybe_delivered


class FileUnavailable(Exception):
    """A file to send cannot be made (the version is gone, or LibreOffice failed)."""


@dataclass(frozen=True)
class Address:
    """A chat on one channel. Ids are text: Zalo's are strings, Telegram's numbers."""

    channel: ChannelName
    chat_id: str


@dataclass(frozen=True)
class Sent:
    """A message the platform accepted."""

    message_id: str
    at: datetime


class Outlet(Protocol):
    """One channel's way out: send an item (a text with its buttons, a report file, an office's
    compiled file) to an address on it, or raise SendError saying what became of it."""

    async def send(self, address: str, item: Item) -> Sent: ...


class IncomingKind(StrEnum):
    TEXT = "text"
    IMAGE = "image"
    STICKER = "sticker"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Incoming:
    """One message from a person, as the engine needs it on any channel.

    `key` identifies the update on its channel, for the inbox and for telling a redelivery from
    a new message; `sent_at` places it among the prompts the person was shown.
    """

    key: str
    address: Address
    sender_id: str
    sender_name: str
    kind: IncomingKind
    text: str | None
    sent_at: datetime
    in_group: bool = False
