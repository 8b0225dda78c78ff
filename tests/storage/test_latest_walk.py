"""The latest walk read in one query (storage.questionnaire.latest_walk): its round's answers,
assignments and roles as the separate queries give them."""

from __future__ import annotations

from storage.db import Database
from storage.models import QuestionnaireState, SectionAssignment
from storage.questionnaire import answers_of, latest_walk, section_assignments
from tests.factories import make_person, make_unit, open_round, store_answers

VALUES = {
    "count": 25,
    "share": 99.5,
    "big": 10**15,
    "text": 'Hội nghị "trực tuyến" — 100% xã; \\ dòng 2\nhết',
    "topics": [1, 2, 14],
    "document": {"number": "03/KH-UBND", "date": "2026-01-08"},
    "yes": True,
    "none": None,
}


async def test_the_walk_comes_with_its_rounds_answers_as_stored(database: Database) -> None:
    async with database.session() as session:
        unit = await make_unit(session)
        person = await make_person(session, unit=unit)
        other = await make_person(session, unit=unit, full_name="Trần Văn Nam")
        round_ = await open_round(session, unit=unit)
        session.add(QuestionnaireState(round_id=round_.id, person_id=person.id, step=1))
        session.add(SectionAssignment(unit_id=unit.id, section_code="media", person_id=other.id))
        await store_answers(session, round_id=round_.id, answers=VALUES, person_id=other.id)
    async with database.session() as session:
        found = await latest_walk(session=session, person_id=person.id)
        assert found is not None
        _, context = found
        assert context.answers == await answers_of(session=session, round_id=round_.id)
        assert {code: a.value["value"] for code, a in context.answers.items()} == VALUES
        assert {a.answered_by_person_id for a in context.answers.values()} == {other.id}
        assert context.assignments == await section_assignments(session=session, unit_id=unit.id)
        assert context.assignments == {"media": {other.id}}


async def test_a_walk_without_answers_has_none(database: Database) -> None:
    async with database.session() as session:
        unit = await make_unit(session)
        person = await make_person(session, unit=unit)
        round_ = await open_round(session, unit=unit)
        session.add(QuestionnaireState(round_id=round_.id, person_id=person.id, step=0))
    async with database.session() as session:
        found = await latest_walk(session=session, person_id=person.id)
        assert found is not None
        assert found[1].answers == {}
        assert found[1].assignments == {}
