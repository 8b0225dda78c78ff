"""What the bot sends outside a questionnaire reply, on Zalo: queued messages (the round's
prompt, reminders, a draft for the chairman, notices) and the replies of the approval.

The outbox sender sends here each message to a person or office whose place is on Zalo
(storage.contacts.destination), as text. Each button is kept
as the words that do the same when typed on Zalo ("▶️ Bắt đầu nhập" is "/baocao", "✅ Duyệt" is
"duyệt", "✏️ Yêu cầu sửa" is "sửa <ý kiến>"); a button with no typed equivalent is left out.
Zalo carries no documents, so a report's .docx goes as its pages, pictures fetched by Zalo from
the bot's signed links (channels.links), then its caption with links to the .docx and the .pdf
and its buttons as words. Without a public address for links, the caption goes alone, saying
so (the draft's full text came before it, in the messages of its preview). Any other file
fails, so nobody is told it was delivered.
"""

from __future__ import annotations

import logging
import re
from typing import Protocol

from channels import text_only
from channels.base import Failure, SendError, Sent
from channels.links import FileLinks
from channels.zalo.api import MAX_TEXT_LENGTH, ZaloBotApi
from conversations import texts
from conversations.approval import CALLBACK_PREFIX as APPROVAL_PREFIX
from conversations.duties import RESUME_PATTERN
from conversations.engine import Button, OutMessage
from conversations.office import REMIND_PATTERN
from conversations.outgoing import CompiledFile, Item, Keyboard, ReportFile, Text
from report_templates.pages import MAX_PAGES
from storage.models import DEFAULT_REPORT_KIND

logger = logging.getLogger(__name__)

# The approval's buttons as typed words; "…" takes the rest of the message (the comment).
APPROVAL_WORDS: dict[str, tuple[str, ...]] = {
    "ok": ("duyệt",),
    "ret": ("sửa …",),
    "data": ("xem số liệu",),
    "num": ("dùng số",),  # the clerk: the register's next number
    "typ": ("số …<số>",),  # the clerk: "số 7", or "số" and the number in the next message
}
_APPROVAL_DATA = re.compile(rf"^{re.escape(APPROVAL_PREFIX)}\d+:([a-z]+)$")


def typed_words(data: str) -> tuple[str, ...] | None:
    """What typing does on Zalo what a button with this data does; None if nothing does."""
    resume = RESUME_PATTERN.match(data)
    if resume is not None:
        # CCHC's prompt says plain /baocao, as it did before kinds (with a second report open it
        # asks which); another kind's names it.
        kind = resume[1]
        return (f"/baocao {kind}",) if kind and kind != DEFAULT_REPORT_KIND else ("/baocao",)
    if REMIND_PATTERN.match(data):
        return ("nhắc",)  # the office's latest period, as /tiendo shows it by default
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


def _captioned(item: ReportFile | CompiledFile, note: str) -> str:
    """A file's caption and what stands for the file, with its buttons as words."""
    return render("\n\n".join(part for part in (item.caption, note) if part), item.buttons)


REPORT_LINK_PURPOSE = "report"
PAGE_LINK_PURPOSE = "page"
COMPILED_LINK_PURPOSE = "compiled"
# What an office's compiled files are called in a message (their file names are made when built).
COMPILED_LABELS = {
    "xlsx": "Bảng tổng hợp số liệu (.xlsx)",
    "docx": "Báo cáo tổng hợp (.docx)",
    "zip": "Báo cáo của các xã (.zip)",
}


def report_link_name(draft_id: int, fmt: str, filename: str) -> str:
    """What a link to a stored report names: its version, format and file name."""
    return f"{draft_id}/{fmt}/{filename}"


def compiled_link_name(item: CompiledFile) -> str:
    """What a link to one of an office's compiled files names: built when the link is opened,
    with the figures of that moment, as a queued file is built when it is sent."""
    return f"compiled/{item.office_id}/{item.period_code}/{item.part}/{item.report_kind}"


def page_link_name(draft_id: int, number: int, digest: str) -> str:
    """What a link to one page of a stored report, as a picture, names: with the digest of the
    PDF it was drawn from, so it never shows another file under the same version."""
    return f"{draft_id}/page/{number}/{digest}"


class Pages(Protocol):
    """Where a version's pages come from (bot.sending.ReportFiles)."""

    async def pages_of(self, draft_id: int) -> tuple[int, str]: ...


class ZaloOutlet:
    def __init__(
        self,
        api: ZaloBotApi,
        *,
        links: FileLinks | None = None,
        pages: Pages | None = None,
    ) -> None:
        self.api = api
        # Signed links to report files under the public address; None: files are not offered.
        self.links = links
        # The versions' pages as pictures, shown before the links; None: links only.
        self.pages = pages

    async def send(self, address: str, item: Item) -> Sent:
        """Send an item as text; SendError for what Zalo refused or cannot carry."""
        if isinstance(item, Text):
            shown = render(item.text, item.buttons)
        elif isinstance(item, ReportFile):
            if self.links is not None:
                has_pdf = item.format == "pdf"
                if item.format == "docx":
                    has_pdf = await self._send_pages(address, item)
                note = self._file_links(item, with_pdf=has_pdf)
            else:
                note = texts.ZALO_NO_FILE_YET
            shown = _captioned(item, note)
        elif isinstance(item, CompiledFile) and self.links is not None:
            link = self.links.link(compiled_link_name(item), COMPILED_LINK_PURPOSE)
            note = texts.zalo_file_links([(COMPILED_LABELS[item.part], link)], days=self._days())
            shown = _captioned(item, note)
        else:
            raise SendError(Failure.FAILED, "this file cannot be sent on Zalo yet")
        sent: Sent | None = None
        for piece in text_only.split(shown, MAX_TEXT_LENGTH):
            sent = await self.api.send_message(address, piece)
        assert sent is not None
        return sent

    async def _send_pages(self, address: str, item: ReportFile) -> bool:
        """The version's pages as pictures, each fetched by Zalo from its signed link; False
        when the version has no PDF to draw them from (no LibreOffice): the .docx link still
        carries it."""
        if self.pages is None or self.links is None:
            return False
        try:
            count, digest = await self.pages.pages_of(item.draft_id)
        except Exception:
            logger.warning("No pages to show of version %s", item.draft_id, exc_info=True)
            return False
        shown = min(count, MAX_PAGES)
        for number in range(1, shown + 1):
            name = page_link_name(item.draft_id, number, digest)
            link = self.links.link(name, PAGE_LINK_PURPOSE)
            caption = texts.zalo_page_caption(filename=item.filename, page=number, pages=count)
            await self.api.send_photo(address, link, caption)
        return True

    def _file_links(self, item: ReportFile, *, with_pdf: bool) -> str:
        """Links to the version as .docx and, when it has one, as .pdf."""
        assert self.links is not None
        formats = (("docx",) if item.format == "docx" else ()) + (("pdf",) if with_pdf else ())
        stem = item.filename.rsplit(".", 1)[0]
        lines = []
        for fmt in formats:
            filename = f"{stem}.{fmt}"
            name = report_link_name(item.draft_id, fmt, filename)
            lines.append((filename, self.links.link(name, REPORT_LINK_PURPOSE)))
        return texts.zalo_file_links(lines, days=self._days())

    def _days(self) -> int:
        """How many days a link works, as the message says."""
        assert self.links is not None
        return max(1, self.links.max_age_s // 86400)
