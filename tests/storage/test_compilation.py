"""What a receiving office compiles for a period, read from the real database.

Rounds are submitted and approved through the real ApprovalWorkflow, so the approved versions
(with their frozen figures, number and .docx) are made exactly as the bot makes them; only the
moments (submitted, approved, delivered) are set afterwards where a test needs known values.
The helpers here are shared with tests/report_templates/test_compiled.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from conversations.approval import ApprovalWorkflow
from conversations.outgoing import Text
from definitions.forms import QuestionType, load_form
from definitions.values import parse_answer
from report_templates.draft import load_report_files
from report_templates.from_round import report_input_for_round
from storage.compilation import (
    Compilation,
    UnknownOffice,
    approved_documents,
    compile_period,
    find_office,
)
from storage.db import Database
from storage.models import (
    Answer,
    Draft,
    DraftStatus,
    Person,
    ReportingPeriod,
    ReportingRound,
    Role,
    RoundStatus,
    SectionSubmission,
    Unit,
    UnitKind,
)
from storage.outbox import mark_sent_as_reply
from storage.periods import open_rounds
from storage.questionnaire import answers_in_period, round_of_unit, save_answer
from tests.factories import (
    SKIPPED_IN_ROUND,
    TYPED_ROUND,
    both_kinds,
    make_person,
    make_unit,
    open_round,
)

FORM = load_form()
TEMPLATES, LAYOUT = load_report_files()
ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
WORKFLOW = ApprovalWorkflow(both_kinds(), timezone=ZONE, pdf_available=False)
PERIOD = "2026-Q4"
DEADLINE = date(2026, 12, 16)  # 14/12/2026 (Monday) plus two working days

_telegram_ids = count(8_300_001)


def typed_answers(**typed: str) -> dict[str, Any]:
    """A full, valid set of stored answers, as the officers would type them."""
    values: dict[str, Any] = {
        code: parse_answer(FORM.questions[code], text)
        for code, text in {**TYPED_ROUND, **typed}.items()
    }
    values.update(dict.fromkeys(SKIPPED_IN_ROUND))
    return values


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# ----- a province in miniature ------------------------------------------------------------------


@dataclass(frozen=True)
class Commune:
    unit: Unit
    chairman: Person
    officer: Person
    round_id: int | None  # None: no round opened for the period


async def make_office(
    database: Database,
    *,
    code: str = "SNV-HY",
    name: str = "Sở Nội vụ tỉnh Hưng Yên",
    parent: Unit | None = None,
) -> Unit:
    async with database.session() as session:
        office = Unit(
            code=code,
            name=name,
            kind=UnitKind.OFFICE,
            parent_id=parent.id if parent is not None else None,
        )
        session.add(office)
        await session.flush()
    return office


async def make_province(database: Database, *, name: str = "Hưng Yên") -> Unit:
    async with database.session() as session:
        return await make_unit(session, name=name, kind=UnitKind.PROVINCE, code="33")


async def make_commune(
    database: Database,
    office: Unit | None,
    *,
    code: str,
    name: str,
    kind: UnitKind = UnitKind.COMMUNE,
    period: str | None = PERIOD,
) -> Commune:
    """A commune with a registered chairman and officer, and (unless period is None) a round."""
    async with database.session() as session:
        unit = await make_unit(session, name=name, kind=kind, code=code, office=office)
        chairman = await make_person(
            session,
            unit=unit,
            role=Role.CHAIRMAN,
            full_name="Lê Văn Cường",
            telegram_user_id=next(_telegram_ids),
        )
        officer = await make_person(
            session,
            unit=unit,
            role=Role.OFFICER,
            full_name="Nguyễn Thị Hoa",
            telegram_user_id=next(_telegram_ids),
        )
        round_id = None
        if period is not None:
            round_id = (await open_round(session, unit=unit, code=period)).id
    return Commune(unit, chairman, officer, round_id)


async def open_for(database: Database, commune: Commune, period: str) -> int:
    async with database.session() as session:
        return (await open_round(session, unit=commune.unit, code=period)).id


async def set_answers(database: Database, round_id: int, values: dict[str, Any]) -> None:
    """Store or change answers, as the questionnaire would (old values go to the audit log)."""
    async with database.session() as session:
        stored = {
            answer.question_code: answer
            for answer in await session.scalars(select(Answer).where(Answer.round_id == round_id))
        }
        for code, value in values.items():
            await save_answer(
                session=session,
                round_id=round_id,
                question_code=code,
                value=value,
                form_version=FORM.version,
                person_id=None,
                existing=stored.get(code),
            )


async def submit(
    database: Database,
    commune: Commune,
    values: dict[str, Any],
    *,
    round_id: int | None = None,
) -> Draft:
    """Store the answers, hand in every section and tell the workflow: a new version."""
    round_id = round_id or commune.round_id
    assert round_id is not None
    await set_answers(database, round_id, values)
    async with database.session() as session:
        handed_in = set(
            await session.scalars(
                select(SectionSubmission.section_code).where(SectionSubmission.round_id == round_id)
            )
        )
        for section in FORM.sections:
            if section.code not in handed_in:
                session.add(
                    SectionSubmission(
                        round_id=round_id,
                        section_code=section.code,
                        form_version=FORM.version,
                        submitted_by_person_id=commune.officer.id,
                    )
                )
        round_ = await session.get(ReportingRound, round_id)
        assert round_ is not None
        round_.status = RoundStatus.SUBMITTED
        await session.flush()
        await WORKFLOW.on_round_submitted(session, round_id, commune.officer.id)
    return (await drafts_of(database, round_id))[-1]


async def approve(database: Database, commune: Commune, draft: Draft) -> Draft:
    """The chairman presses ✅ Duyệt; the version is numbered and queued for the office."""
    async with database.session() as session:
        outcome = await WORKFLOW.press(
            session, person=commune.chairman, draft_id=draft.id, action="ok"
        )
    told = [item.text for item in outcome.items if isinstance(item, Text)]
    assert told and "01/BC-UBND" in told[0], told
    assert outcome.saved_as is not None
    async with database.session() as session:
        # What the handler does once the reply reached the chairman: its copy need not go.
        await mark_sent_as_reply(session=session, key=outcome.saved_as, message_id=1)
    async with database.session() as session:
        approved = await session.get(Draft, draft.id)
        assert approved is not None and approved.status is DraftStatus.APPROVED
        return approved


async def send_back(database: Database, commune: Commune, draft: Draft) -> None:
    async with database.session() as session:
        await WORKFLOW.press(session, person=commune.chairman, draft_id=draft.id, action="ret")
    async with database.session() as session:
        told = await WORKFLOW.take_text(
            session, person=commune.chairman, text="Đề nghị kiểm tra lại số chuyên mục."
        )
    assert told is not None


async def drafts_of(database: Database, round_id: int) -> list[Draft]:
    async with database.session() as session:
        return list(
            (
                await session.scalars(
                    select(Draft).where(Draft.round_id == round_id).order_by(Draft.version)
                )
            ).all()
        )


async def set_moments(database: Database, draft_id: int, **values: Any) -> None:
    """Put known moments (created_at, decided_at, delivered_at, issued_on) on a version."""
    async with database.session() as session:
        await session.execute(update(Draft).where(Draft.id == draft_id).values(**values))


async def set_round_status(database: Database, round_id: int, status: RoundStatus) -> None:
    async with database.session() as session:
        await session.execute(
            update(ReportingRound).where(ReportingRound.id == round_id).values(status=status)
        )


async def compile_for(
    database: Database, office: Unit, *, today: date, period: str = PERIOD
) -> Compilation:
    async with database.session() as session:
        return await compile_period(
            session=session, office=office, period_code=period, today=today, zone=ZONE
        )


# ----- one row per commune of the office ---------------------------------------------------------


async def test_each_commune_of_the_office_has_one_row_with_its_approved_version(
    database: Database,
) -> None:
    """Communes of the office only (commune-level kinds), in code order, with where each stands;
    the figures are the approved version's, not the first version's nor the answers now."""
    office = await make_office(database)
    elsewhere = await make_office(database, code="SNV-HN", name="Sở Nội vụ thành phố Hà Nội")
    returned = await make_commune(database, office, code="12160", name="Đông Hòa")
    approved = await make_commune(database, office, code="12151", name="Tân Quang")
    ward = await make_commune(database, office, code="12155", name="Hiến Nam", kind=UnitKind.WARD)
    waiting = await make_commune(database, office, code="12170", name="Minh Đức")
    await make_commune(database, office, code="12180", name="Lạc Đạo", period=None)
    other = await make_commune(database, elsewhere, code="12152", name="Vĩnh Khúc")
    async with database.session() as session:  # not commune level: never a row
        await make_unit(
            session, name="Văn Lâm", kind=UnitKind.DISTRICT, code="12100", office=office
        )

    first = await submit(database, approved, typed_answers(radio_programs="7"))
    approved_draft = await approve(database, approved, first)
    ward_draft = await approve(
        database, ward, await submit(database, ward, typed_answers(radio_programs="3"))
    )
    other_draft = await submit(database, other, typed_answers())
    await approve(database, other, other_draft)
    v1 = await submit(database, returned, typed_answers(radio_programs="9", web_posts="40"))
    await send_back(database, returned, v1)
    v2 = await submit(database, returned, typed_answers(radio_programs="4", web_posts="41"))
    v2 = await approve(database, returned, v2)
    v1_waiting = await submit(database, waiting, typed_answers(radio_programs="5"))

    compilation = await compile_for(database, office, today=date(2026, 12, 10))

    assert [c.code for c in compilation.communes] == ["12151", "12155", "12160", "12170", "12180"]
    rows = {c.code: c for c in compilation.communes}
    assert [rows[code].kind for code in ("12151", "12155")] == [UnitKind.COMMUNE, UnitKind.WARD]
    assert (compilation.period_code, compilation.period_kind) == ("2026-Q4", "quarter")
    assert (compilation.year, compilation.number) == (2026, 4)
    assert (compilation.deadline_on, compilation.today) == (DEADLINE, date(2026, 12, 10))
    assert compilation.office.id == office.id

    tan_quang = rows["12151"]
    assert tan_quang.name == "Tân Quang"
    assert tan_quang.status is RoundStatus.APPROVED
    assert tan_quang.draft_id == approved_draft.id
    assert tan_quang.number == "01/BC-UBND" and tan_quang.issued_on == approved_draft.issued_on
    assert tan_quang.first_submitted_at == first.created_at
    assert tan_quang.approved_at == approved_draft.decided_at is not None
    assert tan_quang.delivered_at is None
    assert tan_quang.answers == approved_draft.report["answers"]
    assert tan_quang.answers["radio_programs"] == 7 and tan_quang.answers["social_posts"] is None
    assert (
        tan_quang.reported
        and tan_quang.reported_on == approved_draft.decided_at.astimezone(ZONE).date()
    )
    assert tan_quang.on_time is True
    assert rows["12155"].answers["radio_programs"] == 3 and rows["12155"].draft_id == ward_draft.id

    dong_hoa = rows["12160"]  # returned once: first sent with version 1, figures of version 2
    assert dong_hoa.draft_id == v2.id
    assert dong_hoa.first_submitted_at == v1.created_at < v2.created_at
    assert (dong_hoa.answers["radio_programs"], dong_hoa.answers["web_posts"]) == (4, 41)

    minh_duc = rows["12170"]  # with the chairman: submitted, nothing to count yet
    assert minh_duc.status is RoundStatus.SUBMITTED
    assert minh_duc.first_submitted_at == v1_waiting.created_at
    assert (minh_duc.draft_id, minh_duc.number, minh_duc.approved_at) == (None, None, None)
    assert minh_duc.answers == {} and not minh_duc.reported
    assert (minh_duc.reported_on, minh_duc.on_time) == (None, None)  # before the deadline

    lac_dao = rows["12180"]
    assert (lac_dao.status, lac_dao.first_submitted_at, lac_dao.draft_id) == (None, None, None)

    assert (compilation.expected, compilation.submitted, compilation.approved) == (5, 4, 3)
    assert (compilation.on_time, compilation.late) == (3, 0)
    assert [c.code for c in compilation.missing] == ["12170", "12180"]


async def test_answers_changed_after_approval_leave_the_compiled_figures_alone(
    database: Database,
) -> None:
    office = await make_office(database)
    commune = await make_commune(database, office, code="12151", name="Tân Quang")
    draft = await approve(database, commune, await submit(database, commune, typed_answers()))
    assert commune.round_id is not None
    await set_answers(database, commune.round_id, {"radio_programs": 66, "leaflets": 9000})

    async with database.session() as session:
        now = await answers_in_period(session=session, unit_id=commune.unit.id, period_code=PERIOD)
    assert (now["radio_programs"], now["leaflets"]) == (66, 9000)  # the edit is stored
    [row] = (await compile_for(database, office, today=date(2026, 12, 1))).communes
    assert (row.answers["radio_programs"], row.answers["leaflets"]) == (6, 1500)
    assert row.answers == draft.report["answers"]


# ----- on time and late ---------------------------------------------------------------------------


async def test_on_time_is_judged_by_the_local_day_delivered_else_approved(
    database: Database,
) -> None:
    """The office's day (Asia/Ho_Chi_Minh, UTC+7) decides: 23:59 on the deadline is on time,
    00:01 the day after is late; with nothing delivered, the day of approval counts."""
    office = await make_office(database)
    names = ("An Bình", "Bình Minh", "Cẩm Xá", "Dị Sử", "Đình Dù", "Giai Phạm")
    communes = [
        await make_commune(database, office, code=f"C0{index}", name=name)
        for index, name in enumerate(names, 1)
    ]
    drafts = [
        await approve(database, commune, await submit(database, commune, typed_answers()))
        for commune in communes[:4]
    ]
    await submit(database, communes[4], typed_answers())  # with the chairman still
    await set_moments(  # delivered 23:59 local on the deadline, approved long before
        database,
        drafts[0].id,
        decided_at=utc(2026, 12, 10, 1),
        delivered_at=utc(2026, 12, 16, 16, 59),
    )
    await set_moments(  # approved on the deadline (23:30 local), delivered 00:01 the day after
        database,
        drafts[1].id,
        decided_at=utc(2026, 12, 16, 16, 30),
        delivered_at=utc(2026, 12, 16, 17, 1),
    )
    await set_moments(database, drafts[2].id, decided_at=utc(2026, 12, 16, 16, 59))
    await set_moments(database, drafts[3].id, decided_at=utc(2026, 12, 16, 17, 0))

    late_day = await compile_for(database, office, today=date(2026, 12, 17))
    rows = {c.name: c for c in late_day.communes}
    assert [rows[name].reported_on for name in names[:4]] == [
        date(2026, 12, 16),
        date(2026, 12, 17),
        date(2026, 12, 16),
        date(2026, 12, 17),
    ]
    assert [rows[name].on_time for name in names] == [True, False, True, False, False, False]
    assert rows["Bình Minh"].delivered_at == utc(2026, 12, 16, 17, 1)
    assert rows["Bình Minh"].approved_at == utc(2026, 12, 16, 16, 30)
    assert [c.late for c in late_day.communes] == [False, True, False, True, True, True]
    assert (late_day.on_time, late_day.late, late_day.approved) == (2, 4, 4)

    on_the_day = await compile_for(database, office, today=DEADLINE)
    assert [c.on_time for c in on_the_day.communes] == [True, False, True, False, None, None]


async def test_the_period_deadline_set_by_the_calendar_wins_over_the_default(
    database: Database,
) -> None:
    office = await make_office(database)
    commune = await make_commune(database, office, code="12151", name="Tân Quang", period=None)
    async with database.session() as session:  # a holiday moved the deadline to the 18th
        await open_rounds(
            session=session, code=PERIOD, unit_codes=["12151"], deadline_on=date(2026, 12, 18)
        )
    round_id = await round_of(database, commune)
    draft = await submit(database, commune, typed_answers(), round_id=round_id)
    draft = await approve(database, commune, draft)
    await set_moments(database, draft.id, decided_at=utc(2026, 12, 17, 3))

    compilation = await compile_for(database, office, today=date(2026, 12, 20))
    assert compilation.deadline_on == date(2026, 12, 18)
    assert compilation.communes[0].on_time is True


async def round_of(database: Database, commune: Commune, period: str = PERIOD) -> int:
    async with database.session() as session:
        round_id = await round_of_unit(session=session, unit_code=commune.unit.code, period=period)
    assert round_id is not None
    return round_id


# ----- nothing to compile -------------------------------------------------------------------------


async def test_a_period_never_opened_lists_every_commune_as_not_reported(
    database: Database,
) -> None:
    office = await make_office(database)
    for code, name in (("12153", "Phạm Ngũ Lão"), ("12151", "Tân Quang")):
        await make_commune(database, office, code=code, name=name, period="2026-Q3")
    assert not await period_exists(database, "2027-Q1")

    before = await compile_for(database, office, today=date(2027, 3, 1), period="2027-q1")
    after = await compile_for(database, office, today=date(2027, 3, 18), period="2027-Q1")

    assert before.period_code == "2027-Q1"
    assert before.deadline_on == date(2027, 3, 16)  # 14/3/2027 is a Sunday: Tue 16th
    assert [(c.code, c.status, c.draft_id) for c in before.communes] == [
        ("12151", None, None),
        ("12153", None, None),
    ]
    assert (before.expected, before.submitted, before.approved) == (2, 0, 0)
    assert len(before.missing) == 2 and [c.on_time for c in before.communes] == [None, None]
    assert [c.on_time for c in after.communes] == [False, False] and after.late == 2
    assert not await period_exists(database, "2027-Q1"), "compiling must not open a period"


async def period_exists(database: Database, code: str) -> bool:
    async with database.session() as session:
        return (
            await session.scalar(select(ReportingPeriod).where(ReportingPeriod.code == code))
        ) is not None


async def test_an_office_without_communes_compiles_to_nothing(database: Database) -> None:
    office = await make_office(database)
    other = await make_office(database, code="SNV-HN", name="Sở Nội vụ thành phố Hà Nội")
    await make_commune(database, other, code="12151", name="Tân Quang")

    compilation = await compile_for(database, office, today=date(2026, 12, 20))
    assert list(compilation.communes) == []
    assert (compilation.expected, compilation.approved, compilation.late) == (0, 0, 0)
    assert compilation.missing == []


# ----- finding the office, streaming the reports ----------------------------------------------


async def test_find_office_finds_only_receiving_offices(database: Database) -> None:
    office = await make_office(database)
    await make_commune(database, office, code="12151", name="Tân Quang")
    async with database.session() as session:
        assert (await find_office(session, "SNV-HY")).id == office.id
        with pytest.raises(UnknownOffice, match="12151"):
            await find_office(session, "12151")  # a commune, not an office
        with pytest.raises(UnknownOffice, match="NOPE"):
            await find_office(session, "NOPE")


async def test_approved_documents_streams_every_asked_version_in_batches(
    database: Database,
) -> None:
    office = await make_office(database)
    drafts = []
    for index in range(5):
        commune = await make_commune(database, office, code=f"C{index}", name=f"Xã {index}")
        drafts.append(
            await approve(database, commune, await submit(database, commune, typed_answers()))
        )
    await set_moments(database, drafts[1].id, pdf=b"%PDF-1.7 one")
    wanted = [drafts[4].id, drafts[0].id, drafts[1].id, drafts[3].id, drafts[2].id]

    async with database.session() as session:
        got = [row async for row in approved_documents(session, wanted, batch=2)]

    # a batch at a time (ids sorted within each batch), every asked version exactly once
    assert [draft_id for draft_id, _, _ in got] == [
        *sorted(wanted[0:2]),
        *sorted(wanted[2:4]),
        wanted[4],
    ]
    by_id = {draft.id: draft for draft in drafts}
    for draft_id, docx, pdf in got:
        assert docx == by_id[draft_id].docx and docx.startswith(b"PK")
        assert pdf == (b"%PDF-1.7 one" if draft_id == drafts[1].id else None)
    async with database.session() as session:
        assert [row async for row in approved_documents(session, [])] == []


# ----- six-month figures: the quarters added up -------------------------------------------------


async def test_six_month_figures_add_up_the_quarters_approved_snapshot_first(
    database: Database,
) -> None:
    """H1 = Q1 (its approved version, whatever was edited after) + Q2 (answers as they stand);
    rates, percentages and yes/no are the later quarter's, the radio station the best any
    quarter gave (`combine: best`); the narrative is H1's own."""
    office = await make_office(database)
    commune = await make_commune(database, office, code="12151", name="Tân Quang", period=None)
    q1 = await open_for(database, commune, "2026-Q1")
    q1_values = typed_answers(
        radio_station="Đang hoạt động",
        radio_programs="6",
        radio_minutes="90",
        radio_per_day="2",
        radio_relay="có",
        web_posts="20",
        web_tthc_updated="có",
        leaflets="1.500",
        tthc_posted_percent="90%",
        strengths="Quý I làm tốt.",
    )
    await approve(database, commune, await submit(database, commune, q1_values, round_id=q1))
    await set_answers(database, q1, {"radio_programs": 60, "web_posts": 200})  # after approval
    q2 = await open_for(database, commune, "2026-Q2")
    q2_values = {
        **typed_answers(
            radio_station="Hỏng, đang sửa chữa",
            radio_programs="4",
            radio_minutes="30",
            radio_per_day="3",
            radio_relay="không",
            web_posts="7",
            tthc_posted_percent="95,5%",
            plan_refs="05/KH-UBND ngày 02/04/2026",
            strengths="Quý II làm tốt.",
        ),
        "leaflets": None,  # skipped
        "web_tthc_updated": None,
    }
    await set_answers(database, q2, q2_values)
    h1 = await open_for(database, commune, "2026-H1")
    await set_answers(database, h1, {"strengths": "Sáu tháng đầu năm làm tốt."})

    async with database.session() as session:
        report = await report_input_for_round(session=session, round_id=h1, form=FORM)
    figures = report.answers

    assert report.period_kind == "half_year"
    assert figures["radio_programs"] == 6 + 4, "Q1 from its approved version, not 60"
    assert figures["web_posts"] == 20 + 7
    assert figures["radio_minutes"] == 90 + 30
    assert figures["leaflets"] == 1500  # Q2 skipped it
    assert figures["radio_per_day"] == 3  # a rate: the later quarter's, not 5
    assert figures["tthc_posted_percent"] == 95.5
    assert figures["radio_relay"] is False  # False is a value: the later quarter's
    assert figures["web_tthc_updated"] is True  # Q2 gave none: the latest given
    assert figures["radio_station"] == "active"  # worked in Q1: counts as working (best)
    # Plans are a list: Q1's and Q2's, each once (`combine: union`).
    assert figures["plan_refs"] == q1_values["plan_refs"] + q2_values["plan_refs"]
    assert figures["strengths"] == "Sáu tháng đầu năm làm tốt."
    assert "limitations" not in figures, "quarters' narrative is never carried"
    for code, question in FORM.questions.items():  # every summed figure: exactly Q1 + Q2
        if question.combined_by == "sum" and not question.is_narrative:
            parts = [q1_values.get(code), q2_values.get(code)]
            given = [value for value in parts if value is not None]
            assert figures.get(code) == (sum(given) if given else None), code

    # A year whose Q3 and Q4 were never opened: they contribute nothing.
    year = await open_for(database, commune, "2026-Y")
    async with database.session() as session:
        annual = (await report_input_for_round(session=session, round_id=year, form=FORM)).answers
    assert annual["radio_programs"] == 10 and annual["radio_per_day"] == 3
    assert {k: v for k, v in annual.items() if k != "strengths"} == {
        k: v for k, v in figures.items() if k != "strengths"
    }


async def test_six_month_figures_without_a_first_quarter_are_the_second_quarters(
    database: Database,
) -> None:
    office = await make_office(database)
    commune = await make_commune(database, office, code="12151", name="Tân Quang", period=None)
    q2 = await open_for(database, commune, "2026-Q2")
    values = typed_answers(radio_programs="4", radio_per_day="3")
    await set_answers(database, q2, values)
    h1 = await open_for(database, commune, "2026-H1")

    async with database.session() as session:
        figures = (await report_input_for_round(session=session, round_id=h1, form=FORM)).answers
    expected = {
        code: value
        for code, value in values.items()
        if value is not None and not FORM.questions[code].is_narrative
    }
    assert figures == expected


# ----- Form.combine -----------------------------------------------------------------------------


def test_combine_sums_counts_keeps_the_latest_rate_and_the_best_station() -> None:
    q1 = {
        "radio_programs": 6,
        "radio_minutes": 90,
        "radio_per_day": 2,
        "tthc_posted_percent": 100,
        "radio_relay": True,
        "radio_station": "active",
        "leaflets": 1500,
        "strengths": "Quý I.",
    }
    q2 = {
        "radio_programs": 0,
        "radio_minutes": 45,
        "radio_per_day": None,
        "tthc_posted_percent": 87.5,
        "radio_relay": False,
        "radio_station": "none",
        "strengths": "Quý II.",
    }
    q3 = {"radio_programs": 3, "radio_per_day": 4, "leaflets": None}

    assert FORM.combine([q1, q2, q3]) == {
        "radio_programs": 9,
        "radio_minutes": 135,
        "radio_per_day": 4,  # combine: last
        "tthc_posted_percent": 87.5,
        "radio_relay": False,
        "radio_station": "active",  # combine: best, the first-listed choice any quarter gave
        "leaflets": 1500,
    }
    assert FORM.combine([q1, q2])["radio_per_day"] == 2  # Q2 skipped it: Q1's stands
    assert FORM.combine([{"radio_station": "none"}, {"radio_station": "broken"}]) == {
        "radio_station": "broken"
    }
    assert FORM.combine([{"radio_station": "broken"}, {"radio_station": "none"}]) == {
        "radio_station": "broken"
    }
    assert FORM.combine([]) == {}
    assert FORM.combine([{}, {"banners": None}]) == {}


def test_combined_by_follows_the_type_unless_the_form_says() -> None:
    by = {code: question.combined_by for code, question in FORM.questions.items()}
    assert by["radio_programs"] == by["radio_minutes"] == by["leaflets"] == "sum"
    assert by["radio_per_day"] == "last"  # a count, but a rate: `combine: last`
    assert by["tthc_posted_percent"] == by["radio_relay"] == by["content_other"] == "last"
    assert by["plan_refs"] == by["content_topics"] == "union"
    assert by["radio_station"] == "best"  # a station that worked in any quarter was working
    summed = {c for c, q in FORM.questions.items() if q.combined_by == "sum"}
    assert all(FORM.questions[c].type in (QuestionType.COUNT, QuestionType.MINUTES) for c in summed)
