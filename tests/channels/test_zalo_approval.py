"""A chairman on Zalo: the draft arrives as text (its preview, then its caption and the decision
as words to type), and "xem số liệu", "sửa <ý kiến>" and "duyệt" act like the buttons."""

from __future__ import annotations

import asyncio
import io
import re
import struct
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial

import httpx
import pytest
from sqlalchemy import select

from bot.sending import ReportFiles, linked_report
from channels.base import FileUnavailable
from channels.links import FileLinks, LinkServer
from channels.zalo.api import ZaloBotApi
from channels.zalo.conversation import ZaloConversation
from channels.zalo.receiver import ZaloReceiver
from conversations import texts
from conversations.engine import Questionnaire
from conversations.outgoing import from_payload
from storage.contacts import bind_contact, destination
from storage.db import Database
from storage.models import ChannelName, Draft, DraftStatus, OutboxMessage, OutboxStatus, Person
from tests.conversations.test_approval import (
    COMMENT,
    FORM,
    WORKFLOW,
    Commune,
    complete_round,
    make_commune,
    make_office,
)
from zalo_standin import ZaloStandIn, ZaloUser


@dataclass
class ChairmanOnZalo:
    zalo: ZaloStandIn
    user: ZaloUser
    commune: Commune
    conversation: ZaloConversation

    async def say(self, text: str) -> list[str]:
        before = len(self.zalo.messages_to(self.user))
        await self.zalo.send_text(self.user, text)
        await self.zalo.wait_for_message(self.user, after=before)
        while True:
            count = len(self.zalo.messages_to(self.user))
            await asyncio.sleep(0.15)
            if len(self.zalo.messages_to(self.user)) == count:
                return [m.text for m in self.zalo.messages_to(self.user)[before:]]

    async def receive_the_draft(self, database: Database) -> list[str]:
        """Send what the workflow queued for the chairman, as the outbox sender would."""
        async with database.session() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.person_id == self.commune.chairman.id)
                    .order_by(OutboxMessage.id)
                )
            ).all()
            to = await destination(session=session, person_id=self.commune.chairman.id)
        assert to is not None and (to.channel, to.address) == (ChannelName.ZALO, self.user.id)
        address = to.address
        before = len(self.zalo.messages_to(self.user))
        for row in rows:
            await self.conversation.outlet.send(address, from_payload(row.payload))
        return [m.text for m in self.zalo.messages_to(self.user)[before:]]


@pytest.fixture
async def chairman(database: Database) -> AsyncIterator[ChairmanOnZalo]:
    office = await make_office(database)
    commune = await make_commune(database, office=office, chairman_registered=False)
    async with on_zalo(database, commune.chairman, "Lê Văn Cường") as (zalo, user, conversation):
        yield ChairmanOnZalo(zalo, user, commune, conversation)


@asynccontextmanager
async def on_zalo(
    database: Database, person: Person, name: str
) -> AsyncIterator[tuple[ZaloStandIn, ZaloUser, ZaloConversation]]:
    """The person registered on a Zalo stand-in, and the bot's Zalo side polling it."""
    async with ZaloStandIn() as zalo, ZaloBotApi(zalo.token, base_url=zalo.url) as api:
        user = zalo.add_user(name)
        await zalo.send_text(user, "xin chào")  # a Zalo bot writes only to who wrote first
        async with database.session() as session:
            await bind_contact(
                session=session, person_id=person.id, channel="zalo", address=user.id
            )
            registered = await session.get_one(Person, person.id)
            registered.last_channel = ChannelName.ZALO
        conversation = ZaloConversation(database, Questionnaire(FORM), api, workflow=WORKFLOW)
        receiver = ZaloReceiver(database, conversation.handle)
        async with ZaloBotApi(zalo.token, base_url=zalo.url) as first:
            assert await first.get_update(timeout_s=1) is not None  # the greeting, not for here
        stop = asyncio.Event()
        polling = asyncio.create_task(receiver.poll(api, stop, timeout_s=1))
        try:
            yield zalo, user, conversation
        finally:
            stop.set()
            await polling
            await receiver.drain()


async def draft_status(database: Database, round_id: int) -> DraftStatus:
    async with database.session() as session:
        draft = await session.scalar(
            select(Draft).where(Draft.round_id == round_id).order_by(Draft.id.desc())
        )
        assert draft is not None
        return draft.status


async def test_the_chairman_reads_the_draft_and_approves_it_typing(
    database: Database, chairman: ChairmanOnZalo
) -> None:
    await complete_round(database, chairman.commune)

    received = await chairman.receive_the_draft(database)
    figures = await chairman.say("Xem số liệu")
    approved = await chairman.say("DUYỆT")

    draft_text = "\n".join(received)
    assert "• «duyệt»\n" in received[-1]
    assert "gõ «duyệt», hoặc «SỬA <nội dung>» để gửi lại" in received[-1]
    assert "• «SỬA <nội dung>» — Yêu cầu sửa" in received[-1]
    assert received[-1].endswith("• «xem số liệu»")
    assert "BÁO CÁO" in draft_text.upper()  # the preview: the draft's text itself
    assert any("6" in text for text in figures)
    assert "Đã duyệt" in "\n".join(approved)
    assert await draft_status(database, chairman.commune.round_id) is DraftStatus.APPROVED
    assert all(len(m.text) <= 2000 for m in chairman.zalo.messages_to(chairman.user))
    async with database.session() as session:  # the reply went: its safety-net copy will not
        copy = await session.scalar(
            select(OutboxMessage).where(
                OutboxMessage.person_id == chairman.commune.chairman.id,
                OutboxMessage.not_before > OutboxMessage.created_at,
            )
        )
    assert copy is not None and copy.status is OutboxStatus.SENT


async def test_sua_with_a_comment_sends_the_draft_back_in_one_message(
    database: Database, chairman: ChairmanOnZalo
) -> None:
    await complete_round(database, chairman.commune)
    await chairman.receive_the_draft(database)

    returned = "\n".join(await chairman.say(f"Sửa {COMMENT}"))
    stray = await chairman.say("duyệt")  # nothing waits for a decision any more

    assert await draft_status(database, chairman.commune.round_id) is DraftStatus.RETURNED
    assert "trả lại" in returned.lower() or "yêu cầu sửa" in returned.lower(), returned
    assert "Đã duyệt" not in "\n".join(stray)
    async with database.session() as session:
        draft = await session.scalar(
            select(Draft).where(Draft.round_id == chairman.commune.round_id)
        )
        assert draft is not None and COMMENT in str(draft.comment)


async def test_sua_alone_asks_for_the_comment_and_takes_the_next_message(
    database: Database, chairman: ChairmanOnZalo
) -> None:
    await complete_round(database, chairman.commune)
    await chairman.receive_the_draft(database)

    asked = "\n".join(await chairman.say("sua"))
    await chairman.say(COMMENT)

    assert "/huy" in asked
    assert await draft_status(database, chairman.commune.round_id) is DraftStatus.RETURNED


def two_page_pdf(title: str = "Trang") -> bytes:
    """A PDF of two A4 pages, drawn without LibreOffice (matplotlib writes PDFs)."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    out = io.BytesIO()
    with PdfPages(out) as document:
        for number in (1, 2):
            figure = Figure(figsize=(8.27, 11.69))
            figure.text(0.1, 0.9, f"{title} {number}")
            document.savefig(figure)
    return out.getvalue()


async def test_with_a_public_address_the_draft_comes_as_pages_and_links(
    database: Database, chairman: ChairmanOnZalo
) -> None:
    files = ReportFiles(database)
    server = LinkServer(
        FileLinks("links-secret-0123456789", "http://placeholder"),
        partial(linked_report, files),
        host="127.0.0.1",
        port=0,
    )
    await server.start()
    server.links.base_url = f"http://127.0.0.1:{server.port}"
    chairman.conversation.outlet.links = server.links
    chairman.conversation.outlet.pages = files
    chairman.zalo.fetch_photos = True  # as Zalo does: it downloads the picture from its URL
    await complete_round(database, chairman.commune)
    pdf = two_page_pdf()
    async with database.session() as session:
        draft = await session.scalar(
            select(Draft).where(Draft.round_id == chairman.commune.round_id)
        )
        assert draft is not None
        draft.pdf = pdf  # made by LibreOffice in a deployment; stored, it is what is shown
        docx = draft.docx
    try:
        received = await chairman.receive_the_draft(database)
        links = re.findall(r"http://127\.0\.0\.1:\d+/f/report/\S+", received[-1])
        async with httpx.AsyncClient() as client:
            files_got = [await client.get(link) for link in links]
            forged = await client.get(links[0][:-4] + "AAAA")
            page_link = chairman.zalo.messages_to(chairman.user)[-3].photo_url
            assert page_link is not None
            as_report = await client.get(page_link.replace("/f/page/", "/f/report/"))
            async with database.session() as session:  # numbered at approval: a new file
                renumbered = await session.get_one(Draft, draft.id)
                renumbered.pdf = two_page_pdf(title="Số 01/BC-UBND")
            stale_page = await client.get(page_link)
    finally:
        await server.stop()

    photos = [m for m in chairman.zalo.messages_to(chairman.user) if m.photo_url]
    assert [m.text.rsplit("·", 1)[-1].strip() for m in photos] == ["trang 1/2", "trang 2/2"]
    for photo in photos:
        assert photo.photo is not None and photo.photo.startswith(b"\x89PNG")
        width, height = struct.unpack(">II", photo.photo[16:24])
        assert (width, height) == (910, 1286)  # A4 at 110 dots per inch
    assert "BC-CCHC_2026-Q4_" in photos[0].text
    assert [f.status_code for f in files_got] == [200, 200]
    assert files_got[0].content == docx and files_got[1].content == pdf
    assert ".docx:" in received[-1] and ".pdf:" in received[-1]
    assert "BC-CCHC_2026-Q4_" in files_got[0].headers["content-disposition"]
    assert forged.status_code == 404
    assert as_report.status_code == 404  # a page's link opens nothing but that page
    assert stale_page.status_code == 404  # nor a page of the file that replaced it


async def test_a_draft_whose_pdf_cannot_be_made_comes_with_links_only(
    database: Database, chairman: ChairmanOnZalo
) -> None:
    class NoPages:
        async def pages_of(self, draft_id: int) -> tuple[int, str]:
            raise FileUnavailable("no PDF could be made")

    chairman.conversation.outlet.links = FileLinks("links-secret-0123456789", "http://bot.example")
    chairman.conversation.outlet.pages = NoPages()
    await complete_round(database, chairman.commune)

    received = await chairman.receive_the_draft(database)

    assert not [m for m in chairman.zalo.messages_to(chairman.user) if m.photo_url]
    links = re.findall(r"http://bot\.example/f/report/\S+", received[-1])
    assert len(links) == 1 and ".docx:" in received[-1] and ".pdf:" not in received[-1]


@pytest.mark.parametrize(
    ("typed", "number"),
    [
        ("dùng số", "01/BC-UBND"),
        ("Số 7", "07/BC-UBND"),
        ("số bảy", None),  # words, a negative, a huge number or template code: asked again
        ("số -3", None),
        ("số 123456789012", None),
        ("số {{ 7*7 }}", None),
    ],
)
async def test_a_clerk_on_zalo_numbers_the_approved_report_typing(
    database: Database, typed: str, number: str
) -> None:
    office = await make_office(database)
    commune = await make_commune(database, office=office, clerk=True)
    assert commune.clerk is not None
    async with on_zalo(database, commune.clerk, "Văn thư") as (zalo, user, conversation):
        await complete_round(database, commune)
        async with database.session() as session:
            draft = await session.scalar(select(Draft).where(Draft.round_id == commune.round_id))
            assert draft is not None
            approved = await WORKFLOW.press(
                session, person=commune.chairman, draft_id=draft.id, action="ok"
            )
            request = await session.scalar(
                select(OutboxMessage).where(OutboxMessage.purpose == "number_request")
            )
            assert request is not None
        await conversation.outlet.send(user.id, from_payload(request.payload))
        asked = zalo.messages_to(user)[-1].text
        before = len(zalo.messages_to(user))
        await zalo.send_text(user, typed)
        await zalo.wait_for_message(user, after=before)
        told = zalo.messages_to(user)[-1].text
    async with database.session() as session:
        numbered = await session.get_one(Draft, draft.id)

    assert approved.accepted
    assert "• «dùng số» — Dùng số 01\n• «SỐ <số>» — Nhập số khác" in asked
    assert "bấm" not in asked.lower()
    assert numbered.number == number, told
    if number is None:
        assert told == texts.NUMBER_NOT_VALID
