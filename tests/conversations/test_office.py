"""The receiving office's desk with the real sender: /tiendo tells delivered, waiting and failed
reports apart, and a report the office's chat refused is told to the administrators and to the
chairman who signed it, once, through the outbox.

Rounds are approved through the real ApprovalWorkflow (helpers of tests/storage/
test_compilation.py); the outbox is sent by the real OutboxSender through python-telegram-bot to
the local Bot API stand-in.
"""

from __future__ import annotations

import asyncio
import logging
import struct
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from telegram import Bot

from bot.outbox import OutboxSender, Pacer
from bot.runner import hooks_in_turn
from bot.sending import ReportFiles
from bot_api_standin import FakeUser, LocalBotApi
from conversations import texts
from conversations.duties import CalendarDuties
from conversations.engine import Questionnaire
from conversations.office import OfficeDesk
from conversations.outgoing import Outcome, Picture, Text
from definitions.calendar import Calendar
from report_templates.progress_chart import SIZE_PX, Standing
from storage.db import Database
from storage.models import (
    OutboxMessage,
    OutboxStatus,
    Person,
    ReportingPeriod,
    Role,
    Unit,
    UnitKind,
)
from storage.outbox import OFFICE_DELIVERY, requeue, unsent_count
from tests.factories import both_kinds, make_person, make_unit, packaged_kind
from tests.storage.test_compilation import (
    FORM,
    WORKFLOW,
    ZONE,
    Commune,
    approve,
    make_commune,
    make_office,
    set_moments,
    submit,
    typed_answers,
    utc,
)

OFFICE_CHAT = -1_001_777_000_001
ADMIN_ID = 9_100_001
DESK = OfficeDesk(both_kinds(), zone=ZONE)
ENGINE = Questionnaire(FORM)
NOW = datetime(2026, 12, 10, 3, tzinfo=UTC)


@dataclass(frozen=True)
class Province:
    office: Unit
    staff: Person
    tan_quang: Commune
    lac_dao: Commune
    nhu_quynh: Commune


@pytest.fixture
async def api() -> AsyncIterator[LocalBotApi]:
    async with LocalBotApi() as server:
        yield server


@pytest.fixture
async def bot(api: LocalBotApi) -> AsyncIterator[Bot]:
    client = Bot(token=api.token, base_url=f"{api.url}/bot", base_file_url=f"{api.url}/file/bot")
    await client.initialize()
    yield client
    await client.shutdown()


async def province(database: Database, api: LocalBotApi, *, admin: bool = True) -> Province:
    """An office whose group the stand-in knows, three communes, and (optionally) an admin;
    Tân Quang and Lạc Đạo approved (in that order), Như Quỳnh still answering."""
    office = await make_office(database)
    async with database.session() as session:
        registered = await session.get(Unit, office.id)
        assert registered is not None
        registered.telegram_chat_id = OFFICE_CHAT
        staff = await make_person(session, unit=registered, role=Role.OFFICE, full_name="Lan")
        if admin:
            top = await make_unit(session, name="Hưng Yên", kind=UnitKind.PROVINCE, code="33")
            await make_person(
                session, unit=top, role=Role.ADMIN, full_name="Quản Trị", telegram_user_id=ADMIN_ID
            )
    communes = [
        await make_commune(database, office, code=code, name=name)
        for code, name in (("12151", "Tân Quang"), ("12160", "Lạc Đạo"), ("12154", "Như Quỳnh"))
    ]
    # The stand-in answers "chat not found" for chats it never saw: everyone wrote to the bot.
    api.add_supergroup("Sở Nội vụ", chat_id=OFFICE_CHAT)
    people = [ADMIN_ID] + [p.telegram_user_id for c in communes for p in (c.chairman, c.officer)]
    for user_id in people:
        assert user_id is not None
        api.send_message(FakeUser(id=user_id, first_name="Người"), "hi")
    for commune in communes[:2]:
        await approve(database, commune, await submit(database, commune, typed_answers()))
    return Province(office, staff, *communes)


def sender(bot: Bot, database: Database) -> OutboxSender:
    return OutboxSender(
        bot,
        database,
        ReportFiles(database),
        after_sent=WORKFLOW.after_sent,
        on_failed=hooks_in_turn(DESK.delivery_failed, WORKFLOW.delivery_failed),
        first_retry_s=0.05,
        pacer=Pacer(1000, 1000),
    )


async def drain(outbox: OutboxSender, database: Database) -> None:
    deadline = time.monotonic() + 10
    while True:
        await outbox.send_due()
        async with database.session() as session:
            if await unsent_count(session=session) == 0:
                return
        assert time.monotonic() < deadline, "the outbox did not empty"
        await asyncio.sleep(0.02)


async def progress(database: Database, place: Province) -> str:
    async with database.session() as session:
        outcome = await DESK.progress(
            session, person=place.staff, group_chat_id=None, argument="", now=NOW
        )
    assert isinstance(outcome, Outcome)
    return "\n".join(item.text for item in outcome.items if isinstance(item, Text))


def line_of(text: str, name: str) -> str:
    return next(line for line in text.splitlines() if f"{name}:" in line)


async def office_row(database: Database, commune: Commune) -> OutboxMessage:
    async with database.session() as session:
        found = await session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.purpose == OFFICE_DELIVERY)
            .where(OutboxMessage.key.like("draft:%"))
            .where(OutboxMessage.payload["caption"].as_string().contains(commune.unit.name))
        )
    assert found is not None
    return found


def said_to(api: LocalBotApi, chat_id: int | None, marker: str = "⚠️") -> list[str]:
    assert chat_id is not None
    return [m["text"] for m in api.messages_to(chat_id) if m.get("text", "").startswith(marker)]


async def looking_back(database: Database, person: Person, command: str) -> str:
    """What /baocao ("begin") or /xem ("entered") tells the person, as one text."""
    async with database.session() as session:
        reply = await getattr(ENGINE, command)(session, person=person)
    return "\n".join(message.text for message in reply.messages)


async def test_progress_shows_waiting_then_failed_and_the_admin_and_approver_are_told_once(
    api: LocalBotApi, bot: Bot, database: Database
) -> None:
    place = await province(database, api)
    tan_quang, lac_dao = place.tan_quang, place.lac_dao

    # Approved, queued, not sent yet: on its way, not "on time" yet.
    assert "Đang gửi đến Sở Nội vụ tỉnh Hưng Yên." in await looking_back(
        database, tan_quang.officer, "begin"
    )
    waiting = await progress(database, place)
    assert "Đã duyệt nhưng chưa đến cơ quan: 2 đang gửi." in waiting
    assert line_of(waiting, "xã Tân Quang").startswith("📤 xã Tân Quang: số 01/BC-UBND, duyệt ")
    assert line_of(waiting, "xã Tân Quang").endswith(texts.DELIVERY_WAITING)
    assert "đúng hạn)" not in line_of(waiting, "xã Lạc Đạo")

    # The office's chat refuses Tân Quang's report for good; Lạc Đạo's goes through.
    api.fail_next("sendDocument", status=400, description="Bad Request: chat not found")
    outbox = sender(bot, database)
    await drain(outbox, database)

    failed_row = await office_row(database, tan_quang)
    assert failed_row.status == OutboxStatus.FAILED
    assert (await office_row(database, lac_dao)).status == OutboxStatus.SENT
    shown = await progress(database, place)
    assert "Đã duyệt nhưng chưa đến cơ quan: 1 gửi không thành công." in shown
    assert line_of(shown, "xã Tân Quang").startswith("⚠️ xã Tân Quang: số 01/BC-UBND, duyệt ")
    assert line_of(shown, "xã Tân Quang").endswith(texts.DELIVERY_FAILED)
    assert line_of(shown, "xã Lạc Đạo").startswith("✅ xã Lạc Đạo: số 01/BC-UBND")
    # Still to report first, then the failed delivery, then the delivered.
    order = [
        n for line in shown.splitlines() for n in ("Như Quỳnh", "Tân Quang", "Lạc Đạo") if n in line
    ]
    assert order == ["Như Quỳnh", "Tân Quang", "Lạc Đạo"]

    [to_admin] = said_to(api, ADMIN_ID)
    assert "báo cáo CCHC quý IV năm 2026 của xã Tân Quang (số 01/BC-UBND)" in to_admin
    assert "Sở Nội vụ tỉnh Hưng Yên" in to_admin and "Chat not found" in to_admin
    assert to_admin.endswith(f"baocao outbox retry {failed_row.id}")
    [to_chairman] = said_to(api, tan_quang.chairman.telegram_user_id)
    assert to_chairman.startswith("⚠️ Báo cáo CCHC quý IV năm 2026 của xã Tân Quang")
    assert "Quản trị viên hệ thống đã được báo" in to_chairman
    assert said_to(api, lac_dao.chairman.telegram_user_id) == []
    # The officers were told at approval only that it is being sent; now they hear the truth:
    # Tân Quang's that it has not arrived, Lạc Đạo's (and its approver) that it has.
    [approved_note] = said_to(api, tan_quang.officer.telegram_user_id, "✅")
    assert "đang được gửi đến Sở Nội vụ tỉnh Hưng Yên; bot sẽ báo khi gửi xong" in approved_note
    [undelivered] = said_to(api, tan_quang.officer.telegram_user_id)
    assert undelivered.startswith("⚠️ Báo cáo CCHC quý IV năm 2026 của xã Tân Quang (số 01/BC-UBND)")
    assert "chưa gửi được đến Sở Nội vụ tỉnh Hưng Yên" in undelivered
    assert said_to(api, tan_quang.officer.telegram_user_id, "📨") == []
    for person in (lac_dao.officer, lac_dao.chairman):
        [delivered] = said_to(api, person.telegram_user_id, "📨")
        assert delivered == (
            "📨 Báo cáo CCHC quý IV năm 2026 của xã Lạc Đạo (số 01/BC-UBND) "
            "đã được gửi đến Sở Nội vụ tỉnh Hưng Yên."
        )

    # With nothing open, the officer's /baocao and /xem say where the approved report is.
    status = await looking_back(database, tan_quang.officer, "begin")
    assert status.startswith(
        "✅ Báo cáo CCHC quý IV năm 2026 của xã Tân Quang đã được Chủ tịch Lê Văn Cường duyệt: "
        "số 01/BC-UBND ngày "
    )
    assert "Chưa gửi được đến Sở Nội vụ tỉnh Hưng Yên" in status
    assert "Đã gửi đến Sở Nội vụ tỉnh Hưng Yên." in await looking_back(
        database, lac_dao.officer, "begin"
    )
    figures = await looking_back(database, lac_dao.officer, "entered")
    assert texts.approved_figures_header("CCHC quý IV năm 2026") in figures
    assert texts.NOTHING_ENTERED not in figures and texts.NO_OPEN_ROUND not in figures

    # Requeued, refused again: nobody is told a second time.
    async with database.session() as session:
        assert (await requeue(session=session, row_ids=[failed_row.id])).requeued
    api.fail_next("sendDocument", status=400, description="Bad Request: chat not found")
    await drain(outbox, database)
    assert (await office_row(database, tan_quang)).status == OutboxStatus.FAILED
    assert len(said_to(api, ADMIN_ID)) == 1
    assert len(said_to(api, tan_quang.chairman.telegram_user_id)) == 1

    # Requeued once the cause is fixed: delivered, and the round with it.
    async with database.session() as session:
        await requeue(session=session, row_ids=[failed_row.id])
    await drain(outbox, database)
    fixed = await progress(database, place)
    assert "chưa đến cơ quan" not in fixed
    assert line_of(fixed, "xã Tân Quang").startswith("✅ xã Tân Quang: số 01/BC-UBND")
    reports = [m for m in api.messages_to(OFFICE_CHAT) if "document" in m]
    assert len(reports) == 2
    # Now Tân Quang's people hear it arrived: its officer once more, its approver too.
    for person in (tan_quang.officer, tan_quang.chairman):
        [delivered] = said_to(api, person.telegram_user_id, "📨")
        assert "xã Tân Quang (số 01/BC-UBND) đã được gửi đến Sở Nội vụ" in delivered
    assert len(said_to(api, tan_quang.officer.telegram_user_id)) == 1


async def test_without_an_administrator_the_approver_is_told_and_the_log_says_so(
    api: LocalBotApi, bot: Bot, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    place = await province(database, api, admin=False)
    api.fail_next("sendDocument", status=400, description="Bad Request: chat not found")

    with caplog.at_level(logging.ERROR, logger="conversations.office"):
        await drain(sender(bot, database), database)

    failed_row = await office_row(database, place.tan_quang)
    [to_chairman] = said_to(api, place.tan_quang.chairman.telegram_user_id)
    assert "Bot chưa có quản trị viên nào để báo" in to_chairman
    assert any(
        record.levelno == logging.ERROR
        and f"baocao outbox retry {failed_row.id}" in record.getMessage()
        for record in caplog.records
    ), caplog.text
    async with database.session() as session:
        notices = list(
            await session.scalars(
                select(OutboxMessage.key).where(OutboxMessage.purpose == "failure_notice")
            )
        )
    assert notices == [f"failed:draft:{failed_row.draft_id}:{place.tan_quang.chairman.id}"]


# ----- 🔔 remind: communes nobody on the bot can be reminded in ------------------------------


async def unregister(database: Database, *people: Person) -> None:
    """As if these people were imported and never opened their invitation."""
    async with database.session() as session:
        for person in people:
            stored = await session.get(Person, person.id)
            assert stored is not None
            stored.telegram_user_id = None


async def test_remind_names_the_communes_with_nobody_to_remind_and_whom_to_ask(
    api: LocalBotApi, database: Database
) -> None:
    """Four communes have not reported: Tân Quang's officer is reminded; in Lạc Đạo only the
    chairman registered, so the office is told to ask him; in Như Quỳnh nobody registered and
    in Mỹ Hào the draft waits for a chairman who never registered: the administrator is the one
    to send invitations. Nobody is said to have been reminded who was not."""
    office = await make_office(database)
    async with database.session() as session:
        staff = await make_person(session, unit=office, role=Role.OFFICE, full_name="Lan")
        top = await make_unit(session, name="Hưng Yên", kind=UnitKind.PROVINCE, code="33")
        await make_person(
            session, unit=top, role=Role.ADMIN, full_name="Quản Trị", telegram_user_id=ADMIN_ID
        )
    tan_quang, lac_dao, nhu_quynh, my_hao = [
        await make_commune(database, office, code=code, name=name)
        for code, name in (
            ("12151", "Tân Quang"),
            ("12160", "Lạc Đạo"),
            ("12154", "Như Quỳnh"),
            ("12197", "Mỹ Hào"),
        )
    ]
    await submit(database, my_hao, typed_answers())  # awaiting its chairman
    await unregister(database, lac_dao.officer, nhu_quynh.officer, nhu_quynh.chairman)
    await unregister(database, my_hao.chairman)
    desk = office_desk_with_duties()
    async with database.session() as session:
        period = await session.scalar(select(ReportingPeriod.id))
        assert period is not None
        outcome = await desk.remind(session, person=staff, period_id=period, now=NOW)
    assert outcome.accepted and outcome.alert is None
    [said] = [item.text for item in outcome.items if isinstance(item, Text)]
    first, _, rest = said.partition("\n\n")
    assert first == texts.reminded(people=1, communes=1)
    assert "3 đơn vị chưa báo cáo không có ai để nhắc" in rest
    assert line_of(rest, "xã Lạc Đạo").endswith(
        "Đề nghị liên hệ Chủ tịch Lê Văn Cường để đôn đốc, hoặc đề nghị quản trị viên hệ thống "
        "(Quản Trị) gửi lời mời đăng ký cho cán bộ."
    )
    assert "chưa có ai của đơn vị đăng ký" in line_of(rest, "xã Như Quỳnh")
    assert "(Quản Trị)" in line_of(rest, "xã Như Quỳnh")
    assert "chờ duyệt, nhưng Chủ tịch chưa đăng ký" in line_of(rest, "xã Mỹ Hào")
    assert "Tân Quang" not in rest
    async with database.session() as session:
        reminded = (
            await session.scalars(
                select(OutboxMessage.person_id).where(OutboxMessage.purpose == "office_reminder")
            )
        ).all()
    assert reminded == [tan_quang.officer.id]

    # Pressed again the same day: nobody is reminded twice, and the three are named again.
    async with database.session() as session:
        again = await desk.remind(session, person=staff, period_id=period, now=NOW)
    [said] = [item.text for item in again.items if isinstance(item, Text)]
    assert said.startswith(texts.NOBODY_REMINDED_TODAY + "\n\n")
    assert "3 đơn vị chưa báo cáo không có ai để nhắc" in said

    # Once everyone is registered again and has been reminded, the pop-up says so.
    await register_again(database, lac_dao, nhu_quynh, my_hao)
    async with database.session() as session:
        await desk.remind(session, person=staff, period_id=period, now=NOW)
    async with database.session() as session:
        last = await desk.remind(session, person=staff, period_id=period, now=NOW)
    assert not last.accepted and last.alert == texts.NOTHING_TO_REMIND


async def register_again(database: Database, *communes: Commune) -> None:
    new_ids = iter(range(9_200_001, 9_200_100))
    async with database.session() as session:
        for commune in communes:
            for person in (commune.officer, commune.chairman):
                stored = await session.get(Person, person.id)
                assert stored is not None
                if stored.telegram_user_id is None:
                    stored.telegram_user_id = next(new_ids)


def office_desk_with_duties() -> OfficeDesk:
    duties = CalendarDuties(Questionnaire(FORM), Calendar(quiet_hours=None), ZONE)
    return OfficeDesk(packaged_kind(), zone=ZONE, duties=duties)


# ----- /tiendo's picture ------------------------------------------------------------------------


async def test_the_progress_picture_counts_each_commune_where_it_stands(
    database: Database,
) -> None:
    """After the deadline: one commune delivered on time, one late, one awaiting its
    registered chairman, one answering; a draft whose chairman never registered and a round
    whose officer never did (its chairman did, but answers no section) are "nobody
    registered"; a commune whose round was never opened is
    its own bar. /tiendo sends the picture first, a PNG of the chart's size."""
    office = await make_office(database)
    async with database.session() as session:
        staff = await make_person(session, unit=office, role=Role.OFFICE, full_name="Lan")
    names = ("An Bình", "Bảo Lộc", "Cẩm Phả", "Duy Tiên", "Đông Hòa", "Gia Lộc")
    on_time, late, awaiting, stuck_draft, _answering, stuck_round = [
        await make_commune(database, office, code=f"C0{i}", name=name)
        for i, name in enumerate(names, 1)
    ]
    await make_commune(database, office, code="C07", name="Hà Tĩnh", period=None)
    for commune, delivered in ((on_time, utc(2026, 12, 15, 3)), (late, utc(2026, 12, 18, 3))):
        draft = await approve(database, commune, await submit(database, commune, typed_answers()))
        await set_moments(database, draft.id, delivered_at=delivered)
    for commune in (awaiting, stuck_draft):
        await submit(database, commune, typed_answers())
    await unregister(database, stuck_draft.chairman, stuck_round.officer)
    after_deadline = datetime(2026, 12, 20, 3, tzinfo=UTC)

    async with database.session() as session:
        compilation = await DESK.gather(session, office, "2026-Q4", after_deadline)
        counts = await DESK.standings(session, compilation)
        outcome = await DESK.progress(
            session, person=staff, group_chat_id=None, argument="", now=after_deadline
        )
    assert counts == Counter(
        {
            Standing.ON_TIME: 1,
            Standing.LATE: 1,
            Standing.AWAITING_APPROVAL: 1,
            Standing.ANSWERING: 1,
            Standing.NOBODY_REGISTERED: 2,
            Standing.NOT_OPENED: 1,
        }
    )
    assert outcome is not None
    picture, *listed = outcome.items
    assert isinstance(picture, Picture) and all(isinstance(item, Text) for item in listed)
    assert picture.filename == "tien-do_cchc_2026-Q4_SNV-HY.png"
    assert picture.caption == texts.progress_picture_caption(
        office=office.name, period="CCHC quý IV năm 2026", approved=2, expected=7
    )
    assert picture.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", picture.data[16:24]) == SIZE_PX
