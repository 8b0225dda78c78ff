"""What the bot sends outside a questionnaire reply, on Zalo: queued messages (the round's
prompt, reminders, a draft for the chairman, notices) and the replies of the approval.

The outbox sender asks `address_for` for each message to a person: when Zalo is the channel
they wrote from last (or their only one), the message goes here, as text. Each button is kept
as the words that do the same when typed on Zalo ("▶️ Bắt đầu nhập" is "/baocao", "✅ Duyệt" is
"duyệt", "✏️ Yêu cầu sửa" is "sửa <ý kiến>"); a button with no typed equivalent is left out.
A report file cannot be sent on Zalo yet: its caption goes, saying so, with its buttons as words
(the draft's full text came before it, in the messages of its preview); any other file fails,
so nobody is told it was delivered.
"""

from __future__ import annotations

import re

from channels import text_only
from channels.base import Failure, SendError, Sent
from channels.links import FileLinks
from channels.zalo.api import MAX_TEXT_LENGTH, ZaloBotApi
from conversations import texts
from conversations.approval import CALLBACK_PREFIX as APPROVAL_PREFIX
from conversations.duties import RESUME_CALLBACK
from conversations.engine import Button, OutMessage
from conversations.outgoing import Item, Keyboard, ReportFile, Text
from storage.contacts import zalo_address
from storage.db import Database

# The approval's buttons as typed words; "…" takes the rest of the message (the comment).
APPROVAL_WORDS: dict[str, tuple[str, ...]] = {
    "ok": ("duyệt",),
    "ret": ("sửa …",),
    "data": ("xem số liệu",),
}
_APPROVAL_DATA = re.compile(rf"^{re.escape(APPROVAL_PREFIX)}\d+:([a-z]+)$")


def typed_words(data: str) -> tuple[str, ...] | None:
    """What typing does on Zalo what a button with this data does; None if nothing does."""
    if data == RESUME_CALLBACK:
        return ("/baocao",)
    match = _APPROVAL_DATA.match(data)
    return APPROVAL_WORDS.get(match[1]) if match else None


def render(text: str, keyboard: Keyboard) -> str:
    """A text with its buttons written out as what to type."""
    words = {
        action.data: found
        for row in keyboard
        for action in row
        if (found := typed_words(action.data)) is not None
    }
    buttons = tuple(
        kept
        for kept in (
            tuple(Button(action.label, action.data) for action in row if action.data in words)
            for row in keyboard
        )
        if kept
    )
    return text_only.render(OutMessage(text, buttons), words)


REPORT_LINK_PURPOSE = "report"


def report_link_name(item: ReportFile) -> str:
    """What a link to a stored report names: its version, format and file name."""
    return f"{item.draft_id}/{item.format}/{item.filename}"


class ZaloOutlet:
    def __init__(
        self, database: Database, api: ZaloBotApi, *, links: FileLinks | None = None
    ) -> None:
        self.database = database
        self.api = api
        # Signed links to report files under the public address; None: files are not offered.
        self.links = links

    async def address_for(self, person_id: int) -> str | None:
        async with self.database.session() as session:
            return await zalo_address(session=session, person_id=person_id)

    async def send(self, address: str, item: Item) -> Sent:
        """Send an item as text; SendError for what Zalo refused or cannot carry."""
        if isinstance(item, Text):
            shown = render(item.text, item.buttons)
        elif isinstance(item, ReportFile):
            if self.links is not None:
                link = self.links.link(report_link_name(item), REPORT_LINK_PURPOSE)
                note = texts.zalo_file_link(filename=item.filename, link=link)
            else:
                note = texts.ZALO_NO_FILE_YET
            shown = render("\n\n".join(part for part in (item.caption, note) if part), item.buttons)
        else:
            raise SendError(Failure.FAILED, "this file cannot be sent on Zalo yet")
        sent: Sent | None = None
        for piece in text_only.split(shown, MAX_TEXT_LENGTH):
            sent = await self.api.send_message(address, piece)
        assert sent is not None
        return sent
