"""Delivered prompts noted in memory: seen at once, written by the walk's next transaction or in
a batch, and kept until a transaction that wrote them commits (storage.deliveries)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.deliveries import Delivery
from storage.models import QuestionnaireState
from storage.questionnaire import latest_walk, shown_before
from tests.factories import make_person, make_unit, open_round


async def make_walk(database: Database) -> int:
    async with database.session() as session:
        unit = await make_unit(session)
        person = await make_person(session, unit=unit)
        round_ = await open_round(session, unit=unit)
        state = QuestionnaireState(round_id=round_.id, person_id=person.id, step=3)
        session.add(state)
        await session.flush()
        return state.id


async def stored(database: Database, state_id: int) -> QuestionnaireState:
    """The state as committed, read with no notes applied."""
    async with database.sessions() as session:
        session.info.clear()
        state = await session.get(QuestionnaireState, state_id)
        assert state is not None
        return state


def delivered(state_id: int, step: int, message_id: int) -> Delivery:
    return Delivery(state_id=state_id, step=step, question_code=f"q{step}", message_id=message_id)


@pytest.fixture
def slow_batches(database: Database) -> None:
    database.deliveries.delay_s = 60.0  # only turns write, unless a test writes the batch


async def test_the_next_turn_reads_a_noted_prompt_and_writes_it_with_its_own_change(
    database: Database, slow_batches: None
) -> None:
    state_id = await make_walk(database)
    database.deliveries.note(delivered(state_id, 3, 41))
    async with database.session() as session:
        walk = await latest_walk(
            session=session, person_id=(await stored(database, state_id)).person_id
        )
        assert walk is not None
        state = walk[0]
        seen = shown_before(state, 42)  # typed after the prompt: read against it
        assert seen is not None and seen["step"] == 3
        state.step = 4  # the turn moves on
    after = await stored(database, state_id)
    assert after.step == 4
    assert [entry["message"] for entry in after.shown or []] == [41]
    assert not database.deliveries._notes  # written: forgotten


async def test_a_rolled_back_turn_leaves_the_note_to_the_batch(
    database: Database, slow_batches: None
) -> None:
    state_id = await make_walk(database)
    before = await stored(database, state_id)
    database.deliveries.note(delivered(state_id, 3, 41))
    with pytest.raises(RuntimeError):
        async with database.session() as session:
            await session.get(QuestionnaireState, state_id)
            raise RuntimeError("the turn failed")
    assert (await stored(database, state_id)).shown is None
    await database.deliveries.write()
    after = await stored(database, state_id)
    assert [entry["message"] for entry in after.shown or []] == [41]
    # A delivery is not a change of place: the walk keeps its place among the person's walks.
    assert after.updated_at == before.updated_at
    assert not database.deliveries._notes


async def test_notes_are_written_in_a_batch_soon_after(database: Database) -> None:
    database.deliveries.delay_s = 0.01
    first, second = await make_walk(database), await make_walk(database)
    database.deliveries.note(delivered(first, 3, 41))
    database.deliveries.note(delivered(second, 3, 7))
    database.deliveries.note(delivered(first, 4, 43))
    for _ in range(200):
        if not database.deliveries._notes:
            break
        await asyncio.sleep(0.01)
    assert [e["message"] for e in (await stored(database, first)).shown or []] == [41, 43]
    assert [e["message"] for e in (await stored(database, second)).shown or []] == [7]


async def test_a_clean_stop_writes_what_is_noted(database_url: str) -> None:
    from storage.db import upgrade_database

    await upgrade_database(database_url)
    database = Database(database_url)
    database.deliveries.delay_s = 60.0
    state_id = await make_walk(database)
    database.deliveries.note(delivered(state_id, 3, 41))
    await database.dispose()
    again = Database(database_url)
    try:
        async with again.session() as session:
            shown = await session.scalar(
                select(QuestionnaireState.shown).where(QuestionnaireState.id == state_id)
            )
        assert [entry["message"] for entry in shown or []] == [41]
    finally:
        await again.dispose()
