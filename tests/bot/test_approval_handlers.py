"""The approver's "✅ Đã duyệt" through the real application: told at once, and never lost
when that reply does not go (its copy waits in the outbox)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select, update
from telegram import Bot, Update
from telegram.ext import Application

from bot.app import build_application
from bot.config import load_settings
from bot_api_standin import FakeUser, LocalBotApi
from report_templates.kinds import packaged_kinds
from storage.db import Database
from storage.models import OutboxMessage, OutboxStatus, Unit, utc_now
from tests.conversations.test_office import OFFICE_CHAT, drain, sender
from tests.storage.test_compilation import (
    WORKFLOW,
    Commune,
    make_commune,
    make_office,
    submit,
    typed_answers,
)


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


@pytest.fixture
async def application(
    api: LocalBotApi, database: Database, database_url: str
) -> AsyncIterator[Application]:  # type: ignore[type-arg]
    settings = load_settings(
        telegram_bot_token=api.token, telegram_api_url=api.url, database_url=database_url
    )
    app = build_application(settings, database, packaged_kinds("cchc"), WORKFLOW)
    async with app:
        yield app


def approved_notes(api: LocalBotApi, commune: Commune) -> list[dict]:
    assert commune.chairman.telegram_user_id is not None
    return [
        message
        for message in api.messages_to(commune.chairman.telegram_user_id)
        if message.get("text", "").startswith("✅ Đã duyệt. Báo cáo số 01/BC-UBND")
    ]


async def press_approve(app: Application, api: LocalBotApi, commune: Commune) -> None:  # type: ignore[type-arg]
    chat_id = commune.chairman.telegram_user_id
    assert chat_id is not None
    [draft] = [m for m in api.messages_to(chat_id) if "document" in m]
    approve = draft["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    pressed = api.press_button(FakeUser(id=chat_id, first_name="Cường"), draft, approve)
    await app.process_update(Update.de_json(pressed, app.bot))


async def test_the_approvers_confirmation_survives_a_lost_reply(
    api: LocalBotApi,
    application: Application,  # type: ignore[type-arg]
    database: Database,
) -> None:
    office = await make_office(database)
    async with database.session() as session:
        await session.execute(
            update(Unit).where(Unit.id == office.id).values(telegram_chat_id=OFFICE_CHAT)
        )
    api.add_supergroup("Sở Nội vụ", chat_id=OFFICE_CHAT)
    lost = await make_commune(database, office, code="12151", name="Tân Quang")
    told = await make_commune(database, office, code="12160", name="Lạc Đạo")
    for commune in (lost, told):
        for person in (commune.chairman, commune.officer):
            assert person.telegram_user_id is not None
            api.send_message(FakeUser(id=person.telegram_user_id, first_name="Người"), "hi")
        await submit(database, commune, typed_answers())
    bot: Bot = application.bot
    outbox = sender(bot, database)
    await drain(outbox, database)  # the drafts reach the chairmen

    # Lạc Đạo's chairman is told at once; the copy held in the outbox is settled by that reply.
    await press_approve(application, api, told)
    [reply] = approved_notes(api, told)
    async with database.session() as session:
        copy = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.key.like(f"%:final:{told.chairman.id}:note"))
        )
    assert copy is not None and copy.status is OutboxStatus.SENT
    assert copy.telegram_message_id == reply["message_id"]

    # Tân Quang's chairman's reply cannot go (a bad moment of Telegram for his chat).
    assert lost.chairman.telegram_user_id is not None
    api.block_user(lost.chairman.telegram_user_id)
    await press_approve(application, api, lost)
    api.unblock_user(lost.chairman.telegram_user_id)
    assert approved_notes(api, lost) == []

    # A minute later the outbox sends the copy, before his final file; nobody hears it twice.
    async with database.session() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.PENDING)
            .values(not_before=utc_now())
        )
    await drain(outbox, database)
    [note] = approved_notes(api, lost)
    after = api.messages_to(lost.chairman.telegram_user_id)
    assert "document" in after[after.index(note) + 1]
    assert len(approved_notes(api, told)) == 1
