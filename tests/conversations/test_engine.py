"""The questionnaire engine on the sample province, one transaction per call as in the bot.

Trần Văn Bình answers the broadcasts section (assigned in people.csv); Nguyễn Thị Hoa, the
commune's other officer, answers the six others. Nothing of the project is mocked: every call
goes through the real database, and what is stored is read back from it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select, func, select, update

from conversations import texts
from conversations.engine import Questionnaire, Reply
from definitions.forms import load_form
from definitions.values import display
from storage.db import Database
from storage.imports import import_people, import_units
from storage.models import (
    Answer,
    AuditEntry,
    Person,
    QuestionnaireState,
    ReportingPeriod,
    ReportingRound,
    Role,
    RoundStatus,
    SectionAssignment,
    SectionSubmission,
    Unit,
    WalkStatus,
)
from storage.people import find_member_by_name, get_unit_by_code
from storage.periods import open_rounds
from storage.questionnaire import HistoryMemo, record_shown
from tests.factories import (
    all_types_form,
    database_snapshot,
    make_person,
    make_unit,
    open_round,
    store_answers,
)

FORM = load_form()
TODAY = date(2026, 12, 1)  # 2026-Q4, the period these tests answer, closes on 14/12/2026
ENGINE = Questionnaire(FORM, today=lambda: TODAY)
HOA_SECTIONS = ["directives", "content", "posts", "visual", "meetings", "other_forms", "assessment"]


@dataclass(frozen=True)
class Press:
    """A button in a script of answers (anything else in a script is typed)."""

    action: str


PLAN_TEXT = "03/KH-UBND ngày 08/01/2026"
HIGHER_PLAN_TEXT = "Kế hoạch số 181/KH-UBND ngày 29/12/2025 của UBND tỉnh Hưng Yên"
PLAN = [{"number": "03", "symbol": "KH-UBND", "year": None, "issued_on": "2026-01-08"}]
HIGHER_PLAN = [
    {
        "number": "181",
        "symbol": "KH-UBND",
        "year": None,
        "issued_on": "2025-12-29",
        "issuer": "UBND tỉnh Hưng Yên",
    }
]

# What Hoa types or presses for each of her questions, and what must be stored.
HOA_SCRIPT: dict[str, str | Press] = {
    "plan_refs": PLAN_TEXT,
    "higher_docs": HIGHER_PLAN_TEXT,
    "directed_to": "1, 4",
    "other_directives": "2",
    "content_topics": "1, 2",
    "content_docs": Press("skip"),
    "content_other": Press("skip"),
    "web_posts": "12",
    "web_posts_digital": "4",
    "social_posts": "20 bài",
    "web_tthc_updated": Press("v:1"),
    "banners": "5",
    "slogans": "10",
    "panels": "3",
    "leaflets": "1.500",
    "tthc_posted_percent": "100%",
    "meetings_integrated": "6",
    "meetings_cchc": "1",
    "meetings_cchc_unit": Press("skip"),
    "dialogues": "2",
    "meeting_attendance": "350",
    "mobile_sessions": "3",
    "mobile_sessions_unit": "đợt",
    "citizens_guided": "1.200",
    "contests": "1",
    "contest_participants": "250",
    "staged_events": Press("zero"),
    "trainings": "1",
    "other_forms_text": "Tuyên truyền qua nhóm Zalo của các thôn",
    "strengths": "Công tác tuyên truyền được triển khai kịp thời.",
    "limitations": "Kinh phí còn hạn chế.",
    "causes": "Cán bộ kiêm nhiệm nhiều việc.",
    "directions": "Tiếp tục tuyên truyền qua hệ thống truyền thanh.",
    "proposals": Press("skip"),
}
HOA_VALUES: dict[str, Any] = {
    "plan_refs": PLAN,
    "higher_docs": HIGHER_PLAN,
    "directed_to": ["departments", "sub_units"],
    "other_directives": 2,
    "content_topics": ["par_index", "sipas"],
    "content_docs": None,
    "content_other": None,
    "web_posts": 12,
    "web_posts_digital": 4,
    "social_posts": 20,
    "web_tthc_updated": True,
    "banners": 5,
    "slogans": 10,
    "panels": 3,
    "leaflets": 1500,
    "tthc_posted_percent": 100,
    "meetings_integrated": 6,
    "meetings_cchc": 1,
    "meetings_cchc_unit": None,
    "dialogues": 2,
    "meeting_attendance": 350,
    "mobile_sessions": 3,
    "mobile_sessions_unit": "campaign",
    "citizens_guided": 1200,
    "contests": 1,
    "contest_participants": 250,
    "staged_events": 0,
    "trainings": 1,
    "other_forms_text": "Tuyên truyền qua nhóm Zalo của các thôn",
    "strengths": "Công tác tuyên truyền được triển khai kịp thời.",
    "limitations": "Kinh phí còn hạn chế.",
    "causes": "Cán bộ kiêm nhiệm nhiều việc.",
    "directions": "Tiếp tục tuyên truyền qua hệ thống truyền thanh.",
    "proposals": None,
}
BINH_SCRIPT: dict[str, str | Press] = {
    "radio_station": Press("v:0"),
    "radio_programs": "4",
    "radio_items": "24",
    "radio_airings": "72",
    "radio_minutes": "6 giờ",
    "radio_per_day": "2",
    "radio_relay": "có",
}
BINH_VALUES: dict[str, Any] = {
    "radio_station": "active",
    "radio_programs": 4,
    "radio_items": 24,
    "radio_airings": 72,
    "radio_minutes": 360,
    "radio_per_day": 2,
    "radio_relay": True,
}


def actions(reply: Reply) -> list[str]:
    return [button.action for out in reply.messages for row in out.buttons for button in row]


def text_of(reply: Reply) -> str:
    return "\n\n".join(out.text for out in reply.messages)


def label(code: str) -> str:
    question = FORM.questions.get(code) or all_types_form().questions[code]
    return question.label


@dataclass
class Officer:
    """One person talking to the bot: each call is its own transaction, as in the handlers."""

    db: Database
    person: Person
    round_id: int | None = None
    engine: Questionnaire = ENGINE
    last: Reply | None = None  # the latest reply that carried buttons' state and step

    def _keep(self, reply: Reply) -> Reply:
        if reply.state_id is not None:
            self.last = reply
        return reply

    async def begin(self) -> Reply:
        async with self.db.session() as session:
            reply = await self.engine.begin(session, person=self.person)
        return self._keep(reply)

    async def say(self, text: str) -> Reply:
        async with self.db.session() as session:
            reply = await self.engine.answer_text(session, person=self.person, text=text)
        assert reply is not None
        return self._keep(reply)

    async def press(self, action: str, *, on: Reply | None = None) -> Reply:
        keyboard = on or self.last
        assert keyboard is not None and keyboard.state_id is not None
        assert keyboard.step is not None
        async with self.db.session() as session:
            reply = await self.engine.press(
                session,
                person=self.person,
                state_id=keyboard.state_id,
                step=keyboard.step,
                action=action,
            )
        return self._keep(reply)

    async def pause(self) -> Reply:
        async with self.db.session() as session:
            return await self.engine.pause(session, person=self.person)

    async def entered(self) -> Reply:
        async with self.db.session() as session:
            return await self.engine.entered(session, person=self.person)

    async def prompt(self) -> Reply | None:
        async with self.db.session() as session:
            reply = await self.engine.current_prompt(session, person=self.person)
        return None if reply is None else self._keep(reply)

    def _state_query(self) -> Select[tuple[QuestionnaireState]]:
        query = select(QuestionnaireState).where(QuestionnaireState.person_id == self.person.id)
        if self.round_id is not None:
            query = query.where(QuestionnaireState.round_id == self.round_id)
        return query

    async def state(self) -> QuestionnaireState:
        async with self.db.session() as session:
            state = await session.scalar(self._state_query())
        assert state is not None
        return state

    async def answers(self) -> dict[str, Any]:
        assert self.round_id is not None
        return await answers_of(self.db, self.round_id)

    async def move_to(self, code: str) -> None:
        """Put the person on a question, as if they had walked there."""
        for _ in range(2):
            async with self.db.session() as session:
                state = await session.scalar(self._state_query())
                if state is not None:
                    state.question_code = code
                    state.status = WalkStatus.ASKING
                    state.pending = None
                    state.step += 1
                    return
            await self.begin()  # no walk yet: start one, then move it
        raise AssertionError("no questionnaire state")

    async def go_to(self, code: str) -> Reply:
        """Put the person on a question and show it, with its buttons."""
        await self.move_to(code)
        reply = await self.prompt()
        assert reply is not None
        assert self.engine.form.questions[code].label in text_of(reply)
        return reply

    async def walk(self, script: dict[str, str | Press], *, until: str | None = None) -> Reply:
        """Answer from the script until the review (or the question `until`)."""
        reply = await self.begin()
        for _ in range(100):
            if "submit" in actions(reply):
                assert (await self.state()).status is WalkStatus.REVIEWING
                return reply
            code = self._asked(reply)
            if code == until:
                return reply
            step = script[code]
            if isinstance(step, Press):
                reply = await self.press(step.action)
            else:
                reply = await self.say(step)
            assert reply.accepted, (code, text_of(reply), reply.alert)
        raise AssertionError("the walk did not end")

    def _asked(self, reply: Reply) -> str:
        """The question a reply asks: its label stands on a line of its own."""
        lines = reply.messages[-1].text.split("\n")
        asked = [q.code for q in self.engine.form.questions.values() if q.label in lines]
        assert len(asked) == 1, lines
        return asked[0]


@dataclass
class Province:
    db: Database
    round_id: int  # Tân Quang, 2026-Q4
    hoa: Officer
    binh: Officer
    giang: Officer  # officer of another commune (Như Quỳnh)
    chairman: Officer
    office: Officer  # staff of the receiving office


async def round_id_of(db: Database, unit_code: str, period_code: str) -> int:
    async with db.session() as session:
        found = await session.scalar(
            select(ReportingRound.id)
            .join(ReportingPeriod, ReportingPeriod.id == ReportingRound.period_id)
            .join(Unit, Unit.id == ReportingRound.unit_id)
            .where(ReportingPeriod.code == period_code, Unit.code == unit_code)
        )
    assert found is not None
    return found


async def answers_of(db: Database, round_id: int) -> dict[str, Any]:
    async with db.session() as session:
        rows = await session.scalars(select(Answer).where(Answer.round_id == round_id))
        return {row.question_code: row.value["value"] for row in rows}


async def set_round_status(db: Database, round_id: int, status: RoundStatus) -> None:
    async with db.session() as session:
        round_ = await session.get(ReportingRound, round_id)
        assert round_ is not None
        round_.status = status


async def store_earlier(
    db: Database, period_code: str, values: dict[str, Any], *, by: Person
) -> int:
    """Open the period for Tân Quang and store answers in it, as if given then."""
    async with db.session() as session:
        await open_rounds(session=session, code=period_code, unit_codes=["12151"])
    round_id = await round_id_of(db, "12151", period_code)
    async with db.session() as session:
        await store_answers(
            session, round_id=round_id, answers=values, form_version=FORM.version, person_id=by.id
        )
    return round_id


@pytest.fixture
async def province(database: Database, province_files: tuple[Path, Path]) -> Province:
    units, people = province_files
    async with database.session() as session:
        await import_units(session=session, path=units)
        await import_people(
            session=session, path=people, known_sections=[s.code for s in FORM.sections]
        )
        await open_rounds(session=session, code="2026-Q4")
        tan_quang = await get_unit_by_code(session=session, code="12151")
        nhu_quynh = await get_unit_by_code(session=session, code="12154")
        office = await get_unit_by_code(session=session, code="SNV-33")
        assert tan_quang is not None and nhu_quynh is not None and office is not None
        found: dict[str, Person] = {}
        for key, unit_id, role, name in [
            ("hoa", tan_quang.id, Role.OFFICER, "Nguyễn Thị Hoa"),
            ("binh", tan_quang.id, Role.OFFICER, "Trần Văn Bình"),
            ("chairman", tan_quang.id, Role.CHAIRMAN, "Lê Văn Cường"),
            ("giang", nhu_quynh.id, Role.OFFICER, "Vũ Thị Giang"),
            ("office", office.id, Role.OFFICE, "Bùi Thị Lan"),
        ]:
            person = await find_member_by_name(
                session=session, unit_id=unit_id, role=role, name=name
            )
            assert person is not None, name
            found[key] = person
    round_id = await round_id_of(database, "12151", "2026-Q4")
    giang_round = await round_id_of(database, "12154", "2026-Q4")
    return Province(
        db=database,
        round_id=round_id,
        hoa=Officer(database, found["hoa"], round_id),
        binh=Officer(database, found["binh"], round_id),
        giang=Officer(database, found["giang"], giang_round),
        chairman=Officer(database, found["chairman"], round_id),
        office=Officer(database, found["office"]),
    )


async def assert_refused(
    officer: Officer,
    text: str,
    *,
    code: str,
    says: str,
    confirming: bool = False,
    before: tuple[Any, ...] | None = None,
) -> Reply:
    """The text is refused in Vietnamese, the question asked again, and nothing changes."""
    if before is None:
        before = await database_snapshot(officer.db)
    reply = await officer.say(text)
    assert reply.accepted is False, text[:50]
    first = reply.messages[0].text
    assert first.startswith("⚠️ "), first
    assert says in first, (text[:50], first)
    assert "vui lòng" in first.lower()
    if not confirming:
        assert label(code) in first  # the same question again
    state = await officer.state()
    assert (reply.state_id, reply.step) == (state.id, state.step)
    assert await database_snapshot(officer.db) == before
    return reply


async def assert_button_refused(
    officer: Officer,
    action: str,
    *,
    alert: str,
    on: Reply | None = None,
    before: tuple[Any, ...] | None = None,
) -> None:
    if before is None:
        before = await database_snapshot(officer.db)
    reply = await officer.press(action, on=on)
    assert reply.accepted is False, action
    assert reply.alert == alert, (action, reply.alert)
    assert reply.messages == ()
    assert await database_snapshot(officer.db) == before


# ----- who answers what ---------------------------------------------------------------------


async def test_sections_are_split_between_the_two_officers(province: Province) -> None:
    hoa, binh = province.hoa, province.binh
    reply = await hoa.begin()
    intro, question = reply.messages
    assert "quý IV năm 2026" in intro.text and "xã Tân Quang" in intro.text
    assert "15/09/2026" in intro.text and "14/12/2026" in intro.text
    assert "Anh/chị phụ trách 7 phần, tối đa 34 câu hỏi" in intro.text
    for code in HOA_SECTIONS:
        assert f"• {FORM.section(code).title}" in intro.text
    assert FORM.section("broadcasts").title not in intro.text
    assert question.text.startswith("Phần 1/7 · Câu 1/4")
    assert FORM.section("directives").title in question.text
    assert label("plan_refs") in question.text
    state = await hoa.state()
    assert (state.status, state.question_code) == (WalkStatus.ASKING, "plan_refs")
    assert (reply.state_id, reply.step) == (state.id, state.step)

    reply = await binh.begin()
    intro, question = reply.messages
    assert "Anh/chị phụ trách 1 phần, tối đa 7 câu hỏi" in intro.text
    assert f"• {FORM.section('broadcasts').title}" in intro.text
    assert FORM.section("directives").title not in intro.text
    assert question.text.startswith("Phần 1/1 · Câu 1/7")
    assert label("radio_station") in question.text
    assert actions(reply) == ["v:0", "v:1", "v:2", "v:3"]
    assert [b.label for row in question.buttons for b in row] == [
        "Đang hoạt động",
        "Hỏng, đang sửa chữa",
        "Hỏng, chưa sửa được",
        "Không có đài",
    ]

    reply = await hoa.say(PLAN_TEXT)
    assert "Phần 1/7 · Câu 2/4" in reply.messages[0].text
    reply = await hoa.say(HIGHER_PLAN_TEXT)
    assert "Phần 1/7 · Câu 3/4" in reply.messages[0].text
    assert label("directed_to") in reply.messages[0].text
    assert "\n4. Các thôn, tổ dân phố" in reply.messages[0].text  # choices listed by number
    await hoa.say("1, 4")
    reply = await hoa.say("2")
    assert "Phần 2/7 · Câu 1/3" in reply.messages[0].text
    assert label("content_topics") in reply.messages[0].text

    # Even when her state names one of Bình's questions, Hoa's text never answers it.
    async with province.db.session() as session:
        state = await session.scalar(hoa._state_query())
        assert state is not None
        state.question_code = "radio_station"
    reply = await hoa.say("1")
    assert "radio_station" not in await hoa.answers()
    assert label("content_topics") in text_of(reply)
    assert (await hoa.state()).question_code == "content_topics"

    # A second /baocao shows no introduction again, only the current question.
    reply = await hoa.begin()
    assert len(reply.messages) == 1
    assert label("content_topics") in reply.messages[0].text


async def test_people_who_answer_nothing(province: Province) -> None:
    before = await database_snapshot(province.db)
    reply = await province.chairman.begin()
    assert text_of(reply) == texts.NO_SECTIONS_ASSIGNED
    reply = await province.office.begin()
    assert text_of(reply) == texts.NOT_AN_ANSWERER
    async with province.db.session() as session:
        assert await ENGINE.answer_text(session, person=province.office.person, text="5") is None
        assert await ENGINE.answer_text(session, person=province.hoa.person, text="5") is None
        assert await ENGINE.current_prompt(session, person=province.hoa.person) is None
    assert text_of(await province.hoa.pause()) == texts.NOTHING_TO_PAUSE
    assert text_of(await province.hoa.entered()) == texts.NOTHING_ENTERED
    assert await database_snapshot(province.db) == before


async def test_someone_without_sections_is_not_kept_in_a_walk(province: Province) -> None:
    # /baocao once left the chairman a walk state, so his later messages met an empty review
    # whose "submit" logged a resubmission.
    chairman = province.chairman
    assert text_of(await chairman.begin()) == texts.NO_SECTIONS_ASSIGNED
    before = await database_snapshot(province.db)
    async with province.db.session() as session:
        reply = await ENGINE.answer_text(session, person=chairman.person, text="Xin chào")
    assert reply is None  # not answering questions: the bot's other handlers take the message
    assert await database_snapshot(province.db) == before


async def test_no_open_round(database: Database) -> None:
    async with database.session() as session:
        unit = await make_unit(session)
        person = await make_person(session, unit=unit)
    reply = await Officer(database, person).begin()
    assert text_of(reply) == texts.NO_OPEN_ROUND


async def test_no_station_skips_the_radio_questions(province: Province) -> None:
    binh = province.binh
    await binh.begin()
    reply = await binh.say("Không có đài")
    state = await binh.state()
    assert state.status is WalkStatus.REVIEWING
    assert await binh.answers() == {"radio_station": "none"}
    shown = text_of(reply)
    assert "✔ Đã lưu: Đài truyền thanh xã: Không có đài" in shown
    assert "1. Đài truyền thanh xã: Không có đài" in shown
    for code in BINH_SCRIPT:
        if code != "radio_station":
            assert FORM.questions[code].title not in shown
    assert actions(reply) == ["edit:1", "submit", "back"]

    # Changing the answer to "active" brings the radio questions back.
    await binh.press("edit:1")
    reply = await binh.press("v:0")
    assert label("radio_programs") in text_of(reply)
    state = await binh.state()
    assert (state.status, state.question_code) == (WalkStatus.ASKING, "radio_programs")
    assert "Phần 1/1 · Câu 2/7" in text_of(reply)


# ----- typed answers ------------------------------------------------------------------------

ACCEPTED: dict[str, list[tuple[str, Any]]] = {
    "q_count": [
        ("6", 6),
        ("6 buổi", 6),
        (" 7 ", 7),
        ("12 ạ", 12),
        ("1.500", 1500),
        ("1 500", 1500),
        ("１２", 12),
        ("Có 3 buổi.", 3),
        ("0", 0),
        ("không", 0),
        ("Không có", 0),
        ("chưa", 0),
    ],
    "q_minutes": [
        ("90", 90),
        ("90 phút", 90),
        ("90p", 90),
        ("45'", 45),
        ("1 giờ 30", 90),
        ("1h30", 90),
        ("1 tiếng rưỡi", 90),
        ("1,5 giờ", 90),
        ("2 giờ", 120),
        ("không", 0),
    ],
    "q_percent": [
        ("100", 100),
        ("100%", 100),
        ("50 %", 50),
        ("99,5", 99.5),
        ("99.5%", 99.5),
        ("100 phần trăm", 100),
        ("0", 0),
    ],
    "q_yes_no": [
        ("Đã cập nhật", True),
        ("Dạ, chưa", False),
        ("có", True),
        ("Có ạ", True),
        ("ok", True),
        ("vâng", True),
        ("rồi", True),
        ("không", False),
        ("ko", False),
        ("chưa", False),
        ("dạ không", False),
    ],
    "q_choice": [
        ("1", "good"),
        ("Tốt", "good"),
        ("trung binh", "fair"),
        ("3", "poor"),
        ("poor", "poor"),
    ],
    "q_date": [
        ("08/01/2026", "2026-01-08"),
        ("8-1-2026", "2026-01-08"),
        ("8.1.2026", "2026-01-08"),
        ("ngày 8 tháng 1 năm 2026", "2026-01-08"),
        ("29/02/2024", "2024-02-29"),
    ],
    "q_short": [
        ("Tuyên truyền qua Zalo", "Tuyên truyền qua Zalo"),
        ("Dòng một\nDòng hai", "Dòng một Dòng hai"),
    ],
    "q_long": [
        ("Ưu điểm A.\n\n\n\nƯu điểm B.", "Ưu điểm A.\n\nƯu điểm B."),
        ("  Một đoạn.  ", "Một đoạn."),
    ],
    "q_doc": [
        ("03/KH-UBND ngày 08/01/2026", PLAN[0]),
        ("Kế hoạch số 3/KH-UBND ngày 8/1/2026", PLAN[0]),
        (
            "22/2020/QĐ-UBND ngày 12/08/2020",
            {"number": "22", "symbol": "QĐ-UBND", "year": 2020, "issued_on": "2020-08-12"},
        ),
    ],
    "q_multi": [
        ("1, 3", ["par", "digital"]),
        ("3 1", ["par", "digital"]),
        ("2\n2", ["sipas"]),
        ("sipas và chuyển đổi số", ["sipas", "digital"]),
    ],
    "q_docs": [
        ("03/KH-UBND ngày 08/01/2026", PLAN),
        (
            "- 03/KH-UBND ngày 08/01/2026\n- 181/KH-UBND ngày 29/12/2025 của UBND tỉnh Hưng Yên",
            PLAN + HIGHER_PLAN,
        ),
        (
            "76/NQ-CP ngày 15/7/2021 của Chính phủ về Chương trình tổng thể; "
            "03/KH-UBND ngày 8/1/2026",
            [
                {
                    "number": "76",
                    "symbol": "NQ-CP",
                    "year": None,
                    "issued_on": "2021-07-15",
                    "issuer": "Chính phủ",
                    "about": "Chương trình tổng thể",
                },
                *PLAN,
            ],
        ),
    ],
    "q_done": [
        ("5", 5),
        ("0", 0),
        ("không", 0),
        ("có", "done"),
        ("Có ạ", "done"),
        ("có lồng ghép trong các cuộc họp", "done"),
        ("Có 3 cuộc.", 3),
    ],
}


@pytest.fixture
async def typed(database: Database) -> Officer:
    """An officer of a fresh commune, on the form with one question of every type."""
    async with database.session() as session:
        unit = await make_unit(session, code="T0001")
        person = await make_person(session, unit=unit)
        round_ = await open_round(session, unit=unit)
        assert round_ is not None
    return Officer(database, person, round_.id, engine=Questionnaire(all_types_form()))


async def test_every_accepted_way_to_type_is_stored_as_the_right_value(typed: Officer) -> None:
    for code, cases in ACCEPTED.items():
        question = typed.engine.form.questions[code]
        for text, expected in cases:
            await typed.move_to(code)
            reply = await typed.say(text)
            assert reply.accepted, (code, text, text_of(reply))
            assert reply.messages[0].text.startswith(f"✔ Đã lưu: {question.title}: "), text
            stored = (await typed.answers())[code]
            assert stored == expected, (code, text)
            assert type(stored) is type(expected), (code, text)
            state = await typed.state()
            assert state.status in (WalkStatus.ASKING, WalkStatus.REVIEWING)  # moved on
            assert state.pending is None and state.question_code != code


# ----- refused input ------------------------------------------------------------------------


async def test_a_figure_the_count_refuses_is_not_taken_for_done_without_one(
    typed: Officer,
) -> None:
    """ "có khoảng 5 lần" states an estimate: asked for the figure, not stored as "done"."""
    await typed.move_to("q_done")
    await assert_refused(typed, "có khoảng 5 lần", code="q_done", says="con số cụ thể")
    await assert_refused(typed, "có 2 chục buổi", code="q_done", says="toàn bộ số")


async def test_refused_numbers_leave_everything_unchanged(province: Province) -> None:
    hoa = province.hoa
    await hoa.go_to("web_posts")
    before = await database_snapshot(province.db)
    for text, says in [
        ("sáu", "bằng chữ số"),
        ("mười hai tin", "bằng chữ số"),
        ("-5", "số âm"),
        ("âm 5", "số âm"),
        ("99999999999999", "Số quá lớn"),
        ("1000000001", "Số quá lớn"),
        ("😀", "chữ số"),
        ("👍👍👍", "chữ số"),
        ("1" * 10_000, "quá dài"),
        ("x" * 10_000, "quá dài"),
        ("2001", "tối đa 2000 tin, bài"),
        ("5 nghìn", "toàn bộ số bằng chữ số"),
        ("5k", "toàn bộ số bằng chữ số"),
        ("1,5", "số nguyên"),
        ("6 hoặc 7", "chỉ nhập một số"),
        ("   ", "vui lòng nhập một số"),
        ("2 chục", "toàn bộ số bằng chữ số"),
        ("5 ngan", "toàn bộ số bằng chữ số"),
        ("trừ 5", "số âm"),
        ("1²", "chữ số thông thường"),
        ("①②", "chữ số thông thường"),
        ("1,000", "1000 hay một số thập phân"),
        ("2 tiếng rưỡi", "không phải thời lượng"),
        ("khoảng 20", "con số cụ thể"),
    ]:
        reply = await assert_refused(hoa, text, code="web_posts", says=says, before=before)
        assert "zero" in actions(reply)  # the question's own buttons come back with it
    assert await hoa.answers() == {}

    await hoa.go_to("tthc_posted_percent")
    await assert_refused(hoa, "101", code="tthc_posted_percent", says="không được lớn hơn 100")
    await assert_refused(hoa, "một trăm", code="tthc_posted_percent", says="bằng chữ số")
    await assert_refused(hoa, "-1%", code="tthc_posted_percent", says="số âm")

    await hoa.go_to("web_tthc_updated")
    await assert_refused(hoa, "có lẽ", code="web_tthc_updated", says="“có” hoặc “không”")
    await assert_refused(hoa, "🙂", code="web_tthc_updated", says="“có” hoặc “không”")

    await hoa.go_to("plan_refs")
    await assert_refused(hoa, "-3/KH-UBND ngày 08/01/2026", code="plan_refs", says="«-3»")
    await assert_refused(hoa, "03/KH.UBND ngày 08/01/2026", code="plan_refs", says="ký hiệu")
    await assert_refused(hoa, "03/KH-UBND", code="plan_refs", says="ngày ban hành")
    await assert_refused(hoa, "kế hoạch năm nay", code="plan_refs", says="số, ký hiệu")
    await assert_refused(hoa, "03/KH-UBND ngày 31/02/2026", code="plan_refs", says="trên lịch")

    await hoa.go_to("strengths")
    await assert_refused(hoa, "😀😀", code="strengths", says="không gửi tin nhắn trống")
    await assert_refused(hoa, "a" * 10_000, code="strengths", says="quá dài")
    await assert_refused(hoa, "Ý kiến. " * 400, code="strengths", says="tối đa 3000 ký tự")

    await hoa.go_to("other_forms_text")
    await assert_refused(hoa, "🙂", code="other_forms_text", says="không gửi tin nhắn trống")
    await assert_refused(hoa, "\u3164\u3164", code="other_forms_text", says="tin nhắn trống")
    await assert_refused(hoa, "x" * 301, code="other_forms_text", says="tối đa 300 ký tự")
    assert await hoa.answers() == {}


async def test_refused_minutes_and_choices(province: Province) -> None:
    binh = province.binh
    await binh.begin()
    await assert_refused(binh, "5", code="radio_station", says="chọn một mục")
    await assert_refused(binh, "có đài", code="radio_station", says="chọn một mục")
    await binh.say("1")
    await binh.go_to("radio_minutes")
    await assert_refused(binh, "400 giờ", code="radio_minutes", says="tối đa 20000 phút")
    await assert_refused(binh, "sáu mươi phút", code="radio_minutes", says="bằng chữ số")
    await assert_refused(binh, "-30", code="radio_minutes", says="số âm")
    await assert_refused(binh, "1 giờ 75", code="radio_minutes", says="nhỏ hơn 60")
    await assert_refused(binh, "{{ 7*7 }}", code="radio_minutes", says="bằng chữ số")
    assert await binh.answers() == {"radio_station": "active"}


async def test_template_text_for_a_number_is_refused(province: Province) -> None:
    # The two 7s of "7*7" once collapsed into one and were stored as 7.
    for code in ["web_posts", "tthc_posted_percent"]:
        await province.hoa.go_to(code)
        for text in ["{{ 7*7 }}", "7*7", "6 6"]:
            await assert_refused(province.hoa, text, code=code, says="chỉ nhập một số")
    assert await province.hoa.answers() == {}


async def test_template_looking_text_is_stored_verbatim(province: Province) -> None:
    hoa = province.hoa
    short = "{{ 7*7 }} ${7*7} <b>đậm</b>"
    long = "{% for x in range(3) %}{{ x }}{% endfor %}\n{{ config.items() }} #{7*7} %(name)s"
    await hoa.go_to("other_forms_text")
    reply = await hoa.say(short)
    assert reply.accepted
    assert short in reply.messages[0].text
    await hoa.go_to("strengths")
    reply = await hoa.say(long)
    assert reply.accepted
    assert await hoa.answers() == {"other_forms_text": short, "strengths": long}
    shown = text_of(await hoa.entered())
    assert short in shown
    assert "{% for x in range(3) %}{{ x }}{% endfor %}" in shown
    assert "49" not in shown


# ----- cross-field rules --------------------------------------------------------------------


async def test_digital_posts_cannot_exceed_all_posts(province: Province) -> None:
    hoa = province.hoa
    rule = FORM.questions["web_posts_digital"].rules[0].message
    await hoa.go_to("web_posts")
    await hoa.say("5")
    await assert_refused(hoa, "6", code="web_posts_digital", says=rule)
    reply = await hoa.say("5")
    assert reply.accepted
    assert await hoa.answers() == {"web_posts": 5, "web_posts_digital": 5}
    # And the other way round: all posts cannot drop below the digital ones already given.
    await hoa.go_to("web_posts")
    await assert_refused(hoa, "3", code="web_posts", says=rule)
    before = await database_snapshot(province.db)
    reply = await hoa.press("zero")
    assert reply.accepted is False
    assert rule in reply.messages[0].text
    assert await database_snapshot(province.db) == before
    reply = await hoa.say("8")
    assert reply.accepted
    assert await hoa.answers() == {"web_posts": 8, "web_posts_digital": 5}


async def test_airtime_needs_airings(province: Province) -> None:
    binh = province.binh
    rule = FORM.questions["radio_minutes"].rules[0].message
    await binh.walk(BINH_SCRIPT | {"radio_airings": "0"}, until="radio_minutes")
    await assert_refused(binh, "60", code="radio_minutes", says=rule)
    await assert_refused(binh, "1 giờ", code="radio_minutes", says=rule)
    reply = await binh.press("zero")
    assert reply.accepted
    assert (await binh.answers())["radio_minutes"] == 0
    # Airings given after all; then airtime; then airings cannot go back to zero.
    await binh.go_to("radio_airings")
    await binh.say("3")
    reply = await binh.say("60")
    assert reply.accepted
    await binh.go_to("radio_airings")
    await assert_refused(binh, "0", code="radio_airings", says=rule)
    answers = await binh.answers()
    assert (answers["radio_airings"], answers["radio_minutes"]) == (3, 60)


# ----- dates that cannot be right yet -------------------------------------------------------


async def test_a_document_dated_after_today_or_the_closing_day_needs_a_confirmation(
    province: Province,
) -> None:
    hoa = province.hoa
    await hoa.go_to("plan_refs")
    in_time = "03/KH-UBND ngày 08/01/2026\n05/KH-UBND ngày 30/11/2026"

    # Two plans, the second dated after today (1/12): held, nothing stored.
    reply = await hoa.say("03/KH-UBND ngày 08/01/2026\n05/KH-UBND ngày 05/12/2026")
    assert "ngày 05/12/2026 sau hôm nay" in text_of(reply)
    assert actions(reply) == ["ok", "retype"]
    state = await hoa.state()
    assert (state.status, state.pending["kind"]) == (WalkStatus.CONFIRMING, "late_date")
    assert await hoa.answers() == {}

    # Retyped correctly: stored without a question.
    await hoa.say(in_time)
    assert [ref["issued_on"] for ref in (await hoa.answers())["plan_refs"]] == [
        "2026-01-08",
        "2026-11-30",
    ]

    # After the period's closing day (even were today later): confirmed by the button.
    late = Officer(
        province.db,
        hoa.person,
        round_id=hoa.round_id,
        engine=Questionnaire(FORM, today=lambda: date(2027, 1, 5)),
    )
    await late.go_to("plan_refs")
    reply = await late.say("07/KH-UBND ngày 20/12/2026")
    assert "sau ngày chốt số liệu của kỳ báo cáo (14/12/2026)" in text_of(reply)
    await late.press("ok")
    assert (await late.answers())["plan_refs"][0]["issued_on"] == "2026-12-20"

    # Typing the same date again also confirms it.
    await late.go_to("plan_refs")
    await late.say("08/KH-UBND ngày 21/12/2026")
    await late.say("08/KH-UBND ngày 21/12/2026")
    assert (await late.answers())["plan_refs"][0]["number"] == "08"


# ----- last period's figures ----------------------------------------------------------------


async def test_figures_far_from_last_quarter_need_a_confirmation(province: Province) -> None:
    hoa = province.hoa
    await store_earlier(
        province.db,
        "2026-Q3",
        {"web_posts": 10, "tthc_posted_percent": 100, "banners": 0},
        by=hoa.person,
    )
    prompt = await hoa.go_to("web_posts")
    assert "Kỳ trước: 10 tin, bài." in text_of(prompt)

    # Over five times last quarter: held until confirmed.
    reply = await hoa.say("60")
    assert reply.accepted
    assert "khác nhiều so với kỳ trước (10 tin, bài)" in text_of(reply)
    assert actions(reply) == ["ok", "retype"]
    state = await hoa.state()
    assert state.status is WalkStatus.CONFIRMING
    assert state.pending == {"kind": "outlier", "value": 60}
    assert state.question_code == "web_posts"
    assert await hoa.answers() == {}
    # Unreadable text while confirming: refused, the confirmation stays.
    await assert_refused(hoa, "sáu mươi", code="web_posts", says="chữ số", confirming=True)
    # /baocao in the middle shows the confirmation again, with a fresh keyboard.
    reply = await hoa.begin()
    assert "khác nhiều so với kỳ trước" in text_of(reply)
    reply = await hoa.press("ok")
    assert reply.accepted
    assert await hoa.answers() == {"web_posts": 60}
    assert (await hoa.state()).question_code == "web_posts_digital"

    # Under a fifth: "retype" asks again and keeps the stored answer.
    await hoa.go_to("web_posts")
    await hoa.say("1")
    assert (await hoa.state()).status is WalkStatus.CONFIRMING
    reply = await hoa.press("retype")
    state = await hoa.state()
    assert (state.status, state.question_code, state.pending) == (
        WalkStatus.ASKING,
        "web_posts",
        None,
    )
    assert label("web_posts") in text_of(reply)
    assert await hoa.answers() == {"web_posts": 60}

    # Typing the same figure again confirms it.
    await hoa.say("1")
    reply = await hoa.say("1")
    assert reply.accepted
    assert await hoa.answers() == {"web_posts": 1}
    assert (await hoa.state()).status is WalkStatus.ASKING

    # A different, ordinary figure while confirming is simply stored.
    await hoa.go_to("web_posts")
    await hoa.press("zero")  # 0 is under a fifth of 10
    assert (await hoa.state()).pending == {"kind": "outlier", "value": 0}
    await hoa.say("7")
    assert await hoa.answers() == {"web_posts": 7}

    # Exactly five times, or exactly a fifth, is not far.
    for text, value in [("50", 50), ("2", 2)]:
        await hoa.go_to("web_posts")
        reply = await hoa.say(text)
        assert reply.messages[0].text.startswith("✔ Đã lưu")
        assert (await hoa.answers())["web_posts"] == value

    # Last quarter's zero, and percentages, are never compared.
    await hoa.go_to("banners")
    await hoa.say("40")
    await hoa.go_to("tthc_posted_percent")
    await hoa.say("10")
    answers = await hoa.answers()
    assert (answers["banners"], answers["tthc_posted_percent"]) == (40, 10)


async def test_last_quarters_figures_are_read_again_after_a_minute(province: Province) -> None:
    """They are read on every answer, and change only when an earlier report is reopened: a
    change made by another process (an import) shows within the minute, not at once."""
    now = [1000.0]
    engine = Questionnaire(FORM, today=lambda: TODAY)
    engine.histories = HistoryMemo(ttl_s=60, clock=lambda: now[0])
    hoa = Officer(province.db, province.hoa.person, province.round_id, engine=engine)
    q3 = await store_earlier(province.db, "2026-Q3", {"web_posts": 10}, by=hoa.person)
    assert "Kỳ trước: 10 tin, bài." in text_of(await hoa.go_to("web_posts"))

    async with province.db.session() as session:
        await session.execute(
            update(Answer)
            .where(Answer.round_id == q3, Answer.question_code == "web_posts")
            .values(value={"value": 30})
        )
    now[0] += 30
    assert "Kỳ trước: 10 tin, bài." in text_of(await hoa.prompt())
    now[0] += 31
    assert "Kỳ trước: 30 tin, bài." in text_of(await hoa.prompt())


async def test_a_figure_refused_while_confirming_keeps_the_confirmation(
    province: Province,
) -> None:
    # The refusal once showed the plain question, whose buttons the held state then refused.
    hoa = province.hoa
    await store_earlier(
        province.db, "2026-Q3", {"web_posts": 10, "web_posts_digital": 2}, by=hoa.person
    )
    await hoa.go_to("web_posts")
    await hoa.say("60")  # held: six times last quarter
    reply = await assert_refused(hoa, "5000", code="web_posts", says="tối đa 2000", confirming=True)
    assert "khác nhiều so với kỳ trước" in reply.messages[0].text
    assert actions(reply) == ["ok", "retype"]
    reply = await hoa.press("ok")
    assert reply.accepted
    assert await hoa.answers() == {"web_posts": 60}

    # A cross-field rule while confirming: the same.
    rule = FORM.questions["web_posts_digital"].rules[0].message
    assert (await hoa.state()).question_code == "web_posts_digital"
    await hoa.say("30")  # fifteen times last quarter's 2: held
    reply = await assert_refused(hoa, "61", code="web_posts_digital", says=rule, confirming=True)
    assert actions(reply) == ["ok", "retype"]
    await hoa.press("retype")
    await hoa.say("30")
    reply = await hoa.say("30")  # typed twice: meant it
    assert reply.accepted
    assert await hoa.answers() == {"web_posts": 60, "web_posts_digital": 30}


# ----- buttons ------------------------------------------------------------------------------


async def test_answer_buttons(province: Province) -> None:
    hoa, binh = province.hoa, province.binh
    reply = await hoa.begin()
    assert "back" not in actions(reply)  # nothing before the first question
    assert "skip" in actions(reply)  # a commune may have no plan of its own
    await assert_button_refused(hoa, "back", alert=texts.FIRST_QUESTION)
    await hoa.say(PLAN_TEXT)

    reply = hoa.last
    assert reply is not None
    assert {"skip", "back"} <= set(actions(reply))  # optional higher documents
    reply = await hoa.press("skip")
    assert reply.accepted
    assert f"✔ Đã lưu: {FORM.questions['higher_docs'].short}: (bỏ qua)" in reply.messages[0].text
    assert (await hoa.state()).question_code == "directed_to"
    assert await hoa.answers() == {"plan_refs": PLAN, "higher_docs": None}
    await hoa.press("skip")  # nobody was given publicity tasks

    reply = await hoa.press("zero")
    assert reply.accepted
    assert (await hoa.answers())["other_directives"] == 0

    # Back three times: to the other directives, those given tasks, then the higher documents,
    # with the answer shown.
    await hoa.press("back")
    await hoa.press("back")
    reply = await hoa.press("back")
    assert (await hoa.state()).question_code == "higher_docs"
    assert "Đã nhập: (bỏ qua)." in text_of(reply)
    assert "keepcur" in actions(reply)
    reply = await hoa.press("keepcur")
    assert (await hoa.state()).question_code == "directed_to"

    await hoa.go_to("web_tthc_updated")
    assert hoa.last is not None and actions(hoa.last)[:2] == ["v:1", "v:0"]
    await hoa.press("v:1")
    assert (await hoa.answers())["web_tthc_updated"] is True
    await hoa.go_to("web_tthc_updated")
    await assert_button_refused(hoa, "v:2", alert=texts.OLD_BUTTON)
    await hoa.press("v:0")
    assert (await hoa.answers())["web_tthc_updated"] is False

    await binh.begin()
    await assert_button_refused(binh, "v:4", alert=texts.OLD_BUTTON)
    await binh.press("v:1")
    assert await binh.answers() == {**await hoa.answers(), "radio_station": "broken"}
    await binh.go_to("radio_station")
    await binh.press("v:0")
    assert (await binh.answers())["radio_station"] == "active"
    assert (await binh.state()).question_code == "radio_programs"


async def test_stale_and_foreign_buttons_are_refused(province: Province) -> None:
    hoa, binh, giang = province.hoa, province.binh, province.giang
    first = await hoa.begin()
    await hoa.say(PLAN_TEXT)
    current = hoa.last
    assert current is not None and first.step is not None and current.step is not None
    assert current.step > first.step

    # A keyboard from an older message.
    await assert_button_refused(hoa, "skip", alert=texts.OLD_BUTTON, on=first)
    await assert_button_refused(hoa, "back", alert=texts.OLD_BUTTON, on=first)
    # Someone else's state: a colleague, an officer of another commune, a state that is not.
    await binh.begin()
    await assert_button_refused(binh, "skip", alert=texts.NOT_YOUR_BUTTON, on=current)
    await giang.begin()
    await assert_button_refused(giang, "skip", alert=texts.NOT_YOUR_BUTTON, on=current)
    missing = Reply(state_id=987_654, step=1)
    await assert_button_refused(hoa, "skip", alert=texts.NOT_YOUR_BUTTON, on=missing)
    future = Reply(state_id=current.state_id, step=current.step + 1)
    await assert_button_refused(hoa, "skip", alert=texts.OLD_BUTTON, on=future)
    # The right keyboard still works, once: a double tap finds the keyboard gone stale.
    reply = await hoa.press("skip", on=current)
    assert reply.accepted
    await assert_button_refused(hoa, "skip", alert=texts.OLD_BUTTON, on=current)
    assert await hoa.answers() == {"plan_refs": PLAN, "higher_docs": None}


FORGED_ON_A_COUNT = [
    "",
    " ",
    "zero ",
    "ZERO",
    "skip",
    "keep",
    "keepcur",
    "v:0",
    "v:1",
    "v:",
    "v:x",
    "v:-1",
    "opt:0",
    "edit:1",
    "submit",
    "ok",
    "retype",
    "back:1",
    "zero;skip",
    "q:1:1:zero",
    "'; DROP TABLE answers; --",
    "v:፩",  # str.isdigit() is true for it, int() fails: this once raised ValueError
    "opt:፩",
    "v:٣",  # an Arabic-Indic 3
    "x" * 1000,
]


async def test_forged_actions_are_refused(province: Province) -> None:
    hoa, binh = province.hoa, province.binh
    await hoa.go_to("web_posts")
    before = await database_snapshot(province.db)
    for action in FORGED_ON_A_COUNT:
        await assert_button_refused(hoa, action, alert=texts.OLD_BUTTON, before=before)
    await hoa.go_to("strengths")
    before = await database_snapshot(province.db)
    for action in ["opt:3", "opt:-1", "opt:", "zero", "v:0", "keep"]:
        await assert_button_refused(hoa, action, alert=texts.OLD_BUTTON, before=before)
    await hoa.go_to("web_tthc_updated")
    before = await database_snapshot(province.db)
    for action in ["v:2", "v:10", "zero", "opt:0", "skip", "done"]:  # skip: forged, required
        await assert_button_refused(hoa, action, alert=texts.OLD_BUTTON, before=before)
    await binh.begin()
    before = await database_snapshot(province.db)
    for action in ["v:4", "v:99", "v:1000", "zero", "skip", "back"]:
        alert = texts.FIRST_QUESTION if action == "back" else texts.OLD_BUTTON
        await assert_button_refused(binh, action, alert=alert, before=before)
    await binh.press("v:3")  # no station: straight to the review
    before = await database_snapshot(province.db)
    for action in ["edit:0", "edit:2", "edit:1000", "edit:x", "edit:", "edit:፩", "zero", "ok"]:
        await assert_button_refused(binh, action, alert=texts.OLD_BUTTON, before=before)
    assert await binh.answers() == {"radio_station": "none"}


# ----- narrative options and earlier periods ------------------------------------------------


async def test_long_text_options(province: Province) -> None:
    hoa = province.hoa
    suggestions = FORM.questions["strengths"].suggestions
    reply = await hoa.go_to("strengths")
    shown = text_of(reply)
    assert texts.OPTIONS_HEADER in shown
    for number, phrase in enumerate(suggestions, 1):
        assert f"{number}. {phrase}" in shown
    assert [a for a in actions(reply) if a.startswith("opt:")] == ["opt:0", "opt:1", "opt:2"]

    # One tap uses the sample: saved, shown whole, and the next question asked.
    reply = await hoa.press("opt:0")
    assert reply.accepted
    assert await hoa.answers() == {"strengths": suggestions[0]}
    assert texts.saved_sample(FORM.questions["strengths"].title, suggestions[0]) in text_of(reply)
    assert (await hoa.state()).question_code == "limitations"
    assert reply.question_code == "limitations"

    # What the officer types next is the next answer, not a replacement of the sample.
    typed = "Một số thôn chưa có loa truyền thanh."
    reply = await hoa.say(typed)
    assert reply.accepted
    assert await hoa.answers() == {"strengths": suggestions[0], "limitations": typed}
    assert (await hoa.state()).question_code == "causes"

    # To edit a sample: back to it, where the saved text is offered to keep or to copy.
    await hoa.go_to("strengths")
    edited = suggestions[0] + " Cán bộ tích cực hơn."
    reply = await hoa.say(edited)
    assert reply.accepted
    assert (await hoa.answers())["strengths"] == edited


async def test_a_long_answer_is_shown_whole_to_be_copied_when_changed(
    province: Province,
) -> None:
    """Changing a narrative longer than a review line: the whole text comes in a message of its
    own just above the question (never cut with "…"), so it can be copied, edited and sent."""
    hoa = province.hoa
    paragraph = "Công tác tuyên truyền cải cách hành chính được quan tâm chỉ đạo thường xuyên. "
    long_text = "\n".join(f"{n}. {paragraph * 4}".strip() for n in range(1, 9))
    assert 2500 < len(long_text) <= 3000
    await hoa.go_to("strengths")
    assert (await hoa.say(long_text)).accepted

    reply = await hoa.go_to("strengths")
    *above, question = reply.messages
    assert [message.text for message in above] == [long_text]
    assert above[0].buttons == ()
    assert texts.CURRENT_VALUE_ABOVE in question.text and "…" not in question.text
    assert "keepcur" in [button.action for row in question.buttons for button in row]
    assert reply.question_code == "strengths"
    # A refusal keeps the whole text above the question.
    refused = await hoa.say("😀")
    assert not refused.accepted
    assert long_text in [message.text for message in refused.messages]
    assert all(len(message.text) <= 4096 for message in refused.messages)
    # Sent back as copied and edited, it is the new answer.
    edited = long_text.replace("thường xuyên", "sát sao", 1)
    assert (await hoa.say(edited)).accepted
    assert (await hoa.answers())["strengths"] == edited

    # A short answer stays on the question's line, as before.
    await hoa.go_to("limitations")
    assert (await hoa.say("Còn ít tin bài.")).accepted
    reply = await hoa.go_to("limitations")
    assert len(reply.messages) == 1 and "Đã nhập: Còn ít tin bài." in text_of(reply)


async def test_carry_over_is_offered_within_the_year_only(province: Province) -> None:
    hoa = province.hoa
    earlier_text = "Nội dung ưu điểm của quý III."
    await store_earlier(
        province.db, "2026-Q3", {"plan_refs": PLAN, "strengths": earlier_text}, by=hoa.person
    )

    reply = await hoa.begin()
    shown = text_of(reply)
    assert "Đã nhập ở kỳ 2026-Q3: 03/KH-UBND ngày 08/01/2026." in shown
    assert "keep" in actions(reply)
    reply = await hoa.press("keep")
    assert reply.accepted
    assert await hoa.answers() == {"plan_refs": PLAN}
    assert (await hoa.state()).question_code == "higher_docs"
    # The higher plan carries over too, but was never given: nothing to keep.
    assert "keep" not in actions(reply)
    await assert_button_refused(hoa, "keep", alert=texts.OLD_BUTTON)

    # Last quarter's narrative comes first among the options.
    reply = await hoa.go_to("strengths")
    assert f"1. (nội dung kỳ 2026-Q3) {earlier_text}" in text_of(reply)
    await hoa.press("opt:0")
    await hoa.press("ok")
    assert (await hoa.answers())["strengths"] == earlier_text

    # In the new year last year's plan is not offered.
    async with province.db.session() as session:
        await open_rounds(session=session, code="2027-Q1", unit_codes=["12151"])
    next_year = Officer(province.db, hoa.person, await round_id_of(province.db, "12151", "2027-Q1"))
    reply = await next_year.begin()
    assert "quý I năm 2027" in reply.messages[0].text
    shown = text_of(reply)
    assert label("plan_refs") in shown
    assert "Đã nhập ở kỳ" not in shown
    assert "keep" not in actions(reply)
    await assert_button_refused(next_year, "keep", alert=texts.OLD_BUTTON)
    assert await next_year.answers() == {}


# ----- the review and submission ------------------------------------------------------------


async def test_review_lists_every_answer_with_edit_buttons(province: Province) -> None:
    hoa = province.hoa
    reply = await hoa.walk(HOA_SCRIPT)
    state = await hoa.state()
    assert (state.status, state.question_code) == (WalkStatus.REVIEWING, None)
    assert await hoa.answers() == HOA_VALUES

    saved, *sections, footer = reply.messages
    assert saved.text == "✔ Đã lưu: Kiến nghị, đề xuất: (bỏ qua)"
    assert len(sections) == 7
    for number, (message, code) in enumerate(zip(sections, HOA_SECTIONS, strict=True), 1):
        assert message.text.startswith(f"Phần {number}/7: {FORM.section(code).title}")
    review = "\n".join(message.text for message in sections)
    for line in [
        "1. Kế hoạch của xã: 03/KH-UBND ngày 08/01/2026",
        "2. Văn bản cấp trên, cơ quan khác mà xã thực hiện: 181/KH-UBND ngày 29/12/2025 của "
        "UBND tỉnh Hưng Yên",
        "3. Được giao nhiệm vụ tuyên truyền: Các ban, ngành, bộ phận chuyên môn; Các thôn, tổ "
        "dân phố",
        "5. Nội dung đã tuyên truyền: Chỉ số cải cách hành chính (PAR Index); Chỉ số hài lòng "
        "của người dân (SIPAS)",
        "8. Tin, bài CCHC trên trang thông tin điện tử: 12 tin, bài",
        "11. TTHC được cập nhật trên trang thông tin điện tử: Có",
        "15. Tờ rơi: 1.500 tờ",
        "16. Tỷ lệ TTHC niêm yết công khai: 100%",
        "23. Đơn vị tính tuyên truyền lưu động: đợt",
        "24. Lượt hướng dẫn người dân: 1.200 lượt",
        "27. Buổi sân khấu hóa: 0 buổi",
        "34. Kiến nghị, đề xuất: (bỏ qua)",
    ]:
        assert line in review, line
    for code in HOA_VALUES:
        assert FORM.questions[code].title in review, code
    edits = [a for a in actions(reply) if a.startswith("edit:")]
    assert edits == [f"edit:{n}" for n in range(1, 35)]
    assert [b.action for row in footer.buttons for b in row] == ["submit", "back"]
    assert footer.text == texts.review_footer(resubmit=False)

    # Change one answer: asked again with the current value, then back to the review.
    reply = await hoa.press("edit:8")
    assert "Đã nhập: 12 tin, bài." in text_of(reply)
    assert "keepcur" in actions(reply)
    rule = FORM.questions["web_posts_digital"].rules[0].message
    await assert_refused(hoa, "3", code="web_posts", says=rule)  # below the 4 digital posts
    reply = await hoa.say("15")
    assert (await hoa.state()).status is WalkStatus.REVIEWING
    assert (
        reply.messages[0].text
        == "✔ Đã lưu: Tin, bài CCHC trên trang thông tin điện tử: 15 tin, bài"
    )
    assert "8. Tin, bài CCHC trên trang thông tin điện tử: 15 tin, bài" in text_of(reply)

    # A typed number edits too; no contests makes the participants question go away.
    reply = await hoa.say("25")
    assert label("contests") in text_of(reply)
    reply = await hoa.say("0")
    assert (await hoa.state()).status is WalkStatus.REVIEWING
    assert [a for a in actions(reply) if a.startswith("edit:")] == [
        f"edit:{n}" for n in range(1, 34)
    ]
    assert FORM.questions["contest_participants"].title not in text_of(reply)

    # Back from the review goes to the last question; keeping it returns to the review.
    reply = await hoa.press("back")
    assert label("proposals") in text_of(reply)
    reply = await hoa.press("keepcur")
    assert (await hoa.state()).status is WalkStatus.REVIEWING

    # Anything else typed in the review explains what to do and shows it again.
    before = await database_snapshot(province.db)
    reply = await hoa.say("xong rồi")
    assert reply.accepted is False
    assert reply.messages[0].text == texts.REVIEW_HOW
    after = await database_snapshot(province.db)
    assert after[0] == before[0]  # no answer changed


async def test_a_typed_number_that_is_no_question_is_explained(province: Province) -> None:
    # "0" and "99" once got only a button alert (no message at all), "፩" a ValueError.
    binh = province.binh
    await binh.begin()
    await binh.press("v:3")  # no station: the review has one question
    for typed in ["0", "2", "99", "፩", "١", "1 2"]:
        before = await database_snapshot(province.db)
        reply = await binh.say(typed)
        assert reply.accepted is False, typed
        assert reply.messages[0].text == texts.REVIEW_HOW, typed
        assert "1. Đài truyền thanh xã: Không có đài" in text_of(reply)
        assert (await binh.state()).status is WalkStatus.REVIEWING
        assert (await database_snapshot(province.db))[0] == before[0]


async def test_submission_by_both_officers_completes_the_round(province: Province) -> None:
    hoa, binh, db = province.hoa, province.binh, province.db
    await hoa.walk(HOA_SCRIPT)
    reply = await hoa.press("submit")
    assert reply.accepted
    shown = text_of(reply)
    assert shown.startswith("Cảm ơn anh/chị! Đã gửi phần báo cáo của anh/chị.")
    assert f"còn chờ các phần:\n• {FORM.section('broadcasts').title}" in shown
    async with db.session() as session:
        submitted = (await session.scalars(select(SectionSubmission))).all()
        round_ = await session.get(ReportingRound, province.round_id)
        assert round_ is not None
        assert round_.status is RoundStatus.OPEN
    assert sorted(s.section_code for s in submitted) == sorted(HOA_SECTIONS)
    assert {s.submitted_by_person_id for s in submitted} == {hoa.person.id}
    assert {s.form_version for s in submitted} == {FORM.version}
    assert (await hoa.state()).status is WalkStatus.DONE

    # Submitted: typed text is not read as an answer any more.
    before = await database_snapshot(db)
    reply = await hoa.say("5")
    assert (reply.accepted, text_of(reply)) == (False, texts.ALREADY_SUBMITTED)
    assert await database_snapshot(db) == before

    await binh.walk(BINH_SCRIPT)
    reply = await binh.say("gửi")  # typed instead of the button
    assert "đã đủ số liệu" in text_of(reply)
    async with db.session() as session:
        round_ = await session.get(ReportingRound, province.round_id)
        assert round_ is not None and round_.status is RoundStatus.SUBMITTED
        count = await session.scalar(select(func.count()).select_from(SectionSubmission))
        log = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert count == 8
    assert await hoa.answers() == HOA_VALUES | BINH_VALUES
    actions_logged = [entry.action for entry in log if entry.entity_type == "round"]
    assert actions_logged[-3:] == ["sections.submitted", "sections.submitted", "round.submitted"]
    assert log[-1].actor_person_id == binh.person.id


async def test_submit_pressed_again_repeats_the_thanks_and_changes_nothing(
    province: Province,
) -> None:
    """The thanks for a submission was lost (a fault, a crash after the commit) and the officer
    presses "Gửi báo cáo" again, or the press came twice: it is sent, and they are told so
    again, with what the round waits for now; nothing is handed in twice."""
    hoa, binh, db = province.hoa, province.binh, province.db
    review = await hoa.walk(HOA_SCRIPT)
    first = await hoa.press("submit", on=review)
    before = await database_snapshot(db)

    again = await hoa.press("submit", on=review)
    unchanged = await database_snapshot(db) == before
    await binh.walk(BINH_SCRIPT)
    await binh.press("submit")
    after_round = await hoa.press("submit", on=review)
    other_old_button = await hoa.press("back", on=review)

    assert again.accepted and text_of(again) == text_of(first)
    assert text_of(again).startswith("Cảm ơn anh/chị! Đã gửi phần báo cáo của anh/chị.")
    assert "còn chờ các phần" not in text_of(after_round)
    assert "đã đủ số liệu" in text_of(after_round)
    assert (other_old_button.accepted, other_old_button.alert) == (False, texts.OLD_BUTTON)
    async with db.session() as session:
        resubmitted = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "sections.resubmitted")
        )
    assert resubmitted == 0 and unchanged


async def test_submissions_at_the_same_time_complete_the_round(province: Province) -> None:
    """Both officers press "submit" at once: each transaction must see the other's sections.

    Each once decided from the submissions it had read first, so the round stayed OPEN.
    """
    hoa, binh, db = province.hoa, province.binh, province.db
    await hoa.walk(HOA_SCRIPT)
    await binh.walk(BINH_SCRIPT)
    hoa_keyboard, binh_keyboard = hoa.last, binh.last
    assert hoa_keyboard is not None and binh_keyboard is not None

    async def submit(officer: Officer, keyboard: Reply) -> Reply:
        assert keyboard.state_id is not None and keyboard.step is not None
        async with db.session() as session:
            return await ENGINE.press(
                session,
                person=officer.person,
                state_id=keyboard.state_id,
                step=keyboard.step,
                action="submit",
            )

    async with db.session() as session:
        assert hoa_keyboard.state_id is not None and hoa_keyboard.step is not None
        first = await ENGINE.press(
            session,
            person=hoa.person,
            state_id=hoa_keyboard.state_id,
            step=hoa_keyboard.step,
            action="submit",
        )
        # Bình's update arrives while Hoa's is still being handled (not yet committed).
        second = asyncio.create_task(submit(binh, binh_keyboard))
        # Bình's transaction runs to its end, or waits for Hoa's (a lock, SQLite's one writer).
        await asyncio.wait({second}, timeout=0.5)
    replies = [first, await second]
    assert all(reply.accepted for reply in replies)
    async with db.session() as session:
        round_ = await session.get(ReportingRound, province.round_id)
        count = await session.scalar(select(func.count()).select_from(SectionSubmission))
        completed = await session.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "round.submitted")
        )
    assert count == 8
    assert round_ is not None and round_.status is RoundStatus.SUBMITTED
    assert completed == 1


async def test_changing_an_answer_after_submission_is_audited(province: Province) -> None:
    hoa, db = province.hoa, province.db
    await hoa.walk(HOA_SCRIPT)
    await hoa.press("submit")

    reply = await hoa.begin()
    assert (await hoa.state()).status is WalkStatus.REVIEWING
    assert texts.SUBMITTED_MARK in reply.messages[0].text
    assert reply.messages[-1].text == texts.review_footer(resubmit=True)
    await hoa.press("edit:8")
    await hoa.say("20")
    await hoa.press("edit:1")
    await hoa.say("05/KH-UBND ngày 10/01/2026")
    async with db.session() as session:
        changes = (
            await session.scalars(
                select(AuditEntry)
                .where(AuditEntry.action == "answer.changed")
                .order_by(AuditEntry.id)
            )
        ).all()
    assert [entry.details for entry in changes] == [
        {"round_id": province.round_id, "question": "web_posts", "old": 12, "new": 20},
        {
            "round_id": province.round_id,
            "question": "plan_refs",
            "old": PLAN,
            "new": [{"number": "05", "symbol": "KH-UBND", "year": None, "issued_on": "2026-01-10"}],
        },
    ]
    assert {entry.actor_person_id for entry in changes} == {hoa.person.id}
    assert {entry.entity_type for entry in changes} == {"answer"}

    # Keeping an answer as it is writes nothing.
    await hoa.press("edit:6")
    await hoa.press("keepcur")
    reply = await hoa.press("submit")
    assert text_of(reply).startswith("Đã cập nhật phần báo cáo của anh/chị.")
    async with db.session() as session:
        log = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
        submissions = await session.scalar(select(func.count()).select_from(SectionSubmission))
    assert [entry.action for entry in log].count("answer.changed") == 2
    assert log[-1].action == "sections.resubmitted"
    assert submissions == 7


async def test_a_held_figure_whose_question_went_away(province: Province) -> None:
    """Two officers share the broadcasts; one says there is no station while the other is
    confirming an airtime figure: /baocao and the repeated prompt must still answer.

    Both once raised AssertionError, the held figure's question being off the walk.
    """
    hoa, binh, db = province.hoa, province.binh, province.db
    await store_earlier(db, "2026-Q3", {"radio_minutes": 60}, by=binh.person)
    async with db.session() as session:
        unit = await get_unit_by_code(session=session, code="12151")
        assert unit is not None
        session.add(
            SectionAssignment(unit_id=unit.id, section_code="broadcasts", person_id=hoa.person.id)
        )
    await binh.walk(BINH_SCRIPT, until="radio_minutes")
    await binh.say("6 giờ")  # six times last quarter: held
    assert (await binh.state()).status is WalkStatus.CONFIRMING

    await hoa.go_to("radio_station")
    await hoa.press("v:3")  # no station: the airtime question no longer applies
    assert (await hoa.answers())["radio_station"] == "none"

    reply = await binh.prompt()
    assert reply is not None and reply.messages
    reply = await binh.begin()
    assert "radio_minutes" not in await binh.answers()
    assert (await binh.state()).status is WalkStatus.REVIEWING
    assert "1. Đài truyền thanh xã: Không có đài" in text_of(reply)


# ----- pausing, restarting, closing ---------------------------------------------------------


async def test_pause_and_resume(province: Province) -> None:
    hoa, db = province.hoa, province.db
    await hoa.begin()
    await hoa.say(PLAN_TEXT)
    keyboard = hoa.last
    reply = await hoa.pause()
    assert text_of(reply) == texts.PAUSED
    state = await hoa.state()
    assert (state.status, state.question_code) == (WalkStatus.PAUSED, "higher_docs")

    before = await database_snapshot(db)
    reply = await hoa.say("181/KH-UBND ngày 29/12/2025")
    assert (reply.accepted, text_of(reply)) == (False, texts.PAUSED_HINT)
    await assert_button_refused(hoa, "skip", alert=texts.OLD_BUTTON, on=keyboard)
    assert text_of(await hoa.pause()) == texts.NOTHING_TO_PAUSE
    async with db.session() as session:
        again = await ENGINE.current_prompt(session, person=hoa.person)
    assert again is not None and text_of(again) == texts.PAUSED_HINT
    assert await database_snapshot(db) == before

    reply = await hoa.begin()
    assert len(reply.messages) == 1  # no introduction the second time
    assert label("higher_docs") in text_of(reply)
    state = await hoa.state()
    assert (state.status, state.question_code) == (WalkStatus.ASKING, "higher_docs")
    assert await hoa.answers() == {"plan_refs": PLAN}
    reply = await hoa.press("skip")
    assert reply.accepted

    # A suggestion used at one tap is kept through a pause; the walk goes on after it.
    await hoa.go_to("strengths")
    await hoa.press("opt:1")
    await hoa.pause()
    state = await hoa.state()
    assert (state.status, state.pending) == (WalkStatus.PAUSED, None)
    reply = await hoa.begin()
    assert label("limitations") in text_of(reply)
    assert (await hoa.state()).status is WalkStatus.ASKING
    assert await hoa.answers() == {
        "plan_refs": PLAN,
        "higher_docs": None,
        "strengths": FORM.questions["strengths"].suggestions[1],
    }


async def test_a_restarted_bot_continues_at_the_stored_question(province: Province) -> None:
    hoa = province.hoa
    await hoa.walk(HOA_SCRIPT, until="web_posts")
    step = (await hoa.state()).step

    restarted = Officer(
        province.db, hoa.person, province.round_id, engine=Questionnaire(load_form())
    )
    reply = await restarted.prompt()
    assert reply is not None and label("web_posts") in text_of(reply)
    assert reply.step == step  # asking again changes nothing
    reply = await restarted.say("9")
    assert reply.accepted
    answers = await restarted.answers()
    assert answers["web_posts"] == 9
    assert answers["other_directives"] == 2
    assert (await restarted.state()).question_code == "web_posts_digital"


async def test_an_approved_round_refuses_everything(province: Province) -> None:
    hoa, db = province.hoa, province.db
    await hoa.walk(HOA_SCRIPT, until="web_posts")
    keyboard = hoa.last
    answers = await hoa.answers()
    await set_round_status(db, province.round_id, RoundStatus.APPROVED)

    before = await database_snapshot(db)
    await assert_button_refused(hoa, "zero", alert=texts.ROUND_CLOSED, on=keyboard)
    reply = await hoa.say("5")
    assert (reply.accepted, text_of(reply)) == (False, texts.ROUND_CLOSED)
    assert await hoa.answers() == answers
    assert await database_snapshot(db) == before
    reply = await hoa.say("5")
    assert (reply.accepted, text_of(reply)) == (False, texts.ROUND_CLOSED)
    await assert_button_refused(hoa, "zero", alert=texts.ROUND_CLOSED, on=keyboard)
    assert text_of(await hoa.begin()) == texts.NO_OPEN_ROUND
    assert text_of(await hoa.entered()) == texts.NOTHING_ENTERED
    assert await hoa.answers() == answers

    # Returned for corrections: /baocao carries on where it stopped.
    await set_round_status(db, province.round_id, RoundStatus.RETURNED)
    reply = await hoa.begin()
    assert label("web_posts") in text_of(reply)
    reply = await hoa.say("5")
    assert reply.accepted
    assert (await hoa.answers())["web_posts"] == 5


async def test_every_message_after_approval_says_the_round_is_closed(province: Province) -> None:
    # The first message once paused the walk, so later ones were told to resume with /baocao.
    hoa, db = province.hoa, province.db
    await hoa.walk(HOA_SCRIPT, until="web_posts")
    await set_round_status(db, province.round_id, RoundStatus.APPROVED)
    before = await database_snapshot(db)
    for _ in range(2):
        reply = await hoa.say("5")
        assert (reply.accepted, text_of(reply)) == (False, texts.ROUND_CLOSED)
    assert await database_snapshot(db) == before


async def test_entered_shows_the_answers(province: Province) -> None:
    hoa, db = province.hoa, province.db
    await hoa.walk(HOA_SCRIPT, until="banners")
    before = await database_snapshot(db)
    reply = await hoa.entered()
    assert await database_snapshot(db) == before  # looking changes nothing
    header, *sections = reply.messages
    assert header.text == "Số liệu anh/chị đã nhập cho báo cáo quý IV năm 2026:"
    assert len(sections) == 7
    shown = text_of(reply)
    assert "1. Kế hoạch của xã: 03/KH-UBND ngày 08/01/2026" in shown
    assert "10. Bài đăng trên fanpage, Zalo: 20 bài" in shown
    assert f"12. Băng rôn: {texts.NOT_ANSWERED}" in shown
    assert all(not message.buttons for message in reply.messages)

    # Bình sees only his section.
    await province.binh.walk(BINH_SCRIPT)
    reply = await province.binh.entered()
    assert len(reply.messages) == 2
    assert "5. Tổng thời lượng phát sóng: 360 phút (6 giờ)" in reply.messages[1].text


# ----- a typed answer counts for the prompt the person saw -----------------------------------
# Message ids order a private chat: the person's messages and the bot's share one sequence.
# `delivered` plays the bot's send of a prompt; a reply not passed to it was lost on the way.


def shown(code: str, value: Any) -> str:
    return display(FORM.questions[code], value, short=True)


async def delivered(officer: Officer, reply: Reply, message_id: int) -> None:
    assert reply.state_id is not None and reply.step is not None
    async with officer.db.session() as session:
        await record_shown(
            session=session,
            state_id=reply.state_id,
            step=reply.step,
            question_code=reply.question_code,
            message_id=message_id,
        )


async def type_at(officer: Officer, text: str, *, message_id: int) -> Reply:
    async with officer.db.session() as session:
        reply = await officer.engine.answer_text(
            session, person=officer.person, text=text, message_order=message_id
        )
    assert reply is not None
    return officer._keep(reply)


async def test_a_retry_after_a_lost_reply_is_not_filed_under_the_next_question(
    province: Province,
) -> None:
    hoa = province.hoa
    await delivered(hoa, await hoa.go_to("web_posts"), 10)
    lost = await type_at(hoa, "12", message_id=11)
    assert lost.accepted and label("web_posts_digital") in text_of(lost)  # never arrives

    # She sees no answer and sends "12" again, as the bot's texts invite.
    before = await database_snapshot(province.db)
    again = await type_at(hoa, "12", message_id=13)
    assert again.accepted is False
    assert texts.already_saved(
        FORM.questions["web_posts"].title, shown("web_posts", 12)
    ) in text_of(again)
    assert label("web_posts_digital") in text_of(again)  # where she is, shown now
    assert await database_snapshot(province.db) == before
    assert "web_posts_digital" not in await hoa.answers()

    # Once that prompt reached her, her next answer is its answer.
    await delivered(hoa, again, 14)
    await type_at(hoa, "4", message_id=15)
    answers = await hoa.answers()
    assert (answers["web_posts"], answers["web_posts_digital"]) == (12, 4)


async def test_a_different_figure_typed_at_an_earlier_question_changes_nothing(
    province: Province,
) -> None:
    hoa = province.hoa
    await delivered(hoa, await hoa.go_to("banners"), 20)
    await type_at(hoa, "5", message_id=21)  # its reply, the slogans question, is lost
    before = await database_snapshot(province.db)
    reply = await type_at(hoa, "7", message_id=22)
    assert reply.accepted is False
    title = FORM.questions["banners"].title
    assert texts.typed_for_earlier_question(title, shown("banners", 5)) in text_of(reply)
    assert label("slogans") in text_of(reply)
    assert await database_snapshot(province.db) == before
    assert (await hoa.answers())["banners"] == 5


async def test_a_message_typed_before_the_prompt_arrived_belongs_to_the_one_before(
    province: Province,
) -> None:
    # The reply was slow, not lost: she typed again before it came, and it came after.
    hoa = province.hoa
    await delivered(hoa, await hoa.go_to("panels"), 30)
    slow = await type_at(hoa, "3", message_id=31)
    await delivered(hoa, slow, 33)  # the leaflets question arrived as message 33
    reply = await type_at(hoa, "3", message_id=32)  # ...after her second "3", message 32
    assert reply.accepted is False
    assert "leaflets" not in await hoa.answers()
    # Only the note: the leaflets question is already on her screen, below her message, and
    # repeating it would invite a second answer to it.
    assert text_of(reply) == texts.already_saved(FORM.questions["panels"].title, shown("panels", 3))
    assert not reply.is_prompt
    # Her answer typed after the leaflets question arrived is taken as its answer.
    await type_at(hoa, "1.500", message_id=35)
    assert (await hoa.answers())["leaflets"] == 1500


async def test_a_walk_whose_prompt_never_arrived_takes_no_typed_answer(
    province: Province,
) -> None:
    hoa = province.hoa
    await hoa.go_to("dialogues")  # never delivered, and no earlier prompt remembered
    before = await database_snapshot(province.db)
    reply = await type_at(hoa, "2", message_id=40)
    assert reply.accepted is False
    assert reply.messages[0].text.startswith(texts.TYPED_BEFORE_PROMPT)
    assert label("dialogues") in text_of(reply)
    assert await database_snapshot(province.db) == before


async def test_a_refusal_or_a_confirmation_keeps_the_question_the_person_saw(
    province: Province,
) -> None:
    hoa = province.hoa
    await delivered(hoa, await hoa.go_to("web_posts"), 50)
    refused = await type_at(hoa, "mười hai", message_id=51)  # refusal: the same step, lost
    assert refused.accepted is False
    await type_at(hoa, "12", message_id=53)  # still the question she saw: taken
    assert (await hoa.answers())["web_posts"] == 12


async def test_an_edit_tapped_in_a_review_that_was_lost_takes_no_typed_figure(
    province: Province,
) -> None:
    binh = province.binh
    review = await binh.walk(BINH_SCRIPT)
    await delivered(binh, review, 60)
    edit = await binh.press("edit:3")  # its prompt (radio items) never arrives
    assert label("radio_items") in text_of(edit)
    before = await database_snapshot(province.db)
    reply = await type_at(binh, "99", message_id=61)
    assert reply.accepted is False
    assert (await binh.answers())["radio_items"] == 24
    assert await database_snapshot(province.db) == before
    # A review that was lost does not read a retyped last answer as "change question 3".
    await delivered(binh, edit, 62)
    back = await type_at(binh, "24", message_id=63)
    assert back.accepted and (await binh.state()).status is WalkStatus.REVIEWING
    reply = await type_at(binh, "3", message_id=64)  # typed before the review arrived
    assert reply.accepted is False
    assert (await binh.state()).status is WalkStatus.REVIEWING
