"""Zalo's updates as channels.base.Incoming.

An update carries `event_name` ("message.text.received", "message.image.received",
"message.sticker.received", "message.unsupported.received") and a `message` with `message_id`,
`date` (milliseconds), `from {id, display_name}`, `chat {id, chat_type}` and `text`. A webhook
may wrap it as getUpdates does ({"ok": true, "result": {...}}); both shapes are read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from channels.base import Address, ChannelName, Incoming, IncomingKind

_KINDS = {
    "message.text.received": IncomingKind.TEXT,
    "message.image.received": IncomingKind.IMAGE,
    "message.sticker.received": IncomingKind.STICKER,
    "message.unsupported.received": IncomingKind.UNSUPPORTED,
}


class NotAnUpdate(ValueError):
    """A body that is not a Zalo message update (kept out of the inbox, logged)."""


def unwrap(body: Any) -> dict[str, Any]:
    """The update in a getUpdates result or a webhook body."""
    if isinstance(body, dict) and isinstance(body.get("result"), dict):
        body = body["result"]
    if not isinstance(body, dict) or not isinstance(body.get("message"), dict):
        raise NotAnUpdate("no message in the update")
    return body


def read_update(body: Any) -> Incoming:
    """One update as an Incoming; NotAnUpdate for what is not a person's message."""
    update = unwrap(body)
    message = update["message"]
    sender = message.get("from") or {}
    chat = message.get("chat") or {}
    message_id, sender_id = message.get("message_id"), sender.get("id")
    chat_id = chat.get("id") or sender_id
    if not message_id or not sender_id or not chat_id:
        raise NotAnUpdate("an update without a message id, a sender or a chat")
    millis = message.get("date")
    sent_at = (
        datetime.fromtimestamp(millis / 1000, UTC)
        if isinstance(millis, int | float)
        else datetime.now(UTC)
    )
    kind = _KINDS.get(str(update.get("event_name")), IncomingKind.UNSUPPORTED)
    text = message.get("text")
    return Incoming(
        # Zalo has no update id: the message id is what a redelivery repeats.
        key=f"zalo:{message_id}",
        address=Address(ChannelName.ZALO, str(chat_id)),
        sender_id=str(sender_id),
        sender_name=str(sender.get("display_name") or sender.get("name") or ""),
        kind=kind,
        text=text if kind is IncomingKind.TEXT and isinstance(text, str) else None,
        sent_at=sent_at,
        in_group=str(chat.get("chat_type", "PRIVATE")).upper() == "GROUP",
    )
