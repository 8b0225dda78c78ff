"""An officer answers the questionnaire on Zalo: the real engine and database, the Zalo client,
receiver and stand-in over HTTP, every button typed as words."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from channels.zalo.api import ZaloBotApi
from channels.zalo.conversation import ZaloConversation
from channels.zalo.receiver import ZaloReceiver
from conversations.engine import Questionnaire
from storage.contacts import bind_contact
from storage.db import Database
from storage.invitations import create_invitation
from storage.models import Answer, ChannelName, Contact, Invitation, QuestionnaireState, Role
from storage.questionnaire import shown_before
from tests.factories import all_types_form, make_person, make_unit, open_round
from zalo_standin import ZaloStandIn, ZaloUser


@dataclass
class Officer:
    zalo: ZaloStandIn
    user: ZaloUser

    async def say(self, text: str) -> list[str]:
        """Send a text; the bot's replies to it, once it has gone quiet."""
        before = len(self.zalo.messages_to(self.user))
        await self.zalo.send_text(self.user, text)
        await self.zalo.wait_for_message(self.user, after=before)
        while True:  # replies may come in several messages
            count = len(self.zalo.messages_to(self.user))
            await asyncio.sleep(0.15)
            if len(self.zalo.messages_to(self.user)) == count:
                break
        return [m.text for m in self.zalo.messages_to(self.user)[before:]]


@dataclass
class Setup:
    officer: Officer
    round_id: int
    database: Database
    zalo: ZaloStandIn


@pytest.fixture
async def zalo_walk(database: Database) -> AsyncIterator[Setup]:
    async with ZaloStandIn() as zalo, ZaloBotApi(zalo.token, base_url=zalo.url) as api:
        user = zalo.add_user("Nguyễn Thị Hoa")
        async with database.session() as session:
            unit = await make_unit(session, code="12151")
            hoa = await make_person(session, unit=unit)
            await bind_contact(session=session, person_id=hoa.id, channel="zalo", address=user.id)
            round_ = await open_round(session, unit=unit)
        conversation = ZaloConversation(database, Questionnaire(all_types_form()), api)
        receiver = ZaloReceiver(database, conversation.handle)
        stop = asyncio.Event()
        polling = asyncio.create_task(receiver.poll(api, stop, timeout_s=1))
        try:
            yield Setup(Officer(zalo, user), round_.id, database, zalo)
        finally:
            stop.set()
            await polling
            await receiver.drain()


async def stored(setup: Setup) -> dict[str, object]:
    async with setup.database.session() as session:
        rows = await session.scalars(select(Answer).where(Answer.round_id == setup.round_id))
        return {row.question_code: row.value["value"] for row in rows}


async def test_an_officer_walks_the_form_typing_every_button(zalo_walk: Setup) -> None:
    hoa = zalo_walk.officer

    first = await hoa.say("/baocao")
    assert "Bao nhiêu buổi?" in first[-1]
    assert "• 0 — 0 / Không có" in first[-1]

    refused = await hoa.say("hai chục")
    assert "Bao nhiêu buổi?" in refused[-1]  # asked again, nothing stored
    assert await stored(zalo_walk) == {}

    assert "Tổng thời lượng?" in (await hoa.say("12"))[-1]
    back = await hoa.say("quay lai")
    assert "Bao nhiêu buổi?" in back[-1]
    assert "Tổng thời lượng?" in (await hoa.say("14"))[-1]
    assert "Tỷ lệ" in (await hoa.say("1 giờ 30"))[-1]
    yes_no = (await hoa.say("100%"))[-1]
    assert "• 1 — Có" in yes_no and "• 2 — Không" in yes_no
    choice = (await hoa.say("1"))[-1]
    assert "• 2 — Trung bình" in choice
    assert "Hình thức khác?" in (await hoa.say("2"))[-1]
    assert "Ưu điểm?" in (await hoa.say("bỏ qua"))[-1]

    assert await stored(zalo_walk) == {
        "q_count": 14,
        "q_minutes": 90,
        "q_percent": 100,
        "q_yes_no": True,
        "q_choice": "fair",
        "q_short": None,
    }
    assert all(len(m.text) <= 2000 for m in zalo_walk.zalo.messages_to(hoa.user))


async def test_a_sticker_or_a_photo_gets_the_question_again(zalo_walk: Setup) -> None:
    hoa = zalo_walk.officer
    await hoa.say("/baocao")

    before = len(zalo_walk.zalo.messages_to(hoa.user))
    await zalo_walk.zalo.send_sticker(hoa.user)
    reply = await zalo_walk.zalo.wait_for_message(hoa.user, after=before)

    assert "chỉ đọc được tin nhắn chữ" in reply.text
    assert "Bao nhiêu buổi?" in reply.text
    assert await stored(zalo_walk) == {}


async def test_a_stranger_is_told_how_to_register_and_nothing_else(zalo_walk: Setup) -> None:
    stranger = Officer(zalo_walk.zalo, zalo_walk.zalo.add_user("Người lạ"))

    [reply] = await stranger.say("/baocao")

    assert "chưa được đăng ký" in reply
    assert "12151" not in reply and "Hoa" not in reply


async def test_the_review_and_the_submission_are_typed_too(zalo_walk: Setup) -> None:
    hoa = zalo_walk.officer
    await hoa.say("/baocao")
    for answer in ("14", "90", "100", "1", "1", "bỏ qua"):
        await hoa.say(answer)
    # Typing the sample's words uses it at once, as a tap does on Telegram.
    sample = (await hoa.say("mẫu 2"))[-1]
    assert "✔ Đã lưu: Ưu điểm:\nHình thức tuyên truyền đa dạng." in sample
    assert "Ngày họp?" in sample
    for answer in ("08/01/2026", "03/KH-UBND ngày 08/01/2026", "1", "bỏ qua"):
        await hoa.say(answer)
    review = await hoa.say("có làm")
    assert "• số thứ tự câu (1–5) để sửa câu đó" in review[-3]
    assert "• «gửi» — Gửi báo cáo" in review[-1]

    assert "Tỷ lệ bao nhiêu phần trăm?" in (await hoa.say("3"))[-1]
    again = await hoa.say("95")
    assert "3. Tỷ lệ: 95%" in "\n".join(again)
    done = "\n".join(await hoa.say("Gửi"))

    assert "đã gửi" in done.lower() or "đã nộp" in done.lower(), done
    answers = await stored(zalo_walk)
    assert answers["q_percent"] == 95
    assert answers["q_long"] == "Hình thức tuyên truyền đa dạng."
    assert answers["q_done"] == "done"
    assert len(answers) == 12
    texts = [m.text for m in zalo_walk.zalo.messages_to(hoa.user)]
    assert not any("bấm" in text.lower() for text in texts)


async def test_registering_on_zalo_with_the_code_as_a_message(database: Database) -> None:
    async with ZaloStandIn() as zalo, ZaloBotApi(zalo.token, base_url=zalo.url) as api:
        async with database.session() as session:
            unit = await make_unit(session, code="12151")
            await make_person(session, unit=unit, full_name="Trần Văn Bình")  # imported
            officer_code, _ = await create_invitation(session=session, unit=unit, role=Role.OFFICER)
            admin_code, _ = await create_invitation(session=session, unit=unit, role=Role.ADMIN)
            await open_round(session, unit=unit)
        conversation = ZaloConversation(database, Questionnaire(all_types_form()), api)
        receiver = ZaloReceiver(database, conversation.handle)
        stop = asyncio.Event()
        polling = asyncio.create_task(receiver.poll(api, stop, timeout_s=1))
        try:
            binh = Officer(zalo, zalo.add_user("Bình Trần"))
            lan = Officer(zalo, zalo.add_user("Lan"))

            [forged] = await binh.say("/start " + "A" * 32)
            [registered] = await binh.say(officer_code)  # the bare code
            [again] = await binh.say(f"/start {officer_code}")  # a second tap changes nothing
            first = await binh.say("/baocao")
            [admin] = await lan.say(f"/start {admin_code}")  # administrators use Telegram
            [stranger] = await lan.say("/baocao")
        finally:
            stop.set()
            await polling
            await receiver.drain()
        async with database.session() as session:
            bound = (await session.scalars(select(Contact))).all()
            admin_invitation = await session.scalar(
                select(Invitation).where(Invitation.role == Role.ADMIN)
            )

    assert "Mã mời không dùng được" in forged
    assert "Xin chào anh/chị Trần Văn Bình!" in registered  # the imported person, by name
    assert again == registered
    assert "Bao nhiêu buổi?" in first[-1]
    assert "vui lòng dùng Telegram" in admin
    assert "chưa được đăng ký" in stranger
    assert [(c.channel, c.address) for c in bound] == [("zalo", binh.user.id)]
    assert admin_invitation is not None and admin_invitation.used_at is None


def test_a_zalo_reply_in_the_millisecond_of_its_prompt_counts_for_that_prompt() -> None:
    """Zalo places messages by milliseconds, which can tie; Telegram's ids cannot."""
    state = QuestionnaireState(
        shown=[
            {"step": 2, "question": "q_count", "message": 41},
            {"step": 3, "question": "q_minutes", "message": 1_764_633_600_000, "channel": "zalo"},
        ]
    )

    seen_on_zalo = shown_before(state, 1_764_633_600_000, ChannelName.ZALO)
    assert seen_on_zalo is not None and seen_on_zalo["step"] == 3
    assert shown_before(state, 1_764_633_599_999, ChannelName.ZALO) is None
    assert shown_before(state, 41) is None  # on Telegram, message 41 is the prompt itself
    seen_on_telegram = shown_before(state, 42)
    assert seen_on_telegram is not None and seen_on_telegram["step"] == 2
