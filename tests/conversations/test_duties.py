"""The calendar's duties against the real database, with the clock passed in.

A small province: one receiving office and two communes. In Tân Quang the chairman, a
vice-chairman marked to sign and one who is not, two officers on the bot (Bình named for the
broadcasts, Hoa answering the rest by her role) and an officer not yet on the bot (Tùng, named
for the assessment). In Hồng Phong a chairman and one officer (Lan) answering every section.
Each `run` is its own transaction, as the scheduler's ticks are; what was decided is read back
from the rounds and the outbox.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from conversations import texts
from conversations.duties import CalendarDuties
from conversations.engine import Questionnaire
from definitions.calendar import Calendar
from definitions.forms import load_form
from definitions.values import parse_answer
from storage.db import Database
from storage.models import (
    AuditEntry,
    Membership,
    OutboxMessage,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    RoundStatus,
    SectionAssignment,
    SectionSubmission,
    Unit,
    UnitKind,
)
from tests.factories import make_person, make_unit, store_answers

FORM = load_form()
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
# Tuesday after the Q4 closing (Monday 14/12/2026): the deadline moves from Wed 16/12 to Thu 17/12.
HOLIDAY = date(2026, 12, 15)
CALENDAR = Calendar(period_kinds=("quarter",), holidays=frozenset({HOLIDAY}))
Q4_PERIOD = "quý IV năm 2026"
TITLE = {section.code: section.title for section in FORM.sections}
QUESTIONS = {section.code: len(section.questions) for section in FORM.sections}
HOA_SECTIONS = ("directives", "content", "posts", "visual", "meetings", "other_forms")

_telegram_ids = count(8_200_001)


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A local Hanoi moment, given to `run` in UTC as the scheduler's clock gives it."""
    return datetime(year, month, day, hour, minute, tzinfo=ZONE).astimezone(UTC)


def make_duties() -> CalendarDuties:
    return CalendarDuties(Questionnaire(FORM), CALENDAR, ZONE)


# ----- a province in miniature ------------------------------------------------------------------


@dataclass(frozen=True)
class Province:
    office: Unit
    tq: Unit  # xã Tân Quang
    tq_chairman: Person
    tq_vice: Person  # signs
    tq_vice_plain: Person  # does not sign
    hoa: Person  # officer: every section not named for someone else
    binh: Person  # officer: named for the broadcasts
    tung: Person  # officer not on the bot: named for the assessment
    hp: Unit  # xã Hồng Phong
    hp_chairman: Person
    lan: Person  # officer: every section


async def build(database: Database) -> Province:
    async with database.session() as session:
        office = await make_unit(session, name="Sở Nội vụ tỉnh Hưng Yên", kind=UnitKind.OFFICE)
        tq = await make_unit(session, name="Tân Quang", code="TQ", office=office)
        hp = await make_unit(session, name="Hồng Phong", code="HP", office=office)

        async def member(unit: Unit, role: Role, name: str, registered: bool = True) -> Person:
            telegram_id = next(_telegram_ids) if registered else None
            return await make_person(
                session, unit=unit, role=role, full_name=name, telegram_user_id=telegram_id
            )

        tq_chairman = await member(tq, Role.CHAIRMAN, "Lê Văn Cường")
        tq_vice = await member(tq, Role.VICE_CHAIRMAN, "Phạm Thị Dung")
        await session.execute(
            update(Membership)
            .where(Membership.person_id == tq_vice.id, Membership.unit_id == tq.id)
            .values(signs=True)
        )
        tq_vice_plain = await member(tq, Role.VICE_CHAIRMAN, "Đặng Văn Quý")
        hoa = await member(tq, Role.OFFICER, "Nguyễn Thị Hoa")
        binh = await member(tq, Role.OFFICER, "Trần Văn Bình")
        tung = await member(tq, Role.OFFICER, "Đỗ Văn Tùng", registered=False)
        session.add(SectionAssignment(unit_id=tq.id, section_code="broadcasts", person_id=binh.id))
        session.add(SectionAssignment(unit_id=tq.id, section_code="assessment", person_id=tung.id))
        hp_chairman = await member(hp, Role.CHAIRMAN, "Vũ Văn Hải")
        lan = await member(hp, Role.OFFICER, "Hoàng Thị Lan")
    return Province(
        office, tq, tq_chairman, tq_vice, tq_vice_plain, hoa, binh, tung, hp, hp_chairman, lan
    )


# ----- acting and reading back -------------------------------------------------------------------


async def run(
    database: Database, now: datetime, duties: CalendarDuties | None = None
) -> Counter[str]:
    async with database.session() as session:
        return await (duties or make_duties()).run(session, now)


def total(queued: Counter[str]) -> int:
    return sum(queued.values())


async def outbox(database: Database, *, purpose: str | None = None) -> list[OutboxMessage]:
    async with database.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if purpose is not None:
            query = query.where(OutboxMessage.purpose == purpose)
        return list((await session.scalars(query)).all())


async def keys(database: Database, *, purpose: str | None = None) -> set[str]:
    return {row.key for row in await outbox(database, purpose=purpose)}


async def rounds(database: Database) -> dict[int, ReportingRound]:
    """The 2026-Q4 rounds by unit id."""
    async with database.session() as session:
        rows = await session.scalars(
            select(ReportingRound)
            .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
            .where(ReportingPeriod.code == "2026-Q4")
        )
        return {round_.unit_id: round_ for round_ in rows}


async def set_status(database: Database, round_id: int, status: RoundStatus) -> None:
    async with database.session() as session:
        round_ = await session.get(ReportingRound, round_id)
        assert round_ is not None
        round_.status = status


async def hand_in(database: Database, round_id: int, codes: list[str], person: Person) -> None:
    """Mark sections handed in, as the questionnaire does on "submit"."""
    async with database.session() as session:
        for code in codes:
            session.add(
                SectionSubmission(
                    round_id=round_id,
                    section_code=code,
                    form_version=FORM.version,
                    submitted_by_person_id=person.id,
                )
            )


async def answer(database: Database, round_id: int, typed: dict[str, str], person: Person) -> None:
    async with database.session() as session:
        await store_answers(
            session,
            round_id=round_id,
            answers={
                code: parse_answer(FORM.questions[code], text) for code, text in typed.items()
            },
            form_version=FORM.version,
            person_id=person.id,
        )


def text_of(row: OutboxMessage) -> str:
    return row.payload["text"]


def by_person(rows: list[OutboxMessage]) -> dict[int | None, OutboxMessage]:
    found: dict[int | None, OutboxMessage] = {}
    for row in rows:
        assert row.person_id not in found, f"two rows for person {row.person_id}"
        found[row.person_id] = row
    return found


BROADCASTS_TYPED = {
    "radio_station": "Đang hoạt động",
    "radio_programs": "6",
    "radio_items": "25",
    "radio_airings": "30",
    "radio_minutes": "90 phút",
    "radio_per_day": "2",
    "radio_relay": "có",
}


# ----- opening ----------------------------------------------------------------------------------


async def test_nothing_is_due_in_november(database: Database) -> None:
    """On 22/11/2026 (and at 07:59 on 07/12) run queues nothing and opens no round."""
    await build(database)
    assert total(await run(database, at(2026, 11, 22, 9))) == 0
    assert total(await run(database, at(2026, 12, 7, 7, 59))) == 0
    assert await rounds(database) == {}
    assert await outbox(database) == []
    async with database.session() as session:
        assert (await session.scalars(select(ReportingPeriod))).all() == []


async def test_opening_opens_every_commune_and_prompts_registered_officers(
    database: Database,
) -> None:
    """07/12 08:00 opens 2026-Q4 for both communes and asks each registered officer once."""
    p = await build(database)
    queued = await run(database, at(2026, 12, 7, 8))
    assert queued == Counter(prompt=3)

    opened = await rounds(database)
    assert set(opened) == {p.tq.id, p.hp.id}
    assert {round_.status for round_ in opened.values()} == {RoundStatus.OPEN}
    async with database.session() as session:
        period = await session.scalar(
            select(ReportingPeriod).where(ReportingPeriod.code == "2026-Q4")
        )
        assert period is not None
        assert (period.starts_on, period.closes_on) == (date(2026, 9, 15), date(2026, 12, 14))
        # The calendar's deadline, with the holiday on 15/12: Thursday 17/12, not Wednesday 16/12.
        assert period.deadline_on == date(2026, 12, 17)
        audit = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == "round.opened"))
        ).all()
        assert {entry.actor_label for entry in audit} == {"calendar"}
        assert len(audit) == 2

    rows = await outbox(database)
    tq_round, hp_round = opened[p.tq.id].id, opened[p.hp.id].id
    assert {row.key for row in rows} == {
        f"open:{tq_round}:{p.hoa.id}",
        f"open:{tq_round}:{p.binh.id}",
        f"open:{hp_round}:{p.lan.id}",
    }
    prompts = by_person(rows)
    for person in (p.hoa, p.binh, p.lan):
        row = prompts[person.id]
        assert row.purpose == "open"
        assert (row.person_id, row.chat_id) == (person.id, None)
        assert row.office_id is None
        assert row.payload["buttons"] == [[[texts.START_BUTTON, "r:go:cchc"]]]
        assert Q4_PERIOD in text_of(row)
        assert "15/09/2026" in text_of(row) and "14/12/2026" in text_of(row)
    assert "xã Tân Quang" in text_of(prompts[p.hoa.id])
    assert "xã Hồng Phong" in text_of(prompts[p.lan.id])

    hoa_text, binh_text, lan_text = (text_of(prompts[x.id]) for x in (p.hoa, p.binh, p.lan))
    assert all(TITLE[code] in hoa_text for code in HOA_SECTIONS)
    assert TITLE["broadcasts"] not in hoa_text and TITLE["assessment"] not in hoa_text
    assert TITLE["broadcasts"] in binh_text
    assert all(TITLE[code] not in binh_text for code in (*HOA_SECTIONS, "assessment"))
    assert all(title in lan_text for title in TITLE.values())
    # Nobody else: not the unregistered officer, not the chairmen or vice-chairmen.
    assert p.tung.id not in prompts
    assert {p.tq_chairman.id, p.tq_vice.id, p.tq_vice_plain.id, p.hp_chairman.id}.isdisjoint(
        prompts
    )


async def test_running_again_queues_nothing_new(database: Database) -> None:
    """A second run at 09:00 (and one late on the closing day) adds no row and no round."""
    await build(database)
    assert total(await run(database, at(2026, 12, 7, 8))) == 3
    before = [(row.id, row.key) for row in await outbox(database)]
    rounds_before = {unit: round_.id for unit, round_ in (await rounds(database)).items()}

    again = await run(database, at(2026, 12, 7, 9))
    assert total(again) == 0
    assert [(row.id, row.key) for row in await outbox(database)] == before
    assert {unit: round_.id for unit, round_ in (await rounds(database)).items()} == rounds_before


async def test_commune_added_during_the_window_is_opened_on_the_next_run(
    database: Database,
) -> None:
    """A commune imported after the opening gets its round and prompt on the next tick only."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    async with database.session() as session:
        late_unit = await make_unit(session, name="Phú Thịnh", code="PT", office=p.office)
        newcomer = await make_person(
            session, unit=late_unit, full_name="Ngô Thị Thu", telegram_user_id=next(_telegram_ids)
        )
    queued = await run(database, at(2026, 12, 8, 10))
    assert queued["prompt"] == 1
    opened = await rounds(database)
    assert late_unit.id in opened
    assert await keys(database, purpose="open") >= {f"open:{opened[late_unit.id].id}:{newcomer.id}"}
    assert len(await outbox(database, purpose="open")) == 4


# ----- catching up and reminding ----------------------------------------------------------------


async def test_catch_up_after_downtime_sends_only_the_latest_reminder(
    database: Database,
) -> None:
    """Down from 06/12 to 13/12 10:00: one run opens and sends the -1 reminder, nothing more."""
    p = await build(database)
    queued = await run(database, at(2026, 12, 13, 10))
    # The reminder says all the prompt would (sections, the button), so no prompt as well.
    assert queued == Counter(prompt=0, reminder=3)
    opened = await rounds(database)
    tq_round, hp_round = opened[p.tq.id].id, opened[p.hp.id].id
    officers = {(tq_round, p.hoa.id), (tq_round, p.binh.id), (hp_round, p.lan.id)}
    assert await keys(database, purpose="open") == set()
    assert await keys(database, purpose="remind") == {f"remind1:{r}:{o}" for r, o in officers}
    assert not any(key.startswith("remind3:") for key in await keys(database))
    for row in await outbox(database, purpose="remind"):
        assert "Còn 1 ngày nữa" in text_of(row)
        assert "14/12/2026" in text_of(row)

    closing_day = await run(database, at(2026, 12, 14, 8, 30))
    assert closing_day == Counter(prompt=0, reminder=3)
    remind0 = {key for key in await keys(database) if key.startswith("remind0:")}
    assert remind0 == {f"remind0:{r}:{o}" for r, o in officers}
    for row in await outbox(database, purpose="remind"):
        if row.key.startswith("remind0:"):
            assert text_of(row).startswith("⏰ Hôm nay")

    assert total(await run(database, at(2026, 12, 14, 9))) == 0
    assert len(await outbox(database)) == 6


async def test_reminders_go_only_to_people_with_something_left(database: Database) -> None:
    """Bình has handed in his section: no reminder; Hoa's shows her progress; Lan's shows none."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    opened = await rounds(database)
    tq_round, hp_round = opened[p.tq.id].id, opened[p.hp.id].id
    await answer(database, tq_round, BROADCASTS_TYPED, p.binh)
    await answer(database, tq_round, {"other_directives": "0"}, p.hoa)
    await hand_in(database, tq_round, ["broadcasts", "directives"], p.binh)
    # Hoa's progress counts only these two, not Bình's answers or her handed-in section's.
    await answer(database, tq_round, {"web_posts": "20", "web_posts_digital": "5"}, p.hoa)

    queued = await run(database, at(2026, 12, 11, 8))
    assert queued["reminder"] == 2
    reminders = by_person(await outbox(database, purpose="remind"))
    assert set(reminders) == {p.hoa.id, p.lan.id}
    assert reminders[p.hoa.id].key == f"remind3:{tq_round}:{p.hoa.id}"
    assert reminders[p.lan.id].key == f"remind3:{hp_round}:{p.lan.id}"

    hoa = text_of(reminders[p.hoa.id])
    left = [code for code in HOA_SECTIONS if code != "directives"]
    questions = sum(QUESTIONS[code] for code in left)
    assert questions == 25
    assert f"đã trả lời 2/{questions} câu" in hoa
    assert "Còn 3 ngày nữa" in hoa
    assert all(TITLE[code] in hoa for code in left)
    assert TITLE["directives"] not in hoa
    assert reminders[p.hoa.id].payload["buttons"] == [[[texts.CONTINUE_BUTTON, "r:go:cchc"]]]

    lan = text_of(reminders[p.lan.id])
    assert "chưa trả lời câu nào" in lan
    assert reminders[p.lan.id].payload["buttons"] == [[[texts.START_BUTTON, "r:go:cchc"]]]


async def test_officer_who_registers_late_gets_the_next_reminder(database: Database) -> None:
    """Tùng, not on the bot at the opening, gets the next reminder (only) once he registers."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    assert not [row for row in await outbox(database) if row.person_id == p.tung.id]
    telegram_id = next(_telegram_ids)
    async with database.session() as session:
        person = await session.get(Person, p.tung.id)
        assert person is not None
        person.telegram_user_id = telegram_id
    await run(database, at(2026, 12, 11, 8))
    tung_rows = [row for row in await outbox(database) if row.person_id == p.tung.id]
    # The opening is still due, but the reminder already says what it would.
    assert [row.key.split(":")[0] for row in tung_rows] == ["remind3"]
    assert {row.chat_id for row in tung_rows} == {None}  # where Tùng is, read when it goes
    assert all(TITLE["assessment"] in text_of(row) for row in tung_rows)
    assert all(TITLE["directives"] not in text_of(row) for row in tung_rows)


@pytest.mark.parametrize(
    ("status", "reminded"),
    [
        (RoundStatus.OPEN, True),
        (RoundStatus.RETURNED, True),
        (RoundStatus.SUBMITTED, False),
        (RoundStatus.APPROVED, False),
        (RoundStatus.DELIVERED, False),
    ],
)
async def test_reminders_follow_the_round_status(
    database: Database, status: RoundStatus, reminded: bool
) -> None:
    """Open and returned rounds are still being answered and get reminders; the others do not."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    opened = await rounds(database)
    tq_round = opened[p.tq.id].id
    # A returned round keeps its answers but its sections are no longer handed in.
    await answer(database, tq_round, BROADCASTS_TYPED, p.binh)
    await set_status(database, tq_round, status)

    await run(database, at(2026, 12, 11, 8))
    reminders = by_person(await outbox(database, purpose="remind"))
    assert p.lan.id in reminders  # the other commune, still open, is the control
    if reminded:
        assert {p.hoa.id, p.binh.id} <= set(reminders)
        n = QUESTIONS["broadcasts"]
        assert f"đã trả lời {n}/{n} câu" in text_of(reminders[p.binh.id])
    else:
        assert p.hoa.id not in reminders and p.binh.id not in reminders


# ----- escalation -------------------------------------------------------------------------------


async def test_escalation_tells_approvers_which_sections_are_missing(database: Database) -> None:
    """14/12 16:30: Tân Quang's chairman and signing vice hear what is missing; Hồng Phong's not."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    opened = await rounds(database)
    tq_round, hp_round = opened[p.tq.id].id, opened[p.hp.id].id
    await hand_in(database, tq_round, ["directives"], p.hoa)
    await hand_in(database, hp_round, [section.code for section in FORM.sections], p.lan)
    await set_status(database, hp_round, RoundStatus.SUBMITTED)

    assert (await run(database, at(2026, 12, 14, 15, 59)))["escalation"] == 0
    queued = await run(database, at(2026, 12, 14, 16, 30))
    assert queued["escalation"] == 2
    rows = await outbox(database, purpose="escalate")
    assert {row.key for row in rows} == {
        f"escalate:{tq_round}:{p.tq_chairman.id}",
        f"escalate:{tq_round}:{p.tq_vice.id}",
    }
    escalations = by_person(rows)
    assert escalations[p.tq_chairman.id].chat_id is None
    assert escalations[p.tq_vice.id].chat_id is None
    text = text_of(escalations[p.tq_chairman.id])
    assert text == text_of(escalations[p.tq_vice.id])
    assert Q4_PERIOD in text and "xã Tân Quang" in text
    assert "Còn 7 phần chưa gửi" in text
    assert f"• {TITLE['broadcasts']}: Trần Văn Bình" in text
    for code in ("content", "posts", "visual", "meetings", "other_forms"):
        assert f"• {TITLE[code]}: Nguyễn Thị Hoa" in text
    assert f"• {TITLE['assessment']}: chưa có cán bộ đăng ký" in text
    assert TITLE["directives"] not in text
    assert "Đỗ Văn Tùng" not in text

    assert total(await run(database, at(2026, 12, 14, 17))) == 0
    assert len(await outbox(database, purpose="escalate")) == 2


async def test_no_escalation_when_every_section_is_handed_in(database: Database) -> None:
    """A round still marked open but with every section handed in escalates nothing."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    opened = await rounds(database)
    for unit, person in ((p.tq, p.hoa), (p.hp, p.lan)):
        await hand_in(database, opened[unit.id].id, [s.code for s in FORM.sections], person)
    queued = await run(database, at(2026, 12, 14, 16, 30))
    assert queued["escalation"] == 0
    assert await outbox(database, purpose="escalate") == []
    assert await outbox(database, purpose="remind") == []


# ----- late to the office -----------------------------------------------------------------------


async def test_office_hears_once_which_communes_are_late(database: Database) -> None:
    """The morning after the deadline each office gets one row naming its undelivered communes."""
    p = await build(database)
    async with database.session() as session:
        second_office = await make_unit(session, name="Văn phòng UBND tỉnh", kind=UnitKind.OFFICE)
        pt = await make_unit(session, name="Phú Thịnh", code="PT", office=second_office)
        loose = await make_unit(session, name="Không Sở", code="ZZ")  # no receiving office
    await run(database, at(2026, 12, 7, 8))
    opened = await rounds(database)
    assert {p.tq.id, p.hp.id, pt.id, loose.id} == set(opened)
    await set_status(database, opened[p.tq.id].id, RoundStatus.SUBMITTED)
    await set_status(database, opened[p.hp.id].id, RoundStatus.DELIVERED)

    # The deadline is Thu 17/12 (the holiday on 15/12): nothing is late on the 17th.
    assert (await run(database, at(2026, 12, 17, 9)))["late"] == 0
    queued = await run(database, at(2026, 12, 18, 8))
    assert queued["late"] == 2
    rows = {row.office_id: row for row in await outbox(database, purpose="late")}
    assert set(rows) == {p.office.id, second_office.id}

    row = rows[p.office.id]
    assert row.key == f"late:2026-Q4:office:{p.office.id}"
    assert (row.chat_id, row.person_id) == (None, None)
    text = text_of(row)
    assert Q4_PERIOD in text and "(hạn 17/12/2026)" in text
    assert "1 đơn vị chưa gửi" in text
    assert f"• xã Tân Quang: {texts.ROUND_STATUS_LABELS[RoundStatus.SUBMITTED]}" in text
    assert "Hồng Phong" not in text and "Phú Thịnh" not in text and "Không Sở" not in text

    other = text_of(rows[second_office.id])
    assert f"• xã Phú Thịnh: {texts.ROUND_STATUS_LABELS[RoundStatus.OPEN]}" in other
    assert "Tân Quang" not in other

    assert total(await run(database, at(2026, 12, 18, 9))) == 0
    assert len(await outbox(database, purpose="late")) == 2


async def test_no_late_row_when_every_round_is_delivered(database: Database) -> None:
    """If every commune has delivered, the office hears nothing."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    for round_ in (await rounds(database)).values():
        await set_status(database, round_.id, RoundStatus.DELIVERED)
    queued = await run(database, at(2026, 12, 18, 8))
    assert queued["late"] == 0
    assert await outbox(database, purpose="late") == []
    assert not [row for row in await outbox(database) if row.office_id == p.office.id]


# ----- a person blocks the bot ------------------------------------------------------------------


async def blocked(database: Database, row: OutboxMessage, duties: CalendarDuties) -> None:
    async with database.session() as session:
        stored = await session.get(OutboxMessage, row.id)
        assert stored is not None
        await duties.on_blocked(session, stored)


async def test_blocked_officer_is_noted_and_the_approvers_told_once_a_day(
    database: Database,
) -> None:
    """A 403 on Hoa's prompt marks her blocked and tells each approver once, never Hoa."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    prompt = by_person(await outbox(database, purpose="open"))[p.hoa.id]
    sent_at = datetime(2026, 12, 7, 1, 0, 5, tzinfo=UTC)
    async with database.session() as session:
        stored = await session.get(OutboxMessage, prompt.id)
        assert stored is not None
        stored.sent_at = sent_at
    duties = make_duties()
    await blocked(database, prompt, duties)

    async with database.session() as session:
        hoa = await session.get(Person, p.hoa.id)
        assert hoa is not None
        assert hoa.blocked_bot_at == sent_at
    notices = await outbox(database, purpose="blocked_person")
    told = by_person(notices)
    assert set(told) == {p.tq_chairman.id, p.tq_vice.id}
    assert told[p.tq_chairman.id].chat_id is None
    for row in notices:
        assert row.key.startswith(f"blocked:{p.hoa.id}:{p.tq.id}:{row.person_id}:")
        assert "Nguyễn Thị Hoa" in text_of(row)
        assert texts.role_in_unit(Role.OFFICER, p.tq) in text_of(row)

    # Her next message is refused too (a later reminder): nothing new, the first time is kept.
    await run(database, at(2026, 12, 11, 8))
    reminder = by_person(await outbox(database, purpose="remind"))[p.hoa.id]
    async with database.session() as session:
        stored = await session.get(OutboxMessage, reminder.id)
        assert stored is not None
        stored.sent_at = sent_at + timedelta(days=4)
    await blocked(database, prompt, duties)
    await blocked(database, reminder, make_duties())
    assert [row.id for row in await outbox(database, purpose="blocked_person")] == [
        row.id for row in notices
    ]
    async with database.session() as session:
        hoa = await session.get(Person, p.hoa.id)
        assert hoa is not None and hoa.blocked_bot_at == sent_at


async def test_blocked_without_send_time_uses_the_current_time(database: Database) -> None:
    """A blocked row with no sent_at stamps blocked_bot_at with the time of the call."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    prompt = by_person(await outbox(database, purpose="open"))[p.lan.id]
    before = datetime.now(UTC)
    await blocked(database, prompt, make_duties())
    after = datetime.now(UTC)
    async with database.session() as session:
        lan = await session.get(Person, p.lan.id)
        assert lan is not None and lan.blocked_bot_at is not None
        assert before - timedelta(seconds=1) <= lan.blocked_bot_at <= after
    told = by_person(await outbox(database, purpose="blocked_person"))
    assert set(told) == {p.hp_chairman.id}


async def test_blocked_chairman_is_not_told_about_himself(database: Database) -> None:
    """When the chairman blocks the bot, the signing vice hears of it and he does not."""
    p = await build(database)
    await run(database, at(2026, 12, 14, 16, 30))
    escalation = by_person(await outbox(database, purpose="escalate"))[p.tq_chairman.id]
    await blocked(database, escalation, make_duties())
    told = by_person(await outbox(database, purpose="blocked_person"))
    assert set(told) == {p.tq_vice.id}
    assert texts.role_in_unit(Role.CHAIRMAN, p.tq) in text_of(told[p.tq_vice.id])


async def test_blocked_office_row_changes_nothing(database: Database) -> None:
    """An office's row (no person) refused with 403 queues nothing and marks nobody."""
    p = await build(database)
    await run(database, at(2026, 12, 7, 8))
    await run(database, at(2026, 12, 18, 8))
    late = (await outbox(database, purpose="late"))[0]
    assert late.office_id == p.office.id
    await blocked(database, late, make_duties())
    assert await outbox(database, purpose="blocked_person") == []
    async with database.session() as session:
        marked = (
            await session.scalars(select(Person).where(Person.blocked_bot_at.is_not(None)))
        ).all()
        assert marked == []


# ----- more than one instance -------------------------------------------------------------------


async def test_two_instances_queue_each_message_once(database: Database) -> None:
    """Two CalendarDuties in two transactions, same moment: the second queues nothing."""
    p = await build(database)
    first, second = make_duties(), make_duties()
    now = at(2026, 12, 13, 10)
    assert await run(database, now, first) == Counter(prompt=0, reminder=3)
    assert total(await run(database, now, second)) == 0

    closing = at(2026, 12, 14, 16, 30)
    queued = await run(database, closing, second)
    assert queued["escalation"] == 3 and queued["reminder"] == 3
    assert total(await run(database, closing, first)) == 0

    rows = await outbox(database)
    assert len(rows) == len({row.key for row in rows}) == 3 + 3 + 3
    assert len(await rounds(database)) == 2
    assert {row.person_id for row in rows if row.purpose == "escalate"} == {
        p.tq_chairman.id,
        p.tq_vice.id,
        p.hp_chairman.id,
    }


async def test_each_report_kinds_calendar_opens_reminds_and_chases_its_own_rounds(
    database: Database,
) -> None:
    """Two kinds on one calendar: each opens its own rounds and prompts for them (keys by
    round), and each tells the office which communes are late for it, once."""
    from tests.factories import all_types_form

    p = await build(database)
    both = Questionnaire({"cchc": FORM, "other": all_types_form()})
    cchc = CalendarDuties(both, CALENDAR, ZONE)
    other = CalendarDuties(both, CALENDAR, ZONE, report_kind="other")

    opened_cchc = await run(database, at(2026, 12, 7, 8), cchc)
    opened_other = await run(database, at(2026, 12, 7, 8), other)
    async with database.session() as session:
        kinds = sorted(r.kind for r in await session.scalars(select(ReportingRound)))
    await run(database, at(2026, 12, 18, 8), cchc)
    await run(database, at(2026, 12, 18, 8), other)
    late = sorted(row.key for row in await outbox(database, purpose="late"))

    assert opened_cchc["prompt"] == 3 and opened_other["prompt"] >= 1
    assert kinds == ["cchc", "cchc", "other", "other"]
    assert late == [
        f"late:2026-Q4:office:{p.office.id}",
        f"late:2026-Q4:office:{p.office.id}:other",
    ]
