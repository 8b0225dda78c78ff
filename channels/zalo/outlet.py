"""Queued messages (the outbox) to people who use Zalo: the round's prompt, reminders, notices.

The outbox sender asks `address_for` for each message to a person: when Zalo is the channel
they wrote from last (or their only one), the message goes here, as text. Of its buttons only
those with a typed equivalent on Zalo are kept ("▶️ Bắt đầu nhập" is "/baocao"); a document
cannot go to Zalo yet and fails as such, so nobody is told it was delivered.
"""

from __future__ import annotations

from channels import text_only
from channels.base import Failure, SendError, Sent
from channels.zalo.api import MAX_TEXT_LENGTH, ZaloBotApi
from conversations.duties import RESUME_CALLBACK
from conversations.engine import Button, OutMessage
from conversations.outgoing import Item, Text
from storage.contacts import zalo_address
from storage.db import Database

# Button data of queued messages that mean something typed on Zalo.
TYPED_ON_ZALO: dict[str, tuple[str, ...]] = {RESUME_CALLBACK: ("/baocao",)}


class ZaloOutlet:
    def __init__(self, database: Database, api: ZaloBotApi) -> None:
        self.database = database
        self.api = api

    async def address_for(self, person_id: int) -> str | None:
        async with self.database.session() as session:
            return await zalo_address(session=session, person_id=person_id)

    async def send(self, address: str, item: Item) -> Sent:
        """Send a queued text; SendError for what Zalo refused or cannot carry."""
        if not isinstance(item, Text):
            raise SendError(Failure.FAILED, "a document cannot be sent on Zalo yet")
        buttons = tuple(
            kept
            for kept in (
                tuple(
                    Button(action.label, action.data)
                    for action in row
                    if action.data in TYPED_ON_ZALO
                )
                for row in item.buttons
            )
            if kept
        )
        shown = text_only.render(OutMessage(item.text, buttons), TYPED_ON_ZALO)
        sent: Sent | None = None
        for piece in text_only.split(shown, MAX_TEXT_LENGTH):
            sent = await self.api.send_message(address, piece)
        assert sent is not None
        return sent
