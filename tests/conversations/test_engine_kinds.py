"""The engine with several report kinds: each round is answered with its own kind's form, and a
process answers only the kinds it serves."""

from __future__ import annotations

from sqlalchemy import select

from conversations.engine import Questionnaire
from definitions.forms import load_form
from storage.db import Database
from storage.models import Answer, Person, QuestionnaireState, ReportingRound, Role
from storage.periods import open_rounds
from tests.factories import all_types_form, make_person, make_unit

CCHC = load_form()


async def two_kinds_open(database: Database) -> tuple[int, dict[str, int]]:
    """An officer of a commune with the CCHC round and another kind's round open."""
    async with database.session() as session:
        unit = await make_unit(session, code="12151")
        person = await make_person(session, unit=unit, role=Role.OFFICER)
        for kind in ("cchc", "other"):
            await open_rounds(
                session=session, code="2026-Q4", unit_codes=["12151"], report_kind=kind
            )
        rounds = {r.kind: r.id for r in await session.scalars(select(ReportingRound))}
        return person.id, rounds


async def test_a_round_is_answered_with_its_own_kinds_form(database: Database) -> None:
    person_id, rounds = await two_kinds_open(database)
    other = Questionnaire({"other": all_types_form()})
    async with database.session() as session:
        person = await session.get_one(Person, person_id)
        started = await other.begin(session, person=person)
        answered = await other.answer_text(session, person=person, text="7")
        answers = list(await session.scalars(select(Answer)))

    assert "Bao nhiêu buổi" in started.messages[-1].text  # the other form's first question
    assert answered is not None and answered.accepted
    assert [(a.round_id, a.question_code, a.form_version) for a in answers] == [
        (rounds["other"], "q_count", "t1")
    ]


async def test_a_process_serving_one_kind_leaves_the_others_rounds_alone(
    database: Database,
) -> None:
    person_id, rounds = await two_kinds_open(database)
    cchc = Questionnaire(CCHC)
    async with database.session() as session:
        person = await session.get_one(Person, person_id)
        await cchc.begin(session, person=person)
        states = [state.round_id for state in await session.scalars(select(QuestionnaireState))]

    assert states == [rounds["cchc"]]
    assert cchc.form is CCHC
    assert Questionnaire({"cchc": CCHC, "other": all_types_form()}).form_of("other").form == (
        "all_types"
    )


async def test_with_work_in_two_reports_the_officer_chooses_which(database: Database) -> None:
    person_id, rounds = await two_kinds_open(database)
    both = Questionnaire(
        {"cchc": CCHC, "other": all_types_form()}, kind_names={"cchc": "CCHC", "other": "THỬ"}
    )
    async with database.session() as session:
        person = await session.get_one(Person, person_id)
        asked = await both.begin(session, person=person)
        chosen = await both.begin(session, person=person, report_kind=" OTHER ")
        forged = await both.begin(session, person=person, report_kind="{{ 7*7 }}" + "x" * 10_000)
        states = [state.round_id for state in await session.scalars(select(QuestionnaireState))]

    assert asked.messages[0].text == (
        "Anh/chị đang có 2 báo cáo cần nhập số liệu. Gõ:\n"
        "• /baocao cchc — báo cáo CCHC quý IV năm 2026\n"
        "• /baocao other — báo cáo THỬ quý IV năm 2026"
    )
    assert "Bao nhiêu buổi" in chosen.messages[-1].text
    assert states == [rounds["other"]]  # asking which started nothing
    [refusal] = forged.messages
    assert (
        refusal.text
        == "Không có loại báo cáo này. Anh/chị gõ /baocao, hoặc /baocao cchc hoặc /baocao other."
    )
