"""The receiving office on Zalo: its staff register by code, its files come to the account of the
first who did (Zalo bots join no groups) as pages and links, /tiendo and «nhắc» work typed, and
what went out and what was done records the channel."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from bot.outbox import OutboxSender
from bot.sending import ReportFiles
from channels.links import FileLinks
from channels.zalo.api import ZaloBotApi
from channels.zalo.conversation import ZaloConversation
from channels.zalo.receiver import ZaloReceiver
from conversations import texts
from conversations.engine import Questionnaire
from storage.db import Database
from storage.invitations import create_invitation
from storage.models import (
    AuditEntry,
    ChannelName,
    OfficeContact,
    OutboxMessage,
    OutboxStatus,
    Role,
    Unit,
)
from storage.outbox import unsent_count
from tests.conversations.test_approval import (
    FORM,
    WORKFLOW,
    Commune,
    Office,
    complete_round,
    latest_draft,
    make_commune,
    make_office,
    press,
)
from tests.conversations.test_office import office_desk_with_duties
from zalo_standin import ZaloStandIn, ZaloUser

LINKS = FileLinks("links-secret-0123456789", "http://bot.example")


@dataclass
class OfficeOnZalo:
    zalo: ZaloStandIn
    api: ZaloBotApi
    office: Office
    commune: Commune
    conversation: ZaloConversation

    async def say(self, user: ZaloUser, text: str) -> list[str]:
        before = len(self.zalo.messages_to(user))
        await self.zalo.send_text(user, text)
        await self.zalo.wait_for_message(user, after=before)
        while True:
            count = len(self.zalo.messages_to(user))
            await asyncio.sleep(0.15)
            if len(self.zalo.messages_to(user)) == count:
                return [m.text for m in self.zalo.messages_to(user)[before:]]

    async def code(self, database: Database) -> str:
        async with database.session() as session:
            unit = await session.get_one(Unit, self.office.unit.id)
            code, _ = await create_invitation(session=session, unit=unit, role=Role.OFFICE)
        return code

    async def send_the_outbox(self, database: Database) -> None:
        sender = OutboxSender(None, database, ReportFiles(database), zalo=self.conversation.outlet)
        for _ in range(50):
            await sender.send_due()
            async with database.session() as session:
                if not await unsent_count(session=session):
                    return
            await asyncio.sleep(0.05)


@pytest.fixture
async def desk(database: Database) -> AsyncIterator[OfficeOnZalo]:
    office = await make_office(database)
    commune = await make_commune(database, office=office)
    async with ZaloStandIn() as zalo, ZaloBotApi(zalo.token, base_url=zalo.url) as api:
        conversation = ZaloConversation(
            database, Questionnaire(FORM), api, workflow=WORKFLOW, desk=office_desk_with_duties()
        )
        conversation.outlet.links = LINKS
        receiver = ZaloReceiver(database, conversation.handle)
        stop = asyncio.Event()
        polling = asyncio.create_task(receiver.poll(api, stop, timeout_s=1))
        try:
            yield OfficeOnZalo(zalo, api, office, commune, conversation)
        finally:
            stop.set()
            await polling
            await receiver.drain()


async def test_the_first_office_staff_on_zalo_receives_the_approved_report_there(
    database: Database, desk: OfficeOnZalo
) -> None:
    thu, nam = desk.zalo.add_user("Phạm Thị Thu"), desk.zalo.add_user("Đỗ Văn Nam")

    greeted = await desk.say(thu, await desk.code(database))
    second = await desk.say(nam, f"/start {await desk.code(database)}")
    await complete_round(database, desk.commune)
    draft = await latest_draft(database, desk.commune.round_id)
    assert (await press(database, desk.commune.chairman, draft.id, "ok")).accepted
    await desk.send_the_outbox(database)

    assert texts.ZALO_OFFICE_FILES_HERE in greeted[-1]
    assert texts.ZALO_OFFICE_FILES_ELSEWHERE in second[-1]  # the files stay with Thu
    async with database.session() as session:
        office = await session.get_one(Unit, desk.office.unit.id)
        contact = await session.scalar(select(OfficeContact))
        delivery = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.purpose == "office_delivery")
        )
        registered = list(
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "person.registered")
            )
        )
    assert office.delivery_channel == ChannelName.ZALO
    assert contact is not None and contact.address == thu.id
    assert delivery is not None
    assert (delivery.status, delivery.channel) == (OutboxStatus.SENT, "zalo")
    [report] = [m.text for m in desk.zalo.messages_to(thu) if "BC-CCHC_2026-Q4_" in m.text]
    assert re.search(r"\.docx:\nhttp://bot\.example/f/report/\S+", report)
    assert ".pdf:" not in report  # no PDF was made here (LibreOffice makes it): no link to one
    assert not [m for m in desk.zalo.messages_to(nam) if "BC-CCHC" in m.text]
    assert {entry.channel for entry in registered} == {"zalo"}


async def test_progress_and_remind_are_typed_and_compiled_files_come_as_links(
    database: Database, desk: OfficeOnZalo
) -> None:
    thu = desk.zalo.add_user("Phạm Thị Thu")
    await desk.say(thu, await desk.code(database))

    progress = "\n".join(await desk.say(thu, "/tiendo"))
    reminded = "\n".join(await desk.say(thu, "Nhắc"))
    compiled = "\n".join(await desk.say(thu, "/tonghop 2026-Q4"))
    too_long = "\n".join(await desk.say(thu, "/tiendo " + "9" * 40))
    not_a_period = "\n".join(await desk.say(thu, "/tonghop quý chín"))

    assert "Tân Quang" in progress and "• «nhắc»" in progress
    assert reminded.startswith("🔔"), reminded
    async with database.session() as session:
        reminders = list(
            await session.scalars(
                select(OutboxMessage).where(OutboxMessage.purpose == "office_reminder")
            )
        )
    assert {row.person_id for row in reminders} >= {desk.commune.hoa.id, desk.commune.binh.id}
    assert re.search(
        r"Bảng tổng hợp số liệu \(\.xlsx\):\nhttp://bot\.example/f/compiled/", compiled
    )
    assert too_long == not_a_period == texts.BAD_PERIOD_CODE


async def test_a_compiled_file_without_links_is_said_not_silently_dropped(
    database: Database, desk: OfficeOnZalo
) -> None:
    desk.conversation.outlet.links = None
    thu = desk.zalo.add_user("Phạm Thị Thu")
    await desk.say(thu, await desk.code(database))

    compiled = await desk.say(thu, "/tonghop")

    assert texts.ZALO_NO_COMPILED_FILE in compiled


async def test_an_office_with_a_telegram_group_keeps_its_files_there(
    database: Database, desk: OfficeOnZalo
) -> None:
    async with database.session() as session:
        office = await session.get_one(Unit, desk.office.unit.id)
        office.telegram_chat_id = -100123
    thu = desk.zalo.add_user("Phạm Thị Thu")

    greeted = await desk.say(thu, await desk.code(database))

    assert texts.ZALO_OFFICE_FILES_ELSEWHERE in greeted[-1]
    async with database.session() as session:
        office = await session.get_one(Unit, desk.office.unit.id)
        assert office.delivery_channel is None
        assert await session.scalar(select(OfficeContact)) is None
