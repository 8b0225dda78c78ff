"""The receiving office's desk, end to end: /tiendo with its reminder button, /tonghop with the
three compiled files, their delivery at the deadline, and `baocao compile`."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import struct
import zipfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.app import make_office_desk, make_questionnaire
from bot.config import Settings
from bot_api_standin import FakeUser, LocalBotApi, PrivateChat
from conversations import texts
from conversations.duties import CalendarDuties, resume_callback
from conversations.engine import Questionnaire
from definitions.calendar import Calendar, Event, EventKind, load_calendar
from definitions.forms import load_form
from definitions.values import parse_answer
from report_templates.draft import pdf_converter_available
from report_templates.kinds import ReportKinds
from report_templates.progress_chart import SIZE_PX
from storage.db import Database, upgrade_database
from storage.imports import import_people, import_units
from storage.invitations import create_invitation
from storage.models import (
    AuditEntry,
    Draft,
    OutboxMessage,
    OutboxStatus,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    Unit,
)
from storage.people import find_member_by_name, get_unit_by_code
from storage.questionnaire import round_of_unit
from tests.e2e.conftest import MANUAL_CALENDAR, Baocao, BotProcess, outbox_drained, running
from tests.factories import SKIPPED_IN_ROUND, TYPED_ROUND, docx_text, packaged_kind, store_answers

pytestmark = pytest.mark.e2e

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
FORM = load_form()
PERIOD = "2026-Q4"
PERIOD_LABEL = "quý IV năm 2026"
OFFICE_NAME = "Sở Nội vụ tỉnh Hưng Yên"

HOA = FakeUser(id=880001, first_name="Hoa", last_name="Nguyễn Thị")  # 12151 officer
BINH = FakeUser(id=880002, first_name="Bình", last_name="Trần Văn")  # 12151 radio officer
CUONG = FakeUser(id=880003, first_name="Cường", last_name="Lê Văn")  # 12151 chairman
GIANG = FakeUser(id=880005, first_name="Giang", last_name="Vũ Thị")  # 12154 officer
KHOA = FakeUser(id=880011, first_name="Khoa", last_name="Lý Văn")  # 12160 officer
MAI = FakeUser(id=880012, first_name="Mai", last_name="Tạ Thị")  # 12160 chairman
LAN = FakeUser(id=880006, first_name="Lan", last_name="Bùi Thị")  # SNV-33 office staff
PHUC = FakeUser(id=880021, first_name="Phúc", last_name="Trịnh Văn")  # PNV-99 office staff
STRANGER = FakeUser(id=889999, first_name="Người lạ")
OFFICE_GROUP = {"id": -1008800100, "type": "supergroup", "title": "Sở Nội vụ - báo cáo CCHC"}
OTHER_GROUP = {"id": -1008800200, "type": "group", "title": "Cán bộ xã Tân Quang"}

# A second receiving office with a commune of its own: SNV-33 must never see it.
EXTRA_UNITS = "PNV-99,Phòng Nội vụ huyện Văn Giang,cơ quan,33,\n99001,Xuân Quan,xã,33,PNV-99\n"
# The accounts the administrator knew, bound by the import.
ACCOUNTS = {
    ("12151", "officer", "Nguyễn Thị Hoa"): (HOA, ""),
    ("12151", "officer", "Trần Văn Bình"): (BINH, "broadcasts"),
    ("12151", "chairman", "Lê Văn Cường"): (CUONG, ""),
    ("12154", "officer", "Vũ Thị Giang"): (GIANG, ""),
    ("12160", "officer", "Lý Văn Khoa"): (KHOA, ""),
    ("12160", "chairman", "Tạ Thị Mai"): (MAI, ""),
    ("PNV-99", "office", "Trịnh Văn Phúc"): (PHUC, ""),
}
RADIO = {q.code for q in FORM.section("broadcasts").questions}
# What Hoa and Bình of Tân Quang entered (Bình's radio programmes differ from the stock round).
HOA_TYPED = {code: text for code, text in TYPED_ROUND.items() if code not in RADIO}
BINH_TYPED = {code: text for code, text in TYPED_ROUND.items() if code in RADIO}
BINH_TYPED["radio_programs"] = "8"
# Lạc Đạo's figures: handed in, never approved, so never counted.
KHOA_TYPED = {**TYPED_ROUND, "radio_programs": "3", "web_posts": "77", "leaflets": "900"}
ZIPPED = ["BC-CCHC_2026-Q4_12151_tan-quang_so01.docx"] + (
    ["BC-CCHC_2026-Q4_12151_tan-quang_so01.pdf"] if pdf_converter_available() else []
)
COMPILED_NAMES = {
    "xlsx": "TH-CCHC_2026-Q4_SNV-33.xlsx",
    "docx": "BC-TH-CCHC_2026-Q4_SNV-33.docx",
    "zip": "BC-CCHC_2026-Q4_SNV-33_cac-xa.zip",
}


# ----- setting up ----------------------------------------------------------------------------


@dataclass
class Group:
    """The office's group chat as the stand-in sees it."""

    api: LocalBotApi
    chat: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    def mark(self) -> int:
        return len(self.api.messages_to(self.id))

    def since(self, seen: int) -> list[dict[str, Any]]:
        return self.api.messages_to(self.id)[seen:]

    async def expect(self, fragment: str, *, after: int) -> dict[str, Any]:
        return await self.api.wait_for_message(
            self.id,
            after=after,
            timeout=20,
            predicate=lambda message: fragment in content(message),
        )

    async def says(self, user: FakeUser, text: str, expect: str) -> dict[str, Any]:
        seen = self.mark()
        self.api.send_message(user, text, chat=self.chat)
        return await self.expect(expect, after=seen)


@dataclass
class Office:
    bot: BotProcess
    group: Group
    chats: dict[FakeUser, PrivateChat]


def content(message: dict[str, Any]) -> str:
    return str(message.get("text", message.get("caption")))


def buttons(message: dict[str, Any]) -> list[tuple[str, str]]:
    keyboard = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [(button["text"], button.get("callback_data", "")) for row in keyboard for button in row]


def documents(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [message for message in messages if "document" in message]


def document_named(name: str) -> Callable[[dict[str, Any]], bool]:
    return lambda message: message.get("document", {}).get("file_name") == name


async def set_up(
    baocao: Baocao,
    standin: LocalBotApi,
    database_url: str,
    files: tuple[Path, Path],
    *,
    open_q3: bool = False,
) -> Office:
    """The sample province and a second office imported, accounts bound, the 2026-Q4 round open
    (the administrator's part, see `administer`), the bot running and the office's group
    registered by its invitation link."""
    units, people = province_with_accounts(files)
    chats = {}
    for user in (HOA, BINH, CUONG, GIANG, KHOA, MAI, LAN, PHUC, STRANGER):
        standin.add_private_chat(user)  # each has opened the bot once
        chats[user] = PrivateChat(standin, user)
    office_code = await administer(database_url, units, people, open_q3=open_q3)
    bot = await running(baocao)
    group = Group(standin, OFFICE_GROUP)
    await group.says(LAN, f"/start@{standin.bot_username} {office_code}", OFFICE_NAME)
    return Office(bot, group, chats)


def province_with_accounts(files: tuple[Path, Path]) -> tuple[Path, Path]:
    """The sample province's files with the second office, and the accounts the administrator
    knew in the telegram_user_id column."""
    units, people = files
    with units.open("a", encoding="utf-8") as out:
        out.write(EXTRA_UNITS)
    lines = people.read_text(encoding="utf-8").splitlines()
    # unit_code,role,full_name,title,phone,telegram_user_id,sections
    rows = [line.split(",") for line in lines[1:]]
    for row in rows:
        bound = ACCOUNTS.get((row[0], row[1], row[2]))
        if bound is not None:
            row[5], row[6] = str(bound[0].id), bound[1]
    known = {(row[0], row[1], row[2]) for row in rows}
    for (unit, role, name), (user, sections) in ACCOUNTS.items():
        if (unit, role, name) not in known:
            rows.append([unit, role, name, "", "", str(user.id), sections])
    people.write_text(
        "\n".join([lines[0], *(",".join(row) for row in rows)]) + "\n", encoding="utf-8"
    )
    return units, people


async def administer(database_url: str, units: Path, people: Path, *, open_q3: bool) -> str:
    """What `baocao units import`, `people import`, `invite --unit SNV-33 --role office` and
    `round open --period 2026-Q4` do, called as the CLI calls them but in this process: four
    Python start-ups per test would take most of the file's time budget (`baocao compile` is
    run as the real command below). Returns the office's invitation code."""
    await upgrade_database(database_url)
    database = Database(database_url)
    duties = CalendarDuties(Questionnaire(FORM), load_calendar(MANUAL_CALENDAR), ZONE)
    try:
        async with database.session() as session:
            await import_units(session=session, path=units)
        async with database.session() as session:
            sections = [section.code for section in FORM.sections]
            await import_people(session=session, path=people, known_sections=sections)
        async with database.session() as session:
            office = await get_unit_by_code(session=session, code="SNV-33")
            assert office is not None
            lan = await find_member_by_name(
                session=session, unit_id=office.id, role=Role.OFFICE, name="Bùi Thị Lan"
            )
            code, _ = await create_invitation(
                session=session, unit=office, role=Role.OFFICE, person=lan
            )
        for period, only in ((PERIOD, ()), ("2026-Q3", ("12197",)))[: 2 if open_q3 else 1]:
            async with database.session() as session:
                opened = await duties.open(session, period, only)
                await duties.ask(
                    session, Event(EventKind.OPEN, opened.period.code, datetime.now(UTC), 0)
                )
        assert len(opened.opened) == (1 if open_q3 else 5)
        return code
    finally:
        await database.dispose()


async def prefill(
    database_url: str, person_name: str, unit_code: str, typed: dict[str, str]
) -> None:
    """Answers the person gave earlier in the quarter, stored as the questionnaire stores them."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            person = await session.scalar(select(Person).where(Person.full_name == person_name))
            round_id = await round_of_unit(session=session, unit_code=unit_code, period=PERIOD)
            assert person is not None and round_id is not None
            answers = {
                code: parse_answer(FORM.questions[code], text) for code, text in typed.items()
            }
            # The optional questions of those sections were skipped.
            sections = {FORM.section_of[code].code for code in typed}
            answers.update(
                dict.fromkeys(c for c in SKIPPED_IN_ROUND if FORM.section_of[c].code in sections)
            )
            await store_answers(
                session,
                round_id=round_id,
                answers=answers,
                form_version=FORM.version,
                person_id=person.id,
            )
    finally:
        await database.dispose()


async def hand_in(chat: PrivateChat, expect: str) -> None:
    """/baocao goes straight to the review of what was entered; the officer submits it."""
    await chat.says("/baocao", "Gửi báo cáo")
    await chat.taps(texts.SUBMIT_BUTTON, expect)


async def approve_tan_quang(office: Office, standin: LocalBotApi, database_url: str) -> None:
    """Hoa and Bình hand in, the chairman approves, the report reaches the office's group."""
    hoa, binh, cuong = (office.chats[user] for user in (HOA, BINH, CUONG))
    await prefill(database_url, "Nguyễn Thị Hoa", "12151", HOA_TYPED)
    await prefill(database_url, "Trần Văn Bình", "12151", BINH_TYPED)
    await hand_in(hoa, "còn chờ")
    seen_cuong = cuong.mark()
    await hand_in(binh, "đã đủ số liệu")
    await cuong.expect("phiên bản 1", after=seen_cuong)
    await standin.wait_for_message(
        CUONG.id, after=seen_cuong, timeout=20, predicate=lambda m: "document" in m
    )
    seen_group = office.group.mark()
    await cuong.taps(texts.APPROVE_BUTTON, "Đã duyệt. Báo cáo số 01/BC-UBND")
    delivered = await standin.wait_for_message(
        office.group.id, after=seen_group, timeout=30, predicate=lambda m: "document" in m
    )
    assert "Số 01/BC-UBND" in delivered["caption"]


async def submit_lac_dao(office: Office, standin: LocalBotApi, database_url: str) -> None:
    """Lạc Đạo's officer hands in everything; the chairman has the draft and does nothing."""
    await prefill(database_url, "Lý Văn Khoa", "12160", KHOA_TYPED)
    seen_mai = office.chats[MAI].mark()
    await hand_in(office.chats[KHOA], "đã đủ số liệu")
    await standin.wait_for_message(
        MAI.id, after=seen_mai, timeout=20, predicate=lambda m: "document" in m
    )


# ----- reading what was stored -----------------------------------------------------------------


async def period_id(database_url: str, code: str = PERIOD) -> int:
    database = Database(database_url)
    try:
        async with database.session() as session:
            found = await session.scalar(
                select(ReportingPeriod.id).where(ReportingPeriod.code == code)
            )
            assert found is not None
            return int(found)
    finally:
        await database.dispose()


async def outbox_rows(database_url: str, purpose: str) -> list[tuple[str, str | None, Any]]:
    """(key, person's name, status) of the outbox rows of one purpose."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            rows = await session.execute(
                select(OutboxMessage.key, Person.full_name, OutboxMessage.status)
                .outerjoin(Person, Person.id == OutboxMessage.person_id)
                .where(OutboxMessage.purpose == purpose)
                .order_by(OutboxMessage.id)
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]
    finally:
        await database.dispose()


async def audit_actions(database_url: str, action: str) -> list[str | None]:
    database = Database(database_url)
    try:
        async with database.session() as session:
            rows = await session.execute(
                select(Person.full_name)
                .select_from(AuditEntry)
                .outerjoin(Person, Person.id == AuditEntry.actor_person_id)
                .where(AuditEntry.action == action)
            )
            return [name for (name,) in rows]
    finally:
        await database.dispose()


async def latest_draft_ids(database_url: str, *unit_codes: str) -> list[int]:
    """The id of each commune's latest version of the 2026-Q4 report."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            found = []
            for code in unit_codes:
                draft_id = await session.scalar(
                    select(Draft.id)
                    .join(ReportingRound, ReportingRound.id == Draft.round_id)
                    .join(Unit, Unit.id == ReportingRound.unit_id)
                    .where(Unit.code == code)
                    .order_by(Draft.version.desc())
                    .limit(1)
                )
                assert draft_id is not None, code
                found.append(int(draft_id))
            return found
    finally:
        await database.dispose()


async def office_id(database_url: str, code: str) -> int:
    database = Database(database_url)
    try:
        async with database.session() as session:
            found = await session.scalar(select(Unit.id).where(Unit.code == code))
            assert found is not None
            return int(found)
    finally:
        await database.dispose()


def figures_sheet(data: bytes) -> tuple[list[Any], dict[str, list[Any]], list[list[Any]]]:
    """The figures sheet: its header row, the rows by commune code, and every row."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows = [list(row) for row in book["Số liệu"].iter_rows(values_only=True)]
    book.close()
    width = max(len(row) for row in rows)
    rows = [row + [None] * (width - len(row)) for row in rows]  # trailing blanks are left out
    header_at = next(i for i, row in enumerate(rows) if row[:3] == ["TT", "Mã", "Đơn vị"])
    by_code = {str(row[1]): row for row in rows[header_at + 1 :] if row and row[1]}
    return rows[header_at], by_code, rows


def column(header: list[Any], question_code: str) -> int:
    """The figures column of a question, found by its title."""
    title = FORM.questions[question_code].title
    matches = [
        i for i, cell in enumerate(header) if cell == title or str(cell).startswith(title + " (")
    ]
    assert len(matches) == 1, (question_code, header)
    return matches[0]


# The approved Tân Quang figures as the spreadsheet must show them.
TAN_QUANG_FIGURES = {
    "radio_programs": 8,
    "radio_items": 25,
    "radio_airings": 30,
    "radio_minutes": 90,
    "web_posts": 20,
    "web_posts_digital": 5,
    "banners": 2,
    "leaflets": 1500,
    "citizens_guided": 1200,
    "tthc_posted_percent": 100,
}


def check_compiled_xlsx(data: bytes) -> None:
    header, by_code, rows = figures_sheet(data)
    # The four communes of SNV-33, in code order; the other office's commune is not there.
    assert list(by_code) == ["12151", "12154", "12160", "12197"]
    tan_quang = by_code["12151"]
    assert tan_quang[2:5] == ["xã Tân Quang", "Đã báo cáo", "01/BC-UBND"]
    for code, value in TAN_QUANG_FIGURES.items():
        assert tan_quang[column(header, code)] == value, code
    # Lạc Đạo handed in but nobody approved: not reported, none of its figures shown.
    for code in ("12154", "12160", "12197"):
        row = by_code[code]
        assert row[3] == "Chưa báo cáo", row
        assert all(row[column(header, q)] is None for q in TAN_QUANG_FIGURES), row
    total = next(row for row in rows if str(row[2]).startswith("Tổng cộng"))
    assert total[2] == "Tổng cộng (1 đơn vị đã báo cáo)"


def check_compiled_docx(data: bytes) -> str:
    text = docx_text(data)
    assert "Các đơn vị chưa báo cáo: xã Như Quỳnh, xã Lạc Đạo, phường Mỹ Hào." in text
    assert "đã báo cáo: 1 đơn vị" in text and "chưa báo cáo: 3 đơn vị" in text
    assert "Xuân Quan" not in text  # another office's commune
    assert "08 chuyên mục" in text  # Tân Quang's programmes, and not Lạc Đạo's 3 added
    return text


def check_compiled_zip(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        # The .pdf goes in where one was made: it is made when the report is first sent to the
        # office's chat, with LibreOffice installed.
        assert ZIPPED[0] in names and set(names) <= set(ZIPPED), names
        report = docx_text(archive.read(ZIPPED[0]))
    assert "01/BC-UBND" in report and "Lê Văn Cường" in report and "08 chuyên mục" in report


def check_progress_picture(
    standin: LocalBotApi, message: dict[str, Any], *, approved: int, expected: int
) -> None:
    """A photo the stand-in kept as uploaded: a real PNG of the chart's size."""
    [size] = message["photo"]
    data = standin.document_bytes(size["file_id"])
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == SIZE_PX == (size["width"], size["height"])
    assert 10_000 < len(data) < 500_000
    assert message["caption"] == texts.progress_picture_caption(
        office=OFFICE_NAME, period=f"CCHC {PERIOD_LABEL}", approved=approved, expected=expected
    )


# ----- 1. the full flow --------------------------------------------------------------------------


async def test_progress_remind_and_compile_in_the_office_group(
    province_files: tuple[Path, Path], baocao: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    """Tân Quang approves, Lạc Đạo waits for its chairman, Như Quỳnh has not answered: /tiendo
    shows it, the button reminds the right people once a day, /tonghop sends the files."""
    office = await set_up(baocao, standin, database_url, province_files)
    group, chats = office.group, office.chats
    await approve_tan_quang(office, standin, database_url)
    await submit_lac_dao(office, standin, database_url)
    await outbox_drained(database_url)

    # Progress: a picture to read at a glance, then the communes still to report first, each
    # once, with the button.
    seen_group = group.mark()
    progress = await group.says(LAN, "/tiendo", "Tiến độ báo cáo")
    picture, listed = group.since(seen_group)
    assert listed == progress
    check_progress_picture(standin, picture, approved=1, expected=4)
    text = progress["text"]
    assert text.startswith(f"📋 Tiến độ báo cáo CCHC {PERIOD_LABEL}")
    assert OFFICE_NAME in text and "Đã báo cáo: 1/4 đơn vị" in text
    communes = [
        name
        for line in text.splitlines()
        for name in ("xã Như Quỳnh", "xã Lạc Đạo", "phường Mỹ Hào", "xã Tân Quang")
        if f" {name}: " in line
    ]
    assert communes == ["xã Như Quỳnh", "xã Lạc Đạo", "phường Mỹ Hào", "xã Tân Quang"], text
    assert "Xuân Quan" not in text
    tan_quang = next(line for line in text.splitlines() if "xã Tân Quang:" in line)
    assert "01/BC-UBND" in tan_quang
    lac_dao = next(line for line in text.splitlines() if "xã Lạc Đạo:" in line)
    assert "chờ Chủ tịch duyệt" in lac_dao, lac_dao
    nhu_quynh = next(line for line in text.splitlines() if "xã Như Quỳnh:" in line)
    assert "đang nhập số liệu" in nhu_quynh, nhu_quynh
    q4 = await period_id(database_url)
    assert buttons(progress) == [(texts.REMIND_BUTTON, f"o:rem:{q4}:cchc")]
    # The same with the period named.
    named = await group.says(LAN, f"/tiendo {PERIOD}", "Tiến độ báo cáo")
    assert named["text"] == text

    # Lan reminds: Giang (Như Quỳnh, nothing handed in) and Mai (Lạc Đạo's draft awaits her).
    seen = {user: chats[user].mark() for user in chats}
    seen_group = group.mark()
    lan = chats[LAN]
    answer = await lan.tap_answer(progress, f"o:rem:{q4}")
    assert not answer.get("show_alert"), answer
    done = await group.expect("Đã gửi nhắc nhở", after=seen_group)
    # Nobody of Mỹ Hào registered: the office is told so, and whom to ask.
    reminded, _, unreachable = done["text"].partition("\n\n")
    assert reminded == texts.reminded(people=2, communes=2)
    assert unreachable.startswith("⚠️ 1 đơn vị chưa báo cáo không có ai để nhắc"), unreachable
    assert unreachable.splitlines()[1] == "• " + texts.nobody_registered(
        unit="phường Mỹ Hào", admins=[]
    )
    to_giang = await chats[GIANG].expect("Cơ quan tiếp nhận nhắc", after=seen[GIANG])
    assert "xã Như Quỳnh" in to_giang["text"] and PERIOD_LABEL in to_giang["text"]
    assert "Tuyên truyền qua hệ thống truyền thanh" in to_giang["text"]
    # She has answered nothing yet: the button starts (or continues) her questionnaire.
    ((label, callback),) = buttons(to_giang)
    assert label in (texts.START_BUTTON, texts.CONTINUE_BUTTON) and callback == resume_callback(
        "cchc"
    )
    to_mai = await chats[MAI].expect("Cơ quan tiếp nhận nhắc", after=seen[MAI])
    assert "xã Lạc Đạo" in to_mai["text"] and "duyệt" in to_mai["text"]
    await outbox_drained(database_url)
    for user in (HOA, BINH, CUONG, KHOA, PHUC, STRANGER, LAN):
        assert chats[user].mark() == seen[user], f"{user.full_name} was reminded"
    for user in (GIANG, MAI):
        assert chats[user].mark() == seen[user] + 1, user.full_name
    reminders = await outbox_rows(database_url, "office_reminder")
    assert sorted(str(name) for _, name, _ in reminders) == ["Tạ Thị Mai", "Vũ Thị Giang"]
    assert {status for *_, status in reminders} == {OutboxStatus.SENT}
    assert await audit_actions(database_url, "office.reminded") == ["Bùi Thị Lan"]
    # The reminder's button opens the questionnaire.
    seen_giang = chats[GIANG].mark()
    standin.press_button(GIANG, to_giang, resume_callback("cchc"))
    first = await chats[GIANG].expect("Câu 1/", after=seen_giang)
    assert "Phần 1/" in first["text"]

    # Pressing again the same day reminds nobody, and names Mỹ Hào again.
    seen = {user: chats[user].mark() for user in chats}
    seen_group = group.mark()
    again = await lan.tap_answer(progress, f"o:rem:{q4}")
    assert not again.get("show_alert"), again
    told = await group.expect(texts.NOBODY_REMINDED_TODAY, after=seen_group)
    assert told["text"] == f"{texts.NOBODY_REMINDED_TODAY}\n\n{unreachable}"
    await asyncio.sleep(1)  # a wrongly queued reminder would go out within this
    await outbox_drained(database_url)
    assert {user: chats[user].mark() for user in chats} == seen
    assert group.mark() == seen_group + 1
    assert len(await outbox_rows(database_url, "office_reminder")) == 2
    assert await audit_actions(database_url, "office.reminded") == ["Bùi Thị Lan"]

    # The compiled files: a word first, the caption, then the three documents.
    seen_group = group.mark()
    await group.says(LAN, "/tonghop", texts.COMPILING)
    await standin.wait_for_message(
        group.id, after=seen_group, timeout=30, predicate=document_named(COMPILED_NAMES["zip"])
    )
    sent = group.since(seen_group)
    assert [content(m) for m in sent[:2]] == [
        texts.COMPILING,
        texts.compiled_caption(
            office=OFFICE_NAME, period=f"CCHC {PERIOD_LABEL}", approved=1, expected=4
        ),
    ]
    files = {m["document"]["file_name"]: m for m in documents(sent)}
    assert list(files) == list(COMPILED_NAMES.values())
    assert len(sent) == 5
    data = {
        part: standin.document_bytes(files[name]["document"]["file_id"])
        for part, name in COMPILED_NAMES.items()
    }
    check_compiled_xlsx(data["xlsx"])
    check_compiled_docx(data["docx"])
    check_compiled_zip(data["zip"])
    assert "Error while handling" not in office.bot.log()


# ----- 2. who may ask, and what they see ---------------------------------------------------------


async def test_only_office_staff_see_progress_and_only_of_their_own_communes(
    province_files: tuple[Path, Path], baocao: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    """Strangers, officers and chairmen are refused or ignored; another office sees its own
    commune only; bad periods are explained; forged or foreign button presses remind nobody."""
    office = await set_up(baocao, standin, database_url, province_files, open_q3=True)
    group, chats = office.group, office.chats
    stranger, hoa, cuong, mai, lan, phuc = (
        chats[user] for user in (STRANGER, HOA, CUONG, MAI, LAN, PHUC)
    )
    await outbox_drained(database_url)  # the officers' opening prompts

    # Privately: a stranger is not registered; commune people are not office staff.
    assert (await stranger.says("/tiendo", "chưa được đăng ký"))["text"] == texts.NOT_REGISTERED
    assert (await stranger.says("/tonghop", "chưa được đăng ký"))["text"] == texts.NOT_REGISTERED
    assert (await hoa.says("/tiendo", "Lệnh này"))["text"] == texts.NOT_OFFICE_STAFF
    assert (await cuong.says("/tiendo 2026-Q4", "Lệnh này"))["text"] == texts.NOT_OFFICE_STAFF
    assert (await mai.says("/tonghop", "Lệnh này"))["text"] == texts.NOT_OFFICE_STAFF

    # In the office's group the bot answers its staff only: a member who is not registered, an
    # officer, a chairman and another office's staff get no answer, not even to a period that
    # is not one (the updates are handled in order, so Lan's answer comes last).
    seen_group = group.mark()
    standin.send_message(STRANGER, "/tiendo", chat=OFFICE_GROUP)
    standin.send_message(HOA, "/tiendo", chat=OFFICE_GROUP)
    standin.send_message(CUONG, "/tonghop", chat=OFFICE_GROUP)
    standin.send_message(CUONG, "/tiendo " + "9" * 100, chat=OFFICE_GROUP)
    standin.send_message(PHUC, "/tonghop " + "9" * 100, chat=OFFICE_GROUP)
    progress = await group.says(LAN, "/tiendo", "Tiến độ báo cáo")
    picture, listed = group.since(seen_group)
    assert listed == progress
    check_progress_picture(standin, picture, approved=0, expected=4)
    # Without a period: the most recently closing one (2026-Q4, not Mỹ Hào's 2026-Q3).
    assert progress["text"].startswith(f"📋 Tiến độ báo cáo CCHC {PERIOD_LABEL}")
    assert "Đã báo cáo: 0/4 đơn vị" in progress["text"]
    for name in ("xã Tân Quang", "xã Như Quỳnh", "xã Lạc Đạo", "phường Mỹ Hào"):
        assert f" {name}: " in progress["text"], name
    assert "Xuân Quan" not in progress["text"]
    q4 = await period_id(database_url)
    assert buttons(progress) == [(texts.REMIND_BUTTON, f"o:rem:{q4}:cchc")]
    # The same privately.
    private = await lan.says("/tiendo", "Tiến độ báo cáo")
    assert private["text"] == progress["text"]
    q3 = await lan.says("/tiendo 2026-q3", "Tiến độ báo cáo")
    assert "quý III năm 2026" in q3["text"] and "Đã báo cáo: 0/4 đơn vị" in q3["text"]

    # Another office's staff sees its one commune, and gets files of it alone (no .zip: nothing
    # approved).
    theirs = await phuc.says("/tiendo", "Tiến độ báo cáo")
    assert "Phòng Nội vụ huyện Văn Giang" in theirs["text"]
    assert "Đã báo cáo: 0/1 đơn vị" in theirs["text"] and "xã Xuân Quan" in theirs["text"]
    for name in ("Tân Quang", "Như Quỳnh", "Lạc Đạo", "Mỹ Hào", OFFICE_NAME):
        assert name not in theirs["text"], name
    seen_phuc = phuc.mark()
    await phuc.says("/tonghop", texts.COMPILING)
    await standin.wait_for_message(
        PHUC.id,
        after=seen_phuc,
        timeout=30,
        predicate=lambda m: m.get("document", {}).get("file_name", "").endswith(".docx"),
    )
    await asyncio.sleep(0.5)  # a .zip would follow at once
    received = standin.messages_to(PHUC.id)[seen_phuc:]
    assert [m["document"]["file_name"] for m in documents(received)] == [
        "TH-CCHC_2026-Q4_PNV-99.xlsx",
        "BC-TH-CCHC_2026-Q4_PNV-99.docx",
    ]
    xlsx = documents(received)[0]
    _, by_code, _ = figures_sheet(standin.document_bytes(xlsx["document"]["file_id"]))
    assert list(by_code) == ["99001"]
    summary = docx_text(standin.document_bytes(documents(received)[1]["document"]["file_id"]))
    assert "Xuân Quan" in summary and "Tân Quang" not in summary

    # A period that is not one is explained, whatever its length, with the kinds the bot runs.
    bad = texts.bad_office_argument(["CCHC", "TTHC"])
    for argument in ("abc", "2026-Q5", "Q4-2026", "tthc 2026-Q4 thêm", "9" * 10_000):
        answer = await lan.says(f"/tiendo {argument}", "Không rõ kỳ hoặc loại báo cáo")
        assert answer["text"] == bad
    answer = await lan.says("/tonghop quy4", "Không rõ kỳ hoặc loại báo cáo")
    assert answer["text"] == bad
    answer = await group.says(LAN, "/tiendo 2026-Q7", "Không rõ kỳ hoặc loại báo cáo")
    assert answer["text"] == bad

    # Presses that must remind nobody: forged data, an officer, a stranger, another office.
    seen = {user: chats[user].mark() for user in chats}
    seen_group = group.mark()
    assert (await lan.tap_answer(progress, "o:rem:999999"))["text"] == texts.NOT_YOUR_BUTTON
    assert (await lan.tap_answer(progress, "o:rem:abc"))["text"] == texts.OLD_BUTTON
    assert (await lan.tap_answer(progress, "o:rem:-1"))["text"] == texts.OLD_BUTTON
    # A kind no round is of reminds nobody; a kind's code is never read beyond its pattern.
    assert (await lan.tap_answer(progress, f"o:rem:{q4}:khac"))["text"] == texts.NOTHING_TO_REMIND
    assert (await lan.tap_answer(progress, f"o:rem:{q4}:{{{{x}}}}"))["text"] == texts.OLD_BUTTON
    assert (await hoa.tap_answer(progress, "o:rem:1"))["text"] == texts.NOT_YOUR_BUTTON
    assert (await hoa.tap_answer(progress, f"o:rem:{q4}"))["text"] == texts.NOT_YOUR_BUTTON
    assert (await cuong.tap_answer(progress, f"o:rem:{q4}"))["text"] == texts.NOT_YOUR_BUTTON
    assert (await stranger.tap_answer(progress, f"o:rem:{q4}"))["text"] == texts.NOT_YOUR_BUTTON
    # The button in SNV-33's group is not Phúc's; privately, his office has nobody to remind.
    assert (await phuc.tap_answer(progress, f"o:rem:{q4}"))["text"] == texts.NOT_YOUR_BUTTON
    # His one commune has nobody registered: he is told so, and whom to ask.
    seen_phuc = phuc.mark()
    assert (await phuc.tap_answer(theirs, f"o:rem:{q4}")).get("text") is None
    nobody = await phuc.expect(texts.NOBODY_REMINDED, after=seen_phuc)
    assert "xã Xuân Quan: chưa có ai của đơn vị đăng ký" in nobody["text"]
    seen[PHUC] += 1
    await asyncio.sleep(1)  # a wrongly queued reminder would go out within this
    await outbox_drained(database_url)
    assert {user: chats[user].mark() for user in chats} == seen
    assert group.mark() == seen_group
    assert await outbox_rows(database_url, "office_reminder") == []
    assert await audit_actions(database_url, "office.reminded") == []
    assert "Error while handling" not in office.bot.log()


async def test_in_the_group_private_commands_stay_private_and_drafts_stay_with_the_commune(
    province_files: tuple[Path, Path], baocao: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    """/lichsu, /help and /start in the office's group get its staff one line and anyone else
    silence; the office opens the approved versions of its own communes only, whatever the
    button's data says (draft ids are sequential)."""
    office = await set_up(baocao, standin, database_url, province_files)
    group, chats = office.group, office.chats
    lan, phuc = chats[LAN], chats[PHUC]
    await approve_tan_quang(office, standin, database_url)
    await submit_lac_dao(office, standin, database_url)
    await outbox_drained(database_url)
    seen = {user: chats[user].mark() for user in chats}

    # Typed in the group, a history would show a commune's versions (and their download buttons)
    # to everyone there, and /help would name the person and their commune.
    seen_group = group.mark()
    commands = ("/lichsu", "/help", "/start", f"/lichsu@{standin.bot_username}")
    for user in (STRANGER, HOA, CUONG, MAI, PHUC):
        for command in commands:
            standin.send_message(user, command, chat=OFFICE_GROUP)
    for command in commands:
        await group.says(LAN, command, texts.PRIVATE_CHAT_ONLY)
    hints = group.since(seen_group)
    assert [content(m) for m in hints] == [texts.PRIVATE_CHAT_ONLY] * len(commands)
    assert all(buttons(m) == [] for m in hints)
    await outbox_drained(database_url)
    assert {user: chats[user].mark() for user in chats} == seen

    # Privately Lan's history has Tân Quang's numbered report, and not Lạc Đạo's draft.
    approved, awaiting = await latest_draft_ids(database_url, "12151", "12160")
    listing = await lan.says("/lichsu", "số 01/BC-UBND")
    assert "xã Tân Quang" in listing["text"] and "Lạc Đạo" not in listing["text"]
    assert buttons(listing) == [(texts.version_button(1), f"a:{approved}:get")]
    theirs = await phuc.says("/lichsu", texts.NO_HISTORY)

    # Forged buttons for Lạc Đạo's draft, privately or in the group, and for Tân Quang's report
    # by another office: refused, and nothing is sent anywhere.
    seen = {user: chats[user].mark() for user in chats}
    seen_group = group.mark()
    for message in (listing, hints[-1]):
        for action in ("data", "get"):
            answer = await lan.tap_answer(message, f"a:{awaiting}:{action}")
            assert answer["text"] == texts.NOT_ALLOWED_TO_SEE, (message["chat"], action)
    for action in ("data", "get"):
        answer = await phuc.tap_answer(theirs, f"a:{approved}:{action}")
        assert answer["text"] == texts.NOT_ALLOWED_TO_SEE, action
    # Pressed on a message in the office's group, a commune's own buttons (its chairman's
    # version, an officer's walk) would post there: only the group's own staff act in it.
    for person, data in (
        (chats[CUONG], f"a:{awaiting}:get"),
        (chats[CUONG], f"a:{approved}:get"),
        (phuc, f"a:{approved}:get"),
        (chats[HOA], "q:1:1:v:1"),
    ):
        answer = await person.tap_answer(hints[-1], data)
        assert answer["text"] == texts.NOT_YOUR_BUTTON, data
    await asyncio.sleep(0.5)  # a wrongly sent draft would go out within this
    await outbox_drained(database_url)
    assert {user: chats[user].mark() for user in chats} == seen
    assert group.mark() == seen_group

    # The approved report is Lan's to fetch again.
    fetched = await lan.taps(texts.version_button(1), "phiên bản 1 (đã duyệt)")
    assert fetched["document"]["file_name"] == ZIPPED[0]
    assert "Error while handling" not in office.bot.log()


# ----- 3. at the deadline ------------------------------------------------------------------------


async def test_at_the_deadline_the_office_gets_each_compiled_file_once(
    province_files: tuple[Path, Path], baocao: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    """The calendar's duty, at the morning after the deadline, queues the three files for each
    office; run again (before and after they went out) it queues nothing; the running bot sends
    each file to the office's group once, built from the database."""
    office = await set_up(baocao, standin, database_url, province_files)
    group = office.group
    await approve_tan_quang(office, standin, database_url)
    await outbox_drained(database_url)
    seen_group = group.mark()

    # The bot's own wiring (bot.app.make_office_desk) with the packaged calendar's quarters.
    calendar = Calendar(period_kinds=("quarter",), quiet_hours=None)
    late = next(
        event for event in calendar.events(PERIOD, ZONE) if event.kind is EventKind.LATE_TO_OFFICE
    )
    assert late.at == datetime(2026, 12, 17, 8, 0, tzinfo=ZONE)  # the morning after 16/12
    duties = office_duties(calendar)
    before = await run_duties(database_url, duties, late.at - timedelta(minutes=1))
    assert before["compiled"] == 0
    first = await run_duties(database_url, duties, late.at + timedelta(minutes=1))
    again = await run_duties(database_url, duties, late.at + timedelta(hours=2))
    # Three files for SNV-33; PNV-99 has no approved report, so no (empty) .zip for it.
    assert first["compiled"] == 5 and first["late"] == 2, first
    assert sum(again.values()) == 0, again

    names = list(COMPILED_NAMES.values())
    for name in names:
        await standin.wait_for_message(
            group.id, after=seen_group, timeout=30, predicate=document_named(name)
        )
    told = await group.expect("Đã quá hạn gửi báo cáo", after=seen_group)
    for name in ("xã Như Quỳnh", "xã Lạc Đạo", "phường Mỹ Hào"):
        assert name in told["text"], name
    assert "Tân Quang" not in told["text"]
    # Once more after they went out: still nothing new.
    assert sum((await run_duties(database_url, duties, late.at + timedelta(days=1))).values()) == 0
    await asyncio.sleep(1.5)  # a second copy would go out within this (1 message/s per chat)

    sent = documents(group.since(seen_group))
    assert Counter(m["document"]["file_name"] for m in sent) == Counter(names)
    assert all(m["caption"] in texts.COMPILED_PART_CAPTIONS.values() for m in sent)
    files = {m["document"]["file_name"]: m for m in sent}
    data = {
        part: standin.document_bytes(files[name]["document"]["file_id"])
        for part, name in COMPILED_NAMES.items()
    }
    check_compiled_xlsx(data["xlsx"])
    check_compiled_docx(data["docx"])
    check_compiled_zip(data["zip"])

    snv, pnv = await office_id(database_url, "SNV-33"), await office_id(database_url, "PNV-99")
    rows = {key: status for key, _, status in await outbox_rows(database_url, "compiled")}
    assert {key: rows[key] for key in rows if f":office:{snv}:" in key} == {
        f"compiled:{PERIOD}:office:{snv}:{part}": OutboxStatus.SENT for part in COMPILED_NAMES
    }
    # The other office has not registered a chat: its files wait for it, sent nowhere else.
    assert {key: rows[key] for key in rows if f":office:{pnv}:" in key} == {
        f"compiled:{PERIOD}:office:{pnv}:{part}": OutboxStatus.PENDING for part in ("xlsx", "docx")
    }
    assert not [
        call
        for call in standin.calls("sendDocument")
        if "PNV-99" in str(call.params) or call.params.get("chat_id") not in (group.id, CUONG.id)
    ]
    assert "Error while handling" not in office.bot.log()


def office_duties(calendar: Calendar) -> CalendarDuties:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    kinds = ReportKinds([dataclasses.replace(packaged_kind(), calendar=calendar)])
    desk = make_office_desk(settings, kinds, make_questionnaire(settings, kinds))
    duties = desk.duties["cchc"]
    assert duties.at_deadline is not None
    return duties


async def run_duties(database_url: str, duties: CalendarDuties, now: datetime) -> Counter[str]:
    """One tick of the calendar at `now`, in a transaction of its own, as the bot runs it."""
    database = Database(database_url)
    try:
        async with database.session() as session:
            return await duties.run(session, now)
    finally:
        await database.dispose()


# ----- 4. baocao compile ---------------------------------------------------------------------


async def test_baocao_compile_writes_the_three_files_and_names_a_bad_office_or_period(
    province_files: tuple[Path, Path],
    baocao: Baocao,
    standin: LocalBotApi,
    database_url: str,
    tmp_path: Path,
) -> None:
    """The administrator compiles from a shell what the office gets in chat; a wrong office or
    period is named, with a non-zero exit and no files."""
    office = await set_up(baocao, standin, database_url, province_files)
    await approve_tan_quang(office, standin, database_url)

    out = tmp_path / "compiled"
    result = await baocao.cli(
        "compile", "--period", "2026-q4", "--office", "SNV-33", "--out", str(out)
    )
    lines = result.stdout.splitlines()
    past_deadline = datetime.now(ZONE).date() > date(2026, 12, 16)
    on_time, late = (0, 4) if past_deadline else (1, 0)
    assert lines[0] == (
        f"{OFFICE_NAME}, CCHC {PERIOD}: 4 communes expected, 1 submitted, 1 approved "
        f"({on_time} on time, {late} late), 3 not reported; 1 report(s) in the .zip."
    )
    assert lines[1:] == [f"Wrote {out / name}" for name in COMPILED_NAMES.values()]
    assert sorted(path.name for path in out.iterdir()) == sorted(COMPILED_NAMES.values())
    data = {part: (out / name).read_bytes() for part, name in COMPILED_NAMES.items()}
    check_compiled_xlsx(data["xlsx"])
    check_compiled_docx(data["docx"])
    check_compiled_zip(data["zip"])

    # Mistakes: each names what is wrong, exits non-zero and writes nothing.
    mistakes = {
        ("--period", PERIOD, "--office", "NOPE-1"): "NOPE-1",
        ("--period", PERIOD, "--office", "12151"): "12151",  # a commune, not an office
        ("--period", "2026-Q5", "--office", "SNV-33"): "2026-Q5",
    }
    folders = {args: tmp_path / f"wrong-{args[1]}-{args[3]}" for args in mistakes}
    results = await asyncio.gather(
        *(
            baocao.cli("compile", *args, "--out", str(folders[args]), check=False)
            for args in mistakes
        )
    )
    for (args, named), failed in zip(mistakes.items(), results, strict=True):
        assert failed.returncode != 0, args
        assert named in failed.stderr, (args, failed.stderr)
        assert "Traceback" not in failed.stderr, failed.stderr
        assert not folders[args].exists() or list(folders[args].iterdir()) == [], args


# ----- bugs found ----------------------------------------------------------------------------


async def test_each_total_of_the_compiled_spreadsheet_sits_under_its_own_column(
    province_files: tuple[Path, Path], baocao: Baocao, database_url: str, tmp_path: Path
) -> None:
    """Nothing approved yet: each count's total is 0, each yes/no reads "0/0 có", and the
    columns of document numbers and names have no total at all."""
    units, people = province_with_accounts(province_files)
    await administer(database_url, units, people, open_q3=False)
    out = tmp_path / "compiled"
    await baocao.cli("compile", "--period", PERIOD, "--office", "SNV-33", "--out", str(out))
    header, _, rows = figures_sheet((out / COMPILED_NAMES["xlsx"]).read_bytes())
    total = next(row for row in rows if str(row[2]).startswith("Tổng cộng"))
    assert total[2] == "Tổng cộng (0 đơn vị đã báo cáo)"
    under = {code: total[column(header, code)] for code in FORM.questions if code in _FIGURES}
    assert under == _FIGURES


# The total each figure column must show when no commune has reported.
_FIGURES: dict[str, Any] = {
    "plan_refs": None,
    "higher_docs": None,
    "directed_to": None,
    "other_directives": 0,
    "content_topics": None,
    "content_docs": None,
    "content_other": None,
    "radio_programs": 0,
    "radio_minutes": 0,
    "radio_relay": "0/0 có",
    "web_posts": 0,
    "leaflets": 0,
    "citizens_guided": 0,
    "trainings": 0,
}


async def test_office_commands_are_not_answered_in_a_group_that_is_not_the_office_s(
    province_files: tuple[Path, Path], baocao: Baocao, standin: LocalBotApi, database_url: str
) -> None:
    office = await set_up(baocao, standin, database_url, province_files)
    other = Group(standin, OTHER_GROUP)  # Tân Quang's officers' group; Lan is a member
    # Lan asks in a group that is not her office's; Phúc asks in SNV-33's group.
    standin.send_message(LAN, "/tonghop", chat=OTHER_GROUP)
    standin.send_message(LAN, "/tiendo", chat=OTHER_GROUP)
    seen_group = office.group.mark()
    standin.send_message(PHUC, "/tiendo", chat=OFFICE_GROUP)
    # Handled in order: once Lan's own group has its answer, the others were handled.
    await office.group.says(LAN, "/tiendo", "Đã báo cáo: 0/4 đơn vị")
    await outbox_drained(database_url)
    assert [content(m) for m in office.group.since(seen_group)][:-2] == []  # Lan's picture, list
    assert [content(m) for m in other.since(0)] == []
