"""Six-month (H1 = Q1 + Q2) and annual (Y = Q1..Q4) reports, end to end on the real database.

Their figures are the quarters' combined (counts and minutes added up; a percentage, a rate, a
yes/no, a choice or a text is the latest given), each quarter read from its approved version
when there is one, else from its answers as they stand. Officers are asked only the narrative,
with the quarters' texts offered to pick. The commune: a chairman, Hoa (an officer answering
every section not named for someone else) and Bình (an officer named for the broadcasts), all
on the bot, under a receiving office. Every call is its own transaction, as in the bot; nothing
of the project is mocked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from conversations import texts
from conversations.approval import ApprovalWorkflow
from conversations.duties import CalendarDuties
from conversations.engine import Questionnaire, Reply
from conversations.outgoing import Outcome
from definitions.calendar import Calendar
from definitions.forms import QuestionType, load_form
from definitions.values import parse_answer
from report_templates.draft import load_report_files
from storage.db import Database
from storage.models import (
    Answer,
    Draft,
    DraftStatus,
    OutboxMessage,
    Person,
    QuestionnaireState,
    ReportingRound,
    Role,
    RoundStatus,
    SectionAssignment,
    SectionSubmission,
    Unit,
    UnitKind,
)
from storage.outbox import mark_sent
from storage.questionnaire import answers_of, save_answer
from tests.factories import (
    all_types_form,
    both_kinds,
    docx_text,
    make_person,
    make_unit,
    open_round,
    store_answers,
)

FORM = load_form()
TEMPLATES, LAYOUT = load_report_files()
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
WORKFLOW = ApprovalWorkflow(both_kinds(), timezone=ZONE)
ENGINE = Questionnaire(FORM, on_round_submitted=WORKFLOW.on_round_submitted)

_telegram_ids = count(9_300_001)

# What the test expects of each question, written out here rather than read from the form.
SUMMED = (
    "other_directives",
    "radio_programs",
    "radio_items",
    "radio_airings",
    "radio_minutes",
    "web_posts",
    "web_posts_digital",
    "social_posts",
    "banners",
    "slogans",
    "panels",
    "leaflets",
    "meetings_integrated",
    "meetings_cchc",
    "dialogues",
    "meeting_attendance",
    "mobile_sessions",
    "citizens_guided",
    "contests",
    "contest_participants",
    "staged_events",
    "trainings",
)
LATEST = (
    "radio_per_day",  # a rate: `combine: last`
    "radio_relay",
    "web_tthc_updated",
    "tthc_posted_percent",
    "other_forms_text",
    "content_other",
    "meetings_cchc_unit",  # a choice: the latest quarter's word
    "mobile_sessions_unit",
)
# A station that worked in any quarter counts as working: `combine: best`, choices best first.
BEST = {"radio_station": ("active", "broken", "broken_unrepaired", "none")}
# Lists: every topic or document any quarter named, once, first-named order.
UNION = ("plan_refs", "higher_docs", "directed_to", "content_topics", "content_docs")
NARRATIVE = ("strengths", "limitations", "causes", "directions", "proposals")


def values(typed: dict[str, str | None]) -> dict[str, Any]:
    """Typed answers parsed as the engine parses them; None stays None (skipped)."""
    return {
        code: None if text is None else parse_answer(FORM.questions[code], text)
        for code, text in typed.items()
    }


PLAN = {
    "plan_refs": "03/KH-UBND ngày 08/01/2026",
    "higher_docs": "181/KH-UBND ngày 29/12/2025 của UBND tỉnh Hưng Yên",
    "directed_to": "1, 4",
    "content_topics": "1, 2",
    "content_docs": None,
    "content_other": None,
    "meetings_cchc_unit": None,  # skipped: the form's own words
    "mobile_sessions_unit": None,
}
# Q1 of 2026: a quiet quarter, no fanpage posts counted, a contest with its participants.
Q1_TYPED: dict[str, str | None] = {
    **PLAN,
    "other_directives": "1",
    "radio_station": "Đang hoạt động",
    "radio_programs": "6",
    "radio_items": "25",
    "radio_airings": "30",
    "radio_minutes": "90 phút",
    "radio_per_day": "3",
    "radio_relay": "không",
    "web_posts": "20",
    "web_posts_digital": "5",
    "social_posts": None,
    "web_tthc_updated": "không",
    "banners": "2",
    "slogans": "6",
    "panels": "3",
    "leaflets": "1.500",
    "tthc_posted_percent": "90%",
    "meetings_integrated": "4",
    "meetings_cchc": "1",
    "dialogues": "0",
    "meeting_attendance": None,
    "mobile_sessions": "2",
    "citizens_guided": "1.200",
    "contests": "1",
    "contest_participants": "250",
    "staged_events": "0",
    "trainings": "0",
    "other_forms_text": "Tuyên truyền qua nhóm Zalo của các thôn",
    "strengths": "Quý I: tuyên truyền được triển khai đồng bộ, đúng kế hoạch.",
    "limitations": "Quý I: kinh phí cho tuyên truyền còn hạn chế.",
    "causes": None,
    "directions": "Quý I: tiếp tục tuyên truyền qua đài truyền thanh.",
    "proposals": None,
}
# Q2 of 2026: more of most things; no contest; the other forms text skipped.
Q2_TYPED: dict[str, str | None] = {
    **PLAN,
    "other_directives": "2",
    "radio_station": "Đang hoạt động",
    "radio_programs": "4",
    "radio_items": "24",
    "radio_airings": "72",
    "radio_minutes": "6 giờ",
    "radio_per_day": "2",
    "radio_relay": "có",
    "web_posts": "12",
    "web_posts_digital": "4",
    "social_posts": "7",
    "web_tthc_updated": "có",
    "banners": "5",
    "slogans": "10",
    "panels": "0",
    "leaflets": "800",
    "tthc_posted_percent": "100%",
    "meetings_integrated": "6",
    "meetings_cchc": "2",
    "dialogues": "2",
    "meeting_attendance": None,
    "mobile_sessions": "3",
    "citizens_guided": "1.300",
    "contests": "0",
    "staged_events": "1",
    "trainings": "1",
    "other_forms_text": None,
    "strengths": "Quý II: hình thức tuyên truyền đa dạng, phong phú.",
    "limitations": "Quý II: thông tin đôi lúc chậm cập nhật.",
    "causes": "Quý II: cán bộ kiêm nhiệm nhiều việc.",
    "directions": "Quý II: đẩy mạnh tuyên truyền trên trang thông tin điện tử.",
    "proposals": None,
}
# What Hoa types for the six-month (or annual) narrative; she skips the proposals.
FRESH = {
    "strengths": "Sáu tháng: công tác tuyên truyền được quan tâm, kết quả rõ nét.",
    "limitations": "Sáu tháng: kinh phí và trang thiết bị còn thiếu.",
    "causes": "Sáu tháng: cán bộ phụ trách kiêm nhiệm.",
    "directions": "Sáu tháng cuối năm: duy trì chuyên mục cải cách hành chính hằng tháng.",
    "proposals": None,
}


def quarter(base: dict[str, str | None], **changes: str | None) -> dict[str, Any]:
    return values({**base, **changes})


def combined(*quarters: dict[str, Any]) -> dict[str, Any]:
    """The test's own arithmetic: sums of the given counts, the latest given of the rest."""
    expected: dict[str, Any] = {}
    for code in SUMMED:
        given = [q[code] for q in quarters if q.get(code) is not None]
        if given:
            expected[code] = sum(given)
    for code in LATEST:
        given = [q[code] for q in quarters if q.get(code) is not None]
        if given:
            expected[code] = given[-1]
    for code, order in BEST.items():
        given = [q[code] for q in quarters if q.get(code) is not None]
        if given:
            expected[code] = next(choice for choice in order if choice in given)
    for code in UNION:
        items = [item for q in quarters for item in q.get(code) or []]
        if items:
            expected[code] = [item for i, item in enumerate(items) if item not in items[:i]]
    return expected


def test_the_lists_above_cover_the_form() -> None:
    """A guard on this file: every figure of the form is in SUMMED, LATEST or NARRATIVE."""
    assert set(SUMMED) | set(LATEST) | set(BEST) | set(UNION) | set(NARRATIVE) == set(
        FORM.questions
    )
    assert {q.code for q in FORM.questions.values() if q.type is QuestionType.LONG_TEXT} == set(
        NARRATIVE
    )


# ----- a commune ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commune:
    unit: Unit
    office: Unit
    office_staff: Person
    chairman: Person
    hoa: Person  # officer: every section not named for someone else
    binh: Person  # officer: named for the broadcasts


async def make_commune(database: Database, *, name: str = "Tân Quang") -> Commune:
    async with database.session() as session:
        office = await make_unit(session, name="Sở Nội vụ tỉnh Hưng Yên", kind=UnitKind.OFFICE)
        staff = await make_person(
            session,
            unit=office,
            role=Role.OFFICE,
            full_name="Bùi Thị Lan",
            telegram_user_id=next(_telegram_ids),
        )
        unit = await make_unit(session, name=name, office=office)

        async def member(role: Role, full_name: str) -> Person:
            return await make_person(
                session,
                unit=unit,
                role=role,
                full_name=full_name,
                telegram_user_id=next(_telegram_ids),
            )

        chairman = await member(Role.CHAIRMAN, "Lê Văn Cường")
        hoa = await member(Role.OFFICER, "Nguyễn Thị Hoa")
        binh = await member(Role.OFFICER, "Trần Văn Bình")
        session.add(
            SectionAssignment(unit_id=unit.id, section_code="broadcasts", person_id=binh.id)
        )
    return Commune(unit, office, staff, chairman, hoa, binh)


async def open_period(database: Database, commune: Commune, code: str) -> int:
    async with database.session() as session:
        round_ = await open_round(session, unit=commune.unit, code=code)
        return round_.id


async def report_quarter(
    database: Database,
    commune: Commune,
    code: str,
    answers: dict[str, Any],
    *,
    approve: bool = False,
) -> int:
    """A quarter answered and handed in (as the officers would), its draft with the chairman;
    approved by him when asked. Returns the round id."""
    round_id = await open_period(database, commune, code)
    async with database.session() as session:
        await store_answers(
            session,
            round_id=round_id,
            answers=answers,
            form_version=FORM.version,
            person_id=commune.hoa.id,
        )
        for section in FORM.sections:
            officer = commune.binh if section.code == "broadcasts" else commune.hoa
            session.add(
                SectionSubmission(
                    round_id=round_id,
                    section_code=section.code,
                    form_version=FORM.version,
                    submitted_by_person_id=officer.id,
                )
            )
        round_ = await session.get(ReportingRound, round_id)
        assert round_ is not None
        round_.status = RoundStatus.SUBMITTED
        await session.flush()
        await WORKFLOW.on_round_submitted(session, round_id, commune.hoa.id)
    if approve:
        draft = await latest_draft(database, round_id)
        outcome = await approve_draft(database, commune.chairman, draft.id)
        assert outcome.accepted
        assert await round_status(database, round_id) is RoundStatus.APPROVED
    return round_id


async def change_answer(database: Database, round_id: int, code: str, value: Any) -> None:
    """An answer changed in the database after the fact (no questionnaire, no re-approval)."""
    async with database.session() as session:
        existing = (await answers_of(session=session, round_id=round_id))[code]
        await save_answer(
            session=session,
            round_id=round_id,
            question_code=code,
            value=value,
            form_version=FORM.version,
            person_id=None,
            existing=existing,
        )


async def approve_draft(database: Database, person: Person, draft_id: int) -> Outcome:
    async with database.session() as session:
        return await WORKFLOW.press(session, person=person, draft_id=draft_id, action="ok")


# ----- talking to the questionnaire --------------------------------------------------------------


def actions(reply: Reply) -> list[str]:
    return [button.action for out in reply.messages for row in out.buttons for button in row]


def text_of(reply: Reply) -> str:
    return "\n\n".join(out.text for out in reply.messages)


@dataclass
class Chat:
    """One person talking to the questionnaire, one transaction per message."""

    db: Database
    person: Person
    engine: Questionnaire = ENGINE
    last: Reply | None = None

    def _keep(self, reply: Reply) -> Reply:
        if reply.state_id is not None:
            self.last = reply
        return reply

    async def begin(self) -> Reply:
        async with self.db.session() as session:
            return self._keep(await self.engine.begin(session, person=self.person))

    async def say(self, text: str) -> Reply:
        async with self.db.session() as session:
            reply = await self.engine.answer_text(session, person=self.person, text=text)
        assert reply is not None
        return self._keep(reply)

    async def press(self, action: str) -> Reply:
        keyboard = self.last
        assert keyboard is not None and keyboard.state_id is not None
        assert keyboard.step is not None
        assert action in actions(keyboard), f"no {action!r} button on {actions(keyboard)}"
        async with self.db.session() as session:
            reply = await self.engine.press(
                session,
                person=self.person,
                state_id=keyboard.state_id,
                step=keyboard.step,
                action=action,
            )
        return self._keep(reply)


async def write_narrative(chat: Chat, narrative: dict[str, str | None]) -> list[str]:
    """Begin, answer each narrative question (typed, or skipped when None), submit.

    Returns the text of every prompt seen, one per question, in order."""
    reply = await chat.begin()
    prompts = []
    for code in NARRATIVE:
        prompt = text_of(reply)
        assert FORM.questions[code].label in prompt, (code, prompt)
        prompts.append(prompt)
        text = narrative[code]
        reply = await chat.press("skip") if text is None else await chat.say(text)
    assert "submit" in actions(reply)
    submitted = await chat.press("submit")
    assert submitted.accepted
    return prompts


# ----- reading back ------------------------------------------------------------------------------


async def drafts_of(database: Database, round_id: int) -> list[Draft]:
    async with database.session() as session:
        return list(
            (
                await session.scalars(
                    select(Draft).where(Draft.round_id == round_id).order_by(Draft.version)
                )
            ).all()
        )


async def latest_draft(database: Database, round_id: int) -> Draft:
    return (await drafts_of(database, round_id))[-1]


async def round_status(database: Database, round_id: int) -> RoundStatus:
    async with database.session() as session:
        round_ = await session.get(ReportingRound, round_id)
        assert round_ is not None
        return round_.status


async def stored(database: Database, round_id: int) -> dict[str, Any]:
    async with database.session() as session:
        rows = await session.scalars(select(Answer).where(Answer.round_id == round_id))
        return {row.question_code: row.value.get("value") for row in rows}


async def outbox(database: Database, *, purpose: str | None = None) -> list[OutboxMessage]:
    async with database.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if purpose is not None:
            query = query.where(OutboxMessage.purpose == purpose)
        return list((await session.scalars(query)).all())


def for_round(rows: Sequence[OutboxMessage], draft: Draft) -> list[OutboxMessage]:
    return [row for row in rows if row.draft_id == draft.id]


# ----- 1. only the narrative is asked ------------------------------------------------------------


async def test_half_year_asks_only_the_narrative(database: Database) -> None:
    """Hoa's H1 walk is the five narrative questions, one section, no figure anywhere."""
    c = await make_commune(database)
    h1 = await open_period(database, c, "2026-H1")
    hoa = Chat(database, c.hoa)

    first = await hoa.begin()
    intro = first.messages[0].text
    assert "6 tháng đầu năm 2026" in intro
    assert f"• {FORM.section('assessment').title}" in intro
    for section in FORM.sections:
        if section.code != "assessment":
            assert section.title not in intro

    reply = first
    prompts: list[str] = []
    for number, code in enumerate(NARRATIVE, 1):
        prompt = text_of(reply) if number > 1 else first.messages[-1].text
        assert f"Phần 1/1 · Câu {number}/5" in prompt
        assert FORM.questions[code].label in prompt
        assert "zero" not in actions(reply)
        prompts.append(prompt)
        async with database.session() as session:
            state = await session.get(QuestionnaireState, reply.state_id)
            assert state is not None and state.question_code == code
        typed = FRESH[code]
        reply = await hoa.press("skip") if typed is None else await hoa.say(typed)
    everything = "\n".join(prompts)
    for question in FORM.questions.values():
        if question.code not in NARRATIVE:
            assert question.label not in everything, question.code

    # The review lists the five answers only; handing them in completes the round, though Bình
    # (named for the broadcasts) handed in nothing.
    review = text_of(reply)
    assert [action for action in actions(reply) if action.startswith("edit:")] == [
        f"edit:{n}" for n in range(1, 6)
    ]
    assert FORM.questions["radio_programs"].title not in review
    done = await hoa.press("submit")
    assert done.accepted
    assert set(await stored(database, h1)) == set(NARRATIVE)
    assert await round_status(database, h1) is RoundStatus.SUBMITTED
    async with database.session() as session:
        handed_in = await session.scalars(
            select(SectionSubmission.section_code).where(SectionSubmission.round_id == h1)
        )
        assert set(handed_in) == {"assessment"}


async def test_the_broadcasts_officer_has_nothing_to_do_in_the_half_year(
    database: Database,
) -> None:
    """Bình, named only for the broadcasts: with H1 alone open nothing is his; with Q2 open
    too, /baocao takes him to Q2's broadcasts."""
    c = await make_commune(database)
    h1 = await open_period(database, c, "2026-H1")
    binh = Chat(database, c.binh)

    assert text_of(await binh.begin()) == texts.NO_SECTIONS_ASSIGNED
    async with database.session() as session:
        states = await session.scalars(
            select(QuestionnaireState).where(QuestionnaireState.person_id == c.binh.id)
        )
        assert list(states) == []

    q2 = await open_period(database, c, "2026-Q2")
    reply = await binh.begin()
    intro, question = reply.messages
    assert "quý II năm 2026" in intro.text
    assert f"• {FORM.section('broadcasts').title}" in intro.text
    assert FORM.questions["radio_station"].label in question.text
    async with database.session() as session:
        state = await session.get(QuestionnaireState, reply.state_id)
        assert state is not None and (state.round_id, state.question_code) == (q2, "radio_station")
        assert state.round_id != h1


# ----- 2. the quarter first ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quarter_code", "longer_code", "longer_label"),
    [("2026-Q2", "2026-H1", "6 tháng đầu năm 2026"), ("2026-Q4", "2026-Y", "năm 2026")],
)
async def test_the_quarter_closing_the_same_day_comes_first(
    database: Database, quarter_code: str, longer_code: str, longer_label: str
) -> None:
    """Q2 and H1 close on 14 June (Q4 and the year on 14 December): /baocao takes Hoa to the
    quarter, though the longer round was opened later; once her quarter is in, to the longer."""
    c = await make_commune(database)
    quarter_round = await open_period(database, c, quarter_code)
    longer_round = await open_period(database, c, longer_code)
    assert longer_round > quarter_round  # the newer round is not first just for being newer
    # Her quarter's answers are all given already: /baocao shows the review to hand them in.
    async with database.session() as session:
        await store_answers(
            session,
            round_id=quarter_round,
            answers={
                code: value
                for code, value in quarter(Q1_TYPED).items()
                if FORM.section_of[code].code != "broadcasts"
            },
            form_version=FORM.version,
            person_id=c.hoa.id,
        )
    hoa = Chat(database, c.hoa)

    reply = await hoa.begin()
    quarter_label = "quý II năm 2026" if quarter_code.endswith("Q2") else "quý IV năm 2026"
    assert quarter_label in reply.messages[0].text
    assert "submit" in actions(reply)
    async with database.session() as session:
        state = await session.get(QuestionnaireState, reply.state_id)
        assert state is not None and state.round_id == quarter_round

    await hoa.press("submit")
    # Bình has not handed in the broadcasts: the quarter stays open, but nothing there is Hoa's.
    assert await round_status(database, quarter_round) is RoundStatus.OPEN

    reply = await hoa.begin()
    intro, question = reply.messages
    assert longer_label in intro.text and "quý" not in intro.text.split("(")[0]
    assert FORM.questions["strengths"].label in question.text
    async with database.session() as session:
        state = await session.get(QuestionnaireState, reply.state_id)
        assert state is not None and (state.round_id, state.question_code) == (
            longer_round,
            "strengths",
        )


# ----- 3. the quarters' texts offered ------------------------------------------------------------


async def test_narrative_options_list_the_quarters_texts_first(database: Database) -> None:
    """Each narrative question offers Q1's then Q2's text (labelled with the quarter's code),
    then the form's phrasings; picking one stores that text."""
    c = await make_commune(database)
    q1, q2 = quarter(Q1_TYPED), quarter(Q2_TYPED)
    await report_quarter(database, c, "2026-Q1", q1)
    await report_quarter(database, c, "2026-Q2", q2)
    h1 = await open_period(database, c, "2026-H1")
    hoa = Chat(database, c.hoa)

    reply = await hoa.begin()
    prompt = reply.messages[-1].text
    suggestions = FORM.questions["strengths"].suggestions
    lines = [
        f"1. (nội dung kỳ 2026-Q1) {q1['strengths']}",
        f"2. (nội dung kỳ 2026-Q2) {q2['strengths']}",
        *(f"{n}. {text}" for n, text in enumerate(suggestions, 3)),
    ]
    positions = [prompt.index(line) for line in lines]
    assert positions == sorted(positions)
    options = [a for a in actions(reply) if a.startswith("opt:")]
    assert options == [f"opt:{i}" for i in range(2 + len(suggestions))]
    labels = [b.label for out in reply.messages for row in out.buttons for b in row]
    assert [label for label in labels if label.startswith("Dùng mẫu")] == [
        f"Dùng mẫu {i}" for i in range(1, 3 + len(suggestions))
    ]

    # Q1's strengths, used as is at one tap (and shown whole).
    reply = await hoa.press("opt:0")
    assert q1["strengths"] in text_of(reply)
    assert (await stored(database, h1))["strengths"] == q1["strengths"]

    # Q2's limitations.
    assert f"2. (nội dung kỳ 2026-Q2) {q2['limitations']}" in text_of(reply)
    reply = await hoa.press("opt:1")
    assert (await stored(database, h1))["limitations"] == q2["limitations"]

    # Causes: Q1 gave none, so Q2's is the only quarter's text, first.
    prompt = text_of(reply)
    assert f"1. (nội dung kỳ 2026-Q2) {q2['causes']}" in prompt
    assert "2026-Q1" not in prompt
    reply = await hoa.press("opt:0")
    assert (await stored(database, h1))["causes"] == q2["causes"]

    # Directions: the first of the form's phrasings comes after the two quarters' texts.
    reply = await hoa.press("opt:2")
    assert (await stored(database, h1))["directions"] == FORM.questions["directions"].suggestions[0]

    # Proposals: no quarter wrote any, so only the phrasings.
    prompt = text_of(reply)
    assert FORM.questions["proposals"].label in prompt
    assert "nội dung kỳ" not in prompt
    assert f"1. {FORM.questions['proposals'].suggestions[0]}" in prompt


# ----- 4. the six-month report: summed, approved, delivered --------------------------------------


async def test_half_year_report_sums_the_quarters_and_goes_out_like_a_quarter(
    database: Database,
) -> None:
    """The H1 version holds Q1 + Q2 counts, Q2's rates and choices, the fresh narrative; the
    chairman approves it, it is numbered 01/BC-UBND and queued to the office."""
    c = await make_commune(database)
    q1, q2 = quarter(Q1_TYPED), quarter(Q2_TYPED)
    await report_quarter(database, c, "2026-Q1", q1)
    await report_quarter(database, c, "2026-Q2", q2)
    # Another commune's figures must not leak in.
    other = await make_commune(database, name="Hồng Phong")
    await report_quarter(database, other, "2026-Q1", quarter(Q1_TYPED, banners="900"))
    h1 = await open_period(database, c, "2026-H1")

    await write_narrative(Chat(database, c.hoa), FRESH)

    assert await round_status(database, h1) is RoundStatus.SUBMITTED
    [draft] = await drafts_of(database, h1)
    assert (draft.version, draft.status) == (1, DraftStatus.AWAITING)
    report = draft.report
    assert report["period_kind"] == "half_year"
    answers = report["answers"]

    # The arithmetic, spelt out for a few, then all of it.
    assert answers["radio_programs"] == 6 + 4
    assert answers["radio_minutes"] == 90 + 360
    assert answers["banners"] == 2 + 5
    assert answers["leaflets"] == 1500 + 800
    assert answers["citizens_guided"] == 1200 + 1300
    assert answers["social_posts"] == 7  # Q1 skipped it
    assert answers["contest_participants"] == 250  # only Q1 had a contest
    assert "meeting_attendance" not in answers or answers["meeting_attendance"] is None
    assert answers["radio_per_day"] == 2  # a rate: Q2's, not 3 + 2
    assert answers["tthc_posted_percent"] == 100
    assert answers["web_tthc_updated"] is True and answers["radio_relay"] is True
    assert answers["radio_station"] == "active"
    expected = {**combined(q1, q2), **FRESH}
    assert answers == expected
    assert report["previous"] is None  # no 2025 figures

    # The approver has it, as for a quarter.
    to_chairman = for_round(await outbox(database, purpose="draft_to_approver"), draft)
    assert to_chairman and {row.person_id for row in to_chairman} == {c.chairman.id}
    text = docx_text(draft.docx)
    assert "6 tháng đầu năm 2026" in text
    assert "10 chuyên mục" in text  # 06 + 04 radio programmes
    assert FRESH["strengths"] in text
    assert Q1_TYPED["strengths"] not in text and Q2_TYPED["strengths"] not in text

    outcome = await approve_draft(database, c.chairman, draft.id)
    assert outcome.accepted
    [draft] = await drafts_of(database, h1)
    assert draft.status is DraftStatus.APPROVED
    assert draft.number == "01/BC-UBND" and draft.issued_on is not None
    assert await round_status(database, h1) is RoundStatus.APPROVED
    final = docx_text(draft.docx)
    assert "01/BC-UBND" in final and "6 tháng đầu năm 2026" in final
    assert c.chairman.full_name in final

    [delivery] = for_round(await outbox(database, purpose="office_delivery"), draft)
    assert delivery.key == f"draft:{draft.id}:office:docx"
    assert (delivery.office_id, delivery.chat_id, delivery.person_id) == (c.office.id, None, None)
    assert delivery.payload["file"]["filename"].startswith("BC-CCHC_2026-H1_")
    assert delivery.payload["file"]["filename"].endswith("_so01.docx")
    assert "6 tháng đầu năm 2026" in delivery.payload["caption"]
    assert "Số 01/BC-UBND" in delivery.payload["caption"]
    to_officers = for_round(await outbox(database, purpose="approved_to_officer"), draft)
    assert [row.person_id for row in to_officers] == [c.hoa.id]  # Bình had nothing in H1

    async with database.session() as session:
        row = await mark_sent(session=session, row_id=delivery.id, message_id=42)
        await WORKFLOW.after_sent(session, row)
    assert await round_status(database, h1) is RoundStatus.DELIVERED


# ----- 5. which figures of a quarter -------------------------------------------------------------


async def test_an_approved_quarter_counts_as_approved_not_as_changed_since(
    database: Database,
) -> None:
    """Q1 approved with 02 banners, then its stored answer changed to 09 without approval: H1
    adds the 02 that was signed (and offers Q1's signed text)."""
    # Another commune's Q1, approved first, with figures of its own that must not be taken.
    other = await make_commune(database, name="Hồng Phong")
    await report_quarter(
        database,
        other,
        "2026-Q1",
        quarter(Q1_TYPED, banners="900", strengths="Khác."),
        approve=True,
    )
    c = await make_commune(database)
    q1, q2 = quarter(Q1_TYPED), quarter(Q2_TYPED)
    q1_round = await report_quarter(database, c, "2026-Q1", q1, approve=True)
    await change_answer(database, q1_round, "banners", 9)
    await change_answer(database, q1_round, "strengths", "Đã sửa sau khi duyệt.")
    await change_answer(database, q1_round, "tthc_posted_percent", 50)
    await report_quarter(database, c, "2026-Q2", {**q2, "tthc_posted_percent": None})
    h1 = await open_period(database, c, "2026-H1")
    hoa = Chat(database, c.hoa)

    prompt = text_of(await hoa.begin())
    assert f"(nội dung kỳ 2026-Q1) {q1['strengths']}" in prompt
    assert "Đã sửa sau khi duyệt." not in prompt
    await hoa.press("opt:0")
    for code in NARRATIVE[1:]:
        reply = await (hoa.press("skip") if FRESH[code] is None else hoa.say(FRESH[code]))
    assert "submit" in actions(reply)
    await hoa.press("submit")

    answers = (await latest_draft(database, h1)).report["answers"]
    assert answers["banners"] == 2 + 5  # not 9 + 5
    assert answers["tthc_posted_percent"] == 90  # Q2 skipped it: Q1's signed 90, not 50
    assert answers["strengths"] == q1["strengths"]
    q2_without_percent = {**q2, "tthc_posted_percent": None}
    assert answers == {**combined(q1, q2_without_percent), **FRESH, "strengths": q1["strengths"]}


@pytest.mark.parametrize("q1_round", ["never opened", "opened, nothing answered"])
async def test_a_quarter_not_reported_adds_nothing(database: Database, q1_round: str) -> None:
    """Without Q1's figures the six-month report is Q2's, with no error."""
    c = await make_commune(database)
    if q1_round != "never opened":
        await open_period(database, c, "2026-Q1")
    q2 = quarter(Q2_TYPED)
    await report_quarter(database, c, "2026-Q2", q2)
    h1 = await open_period(database, c, "2026-H1")

    prompts = await write_narrative(Chat(database, c.hoa), FRESH)
    assert "2026-Q1" not in prompts[0]
    assert f"1. (nội dung kỳ 2026-Q2) {q2['strengths']}" in prompts[0]

    answers = (await latest_draft(database, h1)).report["answers"]
    assert answers == {**combined(q2), **FRESH}
    assert answers["banners"] == 5 and answers["radio_programs"] == 4


# ----- 6. the annual report ----------------------------------------------------------------------


def year_of(year: int, quarter_number: int) -> dict[str, str | None]:
    """A quarter of some year with figures of its own."""
    base = Q1_TYPED if quarter_number % 2 else Q2_TYPED
    n = quarter_number + (year - 2025) * 4
    return {
        **base,
        "banners": str(n),
        "web_posts": str(10 * n),
        "radio_programs": str(n + 1),
        "radio_minutes": f"{30 * n} phút",
        "radio_per_day": str(1 + n % 3),
        "tthc_posted_percent": f"{90 + n}%",
        "strengths": f"Ưu điểm quý {quarter_number} năm {year}.",
    }


async def test_the_year_sums_four_quarters_and_compares_with_last_year(
    database: Database,
) -> None:
    """2026-Y adds up Q1..Q4 of 2026; its previous figures are 2025's four quarters combined.
    Q4's station was broken: the year's station is Q4's, its airtime Q1..Q3's."""
    c = await make_commune(database)
    last_year = [quarter(year_of(2025, n)) for n in range(1, 5)]
    this_year = [quarter(year_of(2026, n)) for n in range(1, 4)]
    broken = {
        **year_of(2026, 4),
        "radio_station": "Hỏng, đang sửa chữa",
        **dict.fromkeys(
            ("radio_programs", "radio_items", "radio_airings", "radio_minutes", "radio_per_day")
        ),
        "radio_relay": None,
    }
    this_year.append({k: v for k, v in quarter(broken).items() if v is not None or k in NARRATIVE})
    for n, answers in enumerate(last_year, 1):
        await report_quarter(database, c, f"2025-Q{n}", answers)
    for n, answers in enumerate(this_year, 1):
        await report_quarter(database, c, f"2026-Q{n}", answers)
    year_round = await open_period(database, c, "2026-Y")

    prompts = await write_narrative(Chat(database, c.hoa), FRESH)
    # The four quarters' strengths, in order, then the phrasings; four buttons to a row.
    firsts = [prompts[0].index(f"(nội dung kỳ 2026-Q{n}) Ưu điểm quý {n}") for n in range(1, 5)]
    assert firsts == sorted(firsts)
    assert prompts[0].index(FORM.questions["strengths"].suggestions[0]) > firsts[-1]

    [draft] = await drafts_of(database, year_round)
    report = draft.report
    assert report["period_kind"] == "year"
    answers = report["answers"]
    assert answers["banners"] == 5 + 6 + 7 + 8
    assert answers["radio_programs"] == 6 + 7 + 8  # none in Q4
    assert answers["radio_minutes"] == 30 * (5 + 6 + 7)
    assert answers["radio_per_day"] == 1 + 7 % 3  # Q3's, the latest given
    assert answers["radio_station"] == "active"  # it worked in Q1 to Q3
    assert answers["tthc_posted_percent"] == 98
    assert answers == {**combined(*this_year), **FRESH}

    previous = report["previous"]
    assert previous is not None
    assert previous["banners"] == 1 + 2 + 3 + 4
    assert previous["web_posts"] == 10 + 20 + 30 + 40
    assert previous["tthc_posted_percent"] == 94
    assert {k: v for k, v in previous.items() if k not in NARRATIVE} == combined(*last_year)

    text = docx_text(draft.docx)
    assert "năm 2026" in text
    assert "so với kỳ trước" in text


async def test_the_year_without_last_years_quarters_has_no_comparison(
    database: Database,
) -> None:
    """The control: no 2025 quarter, no previous figures."""
    c = await make_commune(database)
    for n in range(1, 5):
        await report_quarter(database, c, f"2026-Q{n}", quarter(year_of(2026, n)))
    year_round = await open_period(database, c, "2026-Y")
    await write_narrative(Chat(database, c.hoa), FRESH)
    report = (await latest_draft(database, year_round)).report
    assert report["previous"] is None
    assert report["answers"]["banners"] == 5 + 6 + 7 + 8


# ----- 7. the calendar's reminders ---------------------------------------------------------------


def at(year: int, month: int, day: int, hour: int = 8) -> datetime:
    return datetime(year, month, day, hour, tzinfo=ZONE).astimezone(UTC)


async def test_half_year_reminders_go_only_to_who_has_the_narrative_left(
    database: Database,
) -> None:
    """June: Q2 and H1 open together. Bình is prompted and reminded for Q2 only; Hoa for both,
    her H1 reminder naming the narrative alone; once she hands it in, H1 has no one left."""
    c = await make_commune(database)
    duties = CalendarDuties(Questionnaire(FORM), Calendar(), ZONE)

    async with database.session() as session:
        queued = await duties.run(session, at(2026, 6, 7))
    assert queued["prompt"] == 3  # Q2: Hoa and Bình; H1: Hoa
    async with database.session() as session:
        rounds = {
            period: await open_round(session, unit=c.unit, code=period)
            for period in ("2026-Q2", "2026-H1")
        }
        q2, h1 = rounds["2026-Q2"], rounds["2026-H1"]
        work = await duties.workloads(session, h1, c.unit)
        assert [(w.person.id, [s.code for s in w.sections]) for w in work] == [
            (c.hoa.id, ["assessment"])
        ]
        assert work[0].questions == len(NARRATIVE) and work[0].answered == 0
        missing = await duties.missing_sections(session, h1, c.unit)
        assert missing == [(FORM.section("assessment").title, c.hoa.full_name)]
    prompts = await outbox(database, purpose="open")
    assert {row.key for row in prompts} == {
        f"open:{q2.id}:{c.hoa.id}",
        f"open:{q2.id}:{c.binh.id}",
        f"open:{h1.id}:{c.hoa.id}",
    }

    # Hoa writes two of the five before the first reminder.
    async with database.session() as session:
        await store_answers(
            session,
            round_id=h1.id,
            answers={"strengths": FRESH["strengths"], "limitations": FRESH["limitations"]},
            form_version=FORM.version,
            person_id=c.hoa.id,
        )
    async with database.session() as session:
        queued = await duties.run(session, at(2026, 6, 11))
    assert queued["reminder"] == 3
    reminders = {row.key: row for row in await outbox(database, purpose="remind")}
    assert set(reminders) == {
        f"remind3:{q2.id}:{c.hoa.id}",
        f"remind3:{q2.id}:{c.binh.id}",
        f"remind3:{h1.id}:{c.hoa.id}",
    }
    h1_text = reminders[f"remind3:{h1.id}:{c.hoa.id}"].payload["text"]
    assert "6 tháng đầu năm 2026" in h1_text
    assert f"đã trả lời 2/{len(NARRATIVE)} câu" in h1_text
    assert FORM.section("assessment").title in h1_text
    for section in FORM.sections:
        if section.code != "assessment":
            assert section.title not in h1_text

    # She gives the other three, hands in her Q2 sections, then the narrative via /baocao:
    # nobody is left in H1, so the next reminder is Bình's for Q2 only.
    async with database.session() as session:
        await store_answers(
            session,
            round_id=h1.id,
            answers={code: FRESH[code] for code in ("causes", "directions", "proposals")},
            form_version=FORM.version,
            person_id=c.hoa.id,
        )
    async with database.session() as session:
        for section in FORM.sections:
            if section.code != "broadcasts":
                session.add(
                    SectionSubmission(
                        round_id=q2.id,
                        section_code=section.code,
                        form_version=FORM.version,
                        submitted_by_person_id=c.hoa.id,
                    )
                )
    hoa = Chat(database, c.hoa)
    reply = await hoa.begin()
    assert "6 tháng đầu năm 2026" in reply.messages[0].text
    await hoa.press("submit")
    assert await round_status(database, h1.id) is RoundStatus.SUBMITTED
    async with database.session() as session:
        round_ = await session.get(ReportingRound, h1.id)
        assert round_ is not None
        assert await duties.workloads(session, round_, c.unit) == []
        assert await duties.missing_sections(session, round_, c.unit) == []
    async with database.session() as session:
        queued = await duties.run(session, at(2026, 6, 13))
    assert queued["reminder"] == 1
    later = {row.key for row in await outbox(database, purpose="remind")} - set(reminders)
    assert later == {f"remind1:{q2.id}:{c.binh.id}"}


async def test_a_station_broken_in_the_last_quarter_does_not_erase_the_earlier_broadcasts(
    database: Database,
) -> None:
    """Q1's station aired 06 programmes in 90 minutes; in Q2 it broke. The six-month report's
    answers add Q1's radio figures, and its text must not say the six months had no radio
    publicity at all, nor leave those figures out."""
    c = await make_commune(database)
    q1 = quarter(Q1_TYPED)
    radio = ("radio_programs", "radio_items", "radio_airings", "radio_minutes", "radio_per_day")
    q2 = {
        code: value
        for code, value in quarter(
            Q2_TYPED, radio_station="Hỏng, đang sửa chữa", radio_relay=None
        ).items()
        if code not in radio and code != "radio_relay"
    }
    await report_quarter(database, c, "2026-Q1", q1)
    await report_quarter(database, c, "2026-Q2", q2)
    h1 = await open_period(database, c, "2026-H1")
    await write_narrative(Chat(database, c.hoa), FRESH)

    draft = await latest_draft(database, h1)
    answers = draft.report["answers"]
    assert (answers["radio_programs"], answers["radio_minutes"]) == (6, 90)
    assert answers["radio_station"] == "active"  # it worked in Q1: `combine: best`
    text = docx_text(draft.docx)
    assert "trong 6 tháng đầu năm chưa thực hiện được việc tuyên truyền" not in text
    assert "06 chuyên mục" in text


# ----- the position in a narrowed section --------------------------------------------------------


async def test_position_counts_only_the_questions_asked_in_the_half_year(
    database: Database,
) -> None:
    """A form whose section mixes narrative and other questions: in H1 the walk shows that
    section's narrative question alone, so it is "Câu 1/1", not its place among all four."""
    form = all_types_form()
    engine = Questionnaire(form)
    async with database.session() as session:
        unit = await make_unit(session)
        person = await make_person(session, unit=unit, telegram_user_id=next(_telegram_ids))
        await open_round(session, unit=unit, code="2026-H1")
    reply = await Chat(database, person, engine=engine).begin()
    intro, question = reply.messages
    assert "1 phần, tối đa 1 câu hỏi" in intro.text
    assert form.questions["q_long"].label in question.text
    assert "Phần 1/1 · Câu 1/1" in question.text
